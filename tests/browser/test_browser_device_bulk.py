"""The device list's bulk action bar in a real browser at 1280 px: ticking rows
counts them and enables Apply, the action shows only the field it needs, "All
shown" ticks every row, and one Apply changes the ticked devices. Screenshots at
1280 and 390 px go to test-artifacts/."""

from __future__ import annotations

import pytest
from browserkit import shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ("bulk-a", "bulk-b", "bulk-c")


@pytest.fixture
def fleet(transactional_db):
    from mikromon.web.monitor.models import Device

    for i, name in enumerate(NAMES, start=1):
        device = Device(name=name, host=f"127.0.0.{i}", username="monitor")
        device.set_password("pw")
        device.save()


def _row_pick(page, name: str):
    return page.locator(f'tr[data-device="{name}"] input.bulk-pick')


def test_bulk_action_bar(page, live_url, users, fleet):
    from mikromon.web.monitor.models import Device

    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    apply = page.locator("#bulk-apply")
    expect(apply).to_be_disabled()
    expect(page.locator("#bulk-tag")).to_be_hidden()
    expect(page.locator("#bulk-site")).to_be_hidden()

    _row_pick(page, "bulk-a").check()
    _row_pick(page, "bulk-c").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    expect(apply).to_be_enabled()
    page.select_option("#bulk-action", "add_tag")
    expect(page.locator("#bulk-tag")).to_be_visible()
    expect(page.locator("#bulk-site")).to_be_hidden()
    page.fill("#bulk-tag", "Lab")
    shot(page, "device-bulk-1280")
    apply.click()
    expect(page.locator(".messages")).to_contain_text("2 devices tagged")
    tagged = Device.objects.filter(tags__name="Lab").order_by("name")
    assert list(tagged.values_list("name", flat=True)) == ["bulk-a", "bulk-c"]
    expect(page.locator('tr[data-device="bulk-a"] .tags')).to_contain_text("Lab")

    page.check("#bulk-all")
    expect(page.locator("#bulk-count")).to_have_text("3 selected")
    page.select_option("#bulk-action", "move_site")
    expect(page.locator("#bulk-site")).to_be_visible()
    page.fill("#bulk-site", "Tower 9")
    apply.click()
    expect(page.locator(".messages")).to_contain_text("3 devices moved")
    assert set(Device.objects.values_list("site__name", flat=True)) == {"Tower 9"}

    _row_pick(page, "bulk-b").check()
    page.select_option("#bulk-action", "disable")
    apply.click()
    expect(page.locator(".messages")).to_contain_text("1 device disabled")
    assert list(Device.objects.filter(enabled=False).values_list("name", flat=True)) == [
        "bulk-b"]


def test_bulk_bar_fits_a_phone(page, live_url, users, fleet):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    page.check("#bulk-all")
    page.select_option("#bulk-action", "add_tag")
    bar = page.locator("#bulk-form").bounding_box()
    assert bar is not None
    assert bar["x"] >= 0
    assert bar["x"] + bar["width"] <= 390
    shot(page, "device-bulk-390")


def test_import_shows_the_dry_run_before_writing(page, live_url, users, fleet, tmp_path):
    from mikromon.web.monitor.models import Device

    csv_file = tmp_path / "routers.csv"
    csv_file.write_text("name,host,username,password,tags\n"
                        "new-1,10.0.0.1,mon,csv-secret-7,core;lab\n"
                        "bulk-a,,,,edge\n"
                        "new-2,not a host!,mon,csv-secret-8,\n", encoding="utf-8")
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    page.click("#import-devices")
    page.set_input_files("input[name=file]", str(csv_file))
    page.click("#import-upload button[type=submit]")
    expect(page.locator("#import-summary")).to_contain_text(
        "1 to create, 1 to update, 1 invalid")
    expect(page.locator("#import-rows")).to_contain_text("host:")
    assert "csv-secret" not in page.content()
    assert not Device.objects.filter(name="new-1").exists()
    shot(page, "device-import-1280")
    page.check("input[name=skip_invalid]")
    page.click("#import-confirm button[name=confirm]")
    expect(page.locator(".messages")).to_contain_text("Imported 2 devices")
    assert Device.objects.get(name="new-1").get_password() == "csv-secret-7"
    assert [t.name for t in Device.objects.get(name="bulk-a").tags.all()] == ["edge"]
