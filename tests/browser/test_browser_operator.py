"""An operator's session in a real browser: sign in, add a device pointing at an
emulated router, watch it come up with live charts, change its realtime interval,
stop and start the collector, and see a wrong password reported; a viewer cannot edit."""

from __future__ import annotations

import re
import time

import pytest
from browserkit import TIME_SCALE, shot, sign_in, wait_until
from playwright.sync_api import expect

from mikromon.web.monitor.choices import state_label

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def add_device(page, base: str, name: str, router, password: str) -> int:
    """Fill the Add device form (Connection tab) and save; return the new device id."""
    page.goto(f"{base}/devices/")
    page.click("#add-device")
    page.fill("#id_name", name)
    page.fill("#id_host", router.host)
    page.fill("#id_port", str(router.port))
    page.fill("#id_username", router.username)
    page.fill("#id_password", password)
    page.fill("#id_new_site", "Lab")
    page.fill("#id_new_tags", "core")
    page.click("#save")
    page.wait_for_url(f"{base}/devices/*/edit/")
    expect(page.locator(".messages")).to_contain_text(f"Device {name} added")
    return int(page.url.rstrip("/").split("/")[-2])


def realtime_status(collector, device_id: int) -> dict | None:
    """The collector's own view of the device's realtime tier."""
    for dev in collector.status()["devices"]:
        if dev["id"] == device_id:
            return dev["tiers"].get("realtime")
    return None


def backfill(device_id: int, minutes: int) -> None:
    """Store ``minutes`` of 5-second history before now (CPU, memory and the charted
    interfaces), so that the dashboard screenshot shows lines across the range."""
    import math
    from datetime import UTC, datetime, timedelta

    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.storage import DjangoStorage

    now = datetime.now(UTC).replace(microsecond=0)
    samples = []
    for i in range(minutes * 12, 2, -1):
        ts = now - timedelta(seconds=5 * i)
        wave = math.sin(i / 20)
        samples.append(Sample("system.cpu.load_pct", 35 + 15 * wave, ts))
        samples.append(Sample("system.memory.used_pct", 55 + 3 * math.cos(i / 50), ts))
        for name, base in (("ether3", 6e6), ("ether4", 8e6), ("vlan10", 6e6), ("vlan11", 8e6)):
            labels = make_labels(interface=name)
            samples.append(Sample("iface.rx_bps", base * (1 + 0.3 * wave), ts, labels))
            samples.append(Sample("iface.tx_bps", base / 4 * (1 - 0.2 * wave), ts, labels))
    DjangoStorage(maintenance_interval=None).write_samples(device_id, samples)


