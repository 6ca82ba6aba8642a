"""Parse syslog messages as RouterOS sends them (pure functions, no I/O).

RouterOS's remote logging action (``/system/logging/action`` with
``target=remote``) sends each log line as one syslog message, over UDP by
default (TCP where the action's ``remote-protocol`` is ``tcp``, RouterOS 7).
The shapes seen from routers, each accepted here:

* the default format: ``<PRI>`` then the line with its topics first, no time and
  no host: ``<30>system,info,account user admin logged out from 10.0.0.5 via
  winbox`` (a Graylog issue shows such a capture: Graylog2/graylog2-server#8056,
  where a logging rule's ``prefix`` follows the topics);
* BSD syslog, RFC 3164 (``bsd-syslog=yes`` before RouterOS 7.18,
  ``remote-log-format=syslog`` since; see akpw/mktxp-stack#35): ``<PRI>`` then
  ``Mmm dd hh:mm:ss`` in the router's local time, the host name (the router's
  identity), and the message *without* its topics: ``<30>Sep 25 01:37:18
  MikroTik user abc logged in from 192.168.88.1 via api`` (a tcpdump capture in
  splunk/splunk-connect-for-syslog#1272). Topics are then derived from the
  facility and severity;
* RFC 5424 (``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG``), from relays and
  other senders pointed at the same port.

The manual calls the remote target "remote syslog server (RFC 3164)"
(wiki.mikrotik.com Manual:System/Log). The facility and severity come from the
action's ``syslog-facility`` / ``syslog-severity`` (``auto``: from the line's
topics), so a topic word (``critical``, ``error``, ``warning``, ``info``,
``debug``) wins over the numeric severity when both are present.

:func:`parse` returns a :class:`SyslogMessage`; anything that is not syslog
raises :class:`SyslogParseError` naming what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from mikromon.domain.logs import SEVERITY_TOPICS, severity_from_topics

__all__ = [
    "FACILITIES",
    "MAX_MESSAGE_BYTES",
    "SyslogMessage",
    "SyslogParseError",
    "parse",
    "severity_name",
]

#: Longest message accepted, bytes (RFC 5424 §6.1 asks receivers for 480 at least
#: and recommends 2048; RouterOS lines are far shorter).
MAX_MESSAGE_BYTES: Final = 8192

#: Syslog facility numbers (RFC 5424 §6.2.1) by name, as RouterOS's
#: ``syslog-facility`` spells them.
FACILITIES: Final = (
    "kernel", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "audit", "alert", "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)

#: Syslog severity 0..7 -> RouterOS severity topic (emergency, alert and critical
#: are all RouterOS ``critical``; notice is ``info``).
_SEVERITY_TOPIC: Final = ("critical", "critical", "critical", "error", "warning", "info",
                          "info", "debug")

_PRI: Final = re.compile(rb"<(\d{1,3})>")
_BSD_TS: Final = re.compile(
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<d>\d{1,2}) "
    r"(?P<t>\d{2}:\d{2}:\d{2})(?:\.\d{1,6})? ",
    re.ASCII,
)
_ISO_TS: Final = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<t>\d{2}:\d{2}:\d{2})(?P<frac>\.\d{1,9})?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})? ",
    re.ASCII,
)
_MONTHS: Final = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_HOST: Final = re.compile(r"[^\s:\[\]]{1,255}", re.ASCII)
_TOPIC_WORD: Final = r"[a-z0-9][a-z0-9_.-]{0,31}"
_TOPICS: Final = re.compile(rf"({_TOPIC_WORD}(?:,{_TOPIC_WORD}){{0,15}}) ")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SyslogParseError(ValueError):
    """A datagram or frame that is not a syslog message; the text says what is wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SyslogMessage:
    """One parsed syslog message.

    Attributes:
        facility: 0..23 (:data:`FACILITIES`).
        severity: RouterOS severity topic: ``critical``, ``error``, ``warning``,
            ``info`` or ``debug`` (from the topics when they name one, else from
            the syslog severity).
        topics: the line's RouterOS topics (``("system", "info", "account")``);
            when the message carried none (BSD format), the severity topic alone.
        message: the text after the topics, control characters removed.
        time: the sender's time as naive ISO text (``2026-12-06T19:26:33``; the
            router's local time, as ``/log`` prints it), or ``''`` when the
            message carried none.
        hostname: the sender's host name (RouterOS: its identity), ``''`` if none.
        app: RFC 5424 APP-NAME (``''`` otherwise).
        fmt: ``"routeros"`` (no header), ``"rfc3164"`` or ``"rfc5424"``.
    """

    facility: int
    severity: str
    topics: tuple[str, ...]
    message: str
    time: str = ""
    hostname: str = ""
    app: str = ""
    fmt: str = "routeros"

    @property
    def topics_text(self) -> str:
        """The topics as ``/log`` prints them: ``system,info,account``."""
        return ",".join(self.topics)


def severity_name(number: int) -> str:
    """Return the RouterOS severity topic for syslog severity ``number`` (0..7).

    Raises:
        SyslogParseError: ``number`` is outside 0..7.
    """
    if not 0 <= number <= 7:
        raise SyslogParseError(f"syslog severity {number} is outside 0..7")
    return _SEVERITY_TOPIC[number]


