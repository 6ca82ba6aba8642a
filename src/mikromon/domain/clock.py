"""The one clock of the package: monotonic seconds for deadlines and durations,
wall-clock time (UTC) for what is stored, shown and what an emulated router's
``/system/clock`` says.

Injected everywhere time matters (the collector, the emulator), so deadline
arithmetic, status rendering and emulated counters can be driven by hand with
:class:`ManualClock`.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

#: Wall-clock reading of a :class:`ManualClock` at its start unless told otherwise:
#: 2026-11-30 09:41:07 UTC.
MANUAL_WALL_START: Final = datetime(2026, 11, 30, 9, 41, 7, tzinfo=UTC)


class Clock(Protocol):
    """A source of time."""

    def monotonic(self) -> float:
        """Return monotonic seconds (only differences mean anything; never decreases)."""
        ...

    def now(self) -> datetime:
        """Return the current wall-clock time, timezone-aware UTC."""
        ...

    def time(self) -> float:
        """Return the current wall-clock time, UTC seconds since the Unix epoch."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic`, :func:`datetime.now` in UTC and
    :func:`time.time`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic` seconds."""
        return _time.monotonic()

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        return datetime.now(UTC)

    def time(self) -> float:
        """Return :func:`time.time` (UTC seconds since the epoch)."""
        return _time.time()


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks). Thread-safe.

    Args:
        wall: the wall-clock time at the start, timezone-aware (default
            :data:`MANUAL_WALL_START`), or UTC seconds since the epoch.
        mono: the initial monotonic reading, seconds.

    Raises:
        ValueError: ``wall`` is a datetime without a timezone.
    """

    def __init__(self, *, wall: datetime | float | None = None, mono: float = 1000.0) -> None:
        if wall is None:
            wall = MANUAL_WALL_START
        elif not isinstance(wall, datetime):
            wall = datetime.fromtimestamp(float(wall), UTC)
        if wall.tzinfo is None:
            raise ValueError(f"naive datetime {wall.isoformat()}: give a timezone (UTC)")
        self._start_wall = wall.astimezone(UTC)
        self._start_mono = float(mono)
        self._mono = float(mono)
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """Return the current monotonic reading, seconds."""
        with self._lock:
            return self._mono

    def now(self) -> datetime:
        """Return the current wall-clock time, UTC (moves with :meth:`monotonic`)."""
        with self._lock:
            return self._start_wall + timedelta(seconds=self._mono - self._start_mono)

    def time(self) -> float:
        """Return the current wall-clock time, UTC seconds since the epoch."""
        with self._lock:
            return self._start_wall.timestamp() + self._mono - self._start_mono

    def advance(self, seconds: float) -> float:
        """Move both readings forward by ``seconds``; return the new monotonic reading.

        Raises:
            ValueError: ``seconds`` is negative (a monotonic clock never goes back).
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (advance by {seconds} s)")
        with self._lock:
            self._mono += seconds
            return self._mono
