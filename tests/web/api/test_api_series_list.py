"""The series browser's API and page (``/api/v1/series``, ``/series/``): every stored
series of the fleet, filtered by device, site, metric start and label text, sorted
and paged in the database, each with its catalog unit and description, oldest and
newest time, newest value and links to its chart and data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def fleet(db):
    """Three devices (core-1 and edge-2 at site "north", edge-10 without one), each with
    CPU load and rx/tx of ether1 and ether2; core-1's CPU has raw points and a rollup."""
    from mikromon.web.monitor.models import (
        Device,
        MetricLatest,
        MetricPoint,
        MetricRollup,
        Series,
        Site,
    )
    from mikromon.web.monitor.models.metrics import labels_key

    north = Site.objects.create(name="north")
    devices = {}
    for name, site in (("core-1", north), ("edge-2", north), ("edge-10", None)):
        dev = Device.objects.create(name=name, host="127.0.0.1", port=8728,
                                    username="monitor", site=site)
        devices[name] = dev
        made = [Series.objects.create(device=dev, key="system.cpu.load_pct")]
        for iface in ("ether1", "ether2"):
            for key in ("iface.rx_bps", "iface.tx_bps"):
                labels = {"interface": iface}
                made.append(Series.objects.create(device=dev, key=key, labels=labels,
                                                  labels_key=labels_key(labels.items())))
        for i, s in enumerate(made):
            MetricLatest.objects.create(series=s, ts=T0 - timedelta(seconds=i), value=10.0 + i)
    cpu = Series.objects.get(device=devices["core-1"], key="system.cpu.load_pct")
    MetricPoint.objects.create(series=cpu, ts=int(T0.timestamp()) - 600, value=5.0)
    MetricRollup.objects.create(series=cpu, step=3600, ts=int(T0.timestamp()) - 7200,
                                count=1, min=1.0, max=1.0, avg=1.0, last=1.0)
    return devices


def _names(doc):
    return [(s["device_name"], s["metric"], s["labels"].get("interface", ""))
            for s in doc["series"]]


def test_every_series_sorted_by_device_then_metric(api, fleet):
    doc = api.get("/api/v1/series").json()
    assert (doc["count"], doc["more"], doc["sort"], doc["pages"]) == (15, False, "device", 1)
    assert _names(doc)[:5] == [("core-1", "iface.rx_bps", "ether1"),
                               ("core-1", "iface.rx_bps", "ether2"),
                               ("core-1", "iface.tx_bps", "ether1"),
                               ("core-1", "iface.tx_bps", "ether2"),
                               ("core-1", "system.cpu.load_pct", "")]
    assert [n[0] for n in _names(doc)][5:] == ["edge-2"] * 5 + ["edge-10"] * 5  # natural order
    cpu = doc["series"][4]
    assert cpu["unit"] == "percent"
    assert "CPU" in cpu["description"]
    assert cpu["first"] == "2026-03-01T10:00:00Z"  # the hourly rollup is the oldest
    assert cpu["last"] == "2026-03-01T12:00:00Z"
    assert cpu["value"] == 10.0
    assert cpu["site"] == "north"
    device = fleet["core-1"].pk
    assert cpu["chart_url"] == f"/devices/{device}/?chart=system.cpu.load_pct"
    rx = doc["series"][1]
    assert rx["chart_url"] == f"/devices/{device}/?chart=iface.rx_bps&label=interface%3Dether2"
    assert rx["data_url"] == (f"/api/v1/devices/{device}/series?metric=iface.rx_bps"
                              "&label=interface%3Dether2")
    assert rx["first"] is None
    # The data link answers that series.
    data = api.get(rx["data_url"]).json()
    assert [s["labels"] for s in data["series"]] == [{"interface": "ether2"}]


def test_filters_by_device_site_metric_and_label(api, fleet):
    assert api.get("/api/v1/series?device=edge").json()["count"] == 10
    assert api.get(f"/api/v1/series?device={fleet['edge-2'].pk}").json()["count"] == 5
    assert api.get("/api/v1/series?site=north").json()["count"] == 10
    assert api.get("/api/v1/series?site=none").json()["count"] == 5
    doc = api.get("/api/v1/series?metric=iface.&label=ether2&site=north&sort=-metric").json()
    assert _names(doc) == [
        ("core-1", "iface.tx_bps", "ether2"), ("edge-2", "iface.tx_bps", "ether2"),
        ("core-1", "iface.rx_bps", "ether2"), ("edge-2", "iface.rx_bps", "ether2")]
    assert api.get("/api/v1/series?label=interface=ether1").json()["count"] == 6
    assert api.get("/api/v1/series?metric=system.cpu").json()["count"] == 3
    assert api.get("/api/v1/series?metric=nothing.").json()["series"] == []


