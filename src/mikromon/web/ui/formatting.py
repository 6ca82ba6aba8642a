"""Plain-text formatting of values for pages (no Django): bit rates, bytes,
durations, percentages and catalog units. The browser's format.js mirrors these."""

from __future__ import annotations

import math

DASH = "\u2013"


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bps(value: float | None) -> str:
    """Format bits/s with SI steps: ``12.4 Mbit/s``; ``–`` for ``None``."""
    if value is None or math.isnan(value):
        return DASH
    units = ("bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s")
    x = abs(value)
    i = 0
    while x >= 1000 and i < len(units) - 1:
        x /= 1000
        i += 1
    digits = 2 if x < 10 else 1 if x < 100 else 0
    return f"{'-' if value < 0 else ''}{_trim(x, digits)} {units[i]}"


def bytesize(value: float | None) -> str:
    """Format bytes with binary steps, as RouterOS does: ``1.5 GiB``."""
    if value is None or math.isnan(value):
        return DASH
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    x = abs(float(value))
    i = 0
    while x >= 1024 and i < len(units) - 1:
        x /= 1024
        i += 1
    return f"{_trim(x, 2 if x < 10 and i else 1)} {units[i]}"


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
