"""API documents: devices, latest values, downsampled series, inventory, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
from mikromon.domain.events import Event as DomainEvent
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, make_labels

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


@pytest.fixture
def api(admin_token):
    """A client authenticated with the admin's token."""
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def filled(device):
    """The device with 10 minutes of 5-second CPU and interface data from T0."""
    samples = []
    for i in range(120):
        ts = T0 + timedelta(seconds=5 * i)
        samples.append(Sample("system.cpu.load_pct", float(i % 12), ts))
        for name, rate in (("ether1", 1e6), ("ether2", 2e6), ("wlan1", 3e6)):
            samples.append(Sample("iface.rx_bps", rate + i, ts, make_labels(interface=name)))
    _storage().write_samples(device.pk, samples)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=T0,
                                         last_seen=T0, identity="rtr", board="CHR",
                                         version="7.16.2 (stable)"))
    return device


@pytest.mark.django_db
def test_devices_and_detail_never_show_the_password(api, filled):
    """Devices carry state and facts, and never the password (only has_password)."""
    listing = api.get("/api/v1/devices").json()["devices"]
    assert [d["name"] for d in listing] == ["edge-1"]
    assert listing[0]["state"] == "up"
    assert listing[0]["board"] == "CHR"
    detail = api.get(f"/api/v1/devices/{filled.pk}")
    doc = detail.json()
    assert doc["has_password"] is True
    assert doc["intervals"]["realtime"] == 5
    assert "r0uter-Secret-9" not in detail.content.decode()
    assert filled.password_encrypted not in detail.content.decode()
    assert not any("password" in k and k != "has_password" for k in doc)
    assert api.get("/api/v1/devices/999").status_code == 404
    assert api.get("/api/v1/devices?state=down").json()["devices"] == []


@pytest.mark.django_db
def test_latest(api, filled):
    """Latest values carry key, labels, value, unit and time."""
    doc = api.get(f"/api/v1/devices/{filled.pk}/latest").json()
    assert doc["device"]["state"] == "up"
    cpu = next(v for v in doc["values"] if v["key"] == "system.cpu.load_pct")
    assert cpu["value"] == 119 % 12
    assert cpu["unit"] == "percent"
    assert cpu["ts"] == "2025-03-01T12:09:55Z"
    rx = [v for v in doc["values"] if v["key"] == "iface.rx_bps"]
    assert {v["labels"]["interface"] for v in rx} == {"ether1", "ether2", "wlan1"}


@pytest.mark.django_db
def test_series_raw_and_downsampled(api, filled):
    """A 60-second step averages twelve 5-second points per bucket, in the database."""
    start = int(T0.timestamp())
    url = f"/api/v1/devices/{filled.pk}/series?metric=system.cpu.load_pct&from={start}" \
          f"&to={start + 600}"
    raw = api.get(url + "&step=5").json()
    assert raw["unit"] == "percent"
    assert raw["step"] == 5
    assert len(raw["series"]) == 1
    assert len(raw["series"][0]["t"]) == 120
    down = api.get(url + "&step=60").json()
    s = down["series"][0]
    assert down["step"] == 60
    assert s["t"][:2] == [start, start + 60]
    assert s["v"] == [5.5] * 10  # mean of 0..11
    assert s["min"][0] == 0
    assert s["max"][0] == 11


@pytest.mark.django_db
def test_series_default_points(api, filled):
    """Without a step the server picks one that gives at most ``points`` buckets."""
    start = int(T0.timestamp())
    doc = api.get(f"/api/v1/devices/{filled.pk}/series?metric=system.cpu.load_pct"
                  f"&from={start}&to={start + 600}&points=10").json()
    assert doc["step"] == 60
    assert len(doc["series"][0]["t"]) <= 11


@pytest.mark.django_db
def test_series_labels_and_times(api, filled):
    """label filters choose series; ISO times and relative times are accepted."""
    base = f"/api/v1/devices/{filled.pk}/series?metric=iface.rx_bps" \
           "&from=2025-03-01T12:00:00Z&to=2025-03-01T12:10:00Z&step=300"
    assert len(api.get(base).json()["series"]) == 3
    one = api.get(base + "&label=interface=ether2").json()["series"]
    assert [s["labels"] for s in one] == [{"interface": "ether2"}]
    two = api.get(base + "&label=interface:ether1&label=interface=wlan1").json()["series"]
    assert sorted(s["labels"]["interface"] for s in two) == ["ether1", "wlan1"]
    bare = api.get(base + "&label=wlan1").json()["series"]
    assert [s["labels"]["interface"] for s in bare] == ["wlan1"]
    recent = api.get(f"/api/v1/devices/{filled.pk}/series?metric=iface.rx_bps&from=-15m")
    assert recent.status_code == 200
    assert all(not s["t"] for s in recent.json()["series"])


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "words"), [
    ("", "metric is required"),
    ("metric=system.cpu.load_pct&from=yesterday", "from='yesterday' is not a time"),
    ("metric=system.cpu.load_pct&step=0", "step must be between"),
    ("metric=system.cpu.load_pct&from=100&to=50", "'to' must be after 'from'"),
    ("metric=system.cpu.load_pct&points=abc", "not a whole number"),
    ("metric=x", "unknown metric 'x'"),
])
def test_series_bad_parameters(api, device, query, words):
    """Bad parameters answer 400 naming what is wrong."""
    response = api.get(f"/api/v1/devices/{device.pk}/series?{query}")
    assert response.status_code == 400
    assert words in response.json()["error"]


