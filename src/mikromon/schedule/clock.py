"""The clock the collector reads time from: monotonic seconds for deadlines and
durations, timezone-aware UTC for what is stored and shown.

Injected everywhere time matters, so deadline arithmetic and status rendering
can be tested with a hand-driven clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of time."""

    def monotonic(self) -> float:
        """Return monotonic seconds (only differences mean anything)."""
        ...

    def now(self) -> datetime:
        """Return the current wall-clock time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`datetime.now` in UTC."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic` seconds."""
        return time.monotonic()

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests).

    Args:
        start: the initial wall-clock time, timezone-aware UTC.
        mono: the initial monotonic reading, seconds.
    """

    def __init__(self, start: datetime | None = None, mono: float = 1000.0) -> None:
        self._wall = start or datetime(2024, 1, 1, tzinfo=UTC)
        self._mono = mono

    def monotonic(self) -> float:
        """Return the current monotonic reading, seconds."""
        return self._mono

    def now(self) -> datetime:
        """Return the current wall-clock time, UTC."""
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move both readings forward by ``seconds`` (must be >= 0)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (advance by {seconds} s)")
        self._mono += seconds
        self._wall += timedelta(seconds=seconds)

