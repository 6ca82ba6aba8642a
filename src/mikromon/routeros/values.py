"""Parsers for the strings RouterOS puts in API replies.

Every value in a RouterOS API reply is text (shared/ROUTEROS-API.md §7, "Value
rendering"): numbers without units or digit grouping, booleans as ``true``/``false``,
durations as ``1w4d23h26m9s``, rates with units, pairs joined by ``,`` or ``/``.
The functions here turn one such string into a Python value, or raise
:class:`~mikromon.domain.errors.ValueParseError` naming the kind and the text.
They never raise anything else, whatever the input.

Formats and where they were seen (capture files are in shared/routeros-captures/):

* durations: ``1w4d23h26m9s`` (system_resource.v6.json ``uptime``), ``53m10s720ms``
  (routing_bgp_session.v7.json), ``170ms``, ``14ms612us`` (ping times), ``0s``,
  old ``HH:MM:SS`` forms (``01:22:53`` in the API doc's OID example, socialwifi's
  ``[Nw][Nd]HH:MM:SS[.frac]``), a leading ``-`` (DinoTools' duration parser).
* booleans: ``true``/``false`` from the API, ``yes``/``no`` from the CLI and old
  versions (interface.v6.json ``running``).
* sizes: plain byte counts from the API; ``64.0MiB`` / ``512KiB`` in terminal output.
* rates: ``1Gbps``, ``72.2Mbps-20MHz/1S/SGI`` (interface_wireless_registration_table.v6.json
  ``tx-rate``), ``1200.9Mbps-80MHz/2S/MCS11``, queue limits ``10M``, wifi plain ints.
* versions: ``7.20.5 (stable)`` (system_resource.v7.json), ``6.48.6 (long-term)``
  (system_resource.v6.json), ``7.18beta2``.
* pairs: ``bytes=6689896,2094536`` (wireless), ``max-limit=10000000/20000000``
  (queue_simple.v7.json).
* signal: ``-51@1Mbps`` (v6 ``signal-strength``), ``-55`` (v7 ``signal``).
* dates: ``jul/09/2023 07:18:33`` (v6 and v7 < 7.10), ``Dec/03/2021 12:15:05``
  (``build-time``), ``2024-10-08 11:14:27`` (v7.10+).
* text: RouterOS stores bytes without a charset; Winbox writes the PC's codepage
  (librouteros issue #30): UTF-8 first, then the device's codepage.

Impossible values are refused like unreadable ones (``ValueParseError`` with a
``reason``), so that no stored series ever holds them: counters and sizes from
2^63 up (a ``-1`` read as unsigned, "near 2^64"), negative counters and sizes,
percentages outside 0..100, bit rates above :data:`MAX_BITRATE_BPS`, elapsed
times below zero, sensor readings outside :data:`SENSOR_RANGES`.
"""

from __future__ import annotations

import codecs
import math
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final, NamedTuple

from mikromon.domain.errors import ValueParseError

__all__ = [
    "RouterOSVersion",
    "decode_text",
    "parse_asn",
    "parse_bitrate",
    "parse_bool",
    "parse_bytes",
    "parse_counter",
    "parse_datetime",
    "parse_duration",
    "parse_elapsed",
    "parse_float",
    "parse_gmt_offset",
    "parse_int",
    "parse_mtu",
    "parse_optional_datetime",
    "parse_optional_duration",
    "parse_pair",
    "parse_percent",
    "parse_sensor",
    "parse_signal",
    "parse_version",
    "version_hint",
]


#: Longest value a number-like parser accepts (a 64-bit counter has 20 digits);
#: keeps int() away from its digit limit and float() away from infinity.
_MAX_LEN: Final = 64

#: Largest counter, count or size any router reports: 2^63 - 1. A 64-bit byte
#: counter takes years at 400 Gbit/s to pass 2^63; values from there to 2^64 are
#: a ``-1`` (or another negative number) printed as unsigned.
COUNTER_MAX: Final = (1 << 63) - 1
#: Fastest rate a router's interface carries (400GBASE), bits/s: any rate above it
#: is impossible.
MAX_BITRATE_BPS: Final = 400e9


