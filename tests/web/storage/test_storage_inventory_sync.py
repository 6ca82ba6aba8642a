"""When each inventory table was last read: an empty table read is a read, not "nothing"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mikromon.domain.inventory import InventorySnapshot
from mikromon.web.monitor.models import Device, InventoryItem, InventorySync
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def storage() -> DjangoStorage:
    """A storage without background maintenance."""
    return DjangoStorage(maintenance_interval=None)


def _snap(ts: datetime, rows: list[dict], table: str = "queues") -> InventorySnapshot:
    return InventorySnapshot(table=table, rows=rows, key_fields=("name",), ts=ts)


def _logs(ts: datetime, rows: list[dict]) -> InventorySnapshot:
    return InventorySnapshot(
        table="logs", rows=rows, key_fields=("time", "topics", "message"), ts=ts,
        append_only=True,
    )


def test_every_sync_records_the_read_time_once_per_table(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """An empty snapshot stores no row but records when the table was read; a later
    read moves the time (one record per device and table)."""
    storage.write_inventory(device.pk, _snap(t0, []))
    assert not InventoryItem.objects.exists()
    assert InventorySync.objects.get(device=device, table="queues").synced_at == t0
    t1 = t0 + timedelta(minutes=5)
    storage.write_inventory(device.pk, _snap(t1, [{"name": "q1"}]))
    storage.write_inventory(device.pk, _snap(t1, [], table="arp"))
    assert sorted(
        InventorySync.objects.filter(device=device).values_list("table", "synced_at")
    ) == [("arp", t1), ("queues", t1)]


def test_logs_record_the_read_time_too(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """A log read with no new line still says when the log was read."""
    storage.write_inventory(device.pk, _logs(t0, [{"time": "1", "topics": "x", "message": "a"}]))
    t1 = t0 + timedelta(minutes=1)
    storage.write_inventory(device.pk, _logs(t1, []))
    assert InventorySync.objects.get(device=device, table="logs").synced_at == t1


def test_read_table_reports_an_empty_read_with_its_time(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """The inventory API's table says when an empty table was read and that the router
    reported none; a table never read says nothing was collected."""
    from mikromon.web.monitor.inventory import read_table

    never = read_table(device, "queues")
    assert never.updated is None
    assert never.empty_text.startswith("Nothing collected yet")

    storage.write_inventory(device.pk, _snap(t0, [{"name": "q1"}]))
    t1 = t0 + timedelta(minutes=5)
    storage.write_inventory(device.pk, _snap(t1, []))
    data = read_table(device, "queues")
    assert data.rows == []
    assert data.updated == t1
    assert "Nothing collected" not in data.empty_text
    assert "none" in data.empty_text.lower()

    t2 = t1 + timedelta(minutes=5)
    storage.write_inventory(device.pk, _snap(t2, [{"name": "q2"}]))
    assert read_table(device, "queues").updated == t2

    storage.write_inventory(device.pk, _logs(t0, [{"time": "1", "topics": "x", "message": "a"}]))
    storage.write_inventory(device.pk, _logs(t2, []))
    assert read_table(device, "logs").updated == t2


@pytest.mark.django_db(transaction=True)
def test_sync_for_deleted_device_is_dropped(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    """A read for a device deleted meanwhile records nothing and does not raise."""
    device_id = device.pk
    device.delete()
    storage.write_inventory(device_id, _snap(t0, []))
    assert not InventorySync.objects.exists()
