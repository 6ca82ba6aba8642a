"""The dashboard's script in a real browser: "live" only while fresh data arrives,
range and interfaces kept in the URL, chart headers showing the current value like
the cards, unit stepping at the rounding edge, time-axis labels that never overlap,
and state/staleness followed at every range."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from browserkit import ARTIFACTS, sign_in, wait_until
from playwright.sync_api import expect
from test_browser_layout import chromium, open_page, seeded_device  # noqa: F401

from mikromon.web.monitor.choices import state_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RANGES = ("15m", "1h", "24h", "7d")

#: For every plot: the x-axis tick labels with their centre (CSS px) and width.
AXIS_LABELS_JS = """
() => MM.dashboard.plots().map(({id, plot}) => {
  const ax = plot.axes[0];
  const ctx = plot.ctx;
  ctx.save();
  ctx.font = ax.font[0];
  const labels = (ax._splits || []).map((s, i) => ({
    text: ax._values[i], x: plot.valToPos(s, 'x'),
    width: ctx.measureText(ax._values[i]).width / devicePixelRatio,
  })).filter((l) => l.text !== null && l.text !== '');
  ctx.restore();
  return {id, labels};
})
"""


@pytest.fixture
def collector_says_running(monkeypatch):
    """The pages see a running collector (none polls: the data is what was seeded)."""
    from mikromon.web.control import collector

    monkeypatch.setattr(collector, "collector_running", lambda: True)


def _dashboard(page: Any, base: str, dev: Any, query: str = "") -> None:
    page.goto(f"{base}/devices/{dev.pk}/{query}")
    page.wait_for_function("document.body.dataset.chartsReady === '1'")


def _status(dev: Any, state: str, *, seen: datetime | None, error: str = "") -> None:
    from mikromon.domain.events import DeviceState, DeviceStatus
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage(maintenance_interval=None).write_status(DeviceStatus(
        device_id=dev.pk, state=DeviceState(state), ts=datetime.now(UTC), last_seen=seen,
        last_error=error))


def test_live_only_while_fresh_data_arrives(chromium, live_url, users,  # noqa: F811
                                            collector_says_running):
    """Fresh data: "live". A router whose login is refused and one that is down, never
    read: no green "live", but what is true."""
    from mikromon.web.monitor.models import Device

    fresh, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, fresh)
    expect(page.locator("#live")).to_have_text("live")
    assert "paused" not in page.locator("#live").get_attribute("class")

    for name, state, error in (("locked", "auth_failed", "login refused: bad password"),
                               ("gone", "down", "connection refused")):
        dev = Device(name=name, host="127.0.0.1", username="u")
        dev.set_password("pw")
        dev.save()
        _status(dev, state, seen=None, error=error)
        _dashboard(page, live_url, dev)
        live = page.locator("#live")
        expect(live).to_contain_text(f"no data yet \u00b7 {state_label(state)}")
        assert "live" not in live.inner_text()
        assert "paused" in live.get_attribute("class")
        expect(page.locator("#device-last-data")).to_have_text("no data yet")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{state}.png"))

    # A router that answered before and is down now: since when, and the newest data.
    _status(fresh, "down", seen=None, error="connection refused")
    _dashboard(page, live_url, fresh)
    expect(page.locator("#live")).to_contain_text(f"{state_label('down')} since")
    assert "live" not in page.locator("#live").inner_text()
    assert not errors, errors


def test_state_followed_at_every_range(chromium, live_url, users, monkeypatch):  # noqa: F811
    """At 7d (charts redrawn rarely) the state and stale hint still follow the data
    within seconds: data stops arriving -> "stale", as on the device list."""
    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.1")  # stale after 2 s, refresh each 1 s
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev, "?range=7d")
    expect(page.locator("#device-stale")).to_be_visible(timeout=8_000)
    assert not errors, errors


def test_range_and_interfaces_kept_in_the_url(chromium, live_url, users):  # noqa: F811
    """Choosing a range and ticking an interface rewrite the query string; a reload
    keeps both, and panels stay in list order (a newly ticked one is not appended)."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev)
    page.click('button[data-range="7d"]')
    # Charted by default: ether1-4 (first by name). Untick two, tick ether5, then
    # tick ether2 again: it goes back to its place in the list, not to the end.
    page.uncheck('input[data-iface="ether2"]')
    page.uncheck('input[data-iface="ether4"]')
    page.check('input[data-iface="ether5"]')
    page.check('input[data-iface="ether2"]')
    wait_until(lambda: "range=7d" in page.url and "if=ether1%2Cether2%2Cether3%2Cether5"
               in page.url, 5, f"the URL to carry the choices ({page.url})")
    panels = page.locator("#iface-charts .chart-panel")
    wait_until(lambda: panels.evaluate_all("(ps) => ps.map((p) => p.dataset.iface)")
               == ["ether1", "ether2", "ether3", "ether5"], 5, "panels in list order")

    page.reload()
    page.wait_for_function("document.body.dataset.chartsReady === '1'")
    expect(page.locator('button[data-range="7d"]')).to_have_class("btn active")
    checked = page.locator("input[data-iface]:checked").evaluate_all(
        "(bs) => bs.map((b) => b.dataset.iface)")
    assert checked == ["ether1", "ether2", "ether3", "ether5"]
    order = page.locator("#iface-charts .chart-panel").evaluate_all(
        "(ps) => ps.map((p) => p.dataset.iface)")
    assert order == ["ether1", "ether2", "ether3", "ether5"]
    assert not errors, errors


