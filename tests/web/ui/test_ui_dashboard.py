"""The device dashboard page as the server renders it: which interfaces are charted
first (stable: not by the current rate), range and interfaces from the query string,
one freshness time, the collection intervals in words, and unit stepping that
promotes at the rounding edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, make_labels


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _device(name: str = "edge"):
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    return dev


def _traffic(dev, rates: dict[str, float], ts: datetime | None = None) -> None:
    ts = ts or datetime.now(UTC)
    _storage().write_samples(dev.pk, [
        Sample(key, rate, ts, make_labels(interface=name))
        for name, rate in rates.items() for key in ("iface.rx_bps", "iface.tx_bps")])


def _interfaces_table(dev, rows: list[dict]) -> None:
    _storage().write_inventory(dev.pk, InventorySnapshot(
        table="interfaces", rows=rows, key_fields=("name",), ts=datetime.now(UTC)))


@pytest.fixture(autouse=True)
def real_time_scale(monkeypatch):
    """Intervals in real seconds (no MIKROMON_TIME_SCALE from the environment)."""
    monkeypatch.delenv("MIKROMON_TIME_SCALE", raising=False)


@pytest.mark.django_db
def test_default_interfaces_skip_loopback_and_not_running(admin_web, no_collector):
    """A busy loopback (CHR ``lo``) and a non-running tunnel (v6 ``l2tp-in1``) are not
    charted by default; running interfaces are, the first by name, in list order."""
    dev = _device()
    _traffic(dev, {"lo": 9e9, "l2tp-in1": 8e9, "ether1": 3e6, "ether2": 1e3, "ether3": 5e6,
                   "ether4": 2e6, "ether5": 1e6, "bridge1": 4e6})
    _interfaces_table(dev, [
        {"name": "lo", "type": "loopback", "running": True},
        {"name": "l2tp-in1", "type": "l2tp-in", "running": False},
        *({"name": n, "type": "ether", "running": True}
          for n in ("ether1", "ether2", "ether3", "ether4", "ether5")),
        {"name": "bridge1", "type": "bridge", "running": True},
    ])
    config = admin_web.get(f"/devices/{dev.pk}/").context["config"]
    assert config["selected"] == ["bridge1", "ether1", "ether2", "ether3"]
    assert "lo" in config["interfaces"]
    assert "l2tp-in1" in config["interfaces"]


@pytest.mark.django_db
def test_default_interfaces_fill_up_with_the_others(admin_web, no_collector):
    """Fewer than four good interfaces: the rest are filled with the others; with no
    interface table yet, a name ``lo`` still counts as loopback."""
    dev = _device()
    _traffic(dev, {"lo": 9e9, "ether1": 3e6, "wlan1": 1e6})
    config = admin_web.get(f"/devices/{dev.pk}/").context["config"]
    assert config["selected"] == ["ether1", "lo", "wlan1"]


@pytest.mark.django_db
def test_range_and_interfaces_from_the_query_string(admin_web, no_collector):
    """?range=7d&if=ether3,ether1 is kept (interfaces in list order); an empty ``if``
    means none; an unknown range is a 400 naming it, unknown interface names (gone
    since the link was made) are dropped."""
    dev = _device()
    _traffic(dev, {"ether1": 1e6, "ether2": 2e6, "ether3": 3e6})
    url = f"/devices/{dev.pk}/"
    config = admin_web.get(url, {"range": "7d", "if": "ether3,ether1"}).context["config"]
    assert config["range"] == "7d"
    assert config["selected"] == ["ether1", "ether3"]
    assert admin_web.get(url, {"if": ""}).context["config"]["selected"] == []
    bad = admin_web.get(url, {"range": "2y"})
    assert bad.status_code == 400
    assert "range=&#x27;2y&#x27; is not one of: 15m, 1h, 24h, 7d" in bad.content.decode()
    config = admin_web.get(url, {"if": "ether2,nope"}).context["config"]
    assert config["range"] == "1h"
    assert config["selected"] == ["ether2"]
    assert admin_web.get(url).context["config"]["selected"] == ["ether1", "ether2", "ether3"]


@pytest.mark.django_db
def test_one_freshness_time_the_newest_data(admin_web, fake_collector):
    """The header shows the time of the newest data (a realtime sample 1 s ago), not
    the status row's last_seen (refreshed only every 30 s)."""
    fake_collector.running = True
    dev = _device()
    now = datetime.now(UTC).replace(microsecond=0)
    seen = now - timedelta(seconds=25)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=seen,
                                         last_seen=seen))
    _storage().write_samples(dev.pk, [Sample("system.uptime_seconds", 100.0, now)])
    body = admin_web.get(f"/devices/{dev.pk}/").content.decode()
    assert f'<span id="device-last-data">{now:%Y-%m-%d %H:%M:%S} UTC</span>' in body
    assert f"{seen:%H:%M:%S}" not in body
    assert "last seen" not in body