def _bsd_time(match: re.Match[str], received: datetime) -> str:
    """``Mmm dd hh:mm:ss`` (no year): the year of ``received``, or the year before
    when that would put the line more than two days ahead of its arrival."""
    month = _MONTHS[match["mon"]]
    day = int(match["d"])
    hour, minute, second = (int(p) for p in match["t"].split(":"))
    year = received.year
    for candidate in (year, year - 1):
        try:
            when = datetime(candidate, month, day, hour, minute, second)  # noqa: DTZ001
        except ValueError:
            continue
        if when <= received.replace(tzinfo=None) + timedelta(days=2):
            return when.isoformat()
    raise SyslogParseError(f"impossible date {match.group(0).strip()!r}")


def _iso_time(match: re.Match[str]) -> str:
    try:
        when = datetime.fromisoformat(f"{match['date']}T{match['t']}")
    except ValueError:
        raise SyslogParseError(f"impossible date {match.group(0).strip()!r}") from None
    return when.isoformat()


def _split_topics(text: str, severity: int) -> tuple[tuple[str, ...], str, str]:
    """(topics, message, severity topic) from a RouterOS line ``topics message``.

    The first word is taken as the topics only when it names a severity topic
    (every RouterOS line has one: ``interface,info``, ``system,error,critical``),
    so a BSD message such as ``user abc logged in`` keeps its first word.
    """
    match = _TOPICS.match(text)
    if match:
        topics = tuple(match.group(1).split(","))
        found = severity_from_topics(topics)
        if found is not None:
            return topics, text[match.end():], found
    sev = severity_name(severity)
    return (sev,), text, sev


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def _skip_structured_data(text: str) -> str:
    """Drop RFC 5424 STRUCTURED-DATA (``-`` or ``[id k="v"]...``) from the front."""
    if text.startswith("- ") or text == "-":
        return text[2:]
    if not text.startswith("["):
        raise SyslogParseError("RFC 5424 structured data must be '-' or start with '['")
    i, n = 0, len(text)
    while i < n and text[i] == "[":
        i += 1
        in_quote = False
        while i < n:
            c = text[i]
            if c == "\\" and in_quote:
                i += 2
                continue
            if c == '"':
                in_quote = not in_quote
            elif c == "]" and not in_quote:
                break
            i += 1
        if i >= n:
            raise SyslogParseError("RFC 5424 structured data is not closed with ']'")
        i += 1
    return text[i:].removeprefix(" ")


def _parse_5424(pri: int, rest: str) -> SyslogMessage:
    parts = rest.split(" ", 5)
    if len(parts) < 6:
        if len(parts) == 5:
            parts.append("-")
        else:
            raise SyslogParseError("RFC 5424 header is incomplete (want TIMESTAMP HOSTNAME "
                                   "APP-NAME PROCID MSGID STRUCTURED-DATA)")
    stamp, host, app, _procid, _msgid, tail = parts
    time = ""
    if stamp != "-":
        match = _ISO_TS.match(stamp + " ")
        if match is None:
            raise SyslogParseError(f"RFC 5424 timestamp {stamp[:40]!r} is not ISO 8601")
        time = _iso_time(match)
    text = _skip_structured_data(tail).removeprefix("\ufeff")
    topics, message, sev = _split_topics(_clean(text), pri & 7)
    return SyslogMessage(
        facility=pri >> 3, severity=sev, topics=topics, message=message, time=time,
        hostname="" if host == "-" else host, app="" if app == "-" else app, fmt="rfc5424",
    )


def parse(data: bytes, received: datetime | None = None) -> SyslogMessage:
    """Parse one syslog message (one UDP datagram or one TCP frame).

    Args:
        data: the raw bytes (UTF-8; invalid bytes become U+FFFD), at most
            :data:`MAX_MESSAGE_BYTES`; a trailing CR/LF/NUL is ignored.
        received: when it arrived, UTC (the year of BSD timestamps; default now).

    Returns:
        The :class:`SyslogMessage`.

    Raises:
        SyslogParseError: empty, too long, no ``<PRI>`` or a PRI above 191, an
            RFC 5424 header that is incomplete, an impossible date, no text.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise SyslogParseError(f"message of {len(data)} bytes is longer than "
                               f"{MAX_MESSAGE_BYTES}")
    data = data.rstrip(b"\r\n\x00")
    if not data:
        raise SyslogParseError("empty message")
    match = _PRI.match(data)
    if match is None:
        raise SyslogParseError("message does not start with <PRI> (e.g. <30>)")
    pri = int(match.group(1))
    if pri > 191:
        raise SyslogParseError(f"PRI {pri} is above 191 (facility 23, severity 7)")
    rest = data[match.end():].decode("utf-8", errors="replace")
    received = received or datetime.now(UTC)
    if rest.startswith("1 "):
        return _parse_5424(pri, rest[2:])
    time = hostname = ""
    fmt = "routeros"
    stamp = _BSD_TS.match(rest)
    if stamp is not None:
        time = _bsd_time(stamp, received)
    else:
        stamp = _ISO_TS.match(rest)
        if stamp is not None:
            time = _iso_time(stamp)
    if stamp is not None:
        fmt = "rfc3164"
        rest = rest[stamp.end():]
        host = _HOST.match(rest)
        if host is not None and rest[host.end():host.end() + 1] == " ":
            hostname = host.group(0)
            rest = rest[host.end() + 1:]
    text = _clean(rest)
    if not text:
        raise SyslogParseError("message has no text after its header")
    topics, message, sev = _split_topics(text, pri & 7)
    return SyslogMessage(facility=pri >> 3, severity=sev, topics=topics, message=message,
                         time=time, hostname=hostname, fmt=fmt)


#: The severity topics, lowest first (re-exported for callers of this module).
SEVERITIES: Final = SEVERITY_TOPICS
