"""The header's search box at 1280 px: type a MAC in another form, press Enter,
land on the results grouped by kind; the box fits the bar on a desktop width and
on a phone's (screenshots in test-artifacts/)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from browserkit import shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _seed() -> None:
    from mikromon.web.monitor.models import Device, InventoryItem, InventoryTerm
    from mikromon.web.monitor.search_terms import add_terms

    core = Device.objects.create(name="core-gw", host="192.0.2.10", port=8728, username="m",
                                 identity="CoreGW", last_seen=SEEN)
    rows = [
        ("dhcp_leases", "*1", {".id": "*1", "address": "10.1.0.20",
                               "mac-address": "4C:5E:0C:11:22:33", "host-name": "printer-hall"}),
        ("arp", "10.1.0.20\x1fbridge", {"address": "10.1.0.20",
                                        "mac-address": "4C:5E:0C:11:22:33",
                                        "interface": "bridge"}),
        ("ppp_active", "*A", {".id": "*A", "name": "anna@isp", "caller-id": "D4:CA:6D:01:02:03",
                              "address": "100.64.3.7"}),
    ]
    for table, key, data in rows:
        item = InventoryItem.objects.create(device=core, table=table, key=key, data=data,
                                            first_seen=SEEN, last_seen=SEEN, changed_at=SEEN)
        add_terms(InventoryTerm, [(item.pk, table, data)], using="default")


def _fits(page) -> dict:
    return page.evaluate("""() => {
      const bar = document.querySelector('header.topbar').getBoundingClientRect();
      const box = document.querySelector('.topsearch input').getBoundingClientRect();
      return {inside: box.left >= 0 && box.right <= window.innerWidth && box.top >= bar.top
                      && box.bottom <= bar.bottom,
              overflow: document.documentElement.scrollWidth - window.innerWidth,
              width: box.width};
    }""")


def test_header_search_finds_a_mac_written_another_way(page, live_url, users):
    _seed()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_url, *users["admin"])
    box = page.locator("header .topsearch input[name=q]")
    expect(box).to_be_visible()
    fits = _fits(page)
    assert fits["inside"], fits
    assert fits["overflow"] <= 0, fits
    box.fill("4c5e0c112233")
    box.press("Enter")
    page.wait_for_url("**/search/?q=4c5e0c112233")
    group = page.locator("#search-mac")
    expect(group.locator("h2")).to_contain_text("MAC addresses")
    expect(group.locator("tbody tr")).to_have_count(2)
    expect(group).to_contain_text("DHCP leases")
    expect(group).to_contain_text("/ip/arp")
    expect(group).to_contain_text("2026-12-01 10:00:00")
    expect(page.locator("#search-ip")).to_have_count(0)
    expect(box).to_have_value("4c5e0c112233")
    shot(page, "search-1280")
    group.get_by_role("link", name="core-gw").first.click()
    page.wait_for_url("**/devices/*/")


def test_header_search_on_a_phone(page, live_url, users):
    _seed()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, live_url, *users["viewer"])
    page.locator("header .topsearch input[name=q]").fill("anna")
    page.locator("header .topsearch input[name=q]").press("Enter")
    page.wait_for_url("**/search/?q=anna")
    expect(page.locator("#search-ppp_user tbody tr")).to_have_count(1)
    fits = _fits(page)
    assert fits["inside"], fits
    assert fits["overflow"] <= 0, fits
    shot(page, "search-390")


#: Per results table: sideways overflow of its scroll box and of each cell, and
#: the values drawn on more than one line (a MAC or a user name broken in two).
RESULTS_FIT_JS = """() => Array.from(document.querySelectorAll('.search-group')).map((g) => {
  const wrap = g.querySelector('.table-wrap');
  const right = wrap.getBoundingClientRect().right;
  const cells = Array.from(g.querySelectorAll('tbody td'));
  return {id: g.id, overflow: wrap.scrollWidth - wrap.clientWidth,
          cut: cells.filter((td) => td.getBoundingClientRect().right > right + 0.5)
                    .map((td) => td.innerText),
          broken: Array.from(g.querySelectorAll('tbody td strong'))
                    .filter((s) => s.getClientRects().length > 1
                                   || s.getBoundingClientRect().height > 24)
                    .map((s) => s.innerText)};
})"""


def test_results_fit_a_phone(page, live_url, users):
    """At 390 px the results are cards: no value broken mid-token, no column cut
    off, nothing scrolls sideways (docs/operations.md: wide tables scroll inside
    their panel or become cards)."""
    _seed()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/search/?q=4c5e0c112233")
    expect(page.locator(".search-group").first).to_be_visible()
    page.goto(f"{live_url}/search/?q=anna")
    groups = page.evaluate(RESULTS_FIT_JS)
    page.goto(f"{live_url}/search/?q=4c5e0c112233")
    groups += page.evaluate(RESULTS_FIT_JS)
    assert len(groups) >= 2, groups
    for g in groups:
        assert g["overflow"] <= 0, g
        assert not g["cut"], g
        assert not g["broken"], g
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "search-results-390")