def test_operator_session(page, live_url, users, collector, router):
    """The whole operator workflow against one live server."""
    base = live_url
    good, other = router
    sign_in(page, base, *users["admin"])
    expect(page.locator(".topbar .role")).to_have_text("admin")

    # Add a device: it turns up on its dashboard and the charts draw with data.
    device_id = add_device(page, base, "lab-router", good, good.password)
    page.goto(f"{base}/devices/{device_id}/")
    expect(page.locator("#device-state")).to_have_text(state_label("up"))
    page.wait_for_function("document.body.dataset.chartsReady === '1'")
    expect(page.locator("#chart-cpu-now")).to_contain_text("%", timeout=20_000)
    expect(page.locator("#chart-cpu canvas")).to_have_count(1)
    expect(page.locator("#chart-cpu .nodata")).to_have_count(0, timeout=20_000)
    expect(page.locator("#chart-cpu .u-axis").first).to_be_visible()
    iface_chart = page.locator("#iface-charts .chart-panel").first
    expect(iface_chart).to_be_visible()
    expect(iface_chart.locator(".now")).to_contain_text("bit/s", timeout=20_000)
    # The y axis is labelled with the unit.
    expect(iface_chart.locator("h2 .unit")).to_have_text("bits/s")
    expect(page.locator(".chart-panel:has(#chart-cpu) h2 .unit")).to_have_text("%")
    # Health, uptime and inventory tabs are there; the Interfaces tab loads its table.
    expect(page.locator('.stat [data-metric="system.uptime_seconds"]')).not_to_have_text("–")
    expect(page.locator("#inv-interfaces table tbody tr").first).to_be_visible()
    page.click('button[data-tab="inv-logs"]')
    expect(page.locator("#inv-logs .inv-body")).not_to_contain_text("Loading")
    page.click('button[data-tab="inv-interfaces"]')
    page.fill("#inv-interfaces input[type=search]", "ether1")
    expect(page.locator("#inv-interfaces-table-count")).to_contain_text("of")
    page.fill("#inv-interfaces input[type=search]", "")
    # Wait for a few more realtime polls so the rate charts have several points.
    wait_until(lambda: (realtime_status(collector, device_id) or {}).get("runs", 0) >= 6,
               15, "six realtime polls")
    backfill(device_id, minutes=15)
    page.click('button[data-range="15m"]')
    expect(page.locator('button[data-range="15m"]')).to_have_class("btn active")
    page.wait_for_timeout(600)  # let the redrawn charts settle for the screenshot
    shot(page, "dashboard")

    # Device list: state badge, identity, board.
    page.goto(f"{base}/devices/")
    row = page.locator('tr[data-device="lab-router"]')
    expect(row.locator(".badge")).to_have_text(state_label("up"))
    expect(row).to_contain_text(good.identity)
    shot(page, "device-list")

    # Device form, both tabs; the password is never sent back.
    page.goto(f"{base}/devices/{device_id}/edit/")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("#id_password")).to_have_attribute("placeholder", "unchanged")
    assert good.password not in page.content()
    shot(page, "device-form-connection")
    page.click("#tab-btn-intervals")
    expect(page.locator("#tab-intervals")).to_be_visible()
    expect(page.locator("#tab-connection")).to_be_hidden()
    shot(page, "device-form-intervals")

    # An interval under the minimum is refused next to the field.
    page.fill("#id_realtime_interval", "2")
    page.click("#save")
    expect(page.locator("#tab-intervals .has-error")).to_contain_text("at least 5")
    expect(page.locator("#tab-intervals")).to_be_visible()

    # Change the realtime interval: the collector uses it within a second.
    before = realtime_status(collector, device_id)
    assert before["interval_s"] == 5
    page.fill("#id_realtime_interval", "12")
    page.click("#save")
    saved_at = time.monotonic()
    expect(page.locator(".messages")).to_contain_text("saved")
    wait_until(lambda: (realtime_status(collector, device_id) or {}).get("interval_s") == 12,
               1.0 - (time.monotonic() - saved_at) + 0.05, "the collector to use 12 s")
    assert time.monotonic() - saved_at < 1.0 + 0.05
    status = realtime_status(collector, device_id)
    assert status["effective_interval_s"] == pytest.approx(12 * TIME_SCALE)
    page.goto(f"{base}/collector/")
    # As configured (the time scale of this test shortens it: shown after it).
    expect(page.locator('tr[data-device="lab-router"][data-tier="realtime"] .interval')) \
        .to_have_text(re.compile(r"^12 s"))

    # Stop and start the collector from the collector page.
    page.click("#stop-collector")
    expect(page.locator("#collector-state")).to_have_text("stopped")
    assert collector.running is False
    expect(page.locator("#start-collector")).to_be_enabled()
    page.click("#start-collector")
    expect(page.locator("#collector-state")).to_have_text("running")
    assert collector.running is True
    # The device form has no collector buttons; a stopped collector shows the banner,
    # whose Start returns to the form.
    page.click("#stop-collector")
    expect(page.locator("#collector-state")).to_have_text("stopped")
    page.goto(f"{base}/devices/{device_id}/edit/")
    expect(page.locator("#stop-collector")).to_have_count(0)
    page.click("#banner-start-collector")
    expect(page.locator("#collector-stopped")).to_have_count(0)
    assert collector.running is True
    assert page.url.endswith(f"/devices/{device_id}/edit/")

    # Test connection shows the router's answer.
    page.click("#test-connection")
    expect(page.locator("#probe-result")).to_contain_text("Connected")
    expect(page.locator("#probe-result")).to_contain_text(good.identity)

    # A wrong router password: the device shows the auth_failed state's label.

    bad_id = add_device(page, base, "bad-password", other, "definitely-wrong")
    page.goto(f"{base}/devices/{bad_id}/")
    expect(page.locator("#device-state")).to_have_text(state_label("auth_failed"), timeout=20_000)
    expect(page.locator("#device-error")).to_contain_text("login")
    page.goto(f"{base}/devices/")
    expect(page.locator('tr[data-device="bad-password"] .badge')).to_have_text(
        state_label("auth_failed"))
    shot(page, "device-list-auth-failed")


def test_viewer_cannot_edit(page, live_url, users, router):
    """A viewer sees devices but no edit controls, and edit pages answer 403."""
    from mikromon.web.monitor.models import Device

    dev = Device(name="ro-router", host=router[0].host, port=router[0].port,
                 username=router[0].username)
    dev.set_password(router[0].password)
    dev.save()
    base = live_url
    sign_in(page, base, *users["viewer"])
    expect(page.locator(".topbar .role")).to_have_text("viewer")
    page.goto(f"{base}/devices/")
    expect(page.locator('tr[data-device="ro-router"]')).to_be_visible()
    expect(page.locator("#add-device")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.goto(f"{base}/devices/{dev.pk}/")
    expect(page.locator("#edit-device")).to_have_count(0)
    response = page.goto(f"{base}/devices/{dev.pk}/edit/")
    assert response.status == 403
    page.goto(f"{base}/collector/")
    expect(page.locator("#stop-collector")).to_have_count(0)
    # Even a hand-made POST with a valid CSRF token is refused.
    page.goto(f"{base}/devices/")
    token = page.context.cookies()[0]
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    assert token
    result = page.request.post(f"{base}/devices/{dev.pk}/delete/",
                               headers={"X-CSRFToken": csrf, "Referer": f"{base}/devices/"})
    assert result.status == 403
    assert Device.objects.filter(pk=dev.pk).exists()
