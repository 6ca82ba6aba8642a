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

HOLD_S = 8.0


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
    from mikromon.schedule import CollectorService
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device, MetricPoint
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="r1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    with busy_timeout(1.0):
        svc = CollectorService(DjangoDeviceSource(), DjangoStorage(), DjangoCollectorLock(ttl=3.0),
                               time_scale=0.1, lock_retry_s=0.1, writer_max_batches=10)
        svc.start()
        try:
            def realtime() -> dict[str, Any]:
                devices = svc.status()["devices"]
                return devices[0]["tiers"].get("realtime", {}) if devices else {}

            deadline = time.monotonic() + 20
            while realtime().get("runs", 0) < 3:
                assert time.monotonic() < deadline, svc.status()
                time.sleep(0.05)
            runs_before = realtime()["runs"]
            with write_lock_held(HOLD_S):
                held_at = time.time()
                lock_held = []
                runs = []
                end = time.monotonic() + HOLD_S - 0.5
                while time.monotonic() < end:
                    lock_held.append(svc.status(devices=False)["lock_held"])
                    runs.append(realtime()["runs"])
                    time.sleep(0.25)
                status = svc.status()
            assert all(lock_held)
            assert svc.running
            # Realtime every 0.5 s: about 15 runs in the hold, none skipped.
            assert runs[-1] - runs_before >= int((HOLD_S - 1) / 0.5) - 2, runs
            assert realtime()["errors"] == 0
            writer = status["writer"]
            assert writer["unavailable_s"] > 0
            assert writer["batches_dropped"] > 0
            assert status["devices"][0]["rows_dropped"] == writer["rows_dropped"] > 0
            # The database is back: the queue drains, points taken during the hold land.
            deadline = time.monotonic() + 20
            while MetricPoint.objects.filter(
                series__device=dev, ts__gte=int(held_at + HOLD_S / 2),
                ts__lt=int(held_at + HOLD_S)
            ).count() == 0:
                assert time.monotonic() < deadline, svc.status(devices=False)
                time.sleep(0.1)
            assert svc.status(devices=False)["lock_held"]
        finally:
            assert svc.stop(15)
    assert svc.status(devices=False)["writer"]["rows_failed"] == 0
