"""A stopped collector and old data are said plainly: a "collector stopped" banner on
the overview, the device list and the dashboard, and a "stale" hint next to an "up"
device whose newest data is older than three realtime intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample

PAGES = ("/", "/devices/", "dashboard")


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _up_device(name: str, seen_ago_s: float, *, sample_ago_s: float | None = None):
    """A device reported up, last seen ``seen_ago_s`` ago (realtime interval 5 s)."""
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    now = datetime.now(UTC)
    seen = now - timedelta(seconds=seen_ago_s)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=seen,
                                         last_seen=seen))
    if sample_ago_s is not None:
        _storage().write_samples(dev.pk, [
            Sample("system.uptime_seconds", 1000.0, now - timedelta(seconds=sample_ago_s))])
    return dev


def _get(client, page: str, device) -> str:
    path = f"/devices/{device.pk}/" if page == "dashboard" else page
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def real_time_scale(monkeypatch):
    """Intervals in real seconds (no MIKROMON_TIME_SCALE from the environment)."""
    monkeypatch.delenv("MIKROMON_TIME_SCALE", raising=False)


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_banner_when_no_collector_runs(admin_web, no_collector, page):
    """With no collector running anywhere, the page says so at the top."""
    dev = _up_device("alpha", 1)
    body = _get(admin_web, page, dev)
    assert 'id="collector-stopped"' in body
    assert "Collector stopped" in body


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_no_banner_while_the_collector_runs(admin_web, fake_collector, page):
    """A running in-process collector: no banner."""
    fake_collector.running = True
    dev = _up_device("alpha", 1)
    assert 'id="collector-stopped"' not in _get(admin_web, page, dev)


@pytest.mark.django_db
def test_banner_follows_another_process(admin_web, no_collector):
    """A collector running in another mikromon process (its published status) counts;
    the same process publishing 'not running' does not."""
    from mikromon.web.control import state

    dev = _up_device("alpha", 1)
    started = datetime.now(UTC)
    state.publish(instance="other:1:0", started_at=started, running=True, status={})
    assert 'id="collector-stopped"' not in _get(admin_web, "/devices/", dev)
    state.publish(instance="other:1:0", started_at=started, running=False, status={})
    assert 'id="collector-stopped"' in _get(admin_web, "/devices/", dev)


@pytest.mark.django_db
def test_stopped_banner_offers_start_to_admins_only(admin_web, client, viewer, no_collector):
    """Admins get a Start button in the banner; viewers a sentence."""
    dev = _up_device("alpha", 1)
    assert 'id="banner-start-collector"' in _get(admin_web, "/devices/", dev)
    client.force_login(viewer)
    body = _get(client, "/devices/", dev)
    assert 'id="collector-stopped"' in body
    assert 'id="banner-start-collector"' not in body


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/", "/devices/"])
def test_old_data_is_marked_stale(admin_web, fake_collector, page):
    """An 'up' device last heard of more than 3 x 5 s ago carries a stale hint on the
    overview and the list; a fresh one does not."""
    fake_collector.running = True
    old = _up_device("old", 16)
    assert 'class="hint stale"' in _get(admin_web, page, old)
    old.delete()
    fresh = _up_device("fresh", 2)
    assert 'class="hint stale"' not in _get(admin_web, page, fresh)


@pytest.mark.django_db
def test_dashboard_marks_old_data_stale(admin_web, fake_collector):
    """The dashboard shows the stale hint next to the state for old data only."""
    fake_collector.running = True
    old = _up_device("old", 16)
    fresh = _up_device("fresh", 2)
    assert '<span id="device-stale" class="hint stale" title=' in _get(admin_web, "dashboard", old)
    body = _get(admin_web, "dashboard", fresh)
    assert '<span id="device-stale" class="hint stale" hidden' in body


@pytest.mark.django_db
def test_device_list_marks_only_the_stale_device(admin_web, fake_collector):
    """On the list, only the row of the stale device has the hint."""
    import re

    fake_collector.running = True
    _up_device("old", 60)
    _up_device("fresh", 2)
    body = _get(admin_web, "/devices/", None)
    rows = dict(re.findall(r'<tr data-device="([^"]+)">(.*?)</tr>', body, re.S))
    assert 'class="hint stale"' in rows["old"]
    assert 'class="hint stale"' not in rows["fresh"]


@pytest.mark.django_db
def test_a_fresh_sample_keeps_a_device_fresh(admin_web, fake_collector):
    """The status row is refreshed only every 30 s; a fresh realtime sample counts as
    contact too, so a healthy device is not called stale in between."""
    import re

    fake_collector.running = True
    _up_device("steady", 25, sample_ago_s=1)
    body = _get(admin_web, "/devices/", None)
    rows = dict(re.findall(r'<tr data-device="([^"]+)">(.*?)</tr>', body, re.S))
    assert 'class="hint stale"' not in rows["steady"]


@pytest.mark.django_db
def test_stale_follows_the_realtime_interval(admin_web, fake_collector):
    """With a 60 s realtime interval, 100 s without news is not stale yet."""
    import re

    from mikromon.web.monitor.models import Device

    fake_collector.running = True
    dev = _up_device("slow", 100)
    Device.objects.filter(pk=dev.pk).update(realtime_interval=60)
    body = _get(admin_web, "/devices/", None)
    rows = dict(re.findall(r'<tr data-device="([^"]+)">(.*?)</tr>', body, re.S))
    assert 'class="hint stale"' not in rows["slow"]


@pytest.mark.django_db
def test_api_latest_says_collector_and_staleness(admin_web, no_collector):
    """The dashboard's data source tells whether the collector runs and whether the
    device's data is stale, so the page never says "live" for old data."""
    dev = _up_device("old", 16)
    doc = admin_web.get(f"/api/v1/devices/{dev.pk}/latest").json()
    assert doc["collector"]["running"] is False
    assert doc["device"]["stale"] is True
    assert doc["device"]["last_data"].endswith("Z")
    listing = admin_web.get("/api/v1/devices").json()["devices"]
    assert listing[0]["stale"] is True


@pytest.mark.django_db
def test_dashboard_config_tells_the_script(admin_web, no_collector):
    """The dashboard page starts with the collector state, for the live indicator."""
    dev = _up_device("alpha", 1)
    response = admin_web.get(f"/devices/{dev.pk}/")
    assert response.context["config"]["collector_running"] is False
    assert "collector stopped" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/devices/", "dashboard"])
def test_stale_hint_says_the_interval_at_the_time_scale(admin_web, fake_collector, monkeypatch,
                                                        page):
    """At a time scale of 0.1 the collector reads a 5 s router every 0.5 s, and the
    stale threshold scales with it: the hint says the interval really used."""
    import re

    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.1")
    fake_collector.running = True
    dev = _up_device("scaled", 60)
    body = _get(admin_web, page, dev)
    titles = re.findall(r'class="hint stale"[^>]*title="([^"]*)"|'
                        r'title="([^"]*)"[^>]*class="hint stale"', body)
    texts = [a or b for a, b in titles]
    assert texts, body
    assert all(t.endswith("the collector reads this router every 0.5 s") for t in texts), texts


@pytest.mark.django_db
def test_dashboard_script_gets_the_scaled_interval(admin_web, no_collector, monkeypatch):
    """The dashboard's script formats the stale hint from the interval in seconds at
    the time scale (MM.fmt.interval), as the server does."""
    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.1")
    dev = _up_device("alpha", 1)
    config = admin_web.get(f"/devices/{dev.pk}/").context["config"]
    assert config["realtime_interval_s"] == pytest.approx(0.5)
