"""What a newcomer first meets: a clone without ``npm ci`` (no chart library) shows
a plain "charts unavailable" in each chart panel instead of a JavaScript error."""

from __future__ import annotations

import pytest
from browserkit import sign_in
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page, seeded_device  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Class, width and text of each cell of the device list's first row.
CELL_WIDTHS_JS = """
() => Array.from(document.querySelectorAll('#devices tbody tr:first-child td'))
  .map((td) => [td.className, Math.round(td.getBoundingClientRect().width),
                td.innerText.slice(0, 40)])
"""
UNAVAILABLE = "charts unavailable: the chart library was not installed"


def test_missing_chart_library_says_so_in_each_chart(chromium, live_url, users):  # noqa: F811
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1280)
    page.route("**/static/vendor/uplot/**", lambda route: route.fulfill(status=404, body=""))
    sign_in(page, live_url, *users["admin"])
    for path in (f"/devices/{dev.pk}/", f"/devices/{dev.pk}/interfaces/ether1/"):
        page.goto(f"{live_url}{path}")
        page.wait_for_function("document.body.dataset.chartsReady === '1'")
        charts = page.locator(".chart")
        assert charts.count() >= 1, path
        for i in range(charts.count()):
            expect(charts.nth(i)).to_contain_text(UNAVAILABLE)
            expect(charts.nth(i).locator(".chart-unavailable")).to_be_visible()
        assert "update failed" not in page.inner_text("body"), path
        assert "not a constructor" not in page.inner_text("body"), path
    assert not errors, errors


def test_device_list_fits_at_1280(chromium, live_url, users):  # noqa: F811
    """A realistic row (long name, RouterOS v7 version, board, identity, site, tags)
    fits the panel at 1280 px: nothing scrolls sideways, the Edit button shows."""
    from datetime import UTC, datetime

    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.models import Device, Site, Tag
    from mikromon.web.monitor.storage import DjangoStorage

    site = Site.objects.create(name="Warehouse North")
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(3):
        dev = Device(name=f"branch-office-warehouse-north-0{n}", host=f"10.120.200.{n + 10}",
                     port=8728, username="monitor", site=site)
        dev.set_password("pw")
        dev.save()
        dev.tags.add(*(Tag.objects.get_or_create(name=t)[0] for t in ("core", "branch")))
        storage.write_samples(dev.pk, [Sample("system.cpu.load_pct", 37.0, now),
                                       Sample("system.memory.used_pct", 61.0, now),
                                       Sample("system.uptime_seconds", 3_456_789.0, now)])
        storage.write_status(DeviceStatus(
            device_id=dev.pk, state=DeviceState.UP, ts=now, last_seen=now,
            identity="MikroTik-Branch-Warehouse-North", board="CCR2004-16G-2S+",
            version="7.16.2 (stable)"))
    page, errors = open_page(chromium, 1280)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    wrap = page.locator(".table-wrap").first
    expect(wrap.locator("a.btn", has_text="Edit").first).to_be_visible()
    sizes = wrap.evaluate("(el) => [el.scrollWidth, el.clientWidth]")
    widths = page.evaluate(CELL_WIDTHS_JS)
    assert sizes[0] <= sizes[1], (sizes, str(widths))
    edit = wrap.locator("a.btn", has_text="Edit").first.bounding_box()
    box = wrap.bounding_box()
    assert edit["x"] + edit["width"] <= box["x"] + box["width"] + 0.5, (edit, box)
    assert not errors, errors
