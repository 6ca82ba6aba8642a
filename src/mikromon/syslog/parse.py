"""Parse syslog messages as RouterOS sends them (pure functions, no I/O).

RouterOS's remote logging action (``/system/logging/action`` with
``target=remote``) sends each log entry as one message: one UDP datagram, or
over TCP (``remote-protocol=tcp``, RouterOS 7) one after the other in the stream.
Its ``remote-log-format`` (RouterOS 7.18+; before it, ``bsd-syslog=yes|no``)
chooses the shape; the RouterOS manual's logging page ("Send the log to a
syslog server", "Technical details / Message formats") shows the same login
failure in each:

* ``default``: the topics and the message, no priority, time or host:
  ``system,error,critical login failure for user guest from 192.168.88.17 via
  ssh``. Older routers put a ``<PRI>`` in front (a capture in
  Graylog2/graylog2-server#8056 shows ``system,info,account ...``; a logging
  rule's ``prefix`` follows the topics);
* ``syslog``: BSD syslog, RFC 3164: ``<27>Oct  2 17:36:35 MikroTik login failure
  for user guest ...``: priority, time (``syslog-time-format=bsd-syslog``, no
  year, or ``iso8601``), identity, message. The topics are left out unless
  ``add-topics-string=yes`` puts them in front of the message; without them the
  topics are derived from the severity. With ``syslog-severity=auto`` the
  severity comes from the topics (debug 7, info 6, warning 4, error 3; an
  ``error,critical`` entry gets 3), facility ``daemon`` (3) by default;
* ``cef``: ``Oct  2 17:36:35 MikroTik CEF:0|MikroTik|<board>|<version>|<class>|
  <topics>|<Low/Medium/High>|dvchost=... msg=<message> ...``.

RFC 5424 (``<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG``), which RouterOS
does not send, is accepted from relays pointed at the same port. A topic word
(``critical``, ``error``, ``warning``, ``info``, ``debug``) wins over the
numeric severity when both are present.

:func:`parse` returns a :class:`SyslogMessage`; anything that is none of these
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
        facility: 0..23 (:data:`FACILITIES`); ``None`` when the message had no
            ``<PRI>`` (RouterOS's ``default`` and ``cef`` formats).
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
        fmt: ``"routeros"`` (no header), ``"rfc3164"``, ``"rfc5424"`` or ``"cef"``.
    """

    facility: int | None
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


def _unescape_cef(text: str) -> str:
    return text.replace("\\=", "=").replace("\\\\", "\\")


_CEF_KEY: Final = re.compile(r"(?:^| )([A-Za-z0-9_.]{1,63})=")
_CEF_SEVERITY: Final = {"low": "info", "medium": "warning", "high": "error",
                        "very-high": "critical"}


def _parse_cef(pri: int | None, text: str, time: str, hostname: str) -> SyslogMessage:
    """``CEF:0|vendor|product|version|class|name|severity|extension``; RouterOS puts
    the topics in ``name`` and the message in the ``msg`` extension."""
    parts = re.split(r"(?<!\\)\|", text, maxsplit=7)
    if len(parts) < 8:
        raise SyslogParseError("CEF header is incomplete (want 7 fields separated by '|')")
    name, severity_text, extension = parts[5], parts[6].strip().lower(), parts[7]
    keys = list(_CEF_KEY.finditer(extension))
    fields: dict[str, str] = {}
    for n, key in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(extension)
        fields[key.group(1)] = _unescape_cef(extension[key.end():end])
    message = _clean(fields.get("msg", "")) or _clean(name)
    topics = tuple(t for t in name.strip().lower().split(",") if t)
    severity = severity_from_topics(topics) or _CEF_SEVERITY.get(severity_text)
    if severity is None:
        severity = severity_name(pri & 7) if pri is not None else "info"
    if not topics or not all(re.fullmatch(_TOPIC_WORD, t) for t in topics):
        topics = (severity,)
    if not message:
        raise SyslogParseError("CEF message has no msg and no name")
    return SyslogMessage(facility=None if pri is None else pri >> 3, severity=severity,
                         topics=topics, message=message, time=time,
                         hostname=fields.get("dvchost", hostname), fmt="cef")


def parse(data: bytes, received: datetime | None = None) -> SyslogMessage:
    """Parse one syslog message (one UDP datagram or one TCP frame).

    Args:
        data: the raw bytes (UTF-8; invalid bytes become U+FFFD), at most
            :data:`MAX_MESSAGE_BYTES`; a trailing CR/LF/NUL is ignored.
        received: when it arrived, UTC (the year of BSD timestamps; default now).

    Returns:
        The :class:`SyslogMessage`.

    Raises:
        SyslogParseError: empty or too long; a ``<PRI>`` above 191; neither a
            ``<PRI>``, a time nor RouterOS topics in front (not syslog); an
            incomplete RFC 5424 header or CEF header; an impossible date; no text.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise SyslogParseError(f"message of {len(data)} bytes is longer than "
                               f"{MAX_MESSAGE_BYTES}")
    data = data.rstrip(b"\r\n\x00").lstrip(b"\r\n\x00")
    if not data:
        raise SyslogParseError("empty message")
    pri: int | None = None
    match = _PRI.match(data)
    if match is not None:
        pri = int(match.group(1))
        if pri > 191:
            raise SyslogParseError(f"PRI {pri} is above 191 (facility 23, severity 7)")
        data = data[match.end():]
    elif data[:1] == b"<":
        raise SyslogParseError("message starts with '<' but no valid <PRI> (e.g. <30>)")
    rest = data.decode("utf-8", errors="replace")
    received = received or datetime.now(UTC)
    if pri is not None and rest.startswith("1 "):
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
    if rest.startswith("CEF:"):
        return _parse_cef(pri, rest, time, hostname)
    text = _clean(rest)
    if not text:
        raise SyslogParseError("message has no text after its header")
    topics, message, sev = _split_topics(text, 6 if pri is None else pri & 7)
    if pri is None and stamp is None and (topics, message) == ((sev,), text):
        raise SyslogParseError("no <PRI>, no time and no RouterOS topics in front: not a "
                               "syslog message")
    return SyslogMessage(facility=None if pri is None else pri >> 3, severity=sev,
                         topics=topics, message=message, time=time, hostname=hostname,
                         fmt=fmt)


#: The severity topics, lowest first (re-exported for callers of this module).
SEVERITIES: Final = SEVERITY_TOPICS
