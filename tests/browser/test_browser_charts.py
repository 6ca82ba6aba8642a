"""Charts in a real browser: a chart for every family of stored series (per-core CPU,
clients, health, queues), drag-to-zoom changing the window of every chart and
"Back", a custom range typed in the user's zone, and the interface page of an
interface whose name holds a '/' (traffic, packets, errors, drops, link changes and
the 95th percentile). Screenshots at 1280 px light and 390 px dark go to
test-artifacts/."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browserkit import ARTIFACTS, sign_in, wait_until
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLASHED = "sfp-sfpplus1/1"
#: Family id -> what the seeded device stores for it.
FAMILIES = ("cores", "dhcp", "ppp", "hotspot", "connections", "health-temperature",
            "health-voltage", "health-fans", "queue:guest wifi")
#: The points of every chart on the page: chart id -> number of x values.
POINTS_JS = """
() => Object.fromEntries(Array.from(document.querySelectorAll('.chart'))
  .map((el) => [el.id, Number(el.dataset.points || 0)]))
"""


@pytest.fixture
def collector_says_running(monkeypatch):
    """The pages see a running collector (none polls: the data is what was seeded)."""
    from mikromon.web.control import collector

    monkeypatch.setattr(collector, "collector_running", lambda: True)


def seeded_router(name: str = "core-9"):
    """A device with 40 minutes of every kind of series, and link changes of the
    interface named with a '/'."""
    from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
    from mikromon.domain.events import Event as DomainEvent
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name=name, host="127.0.0.1", port=8728, username="monitor")
    dev.set_password("pw-core-9")
    dev.save()
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    samples = []
    for i in range(480, 0, -1):
        ts = now - timedelta(seconds=5 * i)
        wave = math.sin(i / 20)
        samples += [
            Sample("system.cpu.load_pct", 30 + 10 * wave, ts),
            Sample("system.memory.used_pct", 50 + 2 * wave, ts),
            Sample("system.health.cpu-temperature", 55 + 3 * wave, ts),
            Sample("system.health.board-temperature1", 41 + wave, ts),
            Sample("system.health.voltage", 24.1 + 0.1 * wave, ts),
            Sample("system.health.fan1-speed", 6000 + 300 * wave, ts),
        ]
        for cpu in range(4):
            samples.append(Sample("system.cpu.core_load_pct", 20 + 15 * cpu + 5 * wave, ts,
                                  make_labels(cpu=f"cpu{cpu}")))
        if i % 6 == 0:  # the short tier: every 30 s
            samples += [Sample("dhcp.active_leases", 120 + round(10 * wave), ts),
                        Sample("dhcp.total_leases", 150.0, ts),
                        Sample("ppp.active_sessions", 40 + round(5 * wave), ts),
                        Sample("hotspot.active_users", 12 + round(3 * wave), ts),
                        Sample("firewall.connection_count", 8000 + 900 * wave, ts)]
        if i % 12 == 0:
            q = make_labels(queue="guest wifi")
            samples += [Sample("queue.upload_bps", 2e6 * (1 + wave), ts, q),
                        Sample("queue.download_bps", 9e6 * (1 + wave), ts, q)]
        for n, iface in enumerate(("ether1", SLASHED)):
            lb = make_labels(interface=iface)
            samples += [Sample("iface.rx_bps", (n + 1) * 4e6 * (1 + 0.3 * wave), ts, lb),
                        Sample("iface.tx_bps", (n + 1) * 1e6 * (1 - 0.2 * wave), ts, lb),
                        Sample("iface.rx_pps", (n + 1) * 400 * (1 + wave), ts, lb),
                        Sample("iface.tx_pps", (n + 1) * 100 * (1 + wave), ts, lb),
                        Sample("iface.rx_errors_ps", max(0.0, wave), ts, lb),
                        Sample("iface.tx_errors_ps", 0.0, ts, lb),
                        Sample("iface.rx_drops_ps", max(0.0, -wave) * 3, ts, lb),
                        Sample("iface.tx_drops_ps", 0.1, ts, lb)]
    storage.write_samples(dev.pk, samples)
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                      last_seen=now, identity="rtr-core-9", board="CCR2004",
                                      version="7.16.2 (stable)"))
    storage.write_events([
        DomainEvent(device_id=dev.pk, ts=now - timedelta(minutes=m), kind=kind,
                    message=f"interface {SLASHED} link {word}")
        for m, kind, word in ((25, EventKind.LINK_DOWN, "down"), (24, EventKind.LINK_UP, "up"))])
    return dev, now


def _ready(page: Any) -> None:
    page.wait_for_function("document.body.dataset.chartsReady === '1'")


def _points(page: Any, chart_id: str) -> int:
    return page.evaluate(POINTS_JS).get(chart_id, 0)


def test_a_chart_for_every_family(chromium, live_url, users,  # noqa: F811
                                  collector_says_running):
    dev, _now = seeded_router()
    ARTIFACTS.mkdir(exist_ok=True)
    for width, scheme in ((1280, "light"), (390, "dark")):
        page, errors = open_page(chromium, width)
        page.emulate_media(color_scheme=scheme)
        sign_in(page, live_url, *users["admin"])
        page.goto(f"{live_url}/devices/{dev.pk}/?range=1h&charts={','.join(FAMILIES)}")
        _ready(page)
        for fam in FAMILIES:
            chart_id = f"chart-fam-{fam}"
            wait_until(lambda cid=chart_id, pg=page: _points(pg, cid) > 10, 10,
                       f"{chart_id} data")
        cores = page.evaluate("""() => MM.dashboard.plots().find((p) => p.id ===
            'chart-fam-cores').plot.series.slice(1).map((s) => s.label)""")
        assert cores == ["cpu0", "cpu1", "cpu2", "cpu3"]
        # The toggles say what is shown; the queue (hidden by default) was asked for.
        expect(page.locator('[data-family-toggle="queue:guest wifi"]')).to_have_attribute(
            "aria-pressed", "true")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"charts-families-{width}-{scheme}.png"),
                        full_page=True)
        # A toggle hides its chart and keeps the choice in the URL.
        page.click('[data-family-toggle="dhcp"]')
        expect(page.locator("#chart-fam-dhcp")).to_have_count(0)
        assert "dhcp" not in page.url.split("charts=")[1].split("&")[0]
        assert not errors, errors
        page.context.close()


def test_drag_zoom_changes_every_chart_and_back(chromium, live_url, users,  # noqa: F811
                                                collector_says_running):
    dev, _now = seeded_router()
    page, errors = open_page(chromium, 1280)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/?range=24h&charts=dhcp")
    _ready(page)
    wait_until(lambda: _points(page, "chart-cpu") > 0, 10, "CPU data")
    before = page.evaluate("MM.dashboard.window()")
    step_before = page.evaluate("MM.dashboard.board.step()")
    assert before["live"]
    expect(page.locator("#zoom-back")).to_be_hidden()
    # Drag across the last 60 % of the CPU chart's plotting area.
    page.locator("#chart-cpu .u-over").scroll_into_view_if_needed()
    box = page.locator("#chart-cpu .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.99, y, steps=5)
    page.mouse.up()
    wait_until(lambda: page.evaluate("MM.dashboard.window().zoomed"), 5, "the zoom")
    page.wait_for_function("!MM.dashboard.busy()")
    # One zoom, however many charts mirrored the selection.
    assert page.evaluate("MM.dashboard.board.zooms.length") == 1
    after = page.evaluate("MM.dashboard.window()")
    span = after["to"] - after["from"]
    assert 0.5 * 86400 < span < 0.7 * 86400, after
    assert after["from"] > before["from"]
    assert page.evaluate("MM.dashboard.board.step()") < step_before
    # Every chart shows the new window.
    scales = page.evaluate("""() => MM.dashboard.plots().map((p) =>
        [p.id, p.plot.scales.x.min, p.plot.scales.x.max])""")
    assert {tuple(s[1:]) for s in scales} == {(after["from"], after["to"])}, scales
    assert "from=" in page.url
    assert "range=" not in page.url
    expect(page.locator("#zoom-back")).to_be_visible()
    # Zoom again, then back twice: the first zoom, then the 24h range.
    page.locator("#chart-fam-dhcp .u-over").scroll_into_view_if_needed()
    box = page.locator("#chart-fam-dhcp .u-over").bounding_box()
    y = box["y"] + 40
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, y, steps=8)
    page.mouse.up()
    wait_until(lambda: page.evaluate("MM.dashboard.window().to - MM.dashboard.window().from")
               < span * 0.6, 5, "the second zoom")
    page.click("#zoom-back")
    wait_until(lambda: page.evaluate("MM.dashboard.window()") == after, 5, "back to zoom 1")
    page.click("#zoom-back")
    wait_until(lambda: page.evaluate("MM.dashboard.window().live"), 5, "back to the range")
    expect(page.locator("#zoom-back")).to_be_hidden()
    expect(page.locator('[data-range="24h"]')).to_have_class("btn active")
    assert "range=24h" in page.url
    assert not errors, errors


def test_custom_range_in_the_users_zone(chromium, live_url, users,  # noqa: F811
                                        collector_says_running):
    from mikromon.web.control.models import UserProfile

    dev, now = seeded_router()
    UserProfile.objects.update_or_create(user=users["admin_user"],
                                         defaults={"time_zone": "America/New_York"})
    page, errors = open_page(chromium, 1280)  # the browser itself in Tokyo time
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/?range=1h")
    _ready(page)
    from zoneinfo import ZoneInfo

    start = (now - timedelta(minutes=30)).astimezone(ZoneInfo("America/New_York"))
    end = start + timedelta(minutes=20)
    page.fill("#range-from", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#range-to", end.strftime("%Y-%m-%dT%H:%M"))
    page.click("#range-apply")
    want_from = int(start.replace(second=0).timestamp())
    wait_until(lambda: page.evaluate("MM.dashboard.window().from") == want_from, 5,
               "the custom window")
    page.wait_for_function("!MM.dashboard.busy()")
    assert page.evaluate("MM.dashboard.window()") == {
        "from": want_from, "to": want_from + 1200, "live": False, "zoomed": False}
    assert f"from={want_from}" in page.url
    wait_until(lambda: _points(page, "chart-cpu") > 0, 5, "CPU data in the window")
    expect(page.locator("#range-custom")).to_have_class("active")
    # A reload keeps the window (from the URL); an end before the start is refused.
    page.reload()
    _ready(page)
    assert page.evaluate("MM.dashboard.window().from") == want_from
    page.fill("#range-to", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#range-from", end.strftime("%Y-%m-%dT%H:%M"))
    page.click("#range-apply")
    expect(page.locator("#range-problem")).to_have_text("the end must be after the start")
    assert page.evaluate("MM.dashboard.window().from") == want_from
    assert not errors, errors


def test_interface_page_of_a_name_with_a_slash(chromium, live_url, users,  # noqa: F811
                                               collector_says_running):
    dev, _now = seeded_router()
    ARTIFACTS.mkdir(exist_ok=True)
    for width, scheme in ((1280, "light"), (390, "dark")):
        page, errors = open_page(chromium, width)
        page.emulate_media(color_scheme=scheme)
        sign_in(page, live_url, *users["admin"])
        page.goto(f"{live_url}/devices/{dev.pk}/?range=1h&if={SLASHED}")
        _ready(page)
        # From the dashboard's interface chart title to the interface's page.
        page.get_by_role("link", name=f"{SLASHED} traffic").click()
        # ... with the dashboard's window.
        page.wait_for_url(f"**/devices/{dev.pk}/interfaces/sfp-sfpplus1~2F1/?range=1h")
        _ready(page)
        expect(page.locator("#iface-name")).to_contain_text(SLASHED)
        for chart in ("traffic", "packets", "errors", "drops"):
            wait_until(lambda c=chart, pg=page: _points(pg, f"chart-{c}") > 10, 10,
                       f"{chart} data")
        summary = page.evaluate("MM.interfacePage.summary()")
        assert summary["percentile"]["rx_samples"] >= 7
        assert summary["percentile"]["rx_bps"] > 8e6 * 0.7
        expect(page.locator("#p95-rx")).not_to_have_text("\u2013")
        expect(page.locator("#p95-method")).to_contain_text("highest 5 % dropped")
        # Link changes: in the list and as marks on every chart.
        expect(page.locator("#link-table tbody tr")).to_have_count(2)
        expect(page.locator("#link-table tbody tr").first).to_have_attribute("data-state", "up")
        assert page.locator("#chart-traffic").get_attribute("data-line-marks") == "2"
        # The 95th percentile lines on the traffic chart.
        hlines = page.evaluate("""() => MM.interfacePage.board.charts.get('chart-traffic')
            .hlines.map((h) => h.value)""")
        assert hlines == [summary["percentile"]["rx_bps"], summary["percentile"]["tx_bps"]]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"charts-interface-{width}-{scheme}.png"),
                        full_page=True)
        # A drag zoom narrows the window of every chart and the percentile's.
        page.locator("#chart-packets .u-over").scroll_into_view_if_needed()
        box = page.locator("#chart-packets .u-over").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.75, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.98, y, steps=6)
        page.mouse.up()
        wait_until(lambda pg=page: pg.evaluate("MM.interfacePage.window().zoomed"), 5,
                   "the zoom")
        page.wait_for_function("!MM.interfacePage.busy()")
        zoomed = page.evaluate("MM.interfacePage.window()")
        assert page.evaluate("MM.interfacePage.summary().from") == zoomed["from"]
        assert not errors, errors
        page.context.close()


def test_series_browser_link_opens_that_chart(chromium, live_url, users,  # noqa: F811
                                              collector_says_running):
    dev, _now = seeded_router()
    page, errors = open_page(chromium, 1280)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/?chart=queue.upload_bps"
              "&label=queue%3Dguest%20wifi&range=1h")
    _ready(page)
    wait_until(lambda: _points(page, "chart-fam-queue:guest wifi") > 0, 10, "the queue chart")
    assert page.locator('[data-family="queue:guest wifi"]').is_visible()
    assert not errors, errors