def check_range(
    kind: str, value: float, text: object, low: float | None = None, high: float | None = None
) -> None:
    """Raise unless ``low <= value <= high`` (either bound may be ``None``).

    Raises:
        ValueParseError: ``kind``, the original ``text`` and the bound broken as
            the reason (``"above 100"``, ``"below 0"``).
    """
    if low is not None and value < low:
        raise ValueParseError(kind, text, f"below {low:g}")
    if high is not None and value > high:
        raise ValueParseError(kind, text, f"above {high:g}")


def _text(kind: str, value: object) -> str:
    """Return ``value`` stripped, or raise ValueParseError if it is not a short str."""
    if not isinstance(value, str):
        raise ValueParseError(kind, value)
    body = value.strip()
    if len(body) > _MAX_LEN:
        raise ValueParseError(kind, value)
    return body


# --- durations ---------------------------------------------------------------

_US_PER_UNIT: Final = {
    "w": 7 * 86_400_000_000,
    "d": 86_400_000_000,
    "h": 3_600_000_000,
    "m": 60_000_000,
    "s": 1_000_000,
    "ms": 1_000,
    "us": 1,
}

# Units in the order RouterOS prints them; each at most once. ``m`` must not be
# followed by ``s`` (that is milliseconds). Seconds may carry a decimal fraction.
_UNIT_DURATION: Final = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?"
    r"(?:(?P<s>\d+(?:\.\d+)?)s)?(?:(?P<ms>\d+)ms)?(?:(?P<us>\d+)us)?",
    re.ASCII,
)
_CLOCK_DURATION: Final = re.compile(
    r"(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?P<h>\d+):(?P<m>[0-5]\d):(?P<s>[0-5]\d)(?:\.(?P<f>\d+))?",
    re.ASCII,
)


def _seconds_to_us(text: str) -> int:
    """``"53"`` -> 53_000_000; ``"1.5"`` -> 1_500_000 (fraction cut at microseconds)."""
    whole, _, frac = text.partition(".")
    return int(whole) * 1_000_000 + int((frac[:6] or "0").ljust(6, "0"))


def parse_duration(text: str) -> float:
    """Parse a RouterOS duration into seconds.

    Accepts the unit form ``[Nw][Nd][Nh][Nm][Ns][Nms][Nus]`` (``1w2d3h4m5s``,
    ``5s380ms``, ``120us``, ``14ms612us``, ``0s``, ``1.5s``), the clock form
    ``[Nw][Nd]HH:MM:SS[.frac]`` (``00:01:02``, ``1d02:03:04``, ``1w2d03:04:05``,
    ``01:22:53.5``) and a leading ``-`` for negative durations.
    Source: shared/ROUTEROS-API.md §7 "Durations"; captures system_resource.v6.json
    (``uptime``), routing_bgp_session.v7.json (``53m10s720ms``).

    Args:
        text: the value as the router sent it.

    Returns:
        Seconds (float, microsecond resolution).

    Raises:
        ValueParseError: ``kind="duration"`` for anything else (including ``""``).
    """
    body = _text("duration", text)
    negative = body.startswith("-")
    if negative:
        body = body[1:]
    total: int | None = None
    match = _CLOCK_DURATION.fullmatch(body)
    if match:
        parts = match.groupdict()
        total = (
            int(parts["w"] or 0) * _US_PER_UNIT["w"]
            + int(parts["d"] or 0) * _US_PER_UNIT["d"]
            + int(parts["h"]) * _US_PER_UNIT["h"]
            + int(parts["m"]) * _US_PER_UNIT["m"]
            + _seconds_to_us(f"{parts['s']}.{parts['f'] or '0'}")
        )
    elif body and (match := _UNIT_DURATION.fullmatch(body)):
        total = 0
        for unit, amount in match.groupdict().items():
            if amount is None:
                continue
            total += _seconds_to_us(amount) if unit == "s" else int(amount) * _US_PER_UNIT[unit]
    if total is None:
        raise ValueParseError("duration", text)
    seconds = total / 1_000_000
    return -seconds if negative and total else seconds


def parse_elapsed(text: str) -> float:
    """Parse a duration that has passed (``uptime``, ``age``, ``last-activity``):
    :func:`parse_duration`, never negative.

    Raises:
        ValueParseError: ``kind="duration"`` for garbage or a negative duration.
    """
    seconds = parse_duration(text)
    check_range("duration", seconds, text, low=0)
    return seconds


_NO_DURATION: Final = frozenset({"", "never", "none", "infinity"})


