"""The Reports page: the three reports over a chosen range, CSV links, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.web.monitor.models import Device, Event, MetricPoint, Series, labels_key

T0 = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def data(device):
    """October 2026 traffic on ether1 and one queue, and an outage."""
    Device.objects.filter(pk=device.pk).update(created_at=T0 - timedelta(days=9), state="up")
    for key, labels, rate in (("iface.rx_bps", ("interface", "ether1"), 4e6),
                              ("queue.download_bps", ("queue", "cust-<b>7</b>"), 2e6)):
        series = Series.objects.create(device=device, key=key, labels=dict([labels]),
                                       labels_key=labels_key([labels]))
        MetricPoint.objects.bulk_create(MetricPoint(series=series, value=rate,
                                                    ts=int(T0.timestamp()) + 300 * i)
                                        for i in range(24))
    Event.objects.create(device=device, ts=T0 + timedelta(hours=1), kind="device_down")
    Event.objects.create(device=device, ts=T0 + timedelta(hours=2), kind="device_up")
    return device


def test_reports_page_shows_the_three_reports(viewer_web, data):
    answer = viewer_web.get("/reports/", {"month": "2026-10"})
    assert answer.status_code == 200
    html = answer.content.decode()
    for section in ("report-availability", "report-percentile", "report-talkers"):
        assert f'id="{section}"' in html
    assert "99.866 %" in html            # 1 h down of 31 days (744 h)
    assert "4.0 Mbit/s" in html or "4 Mbit/s" in html
    assert "cust-&lt;b&gt;7&lt;/b&gt;" in html
    assert "/api/v1/reports/top-talkers?month=2026-10&amp;format=csv" in html
    assert 'href="/reports/"' in html    # in the navigation


def test_reports_page_presets_and_a_bad_range(viewer_web, data):
    assert viewer_web.get("/reports/", {"range": "last_7_days"}).status_code == 200
    answer = viewer_web.get("/reports/", {"range": "custom", "from": "2026-10-05T00:00",
                                          "to": "2026-10-01T00:00"})
    assert answer.status_code == 400
    assert "&#x27;to&#x27; must be after &#x27;from&#x27;" in answer.content.decode()
    answer = viewer_web.get("/reports/", {"range": "someday"})
    assert answer.status_code == 400
    assert "range=" in answer.content.decode()


def test_reports_page_pages_devices_and_interfaces(viewer_web, db):
    """The tables show 50 rows a page, sorted on the server; past the end: the last."""
    for d in range(60):
        dev = Device.objects.create(name=f"r{d:03d}", host="127.0.0.1", username="m")
        series = Series.objects.create(device=dev, key="iface.rx_bps",
                                       labels={"interface": "ether1"},
                                       labels_key=labels_key([("interface", "ether1")]))
        MetricPoint.objects.create(series=series, ts=int(T0.timestamp()), value=1000.0 * d)
    def percentiles(html: str) -> str:
        return html.split('id="report-percentile"')[1].split("<section")[0]

    html = viewer_web.get("/reports/", {"month": "2026-10"}).content.decode()
    assert "devices 1–50 of 60" in html
    assert "interfaces 1–50 of 60" in html
    assert ">r059<" in percentiles(html)  # highest billing first
    assert ">r009<" not in percentiles(html)
    html = viewer_web.get("/reports/", {"month": "2026-10", "apage": "9", "ppage": "2",
                                        "psort": "device"}).content.decode()
    assert "devices 51–60 of 60" in html
    assert ">r059<" in percentiles(html)
    assert ">r049<" not in percentiles(html)
    assert viewer_web.get("/reports/", {"psort": "speed"}).status_code == 400
