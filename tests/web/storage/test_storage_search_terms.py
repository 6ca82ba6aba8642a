"""The inventory writer keeps the rows' search terms in step with the rows:
written with new rows, rewritten when a searched field changes (only then), kept
for gone rows, deleted with the rows (device deletion, pruning)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mikromon.domain.inventory import InventorySnapshot
from mikromon.web.monitor import maintenance
from mikromon.web.monitor.models import Device, InventoryItem, InventoryTerm
from mikromon.web.monitor.search import parse_query, search
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def storage() -> DjangoStorage:
    """A storage without background maintenance."""
    return DjangoStorage(maintenance_interval=None)


def _lease(n: int, host: str = "", expires: float = 600.0) -> dict:
    return {".id": f"*{n}", "address": f"10.1.0.{n}", "mac-address": f"4C:5E:0C:00:00:{n:02X}",
            "host-name": host or f"host-{n}", "expires-after": expires, "status": "bound"}


def _leases(ts: datetime, rows: list[dict]) -> InventorySnapshot:
    return InventorySnapshot(table="dhcp_leases", rows=rows, key_fields=(".id",), ts=ts)


def _terms(device: Device) -> set[tuple[str, str, str, str]]:
    return set(InventoryTerm.objects.filter(item__device=device)
               .values_list("item__key", "kind", "term", "field"))


def test_new_rows_get_their_terms(storage: DjangoStorage, device: Device, t0: datetime) -> None:
    storage.write_inventory(device.pk, _leases(t0, [_lease(1), _lease(2)]))
    terms = _terms(device)
    assert ("*1", "ip", "4:0a010001", "address") in terms
    assert ("*2", "mac", "4C:5E:0C:00:00:02", "mac-address") in terms
    assert ("*2", "mac", "00:00:02", "mac-address") in terms
    assert ("*1", "dhcp_host", "host-1", "host-name") in terms
    assert len(terms) == 2 * (1 + 5 + 2)
    assert search(parse_query("host-2")).count == 1


def test_a_poll_changing_no_searched_field_keeps_the_terms(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, _leases(t0, [_lease(1)]))
    before = sorted(InventoryTerm.objects.values_list("id", flat=True))
    storage.write_inventory(device.pk, _leases(t0 + timedelta(minutes=1), [_lease(1, expires=5)]))
    assert InventoryItem.objects.get().data["expires-after"] == 5
    assert sorted(InventoryTerm.objects.values_list("id", flat=True)) == before


def test_a_changed_searched_field_replaces_the_rows_terms(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, _leases(t0, [_lease(1), _lease(2)]))
    kept = set(InventoryTerm.objects.filter(item__key="*2").values_list("id", flat=True))
    storage.write_inventory(device.pk, _leases(t0 + timedelta(minutes=1),
                                               [_lease(1, host="Printer-Hall"), _lease(2)]))
    terms = _terms(device)
    assert ("*1", "dhcp_host", "host-1", "host-name") not in terms
    assert {("*1", "dhcp_host", "printer-hall", "host-name"),
            ("*1", "dhcp_host", "hall", "host-name")} <= terms
    assert set(InventoryTerm.objects.filter(item__key="*2").values_list("id", flat=True)) == kept
    assert search(parse_query("host-1")).count == 0
    assert search(parse_query("hall")).count == 1


def test_gone_rows_keep_their_terms_and_are_found_as_gone(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, _leases(t0, [_lease(1), _lease(2)]))
    storage.write_inventory(device.pk, _leases(t0 + timedelta(minutes=1), [_lease(2)]))
    assert len(_terms(device)) == 16
    [hit] = search(parse_query("4c5e0c000001")).groups["mac"]
    assert hit.gone
    assert hit.gone_at == t0 + timedelta(minutes=1)
    storage.write_inventory(device.pk, _leases(t0 + timedelta(minutes=2), [_lease(1), _lease(2)]))
    assert len(_terms(device)) == 16
    assert not search(parse_query("4c5e0c000001")).groups["mac"][0].gone


def test_tables_not_searched_store_no_terms(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, InventorySnapshot(
        table="routes", rows=[{"dst-address": "10.9.0.0/16", "gateway": "10.1.0.1"}],
        key_fields=("dst-address",), ts=t0))
    assert InventoryItem.objects.count() == 1
    assert not InventoryTerm.objects.exists()


def test_deleting_a_device_deletes_its_terms(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    other = Device.objects.create(name="edge-2", host="127.0.0.2", username="m")
    storage.write_inventory(device.pk, _leases(t0, [_lease(1)]))
    storage.write_inventory(other.pk, _leases(t0, [_lease(2)]))
    device.delete()
    assert set(InventoryTerm.objects.values_list("item__device_id", flat=True)) == {other.pk}
    assert search(parse_query("10.1.0.1")).count == 0
    assert search(parse_query("10.1.0.2")).count == 1


def test_pruning_gone_rows_deletes_their_terms(
    storage: DjangoStorage, device: Device, t0: datetime, settings
) -> None:
    """Retention deletes rows gone for longer than ``inventory_gone`` days and
    their terms; the count it reports is of rows, not of rows and terms."""
    settings.MIKROMON_RETENTION_DAYS = {
        "raw": 1, "5m": 1, "1h": 1, "1d": 1, "inventory_gone": 1, "logs": 1, "events": 1,
    }
    storage.write_inventory(device.pk, _leases(t0 - timedelta(days=3), [_lease(1), _lease(2)]))
    storage.write_inventory(device.pk, _leases(t0 - timedelta(days=2), [_lease(2)]))
    counts = maintenance.apply_retention(t0.timestamp())
    assert counts["inventory_gone"] == 1
    assert {key for key, *_ in _terms(device)} == {"*2"}
    assert search(parse_query("10.1.0.1")).count == 0


def test_the_migration_writes_the_terms_of_rows_stored_before(
    storage: DjangoStorage, device: Device, t0: datetime, monkeypatch
) -> None:
    """Migration 0009 backfills, a few rows a batch here, the same terms the
    writer would have written; rows of tables not searched are not read."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    from mikromon.web.monitor import search_terms

    migration = importlib.import_module("mikromon.web.monitor.migrations.0009_search_terms")
    storage.write_inventory(device.pk, _leases(t0, [_lease(n) for n in range(1, 8)]))
    storage.write_inventory(device.pk, InventorySnapshot(
        table="interfaces", rows=[{"name": "ether1", "comment": "Uplink to Hall B",
                                   "mac-address": "DC:2C:6E:00:00:01"}],
        key_fields=("name",), ts=t0))
    storage.write_inventory(device.pk, InventorySnapshot(
        table="routes", rows=[{"dst-address": "0.0.0.0/0"}], key_fields=("dst-address",), ts=t0))
    written = _terms(device)
    InventoryTerm.objects.all().delete()
    monkeypatch.setattr(search_terms, "REBUILD_BATCH", 3)
    migration.backfill_terms(apps, SimpleNamespace(connection=SimpleNamespace(alias="default")))
    assert _terms(device) == written
    assert len(written) == 7 * 8 + 5 + 2 + 4  # leases; the interface: MAC, name, comment
    assert search(parse_query("hall b")).count == 1