def parse_optional_duration(text: str) -> float | None:
    """Parse a duration that may be absent.

    ``never`` (DHCP ``last-seen``), ``none``, ``infinity`` (BGP ``hold-time``: no
    limit) and ``""`` give ``None``; anything else is :func:`parse_duration`.
    Source: shared/ROUTEROS-API.md §7 "Special words".

    Returns:
        Seconds (float) or ``None``.

    Raises:
        ValueParseError: ``kind="duration"`` on garbage.
    """
    body = _text("duration", text)
    if body.lower() in _NO_DURATION:
        return None
    return parse_duration(body)


# --- booleans and numbers ----------------------------------------------------

_BOOLS: Final = {"true": True, "yes": True, "false": False, "no": False}


def parse_bool(text: str) -> bool:
    """Parse ``true``/``false`` (API) or ``yes``/``no`` (CLI, old versions).

    Source: shared/ROUTEROS-API.md §7 "Booleans"; interface.v6.json.

    Raises:
        ValueParseError: ``kind="bool"`` for anything else, including ``""``.
    """
    result = _BOOLS.get(_text("bool", text).lower())
    if result is None:
        raise ValueParseError("bool", text)
    return result


_INT: Final = re.compile(r"[+-]?\d+", re.ASCII)
_HEX: Final = re.compile(r"0[xX][0-9a-fA-F]+", re.ASCII)
_FLOAT: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def parse_int(text: str) -> int:
    """Parse a decimal integer (``1325381950539``, ``-3``) or hex (``0x8120002A``,
    PPP ``session-id``).

    No digit grouping, no units. Source: shared/ROUTEROS-API.md §7 "Numbers".

    Raises:
        ValueParseError: ``kind="int"`` for anything else (``"1.5"``, ``""``).
    """
    body = _text("int", text)
    if _INT.fullmatch(body):
        return int(body)
    if _HEX.fullmatch(body):
        return int(body, 16)
    raise ValueParseError("int", text)


def parse_counter(text: str) -> int:
    """Parse a counter, a count or a size in plain digits (``rx-byte``,
    ``prefix-count``, ``free-memory``): ``0 .. COUNTER_MAX``.

    Source: shared/ROUTEROS-API.md §7 "Numbers" (64-bit decimal, ``rx-byte=1325381950539``).

    Raises:
        ValueParseError: ``kind="counter"``: not an integer, negative, or from 2^63
            up (near 2^64: a negative number printed as unsigned).
    """
    body = _text("counter", text)
    if not _INT.fullmatch(body):
        raise ValueParseError("counter", text)
    value = int(body)
    check_range("counter", value, text, low=0, high=COUNTER_MAX)
    return value


#: Largest MTU any interface has: the v7 loopback ``lo`` reports ``mtu=65536``
#: and ``actual-mtu=65536`` (interface.v7.json); an IP packet's length field
#: stops at 65535.
MTU_MAX: Final = 65536


def parse_mtu(text: str) -> int:
    """Parse an MTU (``1500``, ``l2mtu``, ``actual-mtu``): ``0 .. 65536`` bytes.

    Source: interface.v7.json (``mtu=1500``, ``actual-mtu=1500``).

    Raises:
        ValueParseError: ``kind="mtu"``: not an integer or out of range.
    """
    try:
        value = parse_int(text)
    except ValueParseError:
        raise ValueParseError("mtu", text) from None
    check_range("mtu", value, text, low=0, high=MTU_MAX)
    return value


#: Largest AS number (4-byte ASNs, RFC 6793).
ASN_MAX: Final = (1 << 32) - 1


def parse_asn(text: str) -> int:
    """Parse an AS number (``remote-as=64512``): ``0 .. 2^32 - 1``.

    Source: routing_bgp_peer.v6.json, routing_bgp_session.v7.json.

    Raises:
        ValueParseError: ``kind="asn"``: not an integer or out of range.
    """
    try:
        value = parse_int(text)
    except ValueParseError:
        raise ValueParseError("asn", text) from None
    check_range("asn", value, text, low=0, high=ASN_MAX)
    return value


def parse_float(text: str) -> float:
    """Parse a decimal number (``23.9``, ``7``, ``-1.5``); never NaN or infinity.

    Source: system_health.v7.json (``value=23.9``).

    Raises:
        ValueParseError: ``kind="float"`` for anything else (``"nan"``, ``"n/a"``).
    """
    body = _text("float", text)
    if not _FLOAT.fullmatch(body) or not math.isfinite(result := float(body)):
        raise ValueParseError("float", text)
    return result


