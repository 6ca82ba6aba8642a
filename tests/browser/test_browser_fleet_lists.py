"""The device list with a fleet in the browser at 1280 px: the filter bar narrows
the rows on the server, column headers sort, the pager moves; screenshots of the
device list, the collector page and the overview at 1280 and 390 px."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from browserkit import ARTIFACTS, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATES = ["up", "up", "up", "down", "degraded", "slow", "auth_failed", "unknown", "disabled"]


def _fleet(n: int) -> None:
    """``n`` devices over 12 sites, 4 tags, 3 versions, 4 boards and every state; a
    published collector status with all of them."""
    from mikromon.web.control import state
    from mikromon.web.monitor.models import Device, Site, Tag

    now = datetime.now(UTC)
    sites = Site.objects.bulk_create([Site(name=f"Branch {i:02d}") for i in range(12)])
    tags = Tag.objects.bulk_create([Tag(name=t, slug=t) for t in ("core", "edge", "lab", "wifi")])
    devices = Device.objects.bulk_create([
        Device(name=f"rtr-{i:03d}", host=f"10.1.{i // 200}.{i % 200 + 1}", port=8728,
               username="monitor", site=sites[i % 12] if i % 9 else None,
               state=STATES[i % len(STATES)], identity=f"rtr-{i:03d}.example",
               ros_version=("7.16.2 (stable)", "7.15.3 (stable)", "6.49.17 (long-term)")[i % 3],
               board=("RB5009UG+S+", "hAP ax^2", "CCR2004-1G-12S+2XS", "CHR")[i % 4],
               last_seen=now - timedelta(seconds=i), status_changed_at=now - timedelta(minutes=i),
               last_error="" if STATES[i % len(STATES)] == "up" else "timed out after 20 s")
        for i in range(n)
    ])
    for i, d in enumerate(devices):
        d.tags.add(tags[i % 4])
    iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    docs = [{"id": d.pk, "name": d.name, "state": d.state, "last_error": d.last_error,
             "facts": {"identity": d.identity},
             "tiers": {t: {"interval_s": s, "effective_interval_s": s, "last_run": iso,
                           "duration_s": 0.01, "next_due": iso, "runs": 10,
                           "errors": 1 if i % 10 == 0 else 0, "skipped": 0,
                           "last_error": "timed out" if i % 10 == 0 else ""}
                       for t, s in (("realtime", 5), ("standard", 60))}}
            for i, d in enumerate(devices)]
    state.publish(instance=state.instance_name(now), started_at=now, running=True,
                  status={"running": True, "since": iso, "lock_held": True, "devices": docs,
                          "writer": {"queue_depth": 0, "max_batches": 5000}})


def _refresh_status() -> None:
    from django.utils import timezone

    from mikromon.web.control.models import CollectorStatus

    CollectorStatus.objects.update(published_at=timezone.now())


def test_device_list_filter_sort_and_pages_at_1280(page, live_url, users):
    _fleet(130)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    rows = page.locator("#devices tbody tr[data-device]")
    expect(rows).to_have_count(50)
    expect(page.locator("#page-info")).to_contain_text("devices 1–50 of 130")
    # Filter: a site and a board, from the selects the database fills.
    page.select_option("select[name=site]", label="Branch 00")
    page.select_option("select[name=board]", "RB5009UG+S+")
    page.click("#device-filters button[type=submit]")
    expect(page.locator("#match-count")).to_have_text("7 matches")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.device)") == [
        "rtr-012", "rtr-024", "rtr-048", "rtr-060", "rtr-084", "rtr-096", "rtr-120"]
    assert "board=RB5009UG%2BS%2B" in page.url
    # Sorted by name: its header reverses the order and keeps the filters.
    page.click("#devices thead a:has-text('Name')")
    page.wait_for_url("**sort=-name**")
    expect(rows.first).to_have_attribute("data-device", "rtr-120")
    assert "site=" in page.url
    # Text search, then the pager.
    page.goto(f"{live_url}/devices/?q=rtr-1")
    expect(page.locator("#match-count")).to_have_text("30 matches")
    page.goto(f"{live_url}/devices/?sort=-name")
    page.click("a[rel=next]")
    expect(page.locator("#page-info")).to_contain_text("devices 51–100 of 130")
    expect(rows.first).to_have_attribute("data-device", "rtr-079")
    # Nothing wider than the window at 1280 px.
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, overflow
    page.screenshot(path=str(ARTIFACTS / "fleet-device-list-1280.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_fleet_pages_screenshots(page, live_url, users, width):
    """Device list, collector page and overview with 130 devices: screenshots, and
    each one page (the collector page shows 50 devices, not 130)."""
    _fleet(130)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_url, *users["admin"])
    for name, path in (("device-list", "/devices/"), ("collector", "/collector/"),
                       ("overview", "/")):
        _refresh_status()
        page.goto(f"{live_url}{path}")
        if name == "collector":
            expect(page.locator("#collector-tiers tbody tr[data-tier=realtime]")).to_have_count(50)
            expect(page.locator("#page-info")).to_contain_text("devices 1–50 of 130")
        if name == "overview":
            expect(page.locator("#overview-groups .tile")).to_have_count(13)
        page.screenshot(path=str(ARTIFACTS / f"fleet-{name}-{width}.png"), full_page=True)
