"""A fleet of 310 routers named demo-1 .. demo-310 in the browser: the device list
sorts them naturally (demo-2 before demo-10); the silence and rule forms offer a
box for the device's name instead of a list of every device, and a silence made
by typing a name is for that router. Screenshots at 1280 and 390 px go to
test-artifacts/."""

from __future__ import annotations

import pytest
from browserkit import ARTIFACTS, sign_in
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLEET = 310  # above the 300 devices a form lists (device_pick.LIST_LIMIT)


def _fleet() -> None:
    from mikromon.web.monitor.models import Device

    Device.objects.bulk_create([
        Device(name=f"demo-{n}", host=f"10.2.{n // 200}.{n % 200 + 1}", port=8728,
               username="monitor")
        for n in range(FLEET, 0, -1)])


@pytest.mark.parametrize("width", [1280, 390])
def test_fleet_forms_name_box_and_natural_order(chromium, live_url, users, width):  # noqa: F811
    from mikromon.web.alerts.models import Silence

    _fleet()
    page, errors = open_page(chromium, width, 844 if width < 500 else 900)
    sign_in(page, live_url, *users["admin"])

    page.goto(f"{live_url}/devices/")
    names = page.locator("#devices tr[data-device]").evaluate_all(
        "rows => rows.map(r => r.dataset.device)")
    assert names[:12] == [f"demo-{n}" for n in range(1, 13)], names[:12]
    page.screenshot(path=str(ARTIFACTS / f"fleet-natural-order-{width}.png"), full_page=True)

    page.goto(f"{live_url}/alerts/silences/add/")
    box = page.locator("#id_device")
    expect(box).to_have_attribute("type", "search")
    expect(page.locator('select[name="device"]')).to_have_count(0)
    # The name box is drawn as the form's other fields are (as wide as the lists).
    site = page.locator("#id_site").bounding_box()
    drawn = box.bounding_box()
    assert abs(drawn["width"] - site["width"]) <= 2, (drawn, site)
    box.fill("demo-42")
    page.fill("#id_duration", "2h")
    page.fill("#id_reason", "fibre cut on the demo-42 uplink")
    wide = page.evaluate("() => document.getElementById('silence-form').scrollWidth")
    assert wide <= width, wide
    page.screenshot(path=str(ARTIFACTS / f"fleet-silence-form-{width}.png"), full_page=True)
    page.locator("#save-silence").click()
    page.wait_for_url("**/alerts/silences/")
    expect(page.locator("main")).to_contain_text("demo-42")
    assert Silence.objects.get().device.name == "demo-42"

    page.goto(f"{live_url}/alerts/rules/add/")
    box = page.locator("#id_device")
    expect(box).to_have_attribute("type", "search")
    expect(box).to_have_attribute("placeholder", "Device name")
    expect(page.locator('select[name="device"]')).to_have_count(0)
    wide = page.evaluate("() => document.getElementById('rule-form').scrollWidth")
    assert wide <= width, wide
    page.screenshot(path=str(ARTIFACTS / f"fleet-rule-form-{width}.png"), full_page=True)
    assert not errors, errors