def _decimal(kind: str, number: str, original: object) -> Decimal:
    try:
        return Decimal(number)
    except InvalidOperation as err:  # pragma: no cover - regexes admit only digits
        raise ValueParseError(kind, original) from err


_SIZE: Final = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>B|KiB|MiB|GiB|TiB|PiB)?", re.ASCII
)
_SIZE_FACTOR: Final = {
    None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
    "PiB": 1 << 50,
}


def parse_bytes(text: str) -> int:
    """Parse a size into bytes: a plain integer (the API's form) or a binary-unit
    size as the terminal prints it (``512KiB``, ``64.0MiB``, ``1.2GiB``, ``2TiB``).

    Fractions are rounded to the nearest byte. Source: shared/routeros-captures/README.md
    ("``64.0MiB`` -> bytes"); system_resource captures.

    Returns:
        Bytes (int, >= 0).

    Raises:
        ValueParseError: ``kind="bytes"`` for anything else (negative, decimal
            units like ``MB``, ``""``, from 2^63 bytes up).
    """
    body = _text("bytes", text)
    match = _SIZE.fullmatch(body)
    if not match:
        raise ValueParseError("bytes", text)
    amount = _decimal("bytes", match["n"], text) * _SIZE_FACTOR[match["unit"]]
    size = int(amount.to_integral_value())
    check_range("bytes", size, text, high=COUNTER_MAX)
    return size


_RATE: Final = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)(?P<prefix>[kKMGT]?)(?:bps)?(?:-\S+)?", re.ASCII
)
_RATE_FACTOR: Final = {
    "": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
}


def parse_bitrate(text: str) -> float:
    """Parse a rate into bits per second.

    Accepts ``bps``/``kbps``/``Mbps``/``Gbps`` (decimal SI: k = 1000), the bare
    prefixes queues print (``10M``, ``512k``), plain integers (wifi ``tx-rate``,
    monitor-traffic ``rx-bits-per-second``) and a wireless PHY suffix after ``-``
    (``72.2Mbps-20MHz/1S/SGI``, ``1200.9Mbps-80MHz/2S/MCS11``), which is ignored.
    Source: shared/ROUTEROS-API.md §7 "Rates/PHY"; interface_wireless_registration_table.v6.json,
    queue_simple.v7.json, interface_monitor_traffic.v7.json.

    Returns:
        bits/s (float, 0 .. :data:`MAX_BITRATE_BPS`).

    Raises:
        ValueParseError: ``kind="bitrate"`` for anything else, and for rates above
            :data:`MAX_BITRATE_BPS` (no interface carries them).
    """
    body = _text("bitrate", text)
    match = _RATE.fullmatch(body)
    if not match:
        raise ValueParseError("bitrate", text)
    bps = float(_decimal("bitrate", match["n"], text) * _RATE_FACTOR[match["prefix"]])
    check_range("bitrate", bps, text, high=MAX_BITRATE_BPS)
    return bps


def parse_link_rate(text: str) -> float:
    """Parse an ethernet link rate into bits per second: ``rate`` of
    ``/interface/ethernet/monitor`` (``10Mbps``, ``100Mbps``, ``1Gbps``,
    ``2.5Gbps``, ``10Gbps``...; interface_ethernet_monitor.v7.json ``"rate": "1Gbps"``;
    help.mikrotik.com "Ethernet": 10 Mbps to 100 Gbps ports). The same forms as
    :func:`parse_bitrate`, which it uses, but a link has a rate above 0.

    Returns:
        bits/s (float, above 0, at most :data:`MAX_BITRATE_BPS`).

    Raises:
        ValueParseError: ``kind="link rate"`` for ``0`` and for anything
            :func:`parse_bitrate` refuses.
    """
    try:
        bps = parse_bitrate(text)
    except ValueParseError as err:
        raise ValueParseError("link rate", text, err.reason) from None
    if bps <= 0:
        raise ValueParseError("link rate", text, "a link rate is above 0")
    return bps


_PERCENT: Final = re.compile(r"(?P<n>[+-]?\d+(?:\.\d+)?)\s*%?", re.ASCII)