@pytest.mark.django_db
def test_never_reached_device_says_no_data(admin_web, fake_collector):
    """A device that never answered: no data yet, and never "live"."""
    fake_collector.running = True
    dev = _device()
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.AUTH_FAILED,
                                         ts=datetime.now(UTC), last_error="login refused"))
    body = admin_web.get(f"/devices/{dev.pk}/").content.decode()
    assert '<span id="device-last-data">no data yet</span>' in body
    assert ">live" not in body


@pytest.mark.django_db
def test_collection_intervals_in_words(admin_web, no_collector):
    """Intervals read 5 s / 1 min / 5 min / 1 h / 24 h, not raw seconds."""
    from mikromon.web.monitor.models import Device

    dev = _device()
    Device.objects.filter(pk=dev.pk).update(realtime_interval=5, short_interval=60,
                                            medium_interval=300, long_interval=3600,
                                            extended_interval=86400)
    body = admin_web.get(f"/devices/{dev.pk}/").content.decode()
    for text in ("every 5 s", "every 1 min", "every 5 min", "every 1 h", "every 24 h"):
        assert text in body, text
    assert "every 86400" not in body
    assert "every 3600" not in body


def test_interval_words():
    """Whole hours, whole minutes, else seconds (with minutes past an hour)."""
    from mikromon.domain.formatting import interval

    assert [interval(s) for s in (5, 30, 60, 90, 300, 3600, 5400, 86400, 172800)] == [
        "5 s", "30 s", "1 min", "90 s", "5 min", "1 h", "90 min", "24 h", "48 h"]


@pytest.mark.parametrize(("value", "text"), [
    (999_999, "1 Mbit/s"), (999_600, "1 Mbit/s"), (999.996, "1 kbit/s"), (999, "999 bit/s"),
    (999_499, "999 kbit/s"), (9.999e6, "10 Mbit/s"), (1e6, "1 Mbit/s"),
])
def test_bit_rates_promote_at_the_rounding_edge(value, text):
    """A value that rounds to 1000 of a unit is shown in the next unit."""
    from mikromon.domain.formatting import bps

    assert bps(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (1024 * 1024 - 1, "1 MiB"), (1023.97, "1 KiB"), (1023, "1023 B"), (1024 ** 3 - 10, "1 GiB"),
    (1000 * 1024, "1000 KiB"),
])
def test_bytes_promote_at_the_rounding_edge(value, text):
    """A value that rounds to 1024 of a unit is shown in the next unit."""
    from mikromon.domain.formatting import bytesize

    assert bytesize(value) == text


@pytest.mark.django_db
def test_default_interfaces_do_not_follow_the_current_rate(admin_web, no_collector):
    """The default choice is the same on every visit whatever moves at the moment:
    running, non-loopback interfaces that are not bridge ports, first by name."""
    dev = _device()
    rows = [{"name": n, "type": "ether", "running": True, "slave": n in ("ether2", "ether3")}
            for n in ("ether1", "ether2", "ether3", "ether4", "ether5", "ether10")]
    _interfaces_table(dev, [*rows, {"name": "bridge1", "type": "bridge", "running": True},
                            {"name": "wifi1", "type": "wifi", "running": True}])
    seen = []
    for busy in ("ether10", "ether5", "wifi1", "ether2"):
        rates = {r["name"]: 1e3 for r in rows} | {"bridge1": 1e3, "wifi1": 1e3, busy: 9e9}
        _traffic(dev, rates)
        seen.append(admin_web.get(f"/devices/{dev.pk}/").context["config"]["selected"])
    assert seen[0] == ["bridge1", "ether1", "ether4", "ether5"]
    assert all(s == seen[0] for s in seen), seen