def test_pages_and_newest_sort(api, fleet):
    first = api.get("/api/v1/series?per_page=4&sort=last").json()
    assert (first["pages"], len(first["series"])) == (4, 4)
    assert [s["last"] for s in first["series"]] == ["2026-03-01T11:59:56Z"] * 3 + [
        "2026-03-01T11:59:57Z"]
    last = api.get("/api/v1/series?per_page=4&page=4").json()
    assert len(last["series"]) == 3


def test_bad_parameters_are_named(api, fleet):
    bad = api.get("/api/v1/series?sort=value&per_page=0&site=nowhere")
    assert bad.status_code == 400
    message = bad.json()["error"]
    assert "sort='value': sort by device, metric, last" in message
    assert "per_page must be between 1 and 1000 (got 0)" in message
    assert "'site' must be a site id" in message


def test_count_stops_at_the_limit(api, fleet, monkeypatch):
    from mikromon.web.monitor import series_listing

    monkeypatch.setattr(series_listing, "COUNT_LIMIT", 6)
    doc = api.get("/api/v1/series?per_page=5").json()
    assert (doc["count"], doc["more"]) == (6, True)
    # Sorting by newest sample sorts every match: refused past the limit ...
    refused = api.get("/api/v1/series?sort=-last")
    assert refused.status_code == 400
    assert "sort='-last' needs at most 6 series" in refused.json()["error"]
    # ... and allowed within it.
    assert api.get("/api/v1/series?sort=-last&metric=system.").json()["count"] == 3


def test_metric_sort_keeps_a_metric_together(api, fleet):
    doc = api.get("/api/v1/series?sort=metric").json()
    metrics = [s["metric"] for s in doc["series"]]
    assert metrics == sorted(metrics)
    assert [s["device_name"] for s in doc["series"][:6]] == [
        "core-1", "core-1", "edge-2", "edge-2", "edge-10", "edge-10"]  # as first stored
    down = api.get("/api/v1/series?sort=-metric").json()
    assert down["series"][0]["metric"] == "system.cpu.load_pct"


def test_page_lists_filters_and_links(admin_web, fleet):
    page = admin_web.get("/series/?metric=iface.rx&device=core")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 series" in text
    core = fleet["core-1"].pk
    assert f'href="/devices/{core}/?chart=iface.rx_bps&amp;label=interface%3Dether1"' in text
    assert "Receive" in text or "receive" in text  # the catalog description
    assert 'href="/series/"' in text  # the nav link
    bad = admin_web.get("/series/?sort=bogus")
    assert bad.status_code == 400
    assert "sort=&#x27;bogus&#x27;" in bad.content.decode()


def test_page_exports_the_listed_series_as_csv(admin_web, fleet):
    """The export takes the page's filters and writes ``mikromon export``'s CSV shape,
    each row with its own device."""
    from mikromon.web.monitor.models import MetricPoint, Series

    t = int(T0.timestamp())
    for name in ("core-1", "edge-2"):
        s = Series.objects.get(device=fleet[name], key="iface.rx_bps",
                               labels__interface="ether1")
        MetricPoint.objects.bulk_create([MetricPoint(series=s, ts=t - 60 * i, value=1000.0 + i)
                                         for i in range(3)])
    page = admin_web.get("/series/?metric=iface.rx_bps&label=ether1")
    assert 'action="/series/export.csv"' in page.content.decode()
    response = admin_web.get("/series/export.csv?metric=iface.rx_bps&label=ether1"
                             "&from=2026-03-01T11:50:00Z&to=2026-03-01T12:00:00Z&resolution=raw")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "time,device,metric,interface,unit,value"
    assert lines[1] == "2026-03-01T11:58:00Z,core-1,iface.rx_bps,ether1,bits/s,1002.0"
    rows = [line.split(",") for line in lines[1:]]
    assert [(r[1], r[0][11:16], r[5]) for r in rows] == [
        ("core-1", "11:58", "1002.0"), ("core-1", "11:59", "1001.0"),
        ("core-1", "12:00", "1000.0"), ("edge-2", "11:58", "1002.0"),
        ("edge-2", "11:59", "1001.0"), ("edge-2", "12:00", "1000.0")]
    bad = admin_web.get("/series/export.csv?resolution=2m")
    assert bad.status_code == 400
