"""The interface page and the dashboard's charts as the server renders them: interface
names in paths (``/`` and spaces), the window's 95th percentile against the domain
math, link changes of that interface only, the chart families a device offers,
``?chart=`` from the series browser, the custom range, and the series API reading
long ranges from the rollups."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample, make_labels
from mikromon.domain.traffic import percentile
from mikromon.web.converters import interface_name, interface_slug
from mikromon.web.monitor.maintenance import update_rollups
from mikromon.web.monitor.models import (
    Device,
    Event,
    MaintenanceState,
    MetricPoint,
    MetricRollup,
    Series,
    labels_key,
)

NAMES = ("ether1", "sfp-sfpplus1/1", "uplink to core", "vlan.100", "..", ".", "a~b%2F",
         "wlan \u00e5/\u4e2d", "x/", "/y", "bridge//lan")
#: A Monday, midnight UTC.
T0 = datetime(2026, 11, 2, tzinfo=UTC)
S0 = int(T0.timestamp())


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _device(name: str = "edge") -> Device:
    return Device.objects.create(name=name, host="127.0.0.1", username="u", state="up")


def _series(dev: Device, key: str, **labels: str) -> Series:
    return Series.objects.create(device=dev, key=key, labels_key=labels_key(labels.items()),
                                 labels=labels)


def _points(series: Series, start: int, values: list[float], every: int = 300) -> None:
    MetricPoint.objects.bulk_create(MetricPoint(series=series, ts=start + i * every, value=v)
                                    for i, v in enumerate(values))


@pytest.mark.parametrize("name", NAMES)
def test_slug_round_trips_and_is_one_safe_segment(name):
    slug = interface_slug(name)
    assert interface_name(slug) == name
    assert not {"/", " ", "%"} & set(slug)
    assert slug not in (".", "..")


def test_slug_keeps_plain_names_readable():
    assert interface_slug("ether1") == "ether1"
    assert interface_slug("sfp-sfpplus1/1") == "sfp-sfpplus1~2F1"
    assert interface_slug("my link") == "my~20link"


def test_slug_refuses_an_empty_name():
    with pytest.raises(ValueError, match="empty"):
        interface_slug("")


@pytest.mark.db_backend
@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_interface_page_for_names_with_slashes_and_spaces(admin_web, no_collector, name):
    dev = _device()
    _series(dev, "iface.rx_bps", interface=name)
    _series(dev, "iface.tx_bps", interface=name)
    _series(dev, "iface.rx_bps", interface="other")
    url = reverse("ui:interface", args=[dev.pk, name])
    assert url.startswith(f"/devices/{dev.pk}/interfaces/")
    assert url.endswith("/")
    resp = admin_web.get(url)
    assert resp.status_code == 200
    assert resp.context["name"] == name
    config = resp.context["config"]
    assert config["interface"] == name
    assert [c["id"] for c in config["charts"]] == ["traffic"]
    assert config["urls"]["summary"] == url + "summary/"


@pytest.mark.django_db
def test_interface_page_404_for_an_unknown_interface(admin_web, no_collector):
    dev = _device()
    _series(dev, "iface.rx_bps", interface="ether1")
    assert admin_web.get(reverse("ui:interface", args=[dev.pk, "ether9"])).status_code == 404
    assert admin_web.get(f"/devices/{dev.pk}/interfaces/bad~zz/").status_code == 404
    # Bytes that are not UTF-8: no such name, not a server error.
    assert admin_web.get(f"/devices/{dev.pk}/interfaces/~FF/").status_code == 404


@pytest.mark.django_db
def test_interface_page_from_the_inventory_row_alone(admin_web, no_collector):
    """An interface without rate series yet (a new port) has its page from its row."""
    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    dev = _device()
    DjangoStorage(maintenance_interval=None).write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", rows=[{"name": "ether7", "type": "ether", "mtu": 1500}],
        key_fields=("name",), ts=datetime.now(UTC)))
    resp = admin_web.get(reverse("ui:interface", args=[dev.pk, "ether7"]))
    assert resp.status_code == 200
    assert resp.context["config"]["charts"] == []
    assert b"No rates stored for this interface yet" in resp.content


@pytest.mark.db_backend
@pytest.mark.django_db
def test_summary_percentile_is_the_domain_math_of_five_minute_averages(admin_web,
                                                                       no_collector):
    """Two raw points per 5 minutes for a day: the page's figure is
    domain.traffic.percentile of the 5-minute averages, receive and transmit apart."""
    name = "sfp-sfpplus1/1"
    dev = _device()
    rng = random.Random(7)
    rx_raw = [rng.uniform(1e6, 9e8) for _ in range(2 * 288)]
    tx_raw = [rng.uniform(1e5, 2e7) for _ in range(2 * 288)]
    _points(_series(dev, "iface.rx_bps", interface=name), S0, rx_raw, every=150)
    _points(_series(dev, "iface.tx_bps", interface=name), S0, tx_raw, every=150)
    rx_avg = [(rx_raw[i] + rx_raw[i + 1]) / 2 for i in range(0, len(rx_raw), 2)]
    tx_avg = [(tx_raw[i] + tx_raw[i + 1]) / 2 for i in range(0, len(tx_raw), 2)]
    url = reverse("ui:interface_summary", args=[dev.pk, name])
    body = admin_web.get(url, {"from": S0, "to": S0 + 86400}).json()
    p = body["percentile"]
    assert p["rx_bps"] == pytest.approx(percentile(rx_avg))
    assert p["tx_bps"] == pytest.approx(percentile(tx_avg))
    assert p["billing_bps"] == pytest.approx(max(percentile(rx_avg), percentile(tx_avg)))
    assert (p["rx_samples"], p["tx_samples"]) == (288, 288)
    assert p["percentile"] == 95.0
    assert "highest 5 % dropped" in p["method"]
    # Half the day: the figure of that half only.
    half = admin_web.get(url, {"from": S0, "to": S0 + 43200}).json()["percentile"]
    assert half["rx_bps"] == pytest.approx(percentile(rx_avg[:144]))
    # The same from 5-minute rollups.
    update_rollups(now=S0 + 86400 + 3600)
    assert MetricRollup.objects.filter(step=300).exists()
    again = admin_web.get(url, {"from": S0, "to": S0 + 86400}).json()["percentile"]
    assert again["rx_bps"] == pytest.approx(p["rx_bps"])


@pytest.mark.db_backend
@pytest.mark.django_db
def test_summary_lists_link_changes_of_that_interface_in_the_window(admin_web,
                                                                     no_collector):
    dev = _device()
    _series(dev, "iface.rx_bps", interface="ether1")
    for minutes, kind, who in ((10, "link_down", "ether1"), (12, "link_up", "ether1"),
                               (15, "link_down", "ether1/1"), (20, "link_down", "ether10"),
                               (90, "link_down", "ether1")):
        Event.objects.create(device=dev, ts=T0 + timedelta(minutes=minutes), kind=kind,
                             message=f"interface {who} {kind.replace('_', ' ')}")
    url = reverse("ui:interface_summary", args=[dev.pk, "ether1"])
    links = admin_web.get(url, {"from": S0, "to": S0 + 3600}).json()["links"]
    assert [(lk["state"], lk["ts"]) for lk in links] == [("down", S0 + 600), ("up", S0 + 720)]
    assert links[0]["message"] == "interface ether1 link down"


@pytest.mark.django_db
def test_summary_names_a_bad_window(admin_web, no_collector):
    dev = _device()
    _series(dev, "iface.rx_bps", interface="ether1")
    url = reverse("ui:interface_summary", args=[dev.pk, "ether1"])
    assert "'to' is required" in admin_web.get(url, {"from": S0}).json()["error"]
    resp = admin_web.get(url, {"from": S0, "to": S0 - 5})
    assert resp.status_code == 400
    assert "after" in resp.json()["error"]
    resp = admin_web.get(url, {"from": "yesterday", "to": S0})
    assert resp.status_code == 400
    assert "from=" in resp.json()["error"]


def _dashboard_config(client, dev: Device, query: str = "") -> dict:
    resp = client.get(f"/devices/{dev.pk}/{query}")
    assert resp.status_code == 200
    return resp.context["config"]


@pytest.fixture
def many_series() -> Device:
    """A device with a value of each kind of series (the families come from them)."""
    dev = _device()
    now = datetime.now(UTC)
    plain = ("system.cpu.load_pct", "dhcp.active_leases", "dhcp.total_leases",
             "ppp.active_sessions", "system.health.cpu-temperature",
             "system.health.board-temperature1", "system.health.fan1-speed")
    _storage().write_samples(dev.pk, [
        *(Sample(key, 1.0, now) for key in plain),
        *(Sample("system.cpu.core_load_pct", 9.0, now, make_labels(cpu=cpu))
          for cpu in ("cpu1", "cpu0")),
        *(Sample(key, 1e6, now, make_labels(queue="guest wifi"))
          for key in ("queue.upload_bps", "queue.download_bps")),
        Sample("iface.rx_bps", 1e6, now, make_labels(interface="ether1")),
    ])
    return dev


@pytest.mark.django_db
def test_dashboard_offers_a_chart_for_every_family(admin_web, no_collector, many_series):
    config = _dashboard_config(admin_web, many_series)
    families = {f["id"]: f for f in config["families"]}
    assert list(families) == ["cores", "dhcp", "ppp", "health-temperature", "health-fans",
                              "queue:guest wifi"]
    assert [line["name"] for line in families["cores"]["lines"]] == ["cpu0", "cpu1"]
    assert families["cores"]["lines"][0]["labels"] == ["cpu=cpu0"]
    assert [line["metric"] for line in families["dhcp"]["lines"]] == [
        "dhcp.active_leases", "dhcp.total_leases"]
    assert families["health-temperature"]["unit"] == "celsius"
    assert len(families["health-temperature"]["lines"]) == 2
    # Queues (a router may have hundreds) wait to be asked for.
    assert config["shown_families"] == ["cores", "dhcp", "ppp", "health-temperature",
                                        "health-fans"]
    assert config["urls"]["interface"] == f"/devices/{many_series.pk}/interfaces/__name__/"
    assert config["ranges"]["30d"] == 30 * 86400
    assert config["ranges"]["1y"] == 365 * 86400


@pytest.mark.django_db
def test_dashboard_charts_query_and_chart_links(admin_web, no_collector, many_series):
    dev = many_series
    assert _dashboard_config(admin_web, dev, "?charts=ppp,nope")["shown_families"] == ["ppp"]
    assert _dashboard_config(admin_web, dev, "?charts=")["shown_families"] == []
    # The series browser's link: that series' chart shown, even a hidden queue.
    config = _dashboard_config(admin_web, dev, "?charts=&chart=queue.download_bps"
                                               "&label=queue%3Dguest%20wifi")
    assert config["shown_families"] == ["queue:guest wifi"]
    assert config["asked_family"] == "queue:guest wifi"
    # A metric with no family here: a chart of just that series.
    config = _dashboard_config(admin_web, dev, "?chart=iface.rx_pps&label=interface%3Dether1")
    asked = next(f for f in config["families"] if f["id"] == config["asked_family"])
    assert asked["lines"] == [{"metric": "iface.rx_pps", "labels": ["interface=ether1"],
                               "name": "iface.rx_pps"}]
    # An interface's traffic: that interface charted.
    _storage().write_samples(dev.pk, [Sample("iface.rx_bps", 1.0, datetime.now(UTC),
                                             make_labels(interface="ether1"))])
    config = _dashboard_config(admin_web, dev, "?if=&chart=iface.tx_bps&label=interface%3Dether1")
    assert config["selected"] == ["ether1"]
    # Unknown metric: nothing added, no error.
    config = _dashboard_config(admin_web, dev, "?chart=no.such_metric")
    assert config["asked_family"] == ""


@pytest.mark.django_db
def test_dashboard_custom_range_in_the_users_zone(admin_web, no_collector, many_series):
    assert admin_web.post("/profile/", {"time_zone": "Europe/Riga"}).status_code == 302
    config = _dashboard_config(admin_web, many_series,
                               "?from=2026-07-01T10:00&to=2026-07-01T12:30")
    # Riga is UTC+3 in July.
    start = int(datetime(2026, 7, 1, 7, 0, tzinfo=UTC).timestamp())
    assert config["custom"] == {"from": start, "to": start + 9000}
    assert _dashboard_config(admin_web, many_series, f"?from={S0}&to={S0 + 60}")["custom"] == {
        "from": S0, "to": S0 + 60}
    resp = admin_web.get(f"/devices/{many_series.pk}/?from=2026-07-01T12:00&to=2026-07-01T10:00")
    assert resp.context["config"]["custom"] is None
    assert "the end of the range must be after its start" in resp.content.decode()
    resp = admin_web.get(f"/devices/{many_series.pk}/?from=2026-07-01T12:00")
    assert resp.context["config"]["custom"] is None
    assert "give both ends" in resp.content.decode()


@pytest.mark.db_backend
@pytest.mark.django_db
def test_series_api_reads_long_ranges_and_old_zooms_from_rollups(admin_web, no_collector):
    """As retention leaves it: raw points for the last days, 5-minute rollups further
    back, 1-hour rollups for the year. A year is a step of a day (the 1-day level:
    here, before the daily level ever ran, its buckets come from the 1-hour
    rollups); 30 days read 1-hour rollups; a one-hour zoom 20 days back reads
    5-minute rollups (not the deleted points), one 200 days back 1-hour rollups; a
    recent zoom reads raw points; a series younger than its range (a new device,
    only raw points) keeps the fine step."""
    dev = _device()
    s = _series(dev, "system.cpu.load_pct")
    young = _series(dev, "system.memory.used_pct")
    now = int(time.time())
    _points(s, now - 2 * 86400, [5.0] * (2 * 8640), every=10)
    _points(young, now - 600, [5.0] * 60, every=10)
    MetricRollup.objects.bulk_create(
        [MetricRollup(series=s, step=300, ts=ts, count=30, min=1, max=9, avg=5, last=5)
         for ts in range(now // 300 * 300 - 30 * 86400, now - 2 * 86400, 300)]
        + [MetricRollup(series=s, step=3600, ts=ts, count=360, min=1, max=9, avg=5,
                        last=5)
           for ts in range(now // 3600 * 3600 - 365 * 86400, now - 30 * 86400, 3600)])
    for step in (300, 3600):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": now // 3600 * 3600})
    url = f"/api/v1/devices/{dev.pk}/series"

    def source(start: float, end: float, metric: str = "system.cpu.load_pct"):
        body = admin_web.get(url, {"metric": metric, "from": int(start), "to": int(end),
                                   "points": 600}).json()
        return body["source"], body["step"], len(body["series"][0]["t"])

    year = source(now - 365 * 86400, now)
    assert year[:2] == ("1d", 86400)
    hourly_days = {ts // 86400 for ts in range(now // 3600 * 3600 - 365 * 86400,
                                               now - 30 * 86400, 3600)}
    assert year[2] == len(hourly_days) + 1  # and today's last hour, of raw points
    assert source(now - 30 * 86400, now)[:2] == ("1h", 7200)
    zoom = source(now - 20 * 86400, now - 20 * 86400 + 3600)
    assert zoom[:2] == ("5m", 300)
    assert zoom[2] >= 12  # the hour's twelve 5-minute rollups (and the one at 'to')
    assert source(now - 200 * 86400, now - 200 * 86400 + 3600)[:2] == ("1h", 3600)
    assert source(now - 3600, now)[:2] == ("raw", 10)
    assert source(now - 3600, now, "system.memory.used_pct")[:2] == ("raw", 10)


@pytest.mark.django_db
def test_overview_links_busiest_interfaces_to_their_page(admin_web, no_collector):
    dev = _device()
    now = datetime.now(UTC)
    _storage().write_samples(dev.pk, [
        Sample(key, 5e6, now - timedelta(seconds=1), make_labels(interface="sfp1/1"))
        for key in ("iface.rx_bps", "iface.tx_bps")])
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                         last_seen=now - timedelta(seconds=1)))
    html = admin_web.get("/").content.decode()
    assert f'href="/devices/{dev.pk}/interfaces/sfp1~2F1/"' in html
