"""What a newcomer first meets: a clone without ``npm ci`` (no chart library) shows
a plain "charts unavailable" in each chart panel instead of a JavaScript error."""

from __future__ import annotations

import pytest
from browserkit import sign_in
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page, seeded_device  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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
        assert "update failed" not in page.inner_text("body"), path
        assert "not a constructor" not in page.inner_text("body"), path
    assert not errors, errors