@pytest.mark.django_db
def test_inventory_and_logs(api, device):
    """Inventory rows come back with the preferred columns first; logs read LogEntry."""
    now = datetime.now(UTC)
    _storage().write_inventory(device.pk, InventorySnapshot(
        table="interfaces", key_fields=("name",), ts=now,
        rows=[{"comment": "", "name": "ether1", "type": "ether", "running": True, "mtu": 1500},
              {"comment": "uplink", "name": "ether2", "type": "ether", "running": False,
               "mtu": 1500}]))
    _storage().write_inventory(device.pk, InventorySnapshot(
        table="logs", key_fields=("time", "message"), ts=now, append_only=True,
        rows=[{"time": "2025-03-01 12:00:00", "topics": "system,info", "message": "hello"}]))
    doc = api.get(f"/api/v1/devices/{device.pk}/inventory/interfaces").json()
    assert doc["label"] == "Interfaces"
    assert doc["count"] == 2
    assert doc["columns"][:3] == ["name", "type", "running"]
    assert doc["rows"][1]["comment"] == "uplink"
    logs = api.get(f"/api/v1/devices/{device.pk}/inventory/logs").json()
    assert logs["rows"][0]["message"] == "hello"
    empty = api.get(f"/api/v1/devices/{device.pk}/inventory/bgp_sessions").json()
    assert empty["rows"] == []
    assert "once a day" in empty["empty_text"]
    detail = api.get(f"/api/v1/devices/{device.pk}").json()
    assert detail["inventory_tables"] == {"interfaces": 2, "logs": 1}


@pytest.mark.django_db
def test_logs_are_listed_by_router_time_with_their_zone(api, device):
    """Lines read in one poll come back newest router time first, in UTC."""
    now = datetime.now(UTC)
    lines = [("2025-03-01T10:00:05+00:00", "b"), ("2025-03-01T09:59:59+00:00", "a"),
             ("2025-03-01T10:01:00+00:00", "c")]
    for i, (time, message) in enumerate(lines):  # each read later than the one before
        _storage().write_inventory(device.pk, InventorySnapshot(
            table="logs", key_fields=("time", "message"), ts=now + timedelta(seconds=i),
            append_only=True, rows=[{"time": time, "topics": "system,info", "message": message}]))
    logs = api.get(f"/api/v1/devices/{device.pk}/inventory/logs").json()
    assert [(r["time"], r["message"]) for r in logs["rows"]] == [
        ("2025-03-01T10:01:00+00:00", "c"), ("2025-03-01T10:00:05+00:00", "b"),
        ("2025-03-01T09:59:59+00:00", "a")]


@pytest.mark.django_db
def test_degraded_device_and_its_health_words(api, device):
    """A degraded device is listed by state=degraded, counts as current (not stale
    while data comes) and its health states come back as the router's words."""
    now = datetime.now(UTC)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.DEGRADED,
                                         ts=now, last_seen=now))
    _storage().write_samples(device.pk, [Sample("system.cpu.load_pct", 3.0, now)])
    _storage().write_inventory(device.pk, InventorySnapshot(
        table="health_states", key_fields=("name",), ts=now,
        rows=[{"name": "psu2-state", "state": "fail"}, {"name": "psu1-state", "state": "ok"}]))
    listed = api.get("/api/v1/devices?state=degraded").json()["devices"]
    assert [(d["name"], d["state"], d["state_label"]) for d in listed] == [
        ("edge-1", "degraded", "Degraded")]
    latest = api.get(f"/api/v1/devices/{device.pk}/latest").json()
    assert latest["device"]["stale"] is False
    assert latest["health_states"] == [
        {"name": "psu1-state", "state": "ok", "failing": False},
        {"name": "psu2-state", "state": "fail", "failing": True}]
    assert not [v for v in latest["values"] if "psu" in v["key"]]  # no number for a state


@pytest.mark.django_db
def test_events(api, device):
    """Events filter by device, kind and time."""
    _storage().write_events([
        DomainEvent(device_id=device.pk, ts=T0, kind=EventKind.DEVICE_DOWN, message="down"),
        DomainEvent(device_id=device.pk, ts=T0 + timedelta(minutes=5),
                    kind=EventKind.DEVICE_UP, message="up again"),
    ])
    def msgs(q: str) -> list[str]:
        return [e["message"] for e in api.get(f"/api/v1/events{q}").json()["events"]]

    assert msgs("") == ["up again", "down"]
    assert msgs("?kind=device_down") == ["down"]
    assert msgs("?from=2025-03-01T12:01:00Z") == ["up again"]
    assert msgs(f"?device={device.pk}&limit=1") == ["up again"]
    assert api.get("/api/v1/events?limit=0").status_code == 400


