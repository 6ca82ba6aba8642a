"""The inventory table API pages, sorts and filters in the database
(``/api/v1/devices/<id>/inventory/<table>?q=&sort=&per_page=&page=``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.domain.inventory import InventorySnapshot

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


def _write(device, table, rows, key_fields, ts=T0):
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage(maintenance_interval=None).write_inventory(device.pk, InventorySnapshot(
        table=table, rows=rows, key_fields=key_fields, ts=ts))


@pytest.fixture
def leases(device):
    """25 leases: addresses 10.0.0.1-25, host names host-1..25 (every fifth none),
    expiry 1000 - 30 i seconds (a number), a MAC address."""
    rows = [{".id": f"*{i:X}", "address": f"10.0.0.{i}", "mac-address": f"4C:5E:0C:00:00:{i:02X}",
             "host-name": f"host-{i}" if i % 5 else None, "status": "bound",
             "expires-after": 1000 - 30 * i} for i in range(1, 26)]
    _write(device, "dhcp_leases", rows, ("mac-address",))
    return rows


def _addresses(doc):
    return [r["address"] for r in doc["rows"]]


def test_default_order_is_the_declared_column_as_addresses(api, device, leases):
    url = f"/api/v1/devices/{device.pk}/inventory/dhcp_leases"
    doc = api.get(url).json()
    assert doc["sort"] == "address"
    # 10.0.0.2 before 10.0.0.10: addresses, not text.
    assert _addresses(doc) == [f"10.0.0.{i}" for i in range(1, 26)]
    assert (doc["count"], doc["total"]) == (25, 25)
    down = api.get(f"{url}?sort=-address&per_page=10&page=1").json()
    assert _addresses(down) == [f"10.0.0.{i}" for i in range(25, 15, -1)]


def test_numbers_sort_numerically_and_pages_follow_the_sort(api, device, leases):
    url = f"/api/v1/devices/{device.pk}/inventory/dhcp_leases"
    first = api.get(f"{url}?sort=expires-after&per_page=10&page=1").json()
    # 250 (i=25) ... 970 (i=1): 250 < 280 < ... < 970 numerically (as text 970 < 250 fails).
    assert [r["expires-after"] for r in first["rows"]] == [1000 - 30 * i
                                                          for i in range(25, 15, -1)]
    third = api.get(f"{url}?sort=expires-after&per_page=10&page=3").json()
    assert (third["page"], third["pages"], len(third["rows"])) == (3, 3, 5)
    assert third["rows"][-1]["expires-after"] == 970


def test_empty_values_stay_last_both_ways(api, device, leases):
    url = f"/api/v1/devices/{device.pk}/inventory/dhcp_leases"
    for sort in ("host-name", "-host-name"):
        names = [r["host-name"] for r in api.get(f"{url}?sort={sort}").json()["rows"]]
        assert names[-5:] == [None] * 5
        assert None not in names[:20]
    names = [r["host-name"] for r in api.get(f"{url}?sort=host-name").json()["rows"]]
    assert names[:3] == ["host-1", "host-2", "host-3"]  # natural: host-2 before host-11


def test_text_filter_counts_and_pages_matches(api, device, leases):
    url = f"/api/v1/devices/{device.pk}/inventory/dhcp_leases"
    doc = api.get(f"{url}?q=HOST-1&per_page=2").json()
    # host-1, host-11..14, host-16..19, host-21..24: those containing "host-1" are
    # host-1, host-11, host-12, host-13, host-14, host-16, host-17, host-18, host-19.
    assert (doc["count"], doc["total"], doc["pages"], doc["q"]) == (9, 25, 5, "HOST-1")
    assert _addresses(doc) == ["10.0.0.1", "10.0.0.11"]
    none = api.get(f"{url}?q=nothing-like-this").json()
    assert none["rows"] == []
    assert none["count"] == 0
    assert "nothing-like-this" in none["empty_text"]
    # A MAC typed in lower case finds the upper-case stored value.
    assert api.get(f"{url}?q=4c:5e:0c:00:00:0a").json()["count"] == 1


def test_router_order_without_a_declared_sort(api, device):
    rows = [{".id": f"*{i:X}", "chain": "forward", "action": "accept", "comment": f"r{i}"}
            for i in (16, 2, 10, 1)]
    _write(device, "firewall_filter", rows, (".id",))
    doc = api.get(f"/api/v1/devices/{device.pk}/inventory/firewall_filter").json()
    assert doc["sort"] == ""
    assert [r["comment"] for r in doc["rows"]] == ["r1", "r2", "r10", "r16"]


def test_columns_come_from_every_row_not_the_page(api, device):
    rows = [{"name": f"ether{i}", "type": "ether"} for i in range(1, 6)]
    rows[4]["comment"] = "uplink"
    _write(device, "interfaces", rows, ("name",))
    doc = api.get(f"/api/v1/devices/{device.pk}/inventory/interfaces?per_page=1").json()
    assert "comment" in doc["columns"]
    assert [r["name"] for r in doc["rows"]] == ["ether1"]


def test_changed_rows_get_new_keys(api, device, leases):
    changed = [dict(r, address="10.0.0.200") if r["address"] == "10.0.0.1" else r
               for r in leases]
    _write(device, "dhcp_leases", changed, ("mac-address",), T0 + timedelta(minutes=1))
    doc = api.get(f"/api/v1/devices/{device.pk}/inventory/dhcp_leases?sort=-address").json()
    assert _addresses(doc)[0] == "10.0.0.200"
    assert api.get(f"/api/v1/devices/{device.pk}/inventory/dhcp_leases?q=10.0.0.200"
                   ).json()["count"] == 1


def test_logs_page_sort_and_filter(api, device):
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    rows = [{"time": f"2026-03-01T12:00:{i:02d}+00:00", "topics": "system,info",
             "message": f"line {i}" + (" login failure" if i % 3 == 0 else "")}
            for i in range(10)]
    storage.write_inventory(device.pk, InventorySnapshot(
        table="logs", rows=rows, key_fields=("time", "message"), ts=T0, append_only=True))
    url = f"/api/v1/devices/{device.pk}/inventory/logs"
    doc = api.get(f"{url}?per_page=3").json()
    assert doc["sort"] == "-time"
    assert doc["count"] == 10
    assert [r["message"] for r in doc["rows"]] == ["line 9 login failure", "line 8", "line 7"]
    hits = api.get(f"{url}?q=LOGIN&sort=time").json()
    assert [r["message"][:6] for r in hits["rows"]] == ["line 0", "line 3", "line 6", "line 9"]
    assert (hits["count"], hits["total"]) == (4, 10)


def test_bad_sort_and_filter_are_named(api, device, leases):
    url = f"/api/v1/devices/{device.pk}/inventory/dhcp_leases"
    bad = api.get(f"{url}?sort=nosuch")
    assert bad.status_code == 400
    assert "sort='nosuch' is not a column of this table" in bad.json()["error"]
    assert "address" in bad.json()["error"]
    zero = api.get(f"{url}?per_page=0&page=x").json()["error"]
    assert "per_page must be between 1 and 5000 (got 0)" in zero
    assert "page='x'" in zero
    long = api.get(f"{url}?q={'x' * 201}")
    assert long.status_code == 400
    assert "q is longer than 200" in long.json()["error"]
    logs = api.get(f"/api/v1/devices/{device.pk}/inventory/logs?sort=nosuch")
    assert logs.status_code == 400
    assert "logs sort by time, topics, message" in logs.json()["error"]