def test_chart_headers_show_the_current_value(chromium, live_url, users):  # noqa: F811
    """At 7d (buckets of ~17 min) each chart header shows the current value, labelled
    "now", equal to the card above; interface headers the current rx/tx rates."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev, "?range=7d")
    for chart, key in (("chart-cpu", "system.cpu.load_pct"),
                       ("chart-mem", "system.memory.used_pct")):
        card = page.locator(f'.stat [data-metric="{key}"]').inner_text()
        expect(page.locator(f"#{chart}-now")).to_have_text(f"now {card}")
    latest = page.evaluate(f"""fetch('/api/v1/devices/{dev.pk}/latest').then((r) => r.json())
        .then((j) => j.values.filter((v) => v.labels.interface === 'ether4'))""")
    rx = next(v["value"] for v in latest if v["key"] == "iface.rx_bps")
    tx = next(v["value"] for v in latest if v["key"] == "iface.tx_bps")
    text = page.evaluate(f"`now \u2193 ${{MM.fmt.bps({rx})}}  \u2191 ${{MM.fmt.bps({tx})}}`")
    head = page.locator('#iface-charts .chart-panel[data-iface="ether4"] .now')
    expect(head).to_have_text(text)
    assert not errors, errors


def test_units_promote_at_the_rounding_edge(chromium, live_url, users):  # noqa: F811
    """The page's formatter never says 1000 kbit/s or 1024 KiB; intervals in words."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev)
    cases = {
        "MM.fmt.bps(999999)": "1 Mbit/s", "MM.fmt.bps(999.996)": "1 kbit/s",
        "MM.fmt.bps(999499)": "999 kbit/s", "MM.fmt.bps(9.999e6)": "10 Mbit/s",
        "MM.fmt.bytes(1048575)": "1 MiB", "MM.fmt.bytes(1023.97)": "1 KiB",
        "MM.fmt.bytes(1023)": "1023 B", "MM.fmt.duration(59.99)": "59s",
        "MM.fmt.duration(3599.9)": "59m 59s", "MM.fmt.interval(86400)": "24 h",
        "MM.fmt.interval(300)": "5 min", "MM.fmt.interval(5)": "5 s",
        "MM.fmt.interval(0.5)": "0.5 s", "MM.fmt.interval(8640)": "144 min",
    }
    got = {expr: page.evaluate(expr) for expr in cases}
    assert got == cases
    expect(page.locator(".panel", has_text="Collection")).to_contain_text("every 24 h")
    assert not errors, errors


def test_failed_chart_fetch_is_retried_on_the_next_tick(chromium, live_url, users,  # noqa: F811
                                                         monkeypatch):
    """At range 7d the charts are due every 5 min; when their fetch fails, the next
    tick (1 s at this time scale) fetches them again instead of waiting 5 min."""
    import time

    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.2")  # refresh every max(1, 5 x 0.2) s
    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    requests: list[float] = []
    failed_at: list[float] = []

    def series(route: Any) -> None:
        requests.append(time.monotonic())
        if failed_at:
            route.continue_()
        else:
            failed_at.append(time.monotonic())
            route.fulfill(status=500, body="down for a moment")

    page.route("**/series?*", series)
    page.goto(f"{live_url}/devices/{dev.pk}/?range=7d")

    def fetched_again() -> bool:
        page.wait_for_timeout(100)  # lets Playwright run the route handler
        return bool(failed_at) and any(t > failed_at[0] + 0.5 for t in requests)

    wait_until(fetched_again, 15, "the charts fetched again after a failed fetch")
    expect(page.locator("#live")).not_to_contain_text("update failed")
    drawn = page.evaluate("MM.dashboard.plots().map(({id, plot}) => [id, plot.data[0].length])")
    assert drawn, drawn
    assert all(n > 0 for _, n in drawn), drawn
    assert not errors, errors


