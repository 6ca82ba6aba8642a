"""An inventory tab pages, filters and sorts on the server: 250 DHCP leases show 100 at
a time with page buttons, the filter box asks the server (the count says "N of 250
rows"), and a header click sorts every row, not only the page shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from browserkit import ARTIFACTS, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEASES = 250


def _device():
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="edge-pages", host="127.0.0.1", port=8728, username="monitor")
    dev.set_password("pw-edge-pages")
    dev.save()
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                      last_seen=now, board="CHR", version="7.16.2 (stable)"))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="dhcp_leases", key_fields=("mac-address",), ts=now, rows=[
            {".id": f"*{i:X}", "address": f"10.7.{i // 200}.{i % 200 + 1}",
             "mac-address": f"02:00:00:00:{i // 256:02X}:{i % 256:02X}",
             "host-name": f"pc-{i}", "expires-after": float(i * 13 % 1000)}
            for i in range(LEASES)]))
    return dev


def _addresses(page: Any) -> list[str]:
    return page.evaluate("""() => {
      const table = document.querySelector('#inv-dhcp table');
      const i = Array.from(table.tHead.rows[0].cells)
        .findIndex((th) => th.dataset.column === 'address');
      return Array.from(table.tBodies[0].rows).map((r) => r.cells[i].textContent);
    }""")


def _await_new_table(page: Any, action: Any) -> None:
    page.evaluate("() => { document.querySelector('#inv-dhcp table').dataset.old = '1'; }")
    action()
    page.wait_for_selector("#inv-dhcp table:not([data-old])")


def test_inventory_tab_pages_filters_and_sorts_on_the_server(page, live_url, users):
    dev = _device()
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    page.click('button[data-tab="inv-dhcp"]')
    expect(page.locator("#inv-dhcp table")).to_be_visible()
    expect(page.locator("#inv-dhcp .count")).to_have_text("250 rows")
    expect(page.locator("#inv-dhcp .page-of")).to_have_text("page 1 of 3")
    expect(page.locator('button[data-tab="inv-dhcp"] .n')).to_have_text("250")
    first = _addresses(page)
    assert len(first) == 100
    # By address, as addresses: 10.7.0.1, 10.7.0.2 ... 10.7.0.100.
    assert first[:3] == ["10.7.0.1", "10.7.0.2", "10.7.0.3"]
    assert first[-1] == "10.7.0.100"
    expect(page.locator("#inv-dhcp th[data-column=address]")).to_have_attribute(
        "aria-sort", "ascending")
    page.screenshot(path=str(ARTIFACTS / "inventory-pages-1280.png"), full_page=True)

    _await_new_table(page, lambda: page.click("#inv-dhcp .pager button:has-text('Next')"))
    expect(page.locator("#inv-dhcp .page-of")).to_have_text("page 2 of 3")
    assert _addresses(page)[0] == "10.7.0.101"

    # A header click sorts all 250 rows (descending after a second click), page 1 again.
    _await_new_table(page, lambda: page.click("#inv-dhcp th[data-column=address]"))
    expect(page.locator("#inv-dhcp .page-of")).to_have_text("page 1 of 3")
    assert _addresses(page)[0] == "10.7.1.50"
    expect(page.locator("#inv-dhcp th[data-column=address]")).to_have_attribute(
        "aria-sort", "descending")

    # The filter asks the server: pc-1, pc-10..19, pc-100..199 = 111 rows.
    _await_new_table(page, lambda: page.fill("#inv-dhcp input[type=search]", "PC-1"))
    expect(page.locator("#inv-dhcp .count")).to_have_text("111 of 250 rows")
    expect(page.locator("#inv-dhcp .page-of")).to_have_text("page 1 of 2")
    _await_new_table(page, lambda: page.fill("#inv-dhcp input[type=search]", "no such lease"))
    expect(page.locator("#inv-dhcp .empty")).to_contain_text("No row contains")
    expect(page.locator("#inv-dhcp .pager")).to_be_hidden()


def test_series_browser_filters_and_links_to_the_chart(page, live_url, users):
    """The Series page (nav link) filters by metric start and label, and a row's Chart
    link opens the device dashboard asking for that series; no sideways scroll at
    phone width."""
    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.storage import DjangoStorage

    dev = _device()
    now = datetime.now(UTC).replace(microsecond=0)
    DjangoStorage(maintenance_interval=None).write_samples(dev.pk, [
        Sample(key=key, value=v, ts=now, labels=labels)
        for key, v, labels in (("system.cpu.load_pct", 12.0, ()),
                               ("iface.rx_bps", 8e6, (("interface", "ether1"),)),
                               ("iface.rx_bps", 2e6, (("interface", "ether2"),)),
                               ("iface.tx_bps", 1e6, (("interface", "ether1"),)))])
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/")
    page.click("nav >> text=Series")
    expect(page.locator("#series-count")).to_have_text("4 series")
    page.fill("#series-filters input[name=metric]", "iface.")
    page.fill("#series-filters input[name=label]", "ether1")
    page.click("#series-filters button[type=submit]")
    expect(page.locator("#series-count")).to_have_text("2 series")
    row = page.locator("#series tbody tr", has_text="iface.rx_bps")
    expect(row).to_contain_text("8 Mbit/s")
    expect(row).to_contain_text("Receive bit rate")
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "series-browser-390.png"), full_page=True)
    row.locator("a.chart-link").click()
    page.wait_for_url(f"**/devices/{dev.pk}/?chart=iface.rx_bps&label=interface%3Dether1")


def test_interface_names_in_the_inventory_link_to_the_interface_page(page, live_url, users):
    """The interfaces tab names each interface as a link to its page (a name with a
    slash too)."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev = _device()
    DjangoStorage(maintenance_interval=None).write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", key_fields=("name",), ts=datetime.now(UTC), rows=[
            {".id": "*1", "name": "ether1", "type": "ether", "running": True},
            {".id": "*2", "name": "sfp-sfpplus1/1", "type": "ether", "running": True}]))
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    page.click('button[data-tab="inv-interfaces"]')
    page.get_by_role("link", name="sfp-sfpplus1/1", exact=True).click()
    page.wait_for_url(f"**/devices/{dev.pk}/interfaces/sfp-sfpplus1~2F1/")
    expect(page.locator("#iface-name")).to_contain_text("sfp-sfpplus1/1")
