"""Value parsers: table tests from captures and the protocol notes, plus properties."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.dates import parse_datetime
from mikromon.routeros.values.durations import (
    parse_duration,
    parse_elapsed,
    parse_optional_duration,
)
from mikromon.routeros.values.numbers import (
    parse_asn,
    parse_bool,
    parse_bytes,
    parse_counter,
    parse_float,
    parse_int,
    parse_mtu,
    parse_percent,
    parse_sensor,
)
from mikromon.routeros.values.rates import parse_bitrate, parse_signal
from mikromon.routeros.values.text import decode_text, parse_pair
from mikromon.routeros.values.versions import RouterOSVersion, parse_version, version_hint

# --- durations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1w2d3h4m5s", 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("1w4d23h26m9s", 11 * 86400 + 23 * 3600 + 26 * 60 + 9),
        ("5d9m11s", 5 * 86400 + 9 * 60 + 11),
        ("5s380ms", 5.38),
        ("4s750ms", 4.75),
        ("53m10s720ms", 3190.72),
        ("170ms", 0.17),
        ("120us", 0.00012),
        ("14ms612us", 0.014612),
        ("0s", 0.0),
        ("1.5s", 1.5),
        ("1d02:03:04", 86400 + 2 * 3600 + 3 * 60 + 4),
        ("00:01:02", 62.0),
        ("1w2d03:04:05", 9 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("01:22:53", 4973.0),
        ("01:22:53.5", 4973.5),
        ("100:00:00", 360000.0),
        ("-1h", -3600.0),
        ("-00:00:05", -5.0),
        (" 3m ", 180.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize(
    "text",
    ["", "-", "s", "1x", "1m1h", "1h1h", "00:60:00", "1:2:3", "abc", "1.5m", "--1s", "1 s",
     "never", "1d-1h", "00:00:00:00", "１s"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["never", "none", "", "infinity", "NEVER"])
def test_parse_optional_duration_none(text: str) -> None:
    assert parse_optional_duration(text) is None


def test_parse_optional_duration_value_and_garbage() -> None:
    assert parse_optional_duration("1m") == 60.0
    with pytest.raises(ValueParseError):
        parse_optional_duration("soon")


def render_duration(us: int) -> str:
    """Render microseconds the way RouterOS does (w d h m s ms us, zero parts skipped)."""
    if us == 0:
        return "0s"
    sign = "-" if us < 0 else ""
    us = abs(us)
    out = []
    for unit, size in (("w", 604_800_000_000), ("d", 86_400_000_000), ("h", 3_600_000_000),
                       ("m", 60_000_000), ("s", 1_000_000), ("ms", 1000), ("us", 1)):
        amount, us = divmod(us, size)
        if amount:
            out.append(f"{amount}{unit}")
    return sign + "".join(out)


def render_clock(us: int) -> str:
    """Render as ``[Nw][Nd]HH:MM:SS[.ffffff]``."""
    weeks, rest = divmod(us, 604_800_000_000)
    days, rest = divmod(rest, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, frac = divmod(rest, 1_000_000)
    text = (f"{weeks}w" if weeks else "") + (f"{days}d" if days else "")
    text += f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{frac:06d}" if frac else "")


DURATIONS_US = st.integers(min_value=-(10**14), max_value=10**14)


@given(DURATIONS_US)
def test_duration_round_trip_units(us: int) -> None:
    assert parse_duration(render_duration(us)) == us / 1_000_000


@given(st.integers(min_value=0, max_value=10**14))
def test_duration_round_trip_clock(us: int) -> None:
    assert parse_duration(render_clock(us)) == us / 1_000_000


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_duration_monotonic(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert parse_duration(render_duration(low)) <= parse_duration(render_duration(high))


# --- booleans and numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("yes", True), ("false", False), ("no", False), ("True", True),
     (" no ", False)],
)
def test_parse_bool(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "1", "0", "on", "y", "enabled"])
def test_parse_bool_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="bool"):
        parse_bool(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1325381950539", 1325381950539), ("0", 0), ("-3", -3), ("007", 7),
     ("18446744073709551615", 2**64 - 1), ("0x8120002A", 0x8120002A)],
)
def test_parse_int(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize("text", ["", "1.5", "1_000", "205 164 277", "1e3", "0x", "*1A", "1" * 65])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="int"):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "expected"), [("23.9", 23.9), ("7", 7.0), ("-1.5", -1.5), (".5", 0.5), ("1e3", 1000.0)]
)
def test_parse_float(text: str, expected: float) -> None:
    assert parse_float(text) == expected


@pytest.mark.parametrize("text", ["", "n/a", "nan", "inf", "1e999", "1,5", "1.2.3"])
def test_parse_float_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="float"):
        parse_float(text)


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_int_round_trip(n: int) -> None:
    assert parse_int(str(n)) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_round_trip(x: float) -> None:
    assert parse_float(repr(x)) == x


# --- sizes, rates, percent ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1024", 1024), ("0", 0), ("512KiB", 512 * 1024), ("64.0MiB", 64 * 2**20),
     ("1.2GiB", round(1.2 * 2**30)), ("2TiB", 2 * 2**40), ("705699840", 705699840),
     ("100B", 100), ("1.5 KiB", 1536)],
)
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "-1", "1MB", "1 GB", "KiB", "1.2.3MiB", "12kib"])
def test_parse_bytes_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="bytes"):
        parse_bytes(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10Mbps", 10e6), ("1.5Gbps", 1.5e9), ("1Gbps", 1e9), ("27.8kbps", 27800.0),
     ("149.4kbps", 149400.0), ("0bps", 0.0), ("8531", 8531.0), ("10M", 10e6), ("512k", 512e3),
     ("1G", 1e9), ("72.2Mbps-20MHz/1S/SGI", 72.2e6), ("1200.9Mbps-80MHz/2S/MCS11", 1200.9e6),
     ("6Mbps", 6e6), ("866.7Mbps-80MHz/2S", 866.7e6)],
)
def test_parse_bitrate(text: str, expected: float) -> None:
    assert parse_bitrate(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text", ["", "fast", "-1Mbps", "10Xbps", "Mbps", "10Mbps-", "1,5M"])
def test_parse_bitrate_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="bitrate"):
        parse_bitrate(text)


@given(st.integers(min_value=0, max_value=400), st.sampled_from(["", "k", "M", "G"]))
def test_bitrate_units_monotonic(n: int, prefix: str) -> None:
    order = ["", "k", "M", "G"]
    base = parse_bitrate(f"{n}{prefix}bps")
    assert base == n * 1000 ** order.index(prefix)
    assert base == parse_bitrate(f"{n}{prefix}")
    for bigger in order[order.index(prefix) + 1:]:
        assert parse_bitrate(f"{n}{bigger}bps") >= base


@given(st.integers(min_value=0, max_value=10**6),
       st.sampled_from(["B", "KiB", "MiB", "GiB", "TiB"]))
def test_bytes_units_monotonic(n: int, unit: str) -> None:
    order = ["B", "KiB", "MiB", "GiB", "TiB"]
    base = parse_bytes(f"{n}{unit}")
    assert base == n * 1024 ** order.index(unit)
    for bigger in order[order.index(unit) + 1:]:
        assert parse_bytes(f"{n}{bigger}") >= base


@pytest.mark.parametrize(("text", "expected"), [("7", 7.0), ("7%", 7.0), ("12.5%", 12.5),
                                                 ("0%", 0.0), ("100", 100.0)])
def test_parse_percent(text: str, expected: float) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize("text", ["", "%", "seven", "7%%", "1e2"])
def test_parse_percent_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="percent"):
        parse_percent(text)


# --- versions, pairs, signal ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7.16.2 (stable)", RouterOSVersion(7, 16, 2, "stable")),
     ("6.49.10 (long-term)", RouterOSVersion(6, 49, 10, "long-term")),
     ("7.18beta2", RouterOSVersion(7, 18, 0, "", "beta2")),
     ("7.21rc1 (testing)", RouterOSVersion(7, 21, 0, "testing", "rc1")),
     ("7.20", RouterOSVersion(7, 20)),
     ("6.49", RouterOSVersion(6, 49)),
     ("7.20.5 (stable)", RouterOSVersion(7, 20, 5, "stable"))],
)
def test_parse_version(text: str, expected: RouterOSVersion) -> None:
    assert parse_version(text) == expected
    assert str(parse_version(text)) == text


def test_version_comparisons() -> None:
    assert parse_version("7.18.2 (stable)") >= (7, 18)
    assert not parse_version("7.17.2 (stable)") >= (7, 18)
    assert parse_version("7.18beta2").at_least(7, 18)
    assert not parse_version("6.49.10 (long-term)").at_least(7)
    assert parse_version("6.42.1").at_least(6, 42, 1)
    assert not parse_version("6.42.1").at_least(6, 43)


@pytest.mark.parametrize("text", ["", "7", "v7.1", "7.x", "7.16.2 stable", "7.16.2 (Stable)"])
def test_parse_version_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="version"):
        parse_version(text)


def test_parse_pair() -> None:
    assert parse_pair("6689896,2094536") == ("6689896", "2094536")
    assert parse_pair("10000000/20000000", sep="/") == ("10000000", "20000000")
    assert parse_pair("0s/0s", "/") == ("0s", "0s")
    for bad in ("1", "1,2,3", ""):
        with pytest.raises(ValueParseError, match="pair"):
            parse_pair(bad)


@pytest.mark.parametrize(("text", "expected"), [("-62@1Mbps", -62.0), ("-55", -55.0),
                                                 ("-51@HT20-7", -51.0), ("-70.5", -70.5)])
def test_parse_signal(text: str, expected: float) -> None:
    assert parse_signal(text) == expected


@pytest.mark.parametrize("text", ["", "@1Mbps", "strong", "-62dBm"])
def test_parse_signal_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="signal"):
        parse_signal(text)


# --- dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("jul/09/2023 07:18:33", "2023-07-09T07:18:33"),
     ("Dec/03/2021 12:15:05", "2021-12-03T12:15:05"),
     ("2024-10-08 11:14:27", "2024-10-08T11:14:27"),
     ("jan/01/1970 00:00:00", "1970-01-01T00:00:00"),
     ("feb/29/2024", "2024-02-29")],
)
def test_parse_datetime(text: str, expected: str) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["", "feb/30/2023 00:00:00", "xyz/01/2023 00:00:00",
                                  "2024-13-01 00:00:00", "2024-10-08 25:00:00", "yesterday",
                                  "jul/19 14:27:01"])
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="datetime"):
        parse_datetime(text)


@given(st.datetimes(min_value=__import__("datetime").datetime(1970, 1, 1),
                    max_value=__import__("datetime").datetime(2099, 12, 31)))
def test_datetime_round_trip(moment: object) -> None:
    import datetime as dt

    assert isinstance(moment, dt.datetime)
    moment = moment.replace(microsecond=0)
    old = moment.strftime("%b/%d/%Y %H:%M:%S").lower()
    new = moment.strftime("%Y-%m-%d %H:%M:%S")
    assert parse_datetime(old) == parse_datetime(new) == moment.isoformat()


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [("Привет".encode("cp1251"), "cp1251", "Привет"),
     ("Привет".encode(), "cp1251", "Привет"),
     (b"caf\xe9", "latin-1", "café"),
     ("Łódź".encode("cp1250"), "cp1250", "Łódź"),
     (b"plain", "utf-8", "plain"),
     (b"\xff\xfe", "utf-8", "\\xff\\xfe"),
     (b"\x98", "cp1251", "\\x98"),
     (b"caf\xe9", "no-such-codec", "café"),
     (b"caf\xe9", "hex", "café"),
     (b"", "cp1251", "")],
)
def test_decode_text(raw: bytes, encoding: str, expected: str) -> None:
    assert decode_text(raw, encoding) == expected


@given(st.binary(max_size=64), st.sampled_from(["utf-8", "cp1251", "cp1250", "latin-1",
                                                 "ascii", "gbk", "bogus", "rot13", ""]))
def test_decode_text_never_raises(raw: bytes, encoding: str) -> None:
    assert isinstance(decode_text(raw, encoding), str)


@given(st.text(max_size=64))
def test_decode_text_utf8_round_trip(text: str) -> None:
    assert decode_text(text.encode("utf-8", "surrogatepass"), "cp1251") == text or any(
        0xD800 <= ord(c) <= 0xDFFF for c in text
    )


# --- robustness ------------------------------------------------------------------------

PARSERS: list[Callable[[str], object]] = [
    parse_duration, parse_optional_duration, parse_bool, parse_int, parse_float,
    parse_bytes, parse_bitrate, parse_percent, parse_version, parse_pair,
    parse_signal, parse_datetime, parse_counter, parse_elapsed, parse_mtu,
    parse_asn,
]
ROUTEROS_ALPHABET = st.text(alphabet="0123456789wdhmsu.:-+/@,%() abcdefgkMGTiBpsxyzJ", max_size=30)


@settings(max_examples=300)
@given(st.sampled_from(PARSERS), st.one_of(st.text(max_size=80), ROUTEROS_ALPHABET))
def test_parsers_raise_only_value_parse_error(parser: Callable[[str], object], text: str) -> None:
    try:
        result = parser(text)
    except ValueParseError as err:
        message = str(err)
        kind = err.kind
        assert kind in message
        return
    if isinstance(result, float):
        assert math.isfinite(result)


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("value", [None, 7, b"1s", "9" * 5000, "1e9999"])
def test_parsers_reject_non_text_and_huge(
    parser: Callable[[object], object], value: object
) -> None:
    with pytest.raises(ValueParseError):
        parser(value)


def test_error_message_names_kind_and_value() -> None:
    with pytest.raises(ValueParseError) as info:
        parse_duration("12parsecs")
    assert info.value.kind == "duration"
    assert info.value.value == "12parsecs"
    assert "duration" in str(info.value)
    assert "12parsecs" in str(info.value)


# --- against the shared captures -----------------------------------------------------


def _rows(captures: Path, name: str) -> list[dict[str, str]]:
    return json.loads((captures / name).read_text(encoding="utf-8"))["rows"]


def test_capture_values_parse(captures: Path) -> None:
    """Real rows from the captures go through the parsers (shape check, not exact values)."""
    for name in ("system_resource.v6.json", "system_resource.v7.json"):
        row = _rows(captures, name)[0]
        assert parse_duration(row["uptime"]) > 0
        assert parse_version(row["version"]).major in (6, 7)
        assert parse_int(row["free-memory"]) > 0
        assert parse_percent(row["cpu-load"]) >= 0
        assert parse_datetime(row["build-time"])[:2] in ("20",)
    for row in _rows(captures, "interface_wireless_registration_table.v6.json"):
        tx, rx = parse_pair(row["bytes"])
        assert parse_int(tx) >= 0
        assert parse_int(rx) >= 0
        assert parse_signal(row["signal-strength"]) < 0
        assert parse_bitrate(row["tx-rate"]) > 0
        assert parse_duration(row["uptime"]) >= 0


# --- impossible values and odd versions ------------------------------------------------


@pytest.mark.parametrize(("parser", "text"), [
    (parse_percent, "150"), (parse_percent, "-3"), (parse_percent, "100.5%"),
    (parse_counter, "-1"), (parse_counter, "18446744073709551615"),
    (parse_counter, "9223372036854775808"), (parse_counter, ""), (parse_counter, "n/a"),
    (parse_counter, "1.5"), (parse_bytes, "18446744073709551615"), (parse_bytes, "9000PiB"),
    (parse_bitrate, "401Gbps"), (parse_bitrate, "1Tbps"), (parse_bitrate, "500G"),
    (parse_elapsed, "-5s"), (parse_mtu, "65537"), (parse_mtu, "-1"),
    (parse_asn, "4294967296"), (parse_asn, "-1"), (parse_signal, "-300"),
    (parse_signal, "90@1Mbps"),
])
def test_impossible_values_are_refused(parser: Callable[[str], object], text: str) -> None:
    with pytest.raises(ValueParseError) as info:
        parser(text)
    assert info.value.value == text


@pytest.mark.parametrize(("parser", "text", "expected"), [
    (parse_percent, "100", 100.0), (parse_percent, "0", 0.0),
    (parse_counter, "9223372036854775807", 2**63 - 1), (parse_counter, "0", 0),
    (parse_bitrate, "400Gbps", 400e9), (parse_elapsed, "0s", 0.0),
    (parse_mtu, "65536", 65536), (parse_asn, "4294967295", 2**32 - 1),
    (parse_signal, "-51@1Mbps", -51.0),
])
def test_values_at_the_bounds_are_kept(
    parser: Callable[[str], object], text: str, expected: object
) -> None:
    assert parser(text) == expected


def test_range_error_says_why() -> None:
    with pytest.raises(ValueParseError) as info:
        parse_percent("150")
    assert info.value.reason == "above 100"
    assert "150" in str(info.value)
    assert "above 100" in str(info.value)


@pytest.mark.parametrize(("unit", "good", "bad"), [
    ("C", "41", "900"), ("C", "-20", "-300"), ("V", "24.1", "-5"), ("RPM", "6090", "-1"),
    ("W", "12.5", "1e9"), ("A", "0.4", "-0.1"),
])
def test_parse_sensor_ranges(unit: str, good: str, bad: str) -> None:
    assert parse_sensor(good, unit) == float(good)
    with pytest.raises(ValueParseError, match="sensor"):
        parse_sensor(bad, unit)
    with pytest.raises(ValueParseError, match="sensor"):
        parse_sensor("n/a", unit)


@pytest.mark.parametrize(("text", "expected"), [
    ("7.19beta2", (7, 19, 0)), ("7.16rc1", (7, 16, 0)), ("7.16rc1 (testing)", (7, 16, 0)),
    ("6.49.10 (long-term)", (6, 49, 10)), ("7.x (development)", (7,)), ("6.x", (6,)),
    ("7.16.2 stable", (7, 16, 2)), ("garbage", ()), ("", ()), (None, ()), ("x7.1", ()),
    ("99999.1", ()), ("3.30", ()), ("\x00\xff", ()), ("7" * 5000, ()),
])
def test_version_hint_reads_what_it_can(text: str | None, expected: tuple[int, ...]) -> None:
    assert version_hint(text) == expected
