"""Inventory rows are stored with their sort keys and search text: by the writer (new
and changed rows) and, for rows stored before the columns existed, by migration 0010."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps

from mikromon.domain.inventory import InventorySnapshot
from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.sort_keys import row_search_text, row_sort_keys
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _write(device: Device, rows: list[dict], ts: datetime) -> None:
    DjangoStorage(maintenance_interval=None).write_inventory(device.pk, InventorySnapshot(
        table="arp", rows=rows, key_fields=("mac-address",), ts=ts))


def test_the_writer_keeps_keys_with_the_data(device: Device) -> None:
    row = {"address": "10.0.0.9", "mac-address": "02:00:00:00:00:01", "interface": "Bridge"}
    _write(device, [row], T0)
    item = InventoryItem.objects.get(device=device, table="arp")
    assert item.sort_keys == row_sort_keys(row)
    assert item.search_text == "10.0.0.9\t02:00:00:00:00:01\tbridge"
    changed = dict(row, address="10.0.0.10")
    _write(device, [changed], T0 + timedelta(minutes=1))
    item.refresh_from_db()
    assert item.sort_keys["address"] == row_sort_keys(changed)["address"]
    assert "10.0.0.10" in item.search_text


def test_migration_fills_keys_of_older_rows(device: Device, monkeypatch) -> None:
    migration = importlib.import_module("mikromon.web.monitor.migrations.0010_inventory_sort_keys")
    rows = [{"address": f"10.0.0.{i}", "mac-address": f"02:00:00:00:00:{i:02X}"}
            for i in range(1, 6)] + [{"address": None, "mac-address": ""}]
    for i, data in enumerate(rows):
        InventoryItem.objects.create(device=device, table="arp", key=str(i), data=data,
                                     first_seen=T0, last_seen=T0, changed_at=T0)
    InventoryItem.objects.update(sort_keys={}, search_text="")
    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches
    migration.backfill_keys(apps, editor)
    stored = {i.key: (i.sort_keys, i.search_text) for i in InventoryItem.objects.all()}
    for i, data in enumerate(rows):
        assert stored[str(i)] == (row_sort_keys(data), row_search_text(data))
    assert stored["5"] == ({}, "")  # a blank row stays unlisted
