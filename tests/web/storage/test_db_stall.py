"""Polling never stops for the database: with SQLite's write lock held by another
process, the collector keeps its lock and polls on time, samples wait in the
writer's queue (drops beyond its bound counted per device), and the queue drains
when the database returns. SQLite only (the lock is SQLite's); the full 30 s run
is bench/db_stall.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from mikromon.emulator.testing import EmulatorHandle, running_emulators

pytestmark = [pytest.mark.django_db(transaction=True)]

#: Realtime runs (one per step of the manual clock) while the write lock is held:
#: more than the writer's queue bound (10 batches) so that some are dropped.
HELD_RUNS = 15


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("holds SQLite's write lock")


def test_a_lease_refresh_on_a_busy_database_keeps_the_lock(
    write_lock_held: Callable[[float], Any], busy_timeout: Callable[[float], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import CollectorLease

    with busy_timeout(0.3):
        lock = DjangoCollectorLock(ttl=30.0)
        assert lock.acquire()
        with write_lock_held(20), caplog.at_level(logging.WARNING):
            assert lock.refresh() is True
            assert lock.held
        assert not any("lost" in r.getMessage() or "given up" in r.getMessage()
                       for r in caplog.records)
        assert lock.refresh() is True
        # Another holder (not a busy database) is a lost lease.
        CollectorLease.objects.filter(pk=CollectorLease.SINGLETON_ID).update(owner="other")
        assert lock.refresh() is False
        lock.close()


def test_a_lease_renewal_waits_briefly_for_a_busy_database(
    write_lock_held: Callable[[float], Any],
) -> None:
    """With the usual 20 s busy timeout, a renewal gives up after about 1 s (a
    long busy wait in the lock's thread stalled polling, bench/db_stall.py), and
    the connection keeps its own busy timeout afterwards."""
    from mikromon.web.monitor.lock import RENEW_BUSY_TIMEOUT_MS, DjangoCollectorLock

    lock = DjangoCollectorLock(ttl=30.0)
    assert lock.acquire()
    with write_lock_held(30):
        started = time.monotonic()
        assert lock.refresh() is True
        assert time.monotonic() - started < RENEW_BUSY_TIMEOUT_MS / 1000 + 2
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000
    assert lock.refresh() is True
    lock.close()


@pytest.fixture
def router() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


def test_polling_goes_on_through_a_held_write_lock_and_the_queue_drains(
    router: EmulatorHandle, write_lock_held: Callable[[float], Any],
    busy_timeout: Callable[[float], Any],
) -> None:
    """The collector runs on a manual clock: while the write lock is held the test
    moves it one realtime interval at a time and every step gives exactly one
    realtime run (none waits for the database); the writer's stall and its queue
    bound are real time (SQLite's busy timeout), waited for as conditions."""
    from mikromon.domain.clock import ManualClock
    from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
    from mikromon.schedule import CollectorDeps, CollectorService, trigger
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device, MetricPoint
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="r1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    clock = ManualClock(wall=time.time())
    realtime_s = DEFAULT_INTERVALS[Tier.REALTIME]
    tiers = len(Tier)

    def step(waits: int) -> None:
        clock.advance(realtime_s)
        assert clock.wait_sleeping(waits, 20), clock.sleeping()

    with busy_timeout(1.0):
        svc = CollectorService(DjangoDeviceSource(), DjangoStorage(), DjangoCollectorLock(ttl=3.0),
                               deps=CollectorDeps(clock=clock), time_scale=1.0,
                               lock_retry_s=0.1, writer_max_rows=500)
        svc.start()
        try:
            def realtime() -> dict[str, Any]:
                devices = svc.status()["devices"]
                return devices[0]["tiers"].get("realtime", {}) if devices else {}

            assert clock.wait_sleeping(1, 20), svc.status()  # loaded: realtime waits
            clock.advance(trigger.START_SPREAD_S)
            assert clock.wait_sleeping(tiers, 20), svc.status()  # version known
            step(tiers)
            runs_before = realtime()["runs"]
            assert runs_before == 2
            with write_lock_held(60):
                held_at = clock.time()
                for n in range(1, HELD_RUNS + 1):
                    step(tiers)
                    assert realtime()["runs"] == runs_before + n  # on time, none skipped
                    assert svc.status(devices=False)["lock_held"]
                # The writer found the database busy and its queue overflowed.
                deadline = time.monotonic() + 20
                while not (svc.status(devices=False)["writer"]["unavailable_s"] > 0
                           and svc.status(devices=False)["writer"]["batches_dropped"] > 0):
                    assert time.monotonic() < deadline, svc.status(devices=False)
                    time.sleep(0.05)
                status = svc.status()
                held_until = clock.time()
            assert svc.running
            assert realtime()["errors"] == 0
            writer = status["writer"]
            assert writer["unavailable_s"] > 0
            assert writer["batches_dropped"] > 0
            assert status["devices"][0]["rows_dropped"] == writer["rows_dropped"] > 0
            # The database is back: the queue drains, points taken late in the hold land.
            deadline = time.monotonic() + 20
            while MetricPoint.objects.filter(
                series__device=dev, ts__gte=int(held_at + (held_until - held_at) / 2),
                ts__lte=int(held_until)
            ).count() == 0:
                assert time.monotonic() < deadline, svc.status(devices=False)
                time.sleep(0.05)
            assert svc.status(devices=False)["lock_held"]
        finally:
            assert svc.stop(15)
    assert svc.status(devices=False)["writer"]["rows_failed"] == 0
