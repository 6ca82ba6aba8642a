"""Retention of stored time series: raw points per collection tier and rollups
per level, as durations; parsing (``7d``, ``36h``, ``2w``, ``90``), the minimums
that keep the reports and charts working, and the checks the web form and the
``mikromon retention`` command share.

Keys (the names the CLI, the API and the form use):

* ``realtime``, ``short``, ``medium``, ``long``, ``extended``: raw points of the
  series whose metric belongs to that tier (:mod:`mikromon.domain.catalog`).
* ``5m``, ``1h``, ``1d``: the 5-minute, 1-hour and 1-day rollups (``MetricRollup``
  steps 300, 3600 and 86400; the day level is rolled up from the hourly one).
  The report summaries (one row per rate series and UTC day or month) go with
  the hourly rollups.

Minimums (:data:`MINIMUM_SECONDS`), from what reads the data:

* raw points, every tier: 1 day. The 5-minute rollups are computed from raw
  points a minute after each bucket closes and recomputed once for late
  points; report edges read raw points after the rollup watermark; charts of
  the last 24 hours read raw points.
* ``5m``: 2 days, and at least every raw tier's retention (a rollup level kept
  shorter than the points it summarises would leave holes in old charts). The
  report summaries of a day take in 5-minute buckets as they become final, and
  a report's partial first and last days read them.
* ``1h``: 62 days, and at least ``5m``. The report summaries are deleted with
  the hourly rollups: the "last month" report needs the whole previous
  calendar month.
* ``1d``: 62 days, and at least ``1h``. The day buckets are computed from the
  hourly rollups, so a day level kept shorter would only drop what the hourly
  level still answers; charts of a year or more read it.

Values are whole seconds, at most :data:`MAXIMUM_SECONDS` (100 years).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from mikromon.domain.tiers import Tier

__all__ = [
    "KEYS", "LEVELS", "MAXIMUM_SECONDS", "MINIMUM_SECONDS", "TIER_KEYS", "RetentionError",
    "check", "format_duration", "parse_duration",
]

_DAY: Final = 86400
#: Raw point keys, one per tier, in tier order.
TIER_KEYS: Final[tuple[str, ...]] = tuple(t.value for t in Tier)
#: Rollup level keys and their step, seconds.
LEVELS: Final[dict[str, int]] = {"5m": 300, "1h": 3600, "1d": _DAY}
#: Every key, in the order they are shown.
KEYS: Final[tuple[str, ...]] = (*TIER_KEYS, *LEVELS)
#: The smallest retention of each key, seconds (see the module docstring).
MINIMUM_SECONDS: Final[dict[str, int]] = {
    **{key: _DAY for key in TIER_KEYS}, "5m": 2 * _DAY, "1h": 62 * _DAY, "1d": 62 * _DAY,
}
#: The largest retention accepted, seconds.
MAXIMUM_SECONDS: Final = 36500 * _DAY

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": _DAY, "w": 7 * _DAY}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)


class RetentionError(ValueError):
    """Retention settings that cannot be used.

    Attributes:
        problems: key -> what is wrong with its value (``""`` for the whole set).
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in self.problems.items()))


def parse_duration(text: str) -> int:
    """Return the seconds of a retention written as a number and a unit: ``7d``,
    ``36h``, ``2w``, ``90m``, ``3600s``; a bare number is days (``90`` = 90 days,
    as the ``MIKROMON_RETENTION_*_DAYS`` variables count).

    Raises:
        ValueError: not a positive number with one of the units s, m, h, d, w.
    """
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, "
                         "e.g. 7d, 36h, 2w (a bare number is days)")
    number, unit = float(match.group(1)), match.group(2).lower() or "d"
    seconds = number * _UNITS[unit]
    if seconds > MAXIMUM_SECONDS:
        raise ValueError(f"{text!r} is more than {MAXIMUM_SECONDS // _DAY} days")
    if seconds < 1:
        raise ValueError(f"{text!r} must be at least one second")
    return round(seconds)


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of ``seconds`` that :func:`parse_duration` reads
    back: ``7d``, ``36h``, ``90m``, ``45s``; weeks are written as days."""
    whole = round(seconds)
    for unit, size in (("d", _DAY), ("h", 3600), ("m", 60)):
        if whole >= size and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def check(values: Mapping[str, int]) -> dict[str, str]:
    """Return what is wrong with a complete set of retentions (key -> seconds for
    every key of :data:`KEYS`), as key -> message; empty when it can be used.

    Checks: unknown keys, each key's minimum and :data:`MAXIMUM_SECONDS`,
    ``5m`` at least every raw tier, ``1h`` at least ``5m``, ``1d`` at least ``1h``.
    """
    problems: dict[str, str] = {}
    for key in values:
        if key not in KEYS:
            problems[key] = f"unknown retention {key!r}; known: {', '.join(KEYS)}"
    for key in KEYS:
        if key not in values:
            problems[key] = "missing"
            continue
        seconds = values[key]
        if seconds < MINIMUM_SECONDS[key]:
            problems[key] = (f"{format_duration(seconds)} is less than the minimum "
                             f"{format_duration(MINIMUM_SECONDS[key])}: {_WHY[key]}")
        elif seconds > MAXIMUM_SECONDS:
            problems[key] = f"more than {MAXIMUM_SECONDS // _DAY} days"
    if problems:
        return problems
    longest = max(TIER_KEYS, key=lambda k: values[k])
    if values["5m"] < values[longest]:
        problems["5m"] = (f"{format_duration(values['5m'])} is shorter than the raw points "
                          f"of the {longest} tier ({format_duration(values[longest])}): "
                          "the 5-minute rollups must be kept at least as long")
    elif values["1h"] < values["5m"]:
        problems["1h"] = (f"{format_duration(values['1h'])} is shorter than the 5-minute "
                          f"rollups ({format_duration(values['5m'])}): the hourly rollups "
                          "must be kept at least as long")
    elif values["1d"] < values["1h"]:
        problems["1d"] = (f"{format_duration(values['1d'])} is shorter than the hourly "
                          f"rollups ({format_duration(values['1h'])}): the daily rollups "
                          "must be kept at least as long")
    return problems


_WHY: Final[dict[str, str]] = {
    **{key: "rollups are computed from the raw points and charts of the last 24 hours "
            "read them" for key in TIER_KEYS},
    "5m": "the daily report summaries and the edges of a report read the 5-minute rollups",
    "1h": "the report summaries go with the hourly rollups and the last-month report "
          "needs the whole previous month",
    "1d": "the daily rollups are computed from the hourly ones and must reach as far back",
}