@pytest.mark.parametrize("width", [1440, 1000])
def test_time_axis_labels_never_overlap(chromium, live_url, users, width):  # noqa: F811
    """At every range and both window widths, the x-axis labels of every chart keep a
    gap between them and stay inside the plot."""
    dev, _ = seeded_device()
    page, errors = open_page(chromium, width)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev)
    for r in RANGES:
        page.click(f'button[data-range="{r}"]')
        page.wait_for_function(f"MM.dashboard.range() === '{r}' && !MM.dashboard.busy()")
        page.wait_for_timeout(200)
        plots = page.evaluate(AXIS_LABELS_JS)
        assert len(plots) == 6
        for p in plots:
            labels = p["labels"]
            assert len(labels) >= 2, (r, p["id"], labels)
            for a, b in itertools.pairwise(labels):
                room = (b["x"] - a["x"]) - (a["width"] + b["width"]) / 2
                assert room >= 6, (width, r, p["id"], a, b)
        if width == 1440:
            page.screenshot(path=str(ARTIFACTS / f"dashboard-range-{r}.png"))
    assert not errors, errors



def test_down_router_shows_last_values_not_now(chromium, live_url, users,  # noqa: F811
                                               collector_says_running):
    """A router that went down: cards and chart headers keep its last values, greyed,
    with "last value at <time>", never "now"."""
    dev, now = seeded_device()
    _status(dev, "down", seen=now, error="connection refused")
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev)
    expect(page.locator("#live")).to_contain_text(f"{state_label('down')} since")
    for head in ("#chart-cpu-now", "#chart-mem-now",
                 '#iface-charts .chart-panel[data-iface="ether1"] .now'):
        loc = page.locator(head)
        expect(loc).to_contain_text("last value at ")
        assert "now" not in loc.inner_text(), loc.inner_text()
        assert "old" in loc.get_attribute("class")
    cards = page.locator(".stat.old")
    expect(cards).to_have_count(3)
    expect(cards.first.locator(".when")).to_contain_text("last value at ")
    page.screenshot(path=str(ARTIFACTS / "dashboard-down-last-values.png"))
    assert not errors, errors


@pytest.mark.parametrize("range_key", ["24h", "7d"])
def test_a_single_bucket_is_drawn(chromium, live_url, users, range_key):  # noqa: F811
    """Seconds after the first poll, 24h and 7d have one bucket (one sample: young
    data is charted at its own step, so more samples make more buckets): it is
    drawn as a point (a line needs two), not an empty chart."""
    from datetime import timedelta

    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="new-one", host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    now = datetime.now(UTC).replace(microsecond=0)
    DjangoStorage(maintenance_interval=None).write_samples(dev.pk, [
        Sample("system.cpu.load_pct", 12.0, now - timedelta(seconds=1))])
    _status(dev, "up", seen=now)
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev, f"?range={range_key}")
    drawn = page.evaluate("""() => {
      const {plot} = MM.dashboard.plots().find((p) => p.id === 'chart-cpu');
      const values = plot.data[1].filter((v) => v != null);
      return [values.length, plot.series[1].points.filter(plot, 1, false, null)];
    }""")
    assert drawn[0] == 1, drawn
    assert drawn[1] is not None, drawn
    assert len(drawn[1]) == 1, drawn
    assert not errors, errors


def test_logs_tab_shows_pushed_lines_live(chromium, live_url, users,  # noqa: F811
                                          collector_says_running):
    """A line that arrives by syslog while the Logs tab is open shows up without a
    reload, and the search typed in the tab is kept."""
    from mikromon.collectors.log import KEY
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev, _ = seeded_device()
    page, errors = open_page(chromium, 1440)
    sign_in(page, live_url, *users["admin"])
    _dashboard(page, live_url, dev)
    page.click('button[data-tab="inv-logs"]')
    expect(page.locator("#inv-logs .inv-body")).not_to_contain_text("Loading")
    page.fill("#inv-logs input[type=search]", "login failure")
    now = datetime.now(UTC)
    DjangoStorage(maintenance_interval=None).write_inventory(dev.pk, InventorySnapshot(
        table="logs", key_fields=KEY, ts=now, append_only=True, rows=[
            {"time": now.replace(tzinfo=None, microsecond=0).isoformat(),
             "topics": "system,error,critical", "source": "syslog",
             "message": "login failure for user admin from 10.0.0.9 via ssh"},
            {"time": now.replace(tzinfo=None, microsecond=0).isoformat(),
             "topics": "interface,info", "source": "syslog", "message": "ether1 link down"},
        ]))
    rows = page.locator("#inv-logs table tbody tr:visible")
    expect(rows.filter(has_text="login failure for user admin")).to_have_count(1,
                                                                                timeout=30_000)
    expect(page.locator("#inv-logs input[type=search]")).to_have_value("login failure")
    expect(rows.filter(has_text="ether1 link down")).to_have_count(0)
    assert not errors, errors
