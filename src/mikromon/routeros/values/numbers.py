"""Booleans and numbers from API replies: integers (decimal and hex), counters,
MTUs, AS numbers, decimals, sizes (``64.0MiB``), percentages and sensor readings,
each refused outside the range a router can report.

Source: shared/ROUTEROS-API.md §7 "Booleans" and "Numbers"; the captures named
by each parser.
"""

from __future__ import annotations

import math
import re
from typing import Final

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import check_range, to_decimal, value_text

__all__ = [
    "ASN_MAX", "COUNTER_MAX", "MTU_MAX", "SENSOR_RANGES", "parse_asn", "parse_bool",
    "parse_bytes", "parse_counter", "parse_float", "parse_int", "parse_mtu", "parse_percent",
    "parse_sensor",
]

#: Largest counter, count or size any router reports: 2^63 - 1. A 64-bit byte
#: counter takes years at 400 Gbit/s to pass 2^63; values from there to 2^64 are
#: a ``-1`` (or another negative number) printed as unsigned.
COUNTER_MAX: Final = (1 << 63) - 1
#: Digits of a counter that is below :data:`COUNTER_MAX` whatever they are
#: (10^18 - 1 < 2^63 - 1): such text needs no range check.
_PLAIN_COUNTER_DIGITS: Final = 18

_BOOLS: Final = {"true": True, "yes": True, "false": False, "no": False}


def parse_bool(text: str) -> bool:
    """Parse ``true``/``false`` (API) or ``yes``/``no`` (CLI, old versions).

    Source: shared/ROUTEROS-API.md §7 "Booleans"; interface.v6.json.

    Raises:
        ValueParseError: ``kind="bool"`` for anything else, including ``""``.
    """
    result = _BOOLS.get(value_text("bool", text).lower())
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
    body = value_text("int", text)
    if _INT.fullmatch(body):
        return int(body)
    if _HEX.fullmatch(body):
        return int(body, 16)
    raise ValueParseError("int", text)


def _int_in_range(kind: str, text: str, low: int, high: int) -> int:
    """:func:`parse_int` of ``text``, refused as ``kind`` unless ``low <= n <= high``."""
    try:
        value = parse_int(text)
    except ValueParseError:
        raise ValueParseError(kind, text) from None
    check_range(kind, value, text, low=low, high=high)
    return value


def parse_counter(text: str) -> int:
    """Parse a counter, a count or a size in plain digits (``rx-byte``,
    ``prefix-count``, ``free-memory``): ``0 .. COUNTER_MAX``.

    Source: shared/ROUTEROS-API.md §7 "Numbers" (64-bit decimal, ``rx-byte=1325381950539``).

    Raises:
        ValueParseError: ``kind="counter"``: not an integer, negative, or from 2^63
            up (near 2^64: a negative number printed as unsigned).
    """
    if type(text) is str and 0 < len(text) <= _PLAIN_COUNTER_DIGITS and text.isascii() \
            and text.isdigit():
        return int(text)  # the common case, as below: plain digits, below COUNTER_MAX
    body = value_text("counter", text)
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
    return _int_in_range("mtu", text, 0, MTU_MAX)


#: Largest AS number (4-byte ASNs, RFC 6793).
ASN_MAX: Final = (1 << 32) - 1


def parse_asn(text: str) -> int:
    """Parse an AS number (``remote-as=64512``): ``0 .. 2^32 - 1``.

    Source: routing_bgp_peer.v6.json, routing_bgp_session.v7.json.

    Raises:
        ValueParseError: ``kind="asn"``: not an integer or out of range.
    """
    return _int_in_range("asn", text, 0, ASN_MAX)


def parse_float(text: str) -> float:
    """Parse a decimal number (``23.9``, ``7``, ``-1.5``); never NaN or infinity.

    Source: system_health.v7.json (``value=23.9``).

    Raises:
        ValueParseError: ``kind="float"`` for anything else (``"nan"``, ``"n/a"``).
    """
    body = value_text("float", text)
    if not _FLOAT.fullmatch(body) or not math.isfinite(result := float(body)):
        raise ValueParseError("float", text)
    return result



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
    body = value_text("bytes", text)
    match = _SIZE.fullmatch(body)
    if not match:
        raise ValueParseError("bytes", text)
    amount = to_decimal("bytes", match["n"], text) * _SIZE_FACTOR[match["unit"]]
    size = int(amount.to_integral_value())
    check_range("bytes", size, text, high=COUNTER_MAX)
    return size


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
    body = value_text("percent", text)
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

