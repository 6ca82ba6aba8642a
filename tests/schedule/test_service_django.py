"""CollectorService over the Django storage: devices from the database, data into
it, the database collector lock. Runs on SQLite, and a second time on PostgreSQL
(``db_backend`` marker: scripts/test sets MIKROMON_DATABASE_URL for that pass)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.schedule import CollectorService
from waiting import until

from . import polling

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

SCALE = 0.01

@pytest.fixture
def routers() -> Iterator[list[EmulatorHandle]]:
    with running_emulators(count=2, profile="v7") as handles:
        yield handles


@pytest.fixture
def services() -> Iterator[list[CollectorService]]:
    """Services to stop at teardown (request after ``routers``)."""
    started: list[CollectorService] = []
    yield started
    for svc in started:
        assert svc.stop(10)


def make_device(router: EmulatorHandle, name: str, **fields: object):
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host=router.host, port=router.port, username=router.username,
                 **fields)
    dev.set_password(router.password)
    dev.save()
    return dev


def start_service(services: list[CollectorService], **kw: object) -> CollectorService:
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    lock = kw.pop("lock", None) or DjangoCollectorLock(ttl=3.0)
    storage = kw.pop("storage", None) or DjangoStorage()
    svc = CollectorService(DjangoDeviceSource(), storage, lock, time_scale=SCALE,
                           lock_retry_s=0.1, **kw)  # type: ignore[arg-type]
    services.append(svc)
    svc.start()
    return svc


device_status = polling.dev_status


def tier(svc: CollectorService, device_id: int, name: str) -> dict:
    return device_status(svc, device_id).get("tiers", {}).get(name, {})


def test_polls_database_devices_into_the_database(
    routers: list[EmulatorHandle], services: list[CollectorService]
) -> None:
    from mikromon.web.monitor.models import (
        Device,
        Event,
        InventoryItem,
        LogEntry,
        MetricLatest,
        MetricPoint,
    )

    dev = make_device(routers[0], "edge-1")
    make_device(routers[1], "edge-2", enabled=False)
    before = set(threading.enumerate())
    svc = start_service(services)

    def landed() -> bool:
        keys = set(MetricLatest.objects.filter(series__device=dev)
                   .values_list("series__key", flat=True))
        return ({"system.cpu.load_pct", "iface.rx_bps", "dhcp.active_leases"} <= keys
                and InventoryItem.objects.filter(device=dev).exists()
                and LogEntry.objects.filter(device=dev).exists()
                # The identity comes with the extended tier's status write, which
                # may follow its inventory by one writer cycle.
                and Device.objects.filter(pk=dev.pk, identity=routers[0].identity).exists())

    assert until(landed, 15)
    assert MetricPoint.objects.filter(series__device=dev).exists()
    dev.refresh_from_db()
    assert dev.state == "up"
    assert dev.identity == routers[0].identity
    assert dev.ros_version.startswith(routers[0].version)
    assert dev.last_seen is not None
    assert Device.objects.get(name="edge-2").state == "disabled"
    assert Event.objects.filter(device=dev, kind="path_absent").exists()
    status = svc.status()
    assert status["lock_held"]
    assert [(d["name"], d["state"]) for d in status["devices"]] == [
        ("edge-1", "up"), ("edge-2", "disabled")]
    assert status["writer"]["rows_written"] > 0
    assert status["writer"]["write_errors"] == 0
    assert svc.stop(10)
    assert set(threading.enumerate()) - before == set()
    assert until(lambda: routers[0].session_count == 0, 3)


def test_process_storage_lands_samples_and_stops_cleanly(
    routers: list[EmulatorHandle], services: list[CollectorService]
) -> None:
    """With the storage in a child process (what serve and demo use), the service's
    samples, inventory and status land in the database, the status shows the
    child, and stopping flushes and ends the child."""
    import multiprocessing

    from mikromon.web.monitor.models import Device, InventoryItem, MetricPoint
    from mikromon.web.monitor.process_storage import ProcessStorage

    dev = make_device(routers[0], "edge-1")
    before = set(threading.enumerate())
    svc = start_service(services, storage=ProcessStorage())

    def landed() -> bool:
        return (MetricPoint.objects.filter(series__device=dev,
                                           series__key="system.cpu.load_pct").count() >= 3
                and InventoryItem.objects.filter(device=dev).exists()
                and Device.objects.filter(pk=dev.pk, state="up").exists())

    assert until(landed, 20)
    writer = svc.status(devices=False)["writer"]
    pid = writer["storage"]["pid"]
    assert pid in [p.pid for p in multiprocessing.active_children()]
    assert writer["storage"]["restarts"] == 0
    assert writer["write_errors"] == 0
    assert svc.stop(10)
    assert pid not in [p.pid for p in multiprocessing.active_children()]
    assert svc.status(devices=False)["writer"]["storage"]["pid"] is None
    assert set(threading.enumerate()) - before == set()


def test_orm_edits_apply_within_one_second(
    routers: list[EmulatorHandle], services: list[CollectorService]
) -> None:
    """An interval edited through the ORM (another process, say) is picked up by the
    version token within 1 s; a device created is polled; a deleted one stops."""
    dev = make_device(routers[0], "edge-1", realtime_interval=600)
    svc = start_service(services)
    assert until(lambda: tier(svc, dev.pk, "realtime").get("runs", 0) >= 1, 10)
    dev.realtime_interval = 5
    changed_at = time.monotonic()
    dev.save()
    assert until(lambda: tier(svc, dev.pk, "realtime").get("interval_s") == 5, 3)
    elapsed = time.monotonic() - changed_at
    assert elapsed < 1.0, f"the interval change took {elapsed:.2f} s"
    assert until(lambda: tier(svc, dev.pk, "realtime").get("runs", 0) >= 3, 3)

    other = make_device(routers[1], "edge-2")
    assert until(lambda: device_status(svc, other.pk).get("state") == "up", 5)
    dev.delete()
    assert until(lambda: [d["id"] for d in svc.status()["devices"]] == [other.pk], 3)
    assert until(lambda: routers[0].session_count == 0, 3)


def test_second_collector_waits_for_the_database_lock(
    routers: list[EmulatorHandle], services: list[CollectorService]
) -> None:
    from mikromon.web.monitor.lock import DjangoCollectorLock

    dev = make_device(routers[0], "edge-1")
    first = start_service(services, lock=DjangoCollectorLock(ttl=3.0))
    assert until(lambda: device_status(first, dev.pk).get("state") == "up", 10)
    class Counted(DjangoCollectorLock):
        attempts = 0

        def acquire(self) -> bool:
            Counted.attempts += 1
            return super().acquire()

    second = start_service(services, lock=Counted(ttl=3.0))
    assert until(lambda: Counted.attempts >= 3, 10)  # several lock attempts, all refused
    assert not second.status()["lock_held"]
    assert second.status()["devices"] == []
    assert routers[0].session_count == 1
    assert first.stop(10)  # releases the lock
    assert until(lambda: device_status(second, dev.pk).get("state") == "up", 5)
    assert second.status()["lock_held"]
