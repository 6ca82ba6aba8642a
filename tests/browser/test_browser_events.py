"""The events page in the browser: informational events are left out until the
"Show them" link is followed; tick a severity and pick a site, the list shows
only those events with the severity as a coloured badge; the filter is in the
address. Screenshots at 1280 and 390 px go to test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from browserkit import ARTIFACTS, sign_in
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _events() -> None:
    """Two sites, one router each; every kind of event on the first, a device_down
    on the second."""
    from mikromon.domain.events import Event, EventKind
    from mikromon.web.monitor.models import Device, Site
    from mikromon.web.monitor.storage import DjangoStorage

    now = datetime.now(UTC).replace(microsecond=0)
    devices = []
    for name, site in (("core-hq", "HQ"), ("edge-branch", "Branch office")):
        dev = Device(name=name, host="127.0.0.1", username="monitor",
                     site=Site.objects.create(name=site))
        dev.set_password("pw")
        dev.save()
        devices.append(dev)
    DjangoStorage(maintenance_interval=None).write_events([
        Event(device_id=devices[0].pk, ts=now - timedelta(minutes=i), kind=kind,
              message=f"{kind.value.replace('_', ' ')} seen on core-hq")
        for i, kind in enumerate(EventKind)
    ] + [Event(device_id=devices[1].pk, ts=now, kind=EventKind.DEVICE_DOWN,
               message="connection refused (no answer on 8728)")])


def test_events_page_filters_by_severity_and_site(chromium, live_url, users):  # noqa: F811
    _events()
    page, errors = open_page(chromium, 1280)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/events/")
    rows = page.locator("#events tbody tr")
    expect(rows).to_have_count(8)
    expect(page.locator("#events .badge.sev-info")).to_have_count(0)
    expect(page.locator("#info-hidden")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "events-default-1280.png"), full_page=True)
    page.locator("#show-info").click()
    expect(rows).to_have_count(14)
    expect(page.locator("#events .badge.sev-info")).to_have_count(6)
    expect(page.locator("#info-hidden")).to_have_count(0)
    expect(page.locator('input[name="severity"][value="info"]')).to_be_checked()
    page.goto(f"{live_url}/events/")

    # The severities shown by default are ticked: leave critical alone.
    expect(page.locator('input[name="severity"][value="critical"]')).to_be_checked()
    page.locator('input[name="severity"][value="warning"]').uncheck()
    page.locator('select[name="site"]').select_option(label="HQ")
    page.locator("#event-filters button[type=submit]").click()
    page.wait_for_url("**/events/?**")
    assert "severity=critical" in page.url
    expect(rows).to_have_count(3)
    for i in range(3):
        badge = rows.nth(i).locator(".badge.sev-critical")
        expect(badge).to_have_text("Critical")
        color = badge.evaluate("b => getComputedStyle(b).backgroundColor")
        assert color not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    expect(page.locator("#events")).not_to_contain_text("edge-branch")
    expect(page.locator('input[name="severity"][value="critical"]')).to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "events-filter-1280.png"), full_page=True)

    # Warning too: both severities, still only HQ.
    page.locator('input[name="severity"][value="warning"]').check()
    page.locator("#event-filters button[type=submit]").click()
    expect(rows).to_have_count(7)
    expect(page.locator("#events .badge.sev-info")).to_have_count(0)
    assert not errors, errors

    narrow, narrow_errors = open_page(chromium, 390, 844)
    sign_in(narrow, live_url, *users["admin"])
    narrow.goto(f"{live_url}/events/")
    expect(narrow.locator("#show-info")).to_be_visible()
    link = narrow.locator("#info-hidden").evaluate("p => p.scrollWidth <= p.clientWidth")
    assert link, "the informational note overflows at 390 px"
    narrow.screenshot(path=str(ARTIFACTS / "events-default-390.png"), full_page=True)
    narrow.goto(f"{live_url}/events/?severity=critical&severity=warning")
    expect(narrow.locator("#events tbody tr")).to_have_count(8)
    # The filter bar fits the narrow screen (the table may scroll inside its box).
    wide = narrow.evaluate("() => document.getElementById('event-filters').scrollWidth")
    assert wide <= 390, wide
    narrow.screenshot(path=str(ARTIFACTS / "events-filter-390.png"), full_page=True)
    assert not narrow_errors, narrow_errors
