"""Time-driven values: clocks, counters, CPU/memory wander, churn, durations.

Nothing here runs on a timer: every value is a pure function of the clock reading,
the router's seed and its boot time, computed when a client reads it. That keeps an
idle fleet of 1,000 routers at ~0% CPU and makes tests deterministic with
:class:`ManualClock`.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Final, Protocol

_MASK64: Final = (1 << 64) - 1
#: Wall-clock reading of a :class:`ManualClock` at its start unless told otherwise:
#: 2026-11-30 09:41:07 UTC (seconds since the Unix epoch).
MANUAL_WALL_START: Final = 1_796_031_667.0


class Clock(Protocol):
    """A source of monotonic time in seconds (float).

    A clock may also have ``time() -> float`` (UTC seconds since the Unix epoch);
    routers then read their wall-clock time (``/system/clock``) from it. Without it
    a router anchors :func:`time.time` to the clock when it is created.
    """

    def monotonic(self) -> float:
        """Return seconds since an arbitrary fixed point; never decreases."""
        ...


class MonotonicClock:
    """The real clock: :func:`time.monotonic` and :func:`time.time`."""

    def monotonic(self) -> float:
        """Return ``time.monotonic()`` (seconds)."""
        return time.monotonic()

    def time(self) -> float:
        """Return ``time.time()`` (UTC seconds since the epoch)."""
        return time.time()


class ManualClock:
    """A clock that moves only when told to (tests). Thread-safe.

    Args:
        start: initial monotonic reading in seconds.
        wall: UTC seconds since the epoch at ``start`` (default
            :data:`MANUAL_WALL_START`); :meth:`time` moves with :meth:`monotonic`.
    """

    def __init__(self, start: float = 1000.0, wall: float = MANUAL_WALL_START) -> None:
        self._start = float(start)
        self._now = float(start)
        self._wall = float(wall)
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """Return the current reading (seconds)."""
        with self._lock:
            return self._now

    def time(self) -> float:
        """Return the wall-clock time (UTC seconds since the epoch)."""
        with self._lock:
            return self._wall + self._now - self._start

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0) and return the new reading.

        Raises:
            ValueError: ``seconds`` is negative (monotonic clocks never go back).
        """
        if seconds < 0:
            raise ValueError(f"a monotonic clock cannot go back ({seconds} s)")
        with self._lock:
            self._now += seconds
            return self._now


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
