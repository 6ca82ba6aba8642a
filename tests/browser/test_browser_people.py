"""Pages on a phone (390 px: the menu folds behind a button, no page scrolls
sideways), in dark mode (the system's setting), and in the user's time zone,
with screenshots of overview, dashboard and events at 1280 and 390 px in light
and dark for people to look at (test-artifacts/people-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from browserkit import CHROMIUM_ARGS, chromium_path, shot, sign_in
from playwright.sync_api import expect
from test_browser_layout import seeded_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: How far the page reaches past the window sideways (0 when it fits).
OVERFLOW_JS = ("() => document.scrollingElement.scrollWidth"
               " - document.scrollingElement.clientWidth")
#: How far the top bar's contents reach past its right edge (px; <= 0 when they fit).
BAR_OVERFLOW_JS = ("() => { const bar = document.querySelector('header.topbar');"
                   " return Math.max(...[...bar.children].map("
                   "c => c.getBoundingClientRect().right)) - bar.getBoundingClientRect().right; }")


@pytest.fixture
def chromium(monkeypatch) -> Iterator[Any]:
    """Chromium; a context per window size and colour scheme."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(chromium: Any, width: int, scheme: str = "light") -> tuple[Any, list[str]]:
    """A page ``width`` px wide in ``scheme`` ("light"/"dark"), browser in Tokyo."""
    context = chromium.new_context(viewport={"width": width, "height": 844},
                                   color_scheme=scheme, timezone_id="Asia/Tokyo",
                                   bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(15_000)
    return page, errors


def with_events(dev: Any, now: Any) -> None:
    """Forty link events on ``dev`` (long messages, several kinds of row)."""
    from mikromon.domain.events import Event as DomainEvent
    from mikromon.domain.events import EventKind
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage(maintenance_interval=None).write_events([
        DomainEvent(device_id=dev.pk, ts=now - timedelta(minutes=i), kind=EventKind.LINK_DOWN,
                    message=f"ether{i % 5 + 1} went down: carrier lost on the uplink "
                            "to the distribution switch") for i in range(1, 40)])


def main_pages(dev: Any) -> dict[str, str]:
    """Name -> path of every main page."""
    return {"overview": "/", "devices": "/devices/", "dashboard": f"/devices/{dev.pk}/",
            "events": "/events/", "alerts": "/alerts/", "collector": "/collector/",
            "profile": "/profile/", "device-form": f"/devices/{dev.pk}/edit/"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_pages_fit_a_phone_and_the_menu_folds(chromium, live_url, users, scheme):
    """At 390 px no main page scrolls sideways; the menu is folded, opens and closes
    with its button (no script: a checkbox and CSS)."""
    dev, now = seeded_device()
    with_events(dev, now)
    page, errors = open_page(chromium, 390, scheme)
    sign_in(page, live_url, *users["admin"])
    for name, path in main_pages(dev).items():
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(OVERFLOW_JS) <= 0, (name, page.evaluate(OVERFLOW_JS))
        if name in ("overview", "dashboard", "events"):
            shot(page, f"people-{name}-390-{scheme}")
    nav = page.locator("header.topbar nav")
    expect(nav).to_be_hidden()
    page.click("#nav-toggle-btn")
    expect(nav).to_be_visible()
    expect(page.locator("#user-password")).to_be_visible()
    assert page.evaluate(OVERFLOW_JS) <= 0
    if scheme == "light":
        shot(page, "people-menu-open-390")
    page.click("#nav-toggle-btn")
    expect(nav).to_be_hidden()
    assert not errors, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_wide_pages_follow_the_colour_scheme(chromium, live_url, users, scheme):
    """At 1280 px the menu shows without a button; dark mode darkens the page and the
    charts' axes take their colour from the stylesheet."""
    dev, now = seeded_device()
    with_events(dev, now)
    page, errors = open_page(chromium, 1280, scheme)
    sign_in(page, live_url, *users["admin"])
    for name in ("overview", "dashboard", "events"):
        page.goto(f"{live_url}{main_pages(dev)[name]}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("header.topbar nav")).to_be_visible()
        expect(page.locator("#nav-toggle-btn")).to_be_hidden()
        assert page.evaluate(OVERFLOW_JS) <= 0, name
        # A long page takes a scrollbar's width from the bar: it must still fit.
        page.evaluate("() => { document.body.style.minHeight = '4000px';"
                      " document.querySelector('#user-profile').textContent = 'noc-operator'; }")
        assert page.evaluate(OVERFLOW_JS) <= 0, (name, "with a scrollbar")
        assert page.evaluate(BAR_OVERFLOW_JS) <= 0, (name, page.evaluate(BAR_OVERFLOW_JS))
        shot(page, f"people-{name}-1280-{scheme}")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    dark = background == "rgb(16, 21, 28)"
    assert dark == (scheme == "dark"), background
    page.goto(f"{live_url}/devices/{dev.pk}/")
    expect(page.locator(".chart-panel canvas").first).to_be_visible()
    axis = page.evaluate("getComputedStyle(document.documentElement)"
                         ".getPropertyValue('--chart-axis').trim()")
    assert axis == ("#9aa7b6" if scheme == "dark" else "#5b6776")
    assert not errors, errors


def test_times_follow_the_users_zone_in_page_and_scripts(chromium, live_url, users):
    """A user who picks Asia/Kathmandu (UTC+05:45) sees server- and script-rendered
    times in it, whatever the browser's zone (Tokyo), and the zone's name."""
    from datetime import UTC, datetime

    dev, now = seeded_device()
    page, errors = open_page(chromium, 1280)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/profile/")
    page.select_option("#id_time_zone", "Asia/Kathmandu")
    page.click("#save-profile")
    expect(page.locator("#header-tz")).to_have_text("Asia/Kathmandu")
    page.goto(f"{live_url}/devices/{dev.pk}/")
    local = now.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Kathmandu"))
    expect(page.locator("#device-last-data")).to_contain_text(f"{local:%Y-%m-%d %H:%M}")
    t = int(datetime(2025, 3, 1, 14, 5, tzinfo=UTC).timestamp())
    assert page.evaluate(f"MM.fmt.axisTime({t}, 3600)") == "19:50"
    assert page.evaluate("MM.fmt.when('2025-03-01T14:05:00Z')") == (
        "2025-03-01 19:50:00 Asia/Kathmandu")
    assert not errors, errors