def parse_percent(text: str) -> float:
    """Parse a percentage with or without ``%`` (``7``, ``7%``, ``12.5%``).

    Source: system_resource captures (``cpu-load=7``); terminal output (``1%``).

    Returns:
        Percent (float 0..100; 7 means 7 %, not 0.07).

    Raises:
        ValueParseError: ``kind="percent"`` for anything else, and outside 0..100
            (``cpu-load`` is the average over the cores; CCQ is at most 100).
    """
    body = _text("percent", text)
    match = _PERCENT.fullmatch(body)
    if not match:
        raise ValueParseError("percent", text)
    percent = float(match["n"])
    check_range("percent", percent, text, low=0, high=100)
    return percent


#: Readings a sensor of ``/system/health`` can give, by unit (the v7 ``type``:
#: ``C``, ``V``, ``RPM``, ``W``, ``A``), ``(low, high)``. Beyond them the sensor
#: is broken or the text is not a reading: silicon is rated -55..150 °C, board
#: supplies and PoE stay below 100 V, fans below 30,000 RPM.
SENSOR_RANGES: Final = {
    "C": (-60.0, 200.0),
    "V": (0.0, 500.0),
    "RPM": (0.0, 100_000.0),
    "W": (0.0, 10_000.0),
    "A": (0.0, 1_000.0),
}


def parse_sensor(text: str, unit: str) -> float:
    """Parse a ``/system/health`` reading in ``unit`` (``C``, ``V``, ``RPM``,
    ``W``, ``A``; another unit is not range-checked).

    Source: system_health.v6.json (``temperature=41``), system_health.v7.json
    (``value=6090 type=RPM``).

    Raises:
        ValueParseError: ``kind="sensor"``: not a number (``n/a``, ``""``), or
            outside the unit's :data:`SENSOR_RANGES`.
    """
    try:
        value = parse_float(text)
    except ValueParseError:
        raise ValueParseError("sensor", text) from None
    low, high = SENSOR_RANGES.get(unit, (None, None))
    check_range("sensor", value, text, low, high)
    return value


# --- versions ----------------------------------------------------------------


class RouterOSVersion(NamedTuple):
    """A RouterOS version as ``/system/resource`` reports it.

    Attributes:
        major: 6 or 7.
        minor: e.g. 16 in ``7.16.2``.
        patch: e.g. 2 in ``7.16.2``; 0 when absent (``7.20``).
        channel: the release channel in parentheses (``stable``, ``long-term``,
            ``testing``, ``development``), or ``""`` when not printed.
        prerelease: ``beta2`` / ``rc1`` for test builds (``7.18beta2``), else ``""``.

    Tuples compare field by field, so ``version >= (7, 18)`` works for releases;
    use :meth:`at_least` to ignore channel and pre-release tags.
    """

    major: int
    minor: int
    patch: int = 0
    channel: str = ""
    prerelease: str = ""

    def at_least(self, major: int, minor: int = 0, patch: int = 0) -> bool:
        """Return whether the numeric version is ``>= major.minor.patch``.

        A pre-release counts as its target version (``7.18beta2`` is at least 7.18).
        """
        return (self.major, self.minor, self.patch) >= (major, minor, patch)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.patch:
            text += f".{self.patch}"
        text += self.prerelease
        return f"{text} ({self.channel})" if self.channel else text


_VERSION: Final = re.compile(
    r"(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?"
    r"(?P<pre>(?:alpha|beta|rc)\d*)?(?:\s*\((?P<channel>[a-z][a-z-]*)\))?",
    re.ASCII,
)


def parse_version(text: str) -> RouterOSVersion:
    """Parse a RouterOS version string.

    Accepts ``7.16.2 (stable)``, ``6.49.10 (long-term)``, ``7.18beta2``,
    ``7.21rc1 (testing)``, ``7.20``, ``6.49``. Source: system_resource.v7.json
    (``7.20.5 (stable)``), system_resource.v6.json (``6.48.6 (long-term)``).

    Raises:
        ValueParseError: ``kind="version"`` for anything else.
    """
    body = _text("version", text)
    match = _VERSION.fullmatch(body)
    if not match:
        raise ValueParseError("version", text)
    return RouterOSVersion(
        int(match["major"]), int(match["minor"]), int(match["patch"] or 0),
        match["channel"] or "", match["pre"] or "",
    )


