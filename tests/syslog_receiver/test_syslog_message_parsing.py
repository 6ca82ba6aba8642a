"""Syslog parsing: RouterOS's formats, RFC 3164, RFC 5424, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.syslog.parse import MAX_MESSAGE_BYTES, SyslogParseError, parse, severity_name

RECEIVED = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)

# (raw, fmt, topics, severity, message, time, hostname)
CASES = [
    # The RouterOS manual's logging page, "Message formats": the same login
    # failure in the default, syslog (BSD) and CEF formats.
    (b"system,error,critical login failure for user guest from 192.168.88.17 via ssh",
     "routeros", "system,error,critical", "critical",
     "login failure for user guest from 192.168.88.17 via ssh", "", ""),
    (b"<27>Oct  2 17:36:35 MikroTik login failure for user guest from 192.168.88.17 via ssh",
     "rfc3164", "error", "error", "login failure for user guest from 192.168.88.17 via ssh",
     "2026-10-02T17:36:35", "MikroTik"),
    (b"Oct  2 17:36:35 MikroTik CEF:0|MikroTik|hAP ax^2|7.25beta5|10|system,error,critical|"
     b"High|dvchost=MikroTik dvc=192.168.88.36 msg=login failure for user guest from "
     b"192.168.88.17 via ssh app=ssh duser=guest outcome=failure src=192.168.88.17",
     "cef", "system,error,critical", "critical",
     "login failure for user guest from 192.168.88.17 via ssh", "2026-10-02T17:36:35",
     "MikroTik"),
    # add-topics-string=yes: the topics in front of the BSD message.
    (b"<27>Oct  2 17:36:35 MikroTik system,error,critical login failure for user guest",
     "rfc3164", "system,error,critical", "critical", "login failure for user guest",
     "2026-10-02T17:36:35", "MikroTik"),
    # CEF with syslog-time-format=iso8601, escapes in a value.
    (b"2026-10-02T17:36:35.120+02:00 r1 CEF:0|MikroTik|CHR|7.19|3|interface,info|Low|"
     b"dvchost=r1 msg=a\\=b \\\\ c act=x",
     "cef", "interface,info", "info", "a=b \\ c", "2026-10-02T17:36:35", "r1"),
    # RouterOS default action format: topics first, no time, no host
    # (Graylog2/graylog2-server#8056).
    (b"<30>system,info,account user admin logged out from 10.0.0.5 via winbox", "routeros",
     "system,info,account", "info", "user admin logged out from 10.0.0.5 via winbox", "", ""),
    (b"<27>system,error,critical login failure for user admin from 10.0.0.9 via ssh",
     "routeros", "system,error,critical", "critical",
     "login failure for user admin from 10.0.0.9 via ssh", "", ""),
    (b"<30>interface,info ether1 link down\n", "routeros", "interface,info", "info",
     "ether1 link down", "", ""),
    # A logging rule's prefix follows the topics.
    (b"<30>system,info,account mk_MDZi: user x logged out", "routeros",
     "system,info,account", "info", "mk_MDZi: user x logged out", "", ""),
    # BSD syslog as RouterOS sends it with bsd-syslog=yes: no topics
    # (splunk/splunk-connect-for-syslog#1272).
    (b"<30>Sep 25 01:37:18 MikroTik user abc logged in from 192.168.88.1 via api", "rfc3164",
     "info", "info", "user abc logged in from 192.168.88.1 via api", "2026-09-25T01:37:18",
     "MikroTik"),
    (b"<28>Dec  6 19:26:33 edge-1 interface,warning ether2 link down", "rfc3164",
     "interface,warning", "warning", "ether2 link down", "2026-12-06T19:26:33", "edge-1"),
    # ISO time (RouterOS 7 syslog-time-format=iso8601).
    (b"<30>2026-12-06T19:26:33.120+01:00 edge-1 script,info hello", "rfc3164",
     "script,info", "info", "hello", "2026-12-06T19:26:33", "edge-1"),
    # RFC 5424, with and without structured data, with a BOM before the message.
    (b'<165>1 2026-12-06T19:26:33.003Z relay app 12 ID47 [ex@32473 iut="3" x="a\\]b"] '
     b"interface,info ether1 link up", "rfc5424", "interface,info", "info",
     "ether1 link up", "2026-12-06T19:26:33", "relay"),
    (b"<11>1 - - - - - - \xef\xbb\xbfdisk failure", "rfc5424", "error", "error",
     "disk failure", "", ""),
    # Severity from the PRI when the topics name none; debug; emergency -> critical.
    (b"<31>hello world", "routeros", "debug", "debug", "hello world", "", ""),
    (b"<0>kernel panic", "routeros", "critical", "critical", "kernel panic", "", ""),
]


@pytest.mark.parametrize(("raw", "fmt", "topics", "severity", "message", "time", "host"), CASES)
def test_parses_what_routers_send(raw: bytes, fmt: str, topics: str, severity: str,
                                  message: str, time: str, host: str) -> None:
    msg = parse(raw, RECEIVED)
    assert (msg.fmt, msg.topics_text, msg.severity, msg.message, msg.time, msg.hostname) == (
        fmt, topics, severity, message, time, host)


def test_facility_is_the_pri_high_bits() -> None:
    assert parse(b"<30>x,info y", RECEIVED).facility == 3
    assert parse(b"<165>1 - h a - - - m", RECEIVED).facility == 20
    assert parse(b"x,info y", RECEIVED).facility is None


def test_a_bsd_date_ahead_of_arrival_is_last_year() -> None:
    new_year = datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC)
    msg = parse(b"<30>Dec 31 23:59:59 r1 system,info bye", new_year)
    assert msg.time == "2026-12-31T23:59:59"


def test_invalid_utf8_and_control_characters_are_replaced_not_fatal() -> None:
    msg = parse(b"<30>system,info caf\xe9 \x1b[31mred\x00", RECEIVED)
    assert msg.message == "caf\ufffd  [31mred"


@pytest.mark.parametrize(("raw", "why"), [
    (b"", "empty"),
    (b"\r\n", "empty"),
    (b"hello", "not a syslog message"),
    (b"user admin logged in", "not a syslog message"),
    (b"<x>hello", "<PRI>"),
    (b"Oct  2 17:36:35 r1 CEF:0|MikroTik|CHR", "CEF header is incomplete"),
    (b"<1234>hello", "<PRI>"),
    (b"<192>hello", "above 191"),
    (b"<30>", "no text"),
    (b"<30>Sep 25 01:37:18 MikroTik ", "no text"),
    (b"<30>Feb 30 01:37:18 r1 x", "impossible date"),
    (b"<30>1 2026-12-06T19:26:33Z host", "incomplete"),
    (b"<30>1 yesterday host app - - - msg", "ISO 8601"),
    (b'<30>1 - host app - - [open x="1" msg', "not closed"),
    (b"<30>1 - host app - - junk msg", "structured data"),
])
def test_malformed_input_raises_naming_the_fault(raw: bytes, why: str) -> None:
    with pytest.raises(SyslogParseError, match=why):
        parse(raw, RECEIVED)


def test_oversize_is_refused() -> None:
    ok = b"<30>system,info " + b"x" * (MAX_MESSAGE_BYTES - 16)
    assert len(parse(ok, RECEIVED).message) == MAX_MESSAGE_BYTES - 16
    with pytest.raises(SyslogParseError, match="longer than"):
        parse(ok + b"x", RECEIVED)


def test_severity_names() -> None:
    assert [severity_name(n) for n in range(8)] == [
        "critical", "critical", "critical", "error", "warning", "info", "info", "debug"]
    with pytest.raises(SyslogParseError):
        severity_name(8)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600) | st.builds(
    lambda pri, body: f"<{pri}>".encode() + body,
    st.integers(0, 999), st.binary(max_size=300)) | st.text(max_size=300).map(str.encode))
def test_any_input_parses_or_raises_the_parse_error(data: bytes) -> None:
    """Nothing a sender puts in a datagram raises anything but SyslogParseError."""
    try:
        msg = parse(data, RECEIVED)
    except SyslogParseError:
        return
    assert msg.severity in ("debug", "info", "warning", "error", "critical")
    assert msg.message
    assert "\x00" not in msg.message
