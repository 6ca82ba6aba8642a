"""Values of a router that is not answering are not shown as current: the overview's
busiest interfaces list only routers that are up with fresh rates; a down, refused
or stale router's dashboard says "last value at <time>" and greys the cards; the
device list greys such rows' CPU/memory bars; a failed power supply is highlighted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample, make_labels


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _device(name: str, state: DeviceState, ago_s: float, *, rates: dict[str, float] | None = None,
            rate_ago_s: float | None = None):
    """A device in ``state`` whose newest data is ``ago_s`` old (realtime every 5 s)."""
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    now = datetime.now(UTC)
    seen = now - timedelta(seconds=ago_s)
    samples = [Sample("system.cpu.load_pct", 3.0, seen),
               Sample("system.memory.used_pct", 40.0, seen),
               Sample("system.uptime_seconds", 3600.0, seen)]
    rate_ts = now - timedelta(seconds=ago_s if rate_ago_s is None else rate_ago_s)
    for iface, rate in (rates or {}).items():
        samples += [Sample(key, rate, rate_ts, make_labels(interface=iface))
                    for key in ("iface.rx_bps", "iface.tx_bps")]
    _storage().write_samples(dev.pk, samples)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=state, ts=now,
                                         last_seen=seen,
                                         last_error="" if state is DeviceState.UP
                                         else "connection refused"))
    return dev


@pytest.fixture(autouse=True)
def real_time_scale(monkeypatch):
    """Intervals in real seconds (no MIKROMON_TIME_SCALE from the environment)."""
    monkeypatch.delenv("MIKROMON_TIME_SCALE", raising=False)


def _busiest(body: str) -> str:
    return body.split("<h2>Busiest interfaces</h2>", 1)[1].split("</table>", 1)[0]


@pytest.mark.django_db
def test_busiest_lists_only_answering_routers(admin_web, fake_collector):
    """Down, refused and stale routers' last rates are not "busiest"; an up router's
    fresh rates are, and an interface whose rate stopped coming (gone) is not."""
    fake_collector.running = True
    _device("alive", DeviceState.UP, 1, rates={"ether1": 1e6})
    _device("downed", DeviceState.DOWN, 120, rates={"pppoe-out1": 9e6})
    _device("refused", DeviceState.AUTH_FAILED, 120, rates={"ether7": 8e6})
    _device("quiet", DeviceState.UP, 60, rates={"ether8": 7e6})
    gone = _device("partly", DeviceState.UP, 1, rates={"ether2": 2e6})
    _storage().write_samples(gone.pk, [
        Sample(key, 6e6, datetime.now(UTC) - timedelta(seconds=600),
               make_labels(interface="old-vlan")) for key in ("iface.rx_bps", "iface.tx_bps")])
    table = _busiest(admin_web.get("/").content.decode())
    assert "ether1" in table
    assert "ether2" in table
    for name in ("pppoe-out1", "ether7", "ether8", "old-vlan"):
        assert name not in table, name


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "ago"), [(DeviceState.DOWN, 120),
                                           (DeviceState.AUTH_FAILED, 120), (DeviceState.UP, 60)])
def test_dashboard_cards_of_a_silent_router_say_last_value(admin_web, fake_collector, state, ago):
    """Cards keep the last values, greyed, with "last value at <time>"; the script is
    told the values are not current (its chart headers say the same)."""
    fake_collector.running = True
    dev = _device("silent", state, ago)
    response = admin_web.get(f"/devices/{dev.pk}/")
    body = response.content.decode()
    stats = body.split('<div class="stats">', 1)[1].split('<div class="toolbar">', 1)[0]
    assert "3 %" in stats
    assert stats.count('class="stat old"') == 3
    assert stats.count("last value at ") == 3
    seen = (datetime.now(UTC) - timedelta(seconds=ago)).strftime("%Y-%m-%d %H:%M")
    assert seen in stats
    assert response.context["config"]["current"] is False


@pytest.mark.django_db
def test_dashboard_cards_of_an_answering_router_are_current(admin_web, fake_collector):
    fake_collector.running = True
    dev = _device("fine", DeviceState.UP, 1)
    response = admin_web.get(f"/devices/{dev.pk}/")
    body = response.content.decode()
    assert "last value at" not in body
    assert 'class="stat old"' not in body
    assert response.context["config"]["current"] is True


@pytest.mark.django_db
def test_device_list_greys_bars_of_silent_rows(admin_web, fake_collector):
    fake_collector.running = True
    _device("fine", DeviceState.UP, 1)
    _device("downed", DeviceState.DOWN, 120)
    _device("quiet", DeviceState.UP, 60)
    body = admin_web.get("/devices/").content.decode()
    rows = dict(re.findall(r'<tr data-device="([^"]+)">(.*?)</tr>', body, re.S))
    assert 'class="meter old' not in rows["fine"]
    for name in ("downed", "quiet"):
        assert rows[name].count('class="meter old') == 2, rows[name]
        assert "last value at" in rows[name]


@pytest.mark.django_db
def test_failed_power_supply_is_highlighted(admin_web, fake_collector):
    """A health state sensor reading "fail" stands out; "ok" does not."""
    fake_collector.running = True
    dev = _device("psu", DeviceState.UP, 1)
    now = datetime.now(UTC)
    _storage().write_samples(dev.pk, [Sample("system.health.psu1-state", 1.0, now),
                                      Sample("system.health.psu2-state", 0.0, now)])
    body = admin_web.get(f"/devices/{dev.pk}/").content.decode()
    health = body.split('id="health-values"', 1)[1].split("</dl>", 1)[0]
    assert re.search(r'<dd class="bad"[^>]*>fail</dd>', health), health
    assert re.search(r'<dd data-metric="system.health.psu1-state">ok</dd>', health), health