@pytest.mark.django_db
def test_events_carry_the_routeros_path(api, device):
    """An event about a RouterOS path names it in ``path``; others have ``""``."""
    _storage().write_events([
        DomainEvent(device_id=device.pk, ts=T0, kind=EventKind.DEVICE_DOWN, message="down"),
        DomainEvent(device_id=device.pk, ts=T0 + timedelta(minutes=1),
                    kind=EventKind.PATH_ABSENT, path="/ip/hotspot/active",
                    message="no hotspot package"),
    ])
    events = api.get("/api/v1/events").json()["events"]
    assert [(e["kind"], e["path"]) for e in events] == [
        ("path_absent", "/ip/hotspot/active"), ("device_down", "")]


@pytest.mark.django_db
def test_collector_status_without_process(api, no_collector):
    """With no collector anywhere the status says stopped, nowhere."""
    doc = api.get("/api/v1/collector").json()
    assert doc["running"] is False
    assert doc["where"] == ""
    assert doc["desired"]["running"] is True


@pytest.mark.django_db
def test_inventory_api_names_duration_columns(admin_web, device):
    """Durations are numbers of seconds; the API names those columns so that pages can
    show them as 1d 2h 3m."""
    from mikromon.domain.inventory import InventorySnapshot

    _storage().write_inventory(device.pk, InventorySnapshot(
        table="ppp_active", key_fields=("name",), ts=datetime.now(UTC),
        rows=[{"name": "client-1", "service": "pppoe", "uptime": 93784.5}]))
    doc = admin_web.get(f"/api/v1/devices/{device.pk}/inventory/ppp_active").json()
    assert doc["durations"] == ["uptime"]
    assert doc["rows"][0]["uptime"] == 93784.5


@pytest.mark.django_db
def test_unknown_metric_is_400_naming_it(api, device):
    response = api.get(f"/api/v1/devices/{device.pk}/series?metric=bogus")
    assert response.status_code == 400
    assert "bogus" in response.json()["error"]
    assert "unknown" in response.json()["error"]


@pytest.mark.django_db
def test_known_metric_without_data_is_an_empty_series(api, device):
    response = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.cpu.load_pct")
    assert response.status_code == 200
    assert response.json()["series"] == []
    assert response.json()["unit"] == "percent"


@pytest.mark.django_db
def test_health_metric_has_its_unit(api, device):
    now = datetime.now(UTC).replace(microsecond=0)
    _storage().write_samples(device.pk, [
        Sample("system.health.fan1-speed", 6090.0, now - timedelta(seconds=30))])
    doc = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.health.fan1-speed").json()
    assert doc["unit"] == "rpm"
    assert doc["series"][0]["v"] == [6090.0]


@pytest.mark.django_db
@pytest.mark.db_backend
def test_a_long_range_of_young_data_shows_its_points(api, device):
    """A 7-day (or 30-day) chart of a series two hours old, rolled up as maintenance
    does, shows the two hours at the step their span gives (raw points), not as a
    few 30-minute or hourly buckets, and never finer than the series' polling
    interval; an explicit step is kept, and a range the data fills keeps the step
    of its span."""
    import time

    from mikromon.web.monitor.maintenance import update_rollups

    now = int(time.time())
    _storage().write_samples(device.pk, [
        Sample("system.cpu.load_pct", float(n % 50), datetime.fromtimestamp(t, UTC))
        for n, t in enumerate(range(now - 7200, now, 10))])
    update_rollups(now)
    url = f"/api/v1/devices/{device.pk}/series?metric=system.cpu.load_pct&points=600"

    for days in (7, 30):
        doc = api.get(f"{url}&from={now - days * 86400}&to={now}").json()
        assert doc["step"] == 15, days
        assert doc["source"] == "raw"
        assert len(doc["series"][0]["t"]) >= 470
    assert api.get(f"{url}&from={now - 7 * 86400}&to={now}&step=3600").json()["step"] == 3600
    assert api.get(f"{url}&from={now - 3600}&to={now}").json()["step"] == 10
    # Half an hour of a metric polled every 60 s: never finer than its interval.
    _storage().write_samples(device.pk, [
        Sample("system.memory.used_pct", 40.0, datetime.fromtimestamp(t, UTC))
        for t in range(now - 1800, now, 60)])
    doc = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.memory.used_pct"
                  f"&from={now - 7 * 86400}&to={now}").json()
    assert (doc["step"], doc["source"], len(doc["series"][0]["t"])) == (60, "raw", 30)
