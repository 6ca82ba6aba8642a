"""The one clock of the package: monotonic seconds for deadlines and durations,
wall-clock time (UTC) for what is stored, shown and what an emulated router's
``/system/clock`` says.

Injected everywhere time matters (the collector, the emulator), so deadline
arithmetic, status rendering and emulated counters can be driven by hand with
:class:`ManualClock`. The collector also waits through the clock
(:meth:`Clock.sleep_until`: a tier's wait for its next deadline), so a test moves a
running service from one run to the next with :meth:`ManualClock.advance`
instead of sleeping on the wall clock.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time as _time
from collections.abc import Callable
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

    async def sleep(self, seconds: float) -> None:
        """Return once :meth:`monotonic` has moved on by ``seconds`` (at once when
        ``seconds`` <= 0, after one pass of the event loop)."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once :meth:`monotonic` reads ``deadline`` (seconds) or later (after
        one pass of the event loop when it does already). Waits that end at the
        same ``deadline`` end in the same pass of the event loop."""
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

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of real time (:func:`asyncio.sleep`)."""
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, deadline: float) -> None:
        """Wait until :func:`time.monotonic` reads ``deadline`` seconds.

        asyncio's own event loop keeps time with :func:`time.monotonic`
        (``BaseEventLoop.time``), so the wait is a timer at ``deadline`` itself
        (``loop.call_at``): timers at the same deadline fire in one pass of the
        loop. A loop with a clock of its own gets the remaining delay instead,
        rounded up to whole milliseconds, and again until :func:`time.monotonic`
        reads ``deadline``: uvloop keeps time with libuv's clock in whole
        milliseconds, read once a pass, and fires a timer up to about a
        millisecond early (a tier woken early would run twice within a
        millisecond, its rates over that millisecond). There the waits of one
        deadline may end in passes a millisecond or so apart, not in one.
        """
        loop = asyncio.get_running_loop()
        if type(loop).time is not asyncio.BaseEventLoop.time:
            remaining = deadline - _time.monotonic()
            while True:
                await asyncio.sleep(max(0.0, math.ceil(remaining * 1e3) / 1e3))
                remaining = deadline - _time.monotonic()
                if remaining <= 0:
                    return
        future: asyncio.Future[None] = loop.create_future()
        timer = loop.call_at(deadline, _wake, future)
        try:
            await future
        finally:
            timer.cancel()


class ManualClock:
    """A clock that moves only when told to (tests, benchmarks). Thread-safe:
    a test thread may :meth:`advance` it while an event loop in another thread
    waits in :meth:`sleep`.

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
        self._changed = threading.Condition(self._lock)
        #: Waits in :meth:`sleep`: (due monotonic seconds, its loop, its future).
        self._sleepers: list[tuple[float, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

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
            now = self._mono
            due = [s for s in self._sleepers if s[0] <= now]
            self._sleepers = [s for s in self._sleepers if s[0] > now]
            self._changed.notify_all()
        for _, loop, future in due:
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that loop is closed: nobody waits any more
                pass
        return now

    async def sleep(self, seconds: float) -> None:
        """Return once :meth:`advance` has moved the monotonic reading ``seconds``
        past its value now; never on its own (the wall clock plays no part).
        ``seconds`` <= 0 returns after one pass of the event loop."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        await self._wait(lambda mono: mono + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Return once :meth:`advance` has moved the monotonic reading to
        ``deadline`` or past it (after one pass of the event loop when it is
        there already)."""
        await self._wait(lambda mono: deadline)

    async def _wait(self, deadline_of: Callable[[float], float]) -> None:
        """Wait until the reading reaches ``deadline_of(the reading now)`` (one
        pass of the event loop when it is there already)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            entry = (deadline_of(self._mono), loop, future)
            waits = entry[0] > self._mono
            if waits:
                self._sleepers.append(entry)
                self._changed.notify_all()
        if not waits:
            await asyncio.sleep(0)
            return
        try:
            await future
        finally:
            with self._lock:
                if entry in self._sleepers:  # cancelled before it was due
                    self._sleepers.remove(entry)
                    self._changed.notify_all()

    def sleeping(self) -> list[float]:
        """Return the monotonic readings the waits in :meth:`sleep` end at, soonest first."""
        with self._lock:
            return sorted(s[0] for s in self._sleepers)

    def wait_sleeping(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` waits are in :meth:`sleep` (the loops have
        done what the last :meth:`advance` let them do and wait again).

        Args:
            count: how many waits to see.
            timeout: the most real seconds to block.

        Returns:
            Whether ``count`` waits were seen within ``timeout``.
        """
        with self._changed:
            return self._changed.wait_for(lambda: len(self._sleepers) >= count, timeout)


def _wake(future: asyncio.Future[None]) -> None:
    """End a :meth:`ManualClock.sleep` (in its loop's thread), unless it was cancelled."""
    if not future.done():
        future.set_result(None)
