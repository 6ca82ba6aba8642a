"""Durations as RouterOS prints them (``1w4d23h26m9s``, ``53m10s720ms``,
``01:22:53``) read as seconds: any duration, an elapsed one (never negative) and
one that may be absent (``never``, ``infinity``).

Source: shared/ROUTEROS-API.md §7 "Durations" and "Special words".
"""

from __future__ import annotations

import re
from typing import Final

from mikromon.domain.errors import ValueParseError
from mikromon.routeros.values.checks import check_range, value_text

__all__ = ["parse_duration", "parse_elapsed", "parse_optional_duration"]

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
    body = value_text("duration", text)
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
    body = value_text("duration", text)
    if body.lower() in _NO_DURATION:
        return None
    return parse_duration(body)

