"""Plain-text formatting of values for people: bit rates, bytes, durations,
collection intervals, percentages and catalog units; and the one text form of a
time (:func:`utc_iso`, ISO 8601 UTC ending in ``Z``) of the API, the commands,
notifications and the collector's status.

The one formatter of the Python side: the web pages (views and template filters)
and the command line (``mikromon collect-once``, ``collector status``) both use
it, so a value reads the same everywhere. The browser's ``format.js`` mirrors
these functions. No Django here (core module)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

DASH = "\u2013"


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _stepped(value: float, units: tuple[str, ...], base: int,
             digits: Callable[[float, int], int]) -> str:
    """Format ``abs(value)`` in the largest unit that keeps it at least 1, stepping by
    ``base``; a value that rounds up to ``base`` of a unit is shown as 1 of the next
    (999 999 bit/s is ``1 Mbit/s``, never ``1000 kbit/s``). ``digits(x, i)`` gives the
    decimals for ``x`` in unit ``i``."""
    x = abs(float(value))
    i = 0
    while x >= base and i < len(units) - 1:
        x /= base
        i += 1
    text = _trim(x, digits(x, i))
    if float(text) >= base and i < len(units) - 1:
        x /= base
        i += 1
        text = _trim(x, digits(x, i))
    return f"{text} {units[i]}"


def bps(value: float | None) -> str:
    """Format bits/s with SI steps: ``12.4 Mbit/s``; ``–`` for ``None``."""
    if value is None or math.isnan(value):
        return DASH
    units = ("bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s")
    text = _stepped(value, units, 1000, lambda x, i: 2 if x < 10 else 1 if x < 100 else 0)
    return f"{'-' if value < 0 else ''}{text}"


def bytesize(value: float | None) -> str:
    """Format bytes with binary steps, as RouterOS does: ``1.5 GiB``."""
    if value is None or math.isnan(value):
        return DASH
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    return _stepped(value, units, 1024, lambda x, i: 2 if x < 10 and i else 1)


def duration(seconds: float | None) -> str:
    """Format seconds as ``3d 4h 12m`` (``42s`` below a minute)."""
    if seconds is None or math.isnan(seconds):
        return DASH
    s = max(0, int(seconds))
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    if d:
        return f"{d}d {h}h {m}m"
    if h:
        return f"{h}h {m}m"
    if m:
        return f"{m}m {sec}s"
    return f"{sec}s"


def interval(seconds: float | None) -> str:
    """Format a collection interval (seconds): ``24 h``, ``1 h``, ``5 min``, ``90 s``
    (whole hours, else whole minutes, else seconds); a fraction of a second (a
    shortened time scale) keeps up to three decimals: ``0.5 s``. ``–`` for ``None``."""
    if seconds is None or math.isnan(seconds):
        return DASH
    if not float(seconds).is_integer():
        return f"{_trim(seconds, 3)} s"
    s = int(seconds)
    if s and s % 3600 == 0:
        return f"{s // 3600} h"
    if s and s % 60 == 0:
        return f"{s // 60} min"
    return f"{s} s"


def pct(value: float | None) -> str:
    """Format a percentage: ``7.5 %``, ``42 %``."""
    if value is None or math.isnan(value):
        return DASH
    return f"{_trim(value, 1 if value < 10 else 0)} %"


def unit_value(value: float | None, unit: str) -> str:
    """Format ``value`` in a catalog unit (``percent``, ``bytes``, ``bits/s``,
    ``seconds``, ``celsius``, ``volts``, ``amperes``, ``watts``, ``rpm``,
    ``hertz``, ``state``, ``count``...)."""
    if value is None:
        return DASH
    simple = {
        "celsius": (1, " °C"), "volts": (2, " V"), "amperes": (2, " A"), "watts": (1, " W"),
        "packets/s": (1, " pkt/s"), "1/s": (2, " /s"),
    }
    if unit in ("percent", "pct"):
        return pct(value)
    if unit == "bytes":
        return bytesize(value)
    if unit in ("bits/s", "bps"):
        return bps(value)
    if unit == "seconds":
        return duration(value)
    if unit == "rpm":
        return f"{round(value)} rpm"
    if unit == "hertz":
        return f"{_trim(value / 1e6, 0)} MHz"
    if unit == "state":
        return "ok" if value >= 1 else "fail"
    if unit == "count":
        return f"{round(value)}"
    if unit in simple:
        digits, suffix = simple[unit]
        return f"{_trim(value, digits)}{suffix}"
    text = str(int(value)) if float(value).is_integer() else _trim(value, 2)
    return f"{text} {unit}".rstrip()


def unknown_choice(what: str, value: str, known: Iterable[str]) -> str:
    """Return the message for a filter value that is not one of ``known``:
    ``unknown state 'bogus' (known: up, down)``."""
    return f"unknown {what} {value!r} (known: {', '.join(known)})"


def utc_iso(ts: datetime, *, whole_seconds: bool = False) -> str:
    """Return ``ts`` as ISO 8601 UTC text ending in ``Z``
    (``2025-01-31T11:00:05.987000Z``); with ``whole_seconds`` the fraction is
    dropped (truncated: ``2025-01-31T11:00:05Z``), the form of the API and the
    commands.

    Raises:
        ValueError: ``ts`` has no timezone.
    """
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts.isoformat()}: give a timezone (UTC)")
    utc = ts.astimezone(UTC)
    if whole_seconds:
        utc = utc.replace(microsecond=0)
    return utc.isoformat().replace("+00:00", "Z")