_VERSION_START: Final = re.compile(r"\s*(\d{1,3})(?:\.(\d{1,4})(?:\.(\d{1,4}))?)?(?!\d)",
                                   re.ASCII)


def version_hint(text: object) -> tuple[int, ...]:
    """Return what can be read of a version, however odd the text.

    ``(major, minor, patch)`` when :func:`parse_version` accepts it; else the
    numbers it starts with (``7.x (development)`` -> ``(7,)``, ``7.19beta2-x`` ->
    ``(7, 19)``); ``()`` for text that starts with no version (``garbage``, ``""``,
    ``None``). A major outside 6..99 gives ``()``. Never raises. Source:
    system_resource captures; betas and release candidates as the changelogs
    name them (``7.18beta2``, ``7.16rc1``).
    """
    if not isinstance(text, str):
        return ()
    try:
        parsed = parse_version(text)
    except ValueParseError:
        match = _VERSION_START.match(text[:_MAX_LEN])
        if match is None:
            return ()
        parts = tuple(int(p) for p in match.groups() if p is not None)
    else:
        parts = (parsed.major, parsed.minor, parsed.patch)
    return parts if 6 <= parts[0] <= 99 else ()


# --- compound values -----------------------------------------------------------


def parse_pair(text: str, sep: str = ",") -> tuple[str, str]:
    """Split a two-part value (``6689896,2094536``, ``10M/20M``, ``0s/0s``).

    The parts are returned as text (possibly empty); parse them with the other
    functions. Which side is which depends on the field: wireless ``bytes`` is
    tx,rx; queue ``bytes``/``max-limit`` is upload/download (shared/ROUTEROS-API.md §7).

    Args:
        text: the value.
        sep: the separator, ``,`` (wireless counters) or ``/`` (queues).

    Returns:
        ``(first, second)``, each stripped.

    Raises:
        ValueParseError: ``kind="pair"`` unless ``text`` has exactly one ``sep``.
    """
    body = _text("pair", text)
    if not isinstance(sep, str) or not sep:
        raise ValueParseError("pair", text)
    parts = body.split(sep)
    if len(parts) != 2:
        raise ValueParseError("pair", text)
    return parts[0].strip(), parts[1].strip()


#: Received signal any radio reports, dBm: receivers stop near -120 dBm, and
#: no transmitter lawfully exceeds +36 dBm EIRP.
SIGNAL_MIN_DBM: Final = -150.0
SIGNAL_MAX_DBM: Final = 40.0


def parse_signal(text: str) -> float:
    """Parse a signal strength into dBm: ``-62@1Mbps`` (v6 ``signal-strength``,
    the rate after ``@`` is ignored) or ``-55`` (v7 wifi ``signal``).

    Source: interface_wireless_registration_table.v6.json,
    interface_wifi_registration_table.v7.json.

    Returns:
        dBm (float, :data:`SIGNAL_MIN_DBM` .. :data:`SIGNAL_MAX_DBM`).

    Raises:
        ValueParseError: ``kind="signal"`` for anything else, or out of range.
    """
    body = _text("signal", text)
    level = body.split("@", 1)[0].strip()
    if not _FLOAT.fullmatch(level) or not math.isfinite(result := float(level)):
        raise ValueParseError("signal", text)
    check_range("signal", result, text, SIGNAL_MIN_DBM, SIGNAL_MAX_DBM)
    return result


# --- dates and text ----------------------------------------------------------

_MONTHS: Final = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_DATE_OLD: Final = re.compile(
    r"(?P<mon>[A-Za-z]{3})/(?P<d>\d{1,2})/(?P<y>\d{4})(?:\s+(?P<time>\d{1,2}:\d{2}:\d{2}))?",
    re.ASCII,
)
_DATE_ISO: Final = re.compile(
    r"(?P<y>\d{4})-(?P<mon>\d{2})-(?P<d>\d{2})(?:[ T](?P<time>\d{1,2}:\d{2}:\d{2}))?",
    re.ASCII,
)


