"""Inventory tables in the browser: byte and bit-rate columns in readable units with the
exact value in the title, no internal id column, "1 row", and sorting by value
(numbers, durations, IPv4/IPv6 addresses) in every table; a blank routerboard row is
no row. Also the device list's search hint fits its box."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from browserkit import ARTIFACTS, sign_in
from playwright.sync_api import expect

from mikromon.web.monitor.choices import state_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _device():
    """A device with queues, DHCP leases, ARP (IPv4), neighbors (IPv6), a hotspot user
    and a CHR's blank routerboard row."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="edge-9", host="127.0.0.1", port=8728, username="monitor")
    dev.set_password("pw-edge-9")
    dev.save()
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                      last_seen=now, board="CHR", version="7.16.2 (stable)"))

    def put(table: str, key: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        storage.write_inventory(dev.pk, InventorySnapshot(table=table, key_fields=key, ts=now,
                                                          rows=rows))

    put("simple_queues", ("name",), [
        {"name": "cust-0042", "target": "10.99.0.2/32", "max-limit.upload": 10000000.0,
         "max-limit.download": 20000000.0, "bytes.upload": 48911203112,
         "bytes.download": 900, "packets.upload": 902771},
        {"name": "cust-0007", "target": "10.99.0.10/32", "max-limit.upload": 2000000.0,
         "max-limit.download": 1500000000.0, "bytes.upload": 1073741824,
         "bytes.download": 5000, "packets.upload": 12},
    ])
    put("dhcp_leases", (".id",), [
        {".id": f"*{i:X}", "address": f"10.100.0.{i}", "mac-address": f"02:D1:00:00:00:{i:02X}",
         "expires-after": float(600 - i * 7)}
        for i in (1, 2, 16, 17, 3, 19, 18)
    ])
    put("arp", ("address",), [
        {"address": a, "mac-address": "02:A4:00:00:00:01", "interface": "bridge"}
        for a in ("10.88.0.100", "10.88.0.9", "10.88.0.10", "9.1.1.1", "192.168.1.2")
    ])
    put("neighbors", ("mac-address",), [
        {"interface": "ether1", "identity": f"n{i}", "address": a,
         "mac-address": f"02:5E:00:00:00:{i:02X}"}
        for i, a in enumerate(("fe80::10", "2001:db8::1", "fe80::9", "", "10.0.0.1"))
    ])
    put("hotspot_active", ("user",), [
        {"user": "voucher-1", "address": "10.5.0.1", "uptime": 6758.5,
         "bytes-in": 48211933, "bytes-out": 913376504, "limit-bytes-total": 1073741824},
    ])
    put("routerboard", (), [{"routerboard": False, "model": None, "serial-number": None}])
    return dev


def _column(page: Any, panel: str, name: str) -> list[str]:
    """The texts of column ``name`` of the table in tab panel ``panel``, in row order."""
    return page.evaluate("""([panel, name]) => {
      const table = document.querySelector(`#${panel} table`);
      const heads = Array.from(table.tHead.rows[0].cells).map((th) => th.firstChild.textContent);
      const i = heads.indexOf(name);
      return Array.from(table.tBodies[0].rows).filter((r) => !r.hidden)
        .map((r) => r.cells[i].textContent);
    }""", [panel, name])


def _heads(page: Any, panel: str) -> list[str]:
    return page.evaluate(
        """(panel) => Array.from(document.querySelectorAll(`#${panel} thead th`))
             .map((th) => th.firstChild.textContent)""", panel)


def _sort(page: Any, panel: str, name: str) -> None:
    """Click the header ``name``; wait for the server's rows (a new table)."""
    page.evaluate("(panel) => { document.querySelector(`#${panel} table`).dataset.old = '1'; }",
                  panel)
    page.locator(f"#{panel} thead th", has_text=name).first.click()
    page.wait_for_selector(f"#{panel} table:not([data-old])")


def test_inventory_units_ids_counts_and_sorting(page, live_url, users):
    dev = _device()
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")

    # Queues: bit rates and bytes in units, the exact number in the title, sort by number.
    page.click('button[data-tab="inv-queues"]')
    expect(page.locator("#inv-queues table")).to_be_visible()
    assert _column(page, "inv-queues", "max-limit.upload") == ["2 Mbit/s", "10 Mbit/s"]
    assert _column(page, "inv-queues", "max-limit.download") == ["1.5 Gbit/s", "20 Mbit/s"]
    assert _column(page, "inv-queues", "bytes.upload") == ["1 GiB", "45.6 GiB"]
    cell = page.locator("#inv-queues tbody tr", has_text="cust-0042").locator("td").nth(
        _heads(page, "inv-queues").index("bytes.upload"))
    expect(cell).to_have_attribute("title", "48911203112 bytes")
    _sort(page, "inv-queues", "max-limit.download")
    assert _column(page, "inv-queues", "name") == ["cust-0042", "cust-0007"]
    _sort(page, "inv-queues", "bytes.upload")
    assert _column(page, "inv-queues", "bytes.upload") == ["1 GiB", "45.6 GiB"]
    _sort(page, "inv-queues", "bytes.upload")
    assert _column(page, "inv-queues", "bytes.upload") == ["45.6 GiB", "1 GiB"]
    assert _column(page, "inv-queues", "packets.upload") == ["902771", "12"]

    # DHCP leases: no .id column; addresses sort as addresses, durations by seconds.
    page.click('button[data-tab="inv-dhcp"]')
    expect(page.locator("#inv-dhcp table")).to_be_visible()
    assert ".id" not in _heads(page, "inv-dhcp")
    assert [a.rsplit(".", 1)[1] for a in _column(page, "inv-dhcp", "address")] == \
        ["1", "2", "3", "16", "17", "18", "19"]
    _sort(page, "inv-dhcp", "expires-after")
    assert [a.rsplit(".", 1)[1] for a in _column(page, "inv-dhcp", "address")] == \
        ["1", "2", "3", "16", "17", "18", "19"][::-1]
    expect(page.locator("#inv-dhcp .count")).to_have_text("7 rows")

    # ARP: IPv4 by address, both directions.
    page.click('button[data-tab="inv-arp"]')
    expect(page.locator("#inv-arp table")).to_be_visible()
    order = ["9.1.1.1", "10.88.0.9", "10.88.0.10", "10.88.0.100", "192.168.1.2"]
    assert _column(page, "inv-arp", "address") == order  # as loaded
    _sort(page, "inv-arp", "address")
    assert _column(page, "inv-arp", "address") == order[::-1]
    _sort(page, "inv-arp", "address")
    assert _column(page, "inv-arp", "address") == order
    page.fill("#inv-arp input[type=search]", "192.168")
    expect(page.locator("#inv-arp .count")).to_have_text("1 of 5 rows")

    # Neighbors: IPv4 before IPv6, IPv6 by address, the empty cell last either way.
    page.click('button[data-tab="inv-neighbors"]')
    expect(page.locator("#inv-neighbors table")).to_be_visible()
    _sort(page, "inv-neighbors", "address")
    assert _column(page, "inv-neighbors", "address") == \
        ["10.0.0.1", "2001:db8::1", "fe80::9", "fe80::10", ""]
    _sort(page, "inv-neighbors", "address")
    assert _column(page, "inv-neighbors", "address") == \
        ["fe80::10", "fe80::9", "2001:db8::1", "10.0.0.1", ""]

    # Hotspot: one row says "1 row"; byte limits in units.
    page.click('button[data-tab="inv-hotspot"]')
    expect(page.locator("#inv-hotspot .count")).to_have_text("1 row")
    assert _column(page, "inv-hotspot", "limit-bytes-total") == ["1 GiB"]
    assert _column(page, "inv-hotspot", "bytes-out") == ["871.1 MiB"]
    page.screenshot(path=str(ARTIFACTS / "tables-hotspot.png"))

    # The blank routerboard row is no row: no Routerboard tab with a count of 1.
    expect(page.locator('button[data-tab="inv-routerboard"]')).to_have_count(0)


def test_inventory_tables_load_in_natural_order(page, live_url, users):
    """Without a click, tables load sorted naturally: ARP and DHCP leases by address
    (not as text: .2 after .1, not after .19), interfaces and routes by name/dst."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev = _device()
    now = datetime.now(UTC).replace(microsecond=0)
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", key_fields=("name",), ts=now,
        rows=[{"name": n, "type": "ether", "running": True}
              for n in ("ether10", "bridge1", "ether2", "ether1", "wlan1")]))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="routes", key_fields=(".id",), ts=now,
        rows=[{".id": f"*{i:X}", "dst-address": d, "gateway": "10.0.0.1"}
              for i, d in enumerate(("10.10.0.0/16", "0.0.0.0/0", "10.2.0.0/24",
                                     "192.168.0.0/24"), start=1)]))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="ppp_active", key_fields=("name",), ts=now, rows=[]))
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    # A table read empty says the router reported none, with the read time.
    page.click('button[data-tab="inv-ppp"]')
    expect(page.locator("#inv-ppp .empty")).to_contain_text("None reported")
    expect(page.locator("#inv-ppp .filters")).to_contain_text(f"read {now:%Y-%m-%d %H:%M:%S} UTC")
    page.click('button[data-tab="inv-interfaces"]')
    expect(page.locator("#inv-interfaces table")).to_be_visible()
    assert _column(page, "inv-interfaces", "name") == \
        ["bridge1", "ether1", "ether2", "ether10", "wlan1"]
    page.click('button[data-tab="inv-dhcp"]')
    expect(page.locator("#inv-dhcp table")).to_be_visible()
    assert [a.rsplit(".", 1)[1] for a in _column(page, "inv-dhcp", "address")] == \
        ["1", "2", "3", "16", "17", "18", "19"]
    page.click('button[data-tab="inv-arp"]')
    expect(page.locator("#inv-arp table")).to_be_visible()
    assert _column(page, "inv-arp", "address") == \
        ["9.1.1.1", "10.88.0.9", "10.88.0.10", "10.88.0.100", "192.168.1.2"]
    page.click('button[data-tab="inv-routes"]')
    expect(page.locator("#inv-routes table")).to_be_visible()
    assert _column(page, "inv-routes", "dst-address") == \
        ["0.0.0.0/0", "10.2.0.0/24", "10.10.0.0/16", "192.168.0.0/24"]


def test_sort_keys_for_every_table(page, live_url, users):
    """tables.js sort keys (used by every sortable table): numbers, durations in both
    RouterOS and page forms, IPv4/IPv6 with prefixes; MACs and text stay text."""
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    key = "(t) => MM.tables.sortKey(t)"
    assert page.evaluate(key, "1500") == [0, 1500]
    assert page.evaluate(key, "1d 2h 3m") == [0, 93780]
    assert page.evaluate(key, "1w2d3h4m5s") == [0, 788645]
    assert page.evaluate(key, "250ms") == [0, 0.25]
    assert page.evaluate(key, "01:02:03") == [0, 3723]
    assert page.evaluate(key, "10.0.0.2/24")[0] == 1
    assert page.evaluate(key, "10.0.0.2/24") < page.evaluate(key, "10.0.0.10/8")
    assert page.evaluate(key, "2001:db8::/32")[0] == 1
    assert page.evaluate(key, "10.0.0.256")[0] == 2
    assert page.evaluate(key, "02:4D:00:01:00:05")[0] == 2
    assert page.evaluate(key, "ether1")[0] == 2
    assert page.evaluate(key, "")[0] == 3


def test_device_list_search_hint_fits(page, live_url, users):
    """The search box of the device list shows its whole hint."""
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    fits = page.evaluate("""() => {
      const input = document.querySelector('form.filters input[name=q]');
      const cs = getComputedStyle(input);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
      const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      return [ctx.measureText(input.placeholder).width, room];
    }""")
    assert fits[0] <= fits[1], fits


def test_router_times_show_their_zone_and_logs_come_in_router_time_order(page, live_url,
                                                                        users):
    """Times stored in UTC read "... UTC"; log lines newest router time first; a
    degraded device's health panel shows the router's words after a live refresh."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev = _device()
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.DEGRADED, ts=now,
                                      last_seen=now))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="health_states", key_fields=("name",), ts=now,
        rows=[{"name": "psu1-state", "state": "fail"}]))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", key_fields=("name",), ts=now,
        rows=[{"name": "ether1", "last-link-up-time": "2025-12-09T09:40:27+00:00"}]))
    for i, time in enumerate(("2025-12-09T10:00:00+00:00", "2025-12-09T11:00:00+00:00",
                              "2025-12-09T09:00:00+00:00")):
        storage.write_inventory(dev.pk, InventorySnapshot(
            table="logs", key_fields=("time", "message"), ts=now, append_only=True,
            rows=[{"time": time, "topics": "system,info", "message": f"line {i}"}]))
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    expect(page.locator("#device-state")).to_have_text(state_label("degraded"))
    expect(page.locator('#health-values dd[data-state="psu1-state"]')).to_have_text("fail")
    page.click('button[data-tab="inv-interfaces"]')
    expect(page.locator("#inv-interfaces table")).to_be_visible()
    assert _column(page, "inv-interfaces", "last-link-up-time") == ["2025-12-09 09:40:27 UTC"]
    page.click('button[data-tab="inv-logs"]')
    expect(page.locator("#inv-logs table")).to_be_visible()
    assert _column(page, "inv-logs", "time") == [
        "2025-12-09 11:00:00 UTC", "2025-12-09 10:00:00 UTC", "2025-12-09 09:00:00 UTC"]
    # the live refresh (latest API) keeps the word in the health panel
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "1")
    expect(page.locator('#health-values dd[data-state="psu1-state"]')).to_have_text("fail")
    expect(page.locator('#health-values dd[data-state="psu1-state"]')).to_have_class("bad")
