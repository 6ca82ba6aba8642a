"""The one clock (mikromon.domain.clock) and the one UTC text form
(mikromon.domain.formatting.utc_iso) shared by the collector, the emulator, the
API, the commands and notifications."""

from __future__ import annotations

import asyncio
import contextvars
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import uvloop

from mikromon.domain.clock import MANUAL_WALL_START, ManualClock, SystemClock
from mikromon.domain.formatting import utc_iso


def test_manual_clock_moves_every_reading_together() -> None:
    clock = ManualClock(mono=10.0)
    assert clock.now() == MANUAL_WALL_START
    assert clock.time() == MANUAL_WALL_START.timestamp()
    assert clock.advance(2.5) == 12.5
    assert clock.monotonic() == 12.5
    assert clock.now() == MANUAL_WALL_START + timedelta(seconds=2.5)
    assert clock.time() == MANUAL_WALL_START.timestamp() + 2.5
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)


def test_manual_clock_wall_as_datetime_or_epoch_seconds() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert ManualClock(wall=start).now() == start
    assert ManualClock(wall=start.timestamp()).now() == start
    with pytest.raises(ValueError, match="naive"):
        ManualClock(wall=datetime(2024, 1, 1))


def test_manual_clock_is_thread_safe() -> None:
    clock = ManualClock(mono=0.0)
    threads = [threading.Thread(target=lambda: [clock.advance(1) for _ in range(1000)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.monotonic() == 4000


def test_system_clock_readings_agree() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is UTC
    assert abs(clock.now().timestamp() - clock.time()) < 5


def test_utc_iso() -> None:
    ts = datetime(2025, 1, 31, 12, 0, 5, 987000, tzinfo=timezone(timedelta(hours=1)))
    assert utc_iso(ts) == "2025-01-31T11:00:05.987000Z"
    assert utc_iso(ts, whole_seconds=True) == "2025-01-31T11:00:05Z"
    with pytest.raises(ValueError, match="naive"):
        utc_iso(datetime(2025, 1, 31))


async def test_manual_clock_sleep_ends_only_when_advanced_far_enough() -> None:
    clock = ManualClock(mono=0.0)
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0.01)  # real time passes; the manual clock does not
    assert not task.done()
    assert clock.sleeping() == [5.0]
    clock.advance(4.9)
    await asyncio.sleep(0)
    assert not task.done()
    clock.advance(0.1)
    await asyncio.wait_for(task, 1)
    assert clock.sleeping() == []
    await asyncio.wait_for(clock.sleep(0), 1)  # nothing to wait for
    await asyncio.wait_for(clock.sleep(-1), 1)


async def test_manual_clock_sleep_cancelled_is_forgotten() -> None:
    clock = ManualClock(mono=0.0)
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    assert clock.sleeping() == [5.0]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleeping() == []
    clock.advance(10)  # waking nobody is no error


def test_manual_clock_wakes_a_loop_in_another_thread() -> None:
    """A test thread advances the clock a service's loop thread sleeps on."""
    clock = ManualClock(mono=0.0)
    woke: list[float] = []

    async def tier() -> None:
        for _ in range(3):
            await clock.sleep(10)
            woke.append(clock.monotonic())

    thread = threading.Thread(target=asyncio.run, args=(tier(),))
    thread.start()
    try:
        for n in (1, 2, 3):
            assert clock.wait_sleeping(1, 5), f"the loop never slept ({n})"
            assert woke == [10.0 * i for i in range(1, n)]
            clock.advance(10)
    finally:
        thread.join(5)
    assert woke == [10.0, 20.0, 30.0]
    assert not clock.wait_sleeping(1, 0.01)


async def test_system_clock_sleep_is_real_time() -> None:
    started = time.monotonic()
    await SystemClock().sleep(0.02)
    assert time.monotonic() - started >= 0.015


async def test_manual_clock_sleep_until_ends_at_the_deadline() -> None:
    """Waits for one deadline, begun at different readings, end at the same one."""
    clock = ManualClock(mono=0.0)
    first = asyncio.create_task(clock.sleep_until(5.25))
    await asyncio.sleep(0)
    clock.advance(1.7)
    second = asyncio.create_task(clock.sleep_until(5.25))
    await asyncio.sleep(0)
    assert clock.sleeping() == [5.25, 5.25]
    clock.advance(3.5)
    await asyncio.sleep(0)
    assert not first.done()
    assert not second.done()
    clock.advance(0.05)
    await asyncio.wait_for(asyncio.gather(first, second), 1)
    assert clock.sleeping() == []
    await asyncio.wait_for(clock.sleep_until(5.0), 1)  # past: nothing to wait for
    cancelled = asyncio.create_task(clock.sleep_until(9.0))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert clock.sleeping() == []


class TimerLoop(asyncio.SelectorEventLoop):
    """An event loop that keeps the times its timers were set for."""

    def __init__(self) -> None:
        super().__init__()
        self.timers: list[float] = []

    def call_at(self, when: float, callback: Any, *args: Any,
                context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        self.timers.append(when)
        return super().call_at(when, callback, *args, context=context)


def test_system_clock_sleep_until_is_a_timer_at_the_deadline_itself() -> None:
    """Waits for one deadline begun milliseconds apart set their timers at the
    deadline (not at a delay from a later reading), so they end in one pass of
    the event loop: every waiter resumes before a callback the first one queues."""
    order: list[str] = []

    async def main(loop: TimerLoop) -> None:
        deadline = time.monotonic() + 0.05

        async def waiter(name: str) -> None:
            await SystemClock().sleep_until(deadline)
            order.append(name)
            if len(order) == 1:
                loop.call_soon(order.append, "next pass")

        tasks = []
        for name in ("a", "b", "c"):
            tasks.append(asyncio.create_task(waiter(name)))
            await asyncio.sleep(0)  # the task starts waiting now
            moved = time.monotonic() + 0.003  # the clock moves on before the next one
            while time.monotonic() < moved:  # starts waiting (the loop held meanwhile)
                pass
        assert loop.timers == [deadline] * 3
        await asyncio.wait_for(asyncio.gather(*tasks), 2)
        assert time.monotonic() >= deadline
        await asyncio.sleep(0)

    with asyncio.Runner(loop_factory=TimerLoop) as runner:
        loop = runner.get_loop()
        assert isinstance(loop, TimerLoop)
        runner.run(main(loop))
    assert sorted(order[:3]) == ["a", "b", "c"]
    assert order[3:] == ["next pass"]


async def test_system_clock_sleep_until_a_past_deadline_returns() -> None:
    started = time.monotonic()
    await asyncio.wait_for(SystemClock().sleep_until(started - 1.0), 1)
    await SystemClock().sleep_until(time.monotonic() + 0.02)
    assert time.monotonic() - started >= 0.015


@pytest.mark.parametrize("factory", [asyncio.new_event_loop, uvloop.new_event_loop],
                         ids=["asyncio", "uvloop"])
def test_system_clock_sleep_until_never_returns_before_the_deadline(
    factory: Callable[[], asyncio.AbstractEventLoop],
) -> None:
    """uvloop keeps time with libuv's clock in whole milliseconds, read once a pass,
    and fires a timer up to about a millisecond before ``time.monotonic`` reaches
    its deadline: a tier woken early ran again at once, with a rate over a fraction
    of a millisecond. Every wait ends at its deadline or later, on either loop."""
    rng = random.Random(16)

    async def main() -> list[float]:
        early = []
        for _ in range(200):
            deadline = time.monotonic() + rng.uniform(0.0005, 0.008)
            await SystemClock().sleep_until(deadline)
            early.append(deadline - time.monotonic())
        return [e for e in early if e > 0]

    with asyncio.Runner(loop_factory=factory) as runner:
        assert runner.run(main()) == []