def parse_datetime(text: str) -> str:
    """Parse a RouterOS date/time into ISO 8601 text in the router's local time.

    Accepts ``jul/09/2023 07:18:33`` (v6, v7 < 7.10), ``Dec/03/2021 12:15:05``
    (``build-time``), ``2024-10-08 11:14:27`` (v7.10+) and the same dates without a
    time. The router sends no time zone, so none is added. Source:
    shared/ROUTEROS-API.md §7 "Dates"; user.v7.json, system_resource captures.

    Returns:
        ``"2023-07-09T07:18:33"`` (or ``"2023-07-09"`` for a bare date).

    Raises:
        ValueParseError: ``kind="datetime"`` for other text or impossible dates
            (``feb/30/2023``).
    """
    body = _text("datetime", text)
    match = _DATE_OLD.fullmatch(body)
    if match:
        month = _MONTHS.get(match["mon"].lower())
    else:
        match = _DATE_ISO.fullmatch(body)
        month = int(match["mon"]) if match else None
    if match is None or month is None:
        raise ValueParseError("datetime", text)
    try:
        day = date(int(match["y"]), month, int(match["d"]))
        if match["time"] is None:
            return day.isoformat()
        hour, minute, second = (int(p) for p in match["time"].split(":"))
        # Naive on purpose: the router's local time, zone unknown.
        return datetime(day.year, day.month, day.day, hour, minute, second).isoformat()  # noqa: DTZ001
    except ValueError as err:
        raise ValueParseError("datetime", text) from err


_NO_DATETIME: Final = frozenset({"", "never", "none", "unknown"})


def parse_optional_datetime(text: str) -> str | None:
    """Parse a router date/time that may be absent.

    ``never`` (an interface whose link never changed, a user who never logged
    in), ``none``, ``unknown`` and ``""`` give ``None``; anything else is
    :func:`parse_datetime`. Source: shared/ROUTEROS-API.md §7 "Special words".

    Returns:
        ISO text in the router's local time, or ``None``.

    Raises:
        ValueParseError: ``kind="datetime"`` on other text.
    """
    body = _text("datetime", text)
    if body.lower() in _NO_DATETIME:
        return None
    return parse_datetime(body)


_GMT_OFFSET: Final = re.compile(r"(?P<sign>[+-]?)(?P<h>\d{1,2}):(?P<m>\d{2})", re.ASCII)
_OFFSET_SECONDS: Final = re.compile(r"-?(?:0|[1-9]\d*)", re.ASCII)


def parse_gmt_offset(text: str) -> int:
    """Parse ``/system/clock`` ``gmt-offset`` into seconds east of UTC.

    Accepts ``+02:00``, ``-05:30``, ``00:00`` (help.mikrotik.com
    "Clock": the console form; the emulator's row) and a plain count of seconds
    (``7200``, ``-18000``; whole minutes, no ``+``) as some API builds send it. The offset includes
    daylight saving time when ``dst-active`` is true. At most 14 hours either way.

    Returns:
        Seconds (int; negative west of Greenwich).

    Raises:
        ValueParseError: ``kind="gmt-offset"`` for other text or an offset
            beyond +-14 h.
    """
    body = _text("gmt-offset", text)
    match = _GMT_OFFSET.fullmatch(body)
    if match:
        seconds = int(match["h"]) * 3600 + int(match["m"]) * 60
        if int(match["m"]) >= 60:
            raise ValueParseError("gmt-offset", text)
        seconds = -seconds if match["sign"] == "-" else seconds
    elif _OFFSET_SECONDS.fullmatch(body) and int(body) % 60 == 0:
        seconds = int(body)
    else:
        raise ValueParseError("gmt-offset", text)
    if abs(seconds) > 14 * 3600:
        raise ValueParseError("gmt-offset", text)
    return seconds


def decode_text(raw: bytes, encoding: str) -> str:
    """Decode text from a router: UTF-8 first, then the device's codepage.

    RouterOS stores bytes without a charset; Winbox writes the PC's codepage
    (shared/ROUTEROS-API.md §7 "Text encoding"; librouteros issue #30). Valid UTF-8
    is taken as UTF-8; otherwise ``encoding`` (``cp1251``, ``latin-1``, ...) is used,
    with undecodable bytes shown as ``\\xNN`` escapes. An unknown codec name falls
    back to latin-1, which maps every byte. Never raises.

    Args:
        raw: the bytes of one word or value.
        encoding: the device's configured codepage.

    Returns:
        The text (str).
    """
    data = bytes(raw)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        return data.decode("latin-1")
    try:
        return data.decode(encoding, errors="backslashreplace")
    except (LookupError, UnicodeError, TypeError, ValueError):
        # Not a text codec (``hex``) or one without backslashreplace support.
        return data.decode("latin-1")
