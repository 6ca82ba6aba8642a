"""The Reports page in the browser at 1280 px (and a look at 390 px): the range
presets fill the dates, the three tables show, the CSV download holds the rows,
and nothing spills past the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browserkit import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _data() -> None:
    """Last month's and this month's traffic on two interfaces and a queue, an outage."""
    from mikromon.web.monitor.models import Device, Event, MetricPoint, Series, labels_key

    dev = Device.objects.create(name="edge-reports", host="127.0.0.1", username="m", state="up")
    now = datetime.now(UTC)
    Device.objects.filter(pk=dev.pk).update(created_at=now - timedelta(days=70))
    start = int((now - timedelta(days=3)).timestamp()) // 300 * 300
    for key, label, rate in (("iface.rx_bps", ("interface", "sfp-sfpplus1"), 9.5e8),
                             ("iface.tx_bps", ("interface", "sfp-sfpplus1"), 2e8),
                             ("iface.rx_bps", ("interface", "ether2"), 1e6),
                             ("queue.download_bps", ("queue", "pppoe-customer-0042"), 5e7)):
        series = Series.objects.create(device=dev, key=key, labels=dict([label]),
                                       labels_key=labels_key([label]))
        MetricPoint.objects.bulk_create(MetricPoint(series=series, ts=start + 300 * i,
                                                    value=rate * (1 + i % 7 / 10))
                                        for i in range(288))
    Event.objects.create(device=dev, ts=now - timedelta(days=2), kind="device_down")
    Event.objects.create(device=dev, ts=now - timedelta(days=2, minutes=-30), kind="device_up")
    Event.objects.create(device=dev, ts=now - timedelta(days=1), kind="link_down",
                         message="interface ether2 link down")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_reports_page_presets_tables_and_csv(page, live_url, users):
    _data()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_url, *users["viewer"])
    page.click("nav >> text=Reports")
    page.wait_for_url(f"{live_url}/reports/")
    assert page.input_value("select[name=range]") == "this_month"
    # The data spans the last three days: the 7-day preset holds all of it on any date.
    page.select_option("select[name=range]", "last_7_days")
    page.click("#report-range button[type=submit]")
    page.wait_for_url("**range=last_7_days**")
    shown_from = page.input_value("input[name=from]")
    # Today and the six days before it, from midnight UTC.
    expected = (datetime.now(UTC) - timedelta(days=6)).strftime("%Y-%m-%dT00:00")
    assert shown_from == expected
    availability = page.locator("#report-availability tbody tr")
    assert availability.count() == 2  # the device, and ether2 (it has a link event)
    assert "edge-reports" in availability.nth(0).inner_text()
    assert "ether2" in availability.nth(1).inner_text()
    percentile = page.inner_text("#report-percentile")
    assert "sfp-sfpplus1" in percentile
    assert "Gbit/s" in percentile or "Mbit/s" in percentile
    talkers = page.locator("#report-talkers tbody tr")
    assert "sfp-sfpplus1" in talkers.nth(0).inner_text()
    assert "pppoe-customer-0042" in page.inner_text("#report-talkers")
    assert _fits(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-1280.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#report-talkers a:text('Download CSV')")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("kind,device_id,device,name,rx_bytes,tx_bytes,total_bytes")
    assert "pppoe-customer-0042" in text

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert _fits(page)
    page.screenshot(path=str(ARTIFACTS / "reports-390.png"), full_page=True)
