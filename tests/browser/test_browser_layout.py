"""The dashboard as it first loads, at fixed window sizes that never change: every
chart fits its panel (axes included) and follows its panel's width when the layout
changes without a window resize; times are UTC whatever the browser's zone; with the
collector stopped nothing says "live". Also the device form's API-SSL port helper.
Screenshots of the main pages go to test-artifacts/ (viewport-sized: a full-page
screenshot resizes the window and would hide layout faults)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browserkit import ARTIFACTS, CHROMIUM_ARGS, chromium_path, shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Interfaces with traffic (the dashboard charts the first four by name).
INTERFACES = ("ether1", "ether2", "ether3", "ether4", "ether5")
#: Panel geometry read in the page: content box of each chart panel and the boxes
#: of what uPlot drew in it (canvas, axes, plotting area).
GEOMETRY_JS = """
() => Array.from(document.querySelectorAll('.chart-panel')).map((p) => {
  const cs = getComputedStyle(p);
  const r = p.getBoundingClientRect();
  const left = r.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft);
  const right = r.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight);
  const parts = Array.from(p.querySelectorAll('canvas, .u-axis, .u-wrap, .u-over'))
    .map((el) => { const b = el.getBoundingClientRect();
                   return {what: el.className || el.tagName, left: b.left, right: b.right,
                           width: b.width}; });
  const canvas = p.querySelector('canvas');
  return {id: p.querySelector('.chart').id, left, right, width: right - left,
          canvas: canvas ? canvas.getBoundingClientRect().width : null, parts,
          overflow: p.scrollWidth - p.clientWidth};
})
"""


@pytest.fixture
def chromium(monkeypatch) -> Iterator[Any]:
    """Chromium; contexts are made per test with a fixed window size and zone."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(chromium: Any, width: int, height: int = 900) -> tuple[Any, list[str]]:
    """A page in a fresh context of ``width`` x ``height`` in Tokyo time (not UTC, so
    that a time shown in the browser's zone is caught)."""
    # bypass_csp: wait_for_function evaluates in the page (see conftest.page).
    context = chromium.new_context(viewport={"width": width, "height": height},
                                   timezone_id="Asia/Tokyo", bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(15_000)
    return page, errors


def seeded_device(name: str = "edge-7"):
    """A device reported up with 20 minutes of CPU, memory and interface history, a PPP
    session and no hotspot package; no collector runs."""
    import math

    from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
    from mikromon.domain.events import Event as DomainEvent
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name=name, host="127.0.0.1", port=8728, username="monitor")
    dev.set_password("pw-edge-7")
    dev.save()
    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    samples = []
    for i in range(240, 0, -1):
        ts = now - timedelta(seconds=5 * i)
        wave = math.sin(i / 15)
        samples.append(Sample("system.cpu.load_pct", 30 + 10 * wave, ts))
        samples.append(Sample("system.memory.used_pct", 52 + 2 * wave, ts))
        samples.append(Sample("system.uptime_seconds", 86400.0 + 5 * (240 - i), ts))
        for n, iface in enumerate(INTERFACES):
            labels = make_labels(interface=iface)
            samples.append(Sample("iface.rx_bps", (n + 1) * 4e6 * (1 + 0.3 * wave), ts, labels))
            samples.append(Sample("iface.tx_bps", (n + 1) * 1e6 * (1 - 0.2 * wave), ts, labels))
    storage.write_samples(dev.pk, samples)
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                      last_seen=now, identity="rtr-edge-7", board="CHR",
                                      version="7.16.2 (stable)"))
    storage.write_inventory(dev.pk, InventorySnapshot(
        table="ppp_active", key_fields=("name",), ts=now,
        rows=[{"name": "client-1", "service": "pppoe", "caller-id": "02:00:00:00:00:09",
               "address": "10.9.0.2", "uptime": 93784.5}]))
    storage.write_events([DomainEvent(
        device_id=dev.pk, ts=now, kind=EventKind.PATH_ABSENT, path="/ip/hotspot/active",
        message="/ip/hotspot/active is not on this router; not asked again until its "
                "version or configuration changes")])
    return dev, now


