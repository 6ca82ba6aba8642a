"""Inventory tables on the pages: column units (bytes, bit rates) shown and handed
to the scripts, the internal id column hidden, rows without values left out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from mikromon.domain.inventory import InventorySnapshot


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _snapshot(device, table: str, rows: list[dict], key: tuple[str, ...] = ("name",)) -> None:
    _storage().write_inventory(device.pk, InventorySnapshot(
        table=table, key_fields=key, ts=datetime.now(UTC), rows=rows))


def test_column_units_name_bytes_and_bit_rates():
    """Byte counters and bit rates are named by column (sub-fields after a dot too)."""
    from mikromon.web.monitor import tables

    for name in ("bytes", "bytes.upload", "bytes-in", "limit-bytes-total", "remote.bytes",
                 "bytes.tx"):
        assert tables.column_unit(name) == "bytes", name
    for name in ("max-limit.upload", "limit-at.download", "tx-rate", "rx-rate",
                 "tx-bits-per-second"):
        assert tables.column_unit(name) == "bits/s", name
    assert tables.column_unit("uptime") == "seconds"
    for name in ("packets", "name", "mtu", "signal"):
        assert tables.column_unit(name) == "", name


@pytest.mark.django_db
def test_inventory_hides_the_internal_id_column(admin_web, device):
    """RouterOS's internal ``.id`` is not a column to show (the rows keep it)."""
    _snapshot(device, "dhcp_leases", [
        {".id": f"*{i:X}", "address": f"10.0.0.{i}", "mac-address": f"02:00:00:00:00:{i:02X}"}
        for i in range(1, 20)], key=(".id",))
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/dhcp_leases").json()
    assert ".id" not in doc["columns"]
    assert doc["columns"][:2] == ["address", "mac-address"]
    assert doc["rows"][0][".id"]


@pytest.mark.django_db
def test_a_row_without_values_shows_the_empty_state(admin_web, device):
    """A CHR's routerboard row (``routerboard: false``, every other field empty) is no
    row: the table is empty and the tab is not offered with a count of 1."""
    from mikromon.web.monitor import inventory

    _snapshot(device, "routerboard", [{
        "routerboard": False, "board-name": None, "model": None, "serial-number": "",
        "current-firmware": None}], key=())
    data = inventory.read_table(device, "routerboard")
    assert data.rows == []
    # Read, and empty: the router reported none (with the read time), not "nothing yet".
    assert data.empty_text.startswith("None reported")
    assert data.updated is not None
    assert inventory.row_counts(device).get("routerboard", 0) == 0
    tabs = admin_web.get(f"/devices/{device.pk}/").context["tabs"]
    assert "routerboard" not in [t.slug for t in tabs]
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/routerboard").json()
    assert doc["count"] == 0


@pytest.mark.django_db
def test_a_row_with_values_is_kept(device):
    """Only rows without any value are dropped: a routerboard with a model stays."""
    from mikromon.web.monitor import inventory

    _snapshot(device, "routerboard", [{"routerboard": True, "model": "RB750Gr3",
                                       "board-name": None}], key=())
    assert len(inventory.read_table(device, "routerboard").rows) == 1
    assert inventory.row_counts(device)["routerboard"] == 1


@pytest.mark.django_db
def test_pages_carry_the_column_units(admin_web, device):
    """Every page carries the column units (for tables.js) as a JSON script."""
    body = admin_web.get(f"/devices/{device.pk}/").content.decode()
    match = re.search(r'<script id="mm-column-units" type="application/json">(.*?)</script>',
                      body, re.S)
    assert match, "no column units on the page"
    units = json.loads(match.group(1))
    assert "max-limit" in units["bits/s"]
    assert "bytes" in units["bytes"]
    assert "uptime" in units["seconds"]
