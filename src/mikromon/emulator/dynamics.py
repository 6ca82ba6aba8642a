"""Time-driven values: clocks, counters, CPU/memory wander, churn, durations.

Nothing here runs on a timer: every value is a pure function of the clock reading,
the router's seed and its boot time, computed when a client reads it. That keeps an
idle fleet of 1,000 routers at ~0% CPU and makes tests deterministic with
:class:`mikromon.domain.clock.ManualClock`.
"""

from __future__ import annotations

import math
from typing import Final

_MASK64: Final = (1 << 64) - 1
def mix(*values: int) -> int:
    """Hash integers into a well-spread 64-bit integer (splitmix64 finaliser)."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (v & _MASK64)) & _MASK64
        h = (h + 0x9E3779B97F4A7C15) & _MASK64
        h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK64
        h ^= h >> 31
    return h


def noise(*values: int) -> float:
    """Return a deterministic pseudo-random float in ``[0, 1)`` for the given key."""
    return mix(*values) / 2.0**64


def smooth_noise(seed: int, channel: int, t: float, period: float) -> float:
    """Return a value in ``[0, 1)`` that wanders smoothly with time ``t`` (seconds).

    Knots every ``period`` seconds hold :func:`noise` values; between knots the
    value is cosine-interpolated, so consecutive reads a second apart differ a little.
    """
    k = math.floor(t / period)
    frac = t / period - k
    a, b = noise(seed, channel, k), noise(seed, channel, k + 1)
    w = (1 - math.cos(math.pi * frac)) / 2
    return a * (1 - w) + b * w


def counter(base: int, rate: float, elapsed: float) -> int:
    """Return a 64-bit counter value: ``base + rate * elapsed``, wrapped at 2**64.

    Args:
        base: value at the start of ``elapsed``.
        rate: units per second (>= 0).
        elapsed: seconds (>= 0).
    """
    return (base + int(rate * max(0.0, elapsed))) & _MASK64


def churned(count: int, churn: float, seed: int, channel: int, t: float, period: float) -> int:
    """Return how many of ``count`` rows exist at time ``t``: ``count`` minus up to
    ``churn * count`` rows, a new pseudo-random amount every ``period`` seconds."""
    if count <= 0:
        return 0
    spread = int(count * churn)
    if spread <= 0:
        return count
    step = math.floor(t / period)
    return count - int(noise(seed, channel, step) * (spread + 1))


def render_duration(seconds: float) -> str:
    """Render seconds as a RouterOS duration: ``1w2d3h4m5s``, ``4s750ms``, ``0s``.

    Whole units from weeks down to seconds, then milliseconds when the value has
    them (shared/ROUTEROS-API.md §7). Negative input is treated as 0.
    """
    ms_total = round(max(0.0, seconds) * 1000)
    secs, ms = divmod(ms_total, 1000)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, secs = divmod(secs, size)
        if n:
            parts.append(f"{n}{unit}")
    if ms:
        parts.append(f"{ms}ms")
    return "".join(parts) or "0s"