def check_charts_fit(page: Any, expected_charts: int) -> list[dict[str, Any]]:
    """Assert every chart, its canvas and axes lie inside its panel's content box."""
    panels = page.evaluate(GEOMETRY_JS)
    assert len(panels) == expected_charts, panels
    for p in panels:
        assert p["canvas"] is not None, p["id"]
        assert p["canvas"] <= p["width"] + 0.5, (p["id"], p["canvas"], p["width"])
        assert p["canvas"] >= p["width"] - 2, (p["id"], "chart narrower than its panel",
                                               p["canvas"], p["width"])
        for part in p["parts"]:
            assert part["left"] >= p["left"] - 0.5, (p["id"], part)
            assert part["right"] <= p["right"] + 0.5, (p["id"], part)
        assert p["overflow"] <= 0, (p["id"], p["overflow"])
    return panels


@pytest.mark.parametrize("width", [1440, 1000])
def test_dashboard_charts_fit_their_panels_on_load(chromium, live_url, users, width):
    """Loaded once at a fixed window size (no resize), every chart fits its panel, and
    a layout change without a window resize (the grid made narrower) is followed."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, width)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    page.wait_for_function("document.body.dataset.chartsReady === '1'")
    expect(page.locator("#iface-charts .chart-panel")).to_have_count(4)
    expect(page.locator("#iface-charts .chart-panel .now").first).to_contain_text("bit/s")
    page.wait_for_timeout(300)  # any late layout work of the page happens now
    check_charts_fit(page, 6)
    if width == 1440:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "layout-dashboard.png"))

    # Narrow the interface grid (no window resize): the charts follow their panels.
    page.evaluate("document.getElementById('iface-charts').style.width = '860px'")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('#iface-charts .chart-panel'))
             .every((p) => { const c = p.querySelector('canvas');
                             return c && Math.abs(c.getBoundingClientRect().width
                         - p.querySelector('.chart').getBoundingClientRect().width) < 2; })""",
        timeout=5_000)
    check_charts_fit(page, 6)
    assert not errors, errors


def test_dashboard_stopped_collector_utc_and_inventory(chromium, live_url, users):
    """No collector: a banner, and the live indicator never says "live". Times are UTC
    (browser in Tokyo). Durations read 1d 2h 3m; a missing package says so."""
    dev, seen = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/")
    page.wait_for_function("document.body.dataset.chartsReady === '1'")
    expect(page.locator("#collector-stopped")).to_be_visible()
    expect(page.locator("#live")).to_contain_text("collector stopped")
    assert "live" not in page.locator("#live").inner_text().replace("collector", "")
    expect(page.locator("#device-last-data")).to_have_text(f"{seen:%Y-%m-%d %H:%M:%S} UTC")
    expect(page.locator(".toolbar")).to_contain_text("UTC")

    page.click('button[data-tab="inv-ppp"]')
    cell = page.locator("#inv-ppp table tbody tr").first.locator("td").nth(4)
    expect(cell).to_have_text("1d 2h 3m")
    expect(cell).to_have_attribute("title", "93784.5 s")
    expect(cell).to_have_attribute("data-sort", "93784.5")
    page.click('button[data-tab="inv-hotspot"]')
    expect(page.locator("#inv-hotspot")).to_contain_text("Not on this router")
    expect(page.locator('button[data-tab="inv-hotspot"] .n')).to_have_text("\u2013")
    # The charts' time ticks and cursor use the same UTC formatting (browser in Tokyo).
    t = int(datetime(2025, 3, 1, 14, 5, tzinfo=UTC).timestamp())
    assert page.evaluate(f"MM.fmt.axisTime({t}, 3600)") == "14:05"
    assert page.evaluate(f"MM.fmt.axisTime({t}, 7 * 86400)") == "03-01 14:05"
    assert page.evaluate(f"MM.fmt.when(new Date({t} * 1000).toISOString())") == \
        "2025-03-01 14:05:00 UTC"
    page.screenshot(path=str(ARTIFACTS / "layout-dashboard-stopped.png"))
    assert not errors, errors


def test_device_form_moves_the_port_with_api_ssl(chromium, live_url, users):
    """Ticking API-SSL moves 8728 to 8729 and back; a custom port stays."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/edit/")
    port = page.locator("#id_port")
    expect(port).to_have_value("8728")
    page.check("#id_use_ssl")
    expect(port).to_have_value("8729")
    page.uncheck("#id_use_ssl")
    expect(port).to_have_value("8728")
    port.fill("18728")
    page.check("#id_use_ssl")
    expect(port).to_have_value("18728")
    port.fill("")
    expect(port).to_have_attribute("placeholder", "8729")
    page.uncheck("#id_use_ssl")
    expect(port).to_have_attribute("placeholder", "8728")
    shot(page, "layout-device-form")
    assert not errors, errors


def test_pages_screenshots(chromium, live_url, users):
    """The device list (state links), events and overview render; screenshots for
    people to look at."""
    from mikromon.domain.events import Event as DomainEvent
    from mikromon.domain.events import EventKind
    from mikromon.web.monitor.storage import DjangoStorage

    dev, now = seeded_device()
    DjangoStorage(maintenance_interval=None).write_events([
        DomainEvent(device_id=dev.pk, ts=now - timedelta(minutes=i), kind=EventKind.LINK_DOWN,
                    message=f"ether{i % 5 + 1} went down") for i in range(1, 130)])
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.web.monitor.models import Device

    quiet = Device(name="quiet-3", host="router-3.example.net", username="monitor")
    quiet.set_password("pw")
    quiet.save()
    gone = now - timedelta(minutes=10)
    DjangoStorage(maintenance_interval=None).write_status(DeviceStatus(
        device_id=quiet.pk, state=DeviceState.UP, ts=gone, last_seen=gone))
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    expect(page.locator('tr[data-device="quiet-3"] .hint.stale')).to_be_visible()
    expect(page.locator('tr[data-device="edge-7"] .hint.stale')).to_have_count(0)
    page.click(".page-head .sub a:has-text('2 up')")
    expect(page.locator('tr[data-device="edge-7"]')).to_be_visible()
    assert "??" not in page.url
    shot(page, "layout-device-list")
    page.goto(f"{live_url}/events/")
    page.click("text=Older →")
    expect(page.locator(".filters .muted").last).to_contain_text("page 2 of 2")
    shot(page, "layout-events-page-2")
    page.goto(f"{live_url}/")
    shot(page, "layout-overview")
    assert not errors, errors


#: Lines of text in an element: its text fragments' boxes, grouped where they overlap
#: vertically (a badge and a smaller unit on one line overlap; a wrapped line does not).
LINES_JS = """() => {
window.mmLines = (el) => {
  const rects = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (!n.textContent.trim()) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const b of r.getClientRects()) if (b.width > 0) rects.push(b);
  }
  rects.sort((a, b) => a.top - b.top);
  let lines = 0;
  let bottom = -Infinity;
  for (const b of rects) {
    if (b.top >= bottom - 1) { lines += 1; bottom = b.bottom; }
    else bottom = Math.max(bottom, b.bottom);
  }
  return lines;
};
}"""

#: Cells of a table whose text takes more than one line, and how far the table
#: reaches past its scroll box.
WRAPS_JS = """(sel) => {
  const table = document.querySelector(sel);
  const wrap = table.closest('.table-wrap');
  const wrapped = Array.from(table.querySelectorAll('tbody td'))
    .filter((c) => c.colSpan === 1 && !c.classList.contains('wrap') && mmLines(c) > 1
            && !c.classList.contains('tags'))
    .map((c) => c.textContent.trim());
  return {wrapped, overflow: wrap ? wrap.scrollWidth - wrap.clientWidth : 0};
}"""


def _fleet():
    """Devices as in the demo: long names and identities, TLS, board names, tags, a
    site, one down with an error."""
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.models import Device, Site, Tag
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    now = datetime.now(UTC).replace(microsecond=0)
    site = Site.objects.create(name="Main office")
    tags = [Tag.objects.create(name=n) for n in ("core", "edge", "demo")]
    for i, (name, board) in enumerate((("demo-1-v6", "RB4011iGS+5HacQ2HnD"),
                                       ("demo-2-v7", "CCR2004-1G-12S+2XS"),
                                       ("demo-3-v7-empty", "hAP ax^3"),
                                       ("demo-4-chr", "CHR"))):
        dev = Device(name=name, host="127.0.0.1", port=40000 + i, username="monitor",
                     use_ssl=i % 2 == 1, site=site)
        dev.set_password("pw")
        dev.save()
        dev.tags.set(tags[: i % 3 + 1])
        storage.write_samples(dev.pk, [Sample("system.cpu.load_pct", 3.0 + 20 * i, now),
                                       Sample("system.memory.used_pct", 41.0, now),
                                       Sample("system.uptime_seconds", 275_833.0, now)])
        storage.write_status(DeviceStatus(
            device_id=dev.pk, state=DeviceState.DOWN if i == 2 else DeviceState.UP, ts=now,
            last_seen=now, identity=name, board=board, version="7.16.2 (stable)",
            last_error="connection refused" if i == 2 else ""))


@pytest.mark.parametrize("width", [1400, 1280])
def test_device_list_fits_without_cut_columns(chromium, live_url, users, width):
    """At 1400 and 1280 px the device list shows every column (Tags and Edit
    included) without scrolling, and no cell wraps (identities, uptimes, bars)."""
    _fleet()
    page, errors = open_page(chromium, width)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/")
    page.screenshot(path=str(ARTIFACTS / f"fit-device-list-{width}.png"))
    page.evaluate(LINES_JS)
    fit = page.evaluate(WRAPS_JS, "#devices")
    fit["tags"] = page.evaluate("""() => Array.from(document.querySelectorAll('#devices .tag'))
      .filter((t) => mmLines(t) > 1).map((t) => t.textContent)""")
    fit["bar"] = page.evaluate("document.querySelector('#devices .meter .bar').offsetWidth")
    assert fit["overflow"] <= 0, fit
    assert fit["tags"] == [], fit
    assert fit["wrapped"] == [], fit
    edit = page.locator('tr[data-device="demo-4-chr"] a.btn', has_text="Edit")
    box = edit.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width, box
    assert not errors, errors


@pytest.mark.parametrize("width", [1400, 1280])
def test_dashboard_heads_and_inventory_cells_do_not_wrap(chromium, live_url, users, width):
    """Chart headers never break inside a value (the title keeps its unit); byte and
    duration cells of inventory tables stay on one line."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev, now = seeded_device()
    DjangoStorage(maintenance_interval=None).write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", key_fields=("name",), ts=now,
        rows=[{"name": n, "type": "ether", "running": True, "mac-address": "02:00:00:00:00:01",
               "mtu": 1500, "comment": "uplink to the core switch in rack 4, port 12"}
              for n in INTERFACES]))
    DjangoStorage(maintenance_interval=None).write_inventory(dev.pk, InventorySnapshot(
        table="simple_queues", key_fields=("name",), ts=now,
        rows=[{"name": f"cust-{i:04d}", "target": f"10.99.0.{i}/32",
               "max-limit.upload": 10e6, "max-limit.download": 20e6,
               "bytes.upload": 1_836_000_000 + i, "bytes.download": 48_911_203_112,
               "packets.upload": 902771, "packets.download": 1_200_000,
               "dropped.upload": 12, "dropped.download": 3, "comment": "customer queue"}
              for i in range(1, 6)]))
    page, errors = open_page(chromium, width)
    sign_in(page, live_url, *users["admin"])
    page.goto(f"{live_url}/devices/{dev.pk}/?range=1h")
    page.wait_for_function("document.body.dataset.chartsReady === '1'")
    page.evaluate(LINES_JS)
    heads = page.evaluate("""() => Array.from(document.querySelectorAll('.chart-head')).map(
      (h) => [h.querySelector('h2'), ...h.querySelectorAll('.now .v, .now .at')]
        .filter(Boolean).map((el) => [el.textContent, mmLines(el)]))""")
    for head in heads:
        for text, lines in head:
            assert lines == 1, (text, heads)
    page.screenshot(path=str(ARTIFACTS / f"fit-dashboard-{width}.png"))
    page.click('button[data-tab="inv-queues"]')
    expect(page.locator("#inv-queues table")).to_be_visible()
    page.evaluate(LINES_JS)
    fit = page.evaluate(WRAPS_JS, "#inv-queues table")
    assert fit["wrapped"] == [], fit
    page.locator("#inv-queues").screenshot(path=str(ARTIFACTS / f"fit-queues-{width}.png"))
    assert not errors, errors
