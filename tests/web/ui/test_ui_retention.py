"""The retention settings page: admins only, reached from the collector page,
each problem shown next to its field (nothing stored), saved values in force."""

from __future__ import annotations

import pytest

from mikromon.web.control import retention
from mikromon.web.control.models import RetentionSetting

DAY = 86400


@pytest.fixture(autouse=True)
def env_defaults(settings):
    settings.MIKROMON_RETENTION_DAYS = {
        "raw": 7, "5m": 90, "1h": 730, "1d": 1825, "inventory_gone": 30, "logs": 90, "events": 365,
        "alerts": 365}


def _post(**values):
    return {key: values.get(key, "") for key in
            ("realtime", "short", "medium", "long", "extended", "5m", "1h", "1d")}


def test_form_errors_sit_on_their_fields(db):
    current = retention.effective()
    form = retention.RetentionForm(_post(realtime="7x", short="3h"), current=current)
    assert not form.is_valid()
    assert set(form.errors) == {"realtime", "short"}
    assert "minimum 1d" in form.errors["short"][0]
    form = retention.RetentionForm(_post(long="120d"), current=current)
    assert not form.is_valid()
    assert list(form.errors) == ["5m"]  # 5-minute rollups (90 d default) shorter


def test_admin_sets_and_clears(admin_web, no_collector):
    collector_page = admin_web.get("/collector/").content.decode()
    assert 'href="/collector/retention/"' in collector_page
    page = admin_web.get("/collector/retention/")
    assert page.status_code == 200
    assert "MIKROMON_RETENTION_RAW_DAYS" in page.content.decode()
    bad = admin_web.post("/collector/retention/", _post(**{"1h": "30d"}))
    assert bad.status_code == 400
    assert "minimum 62d" in bad.content.decode()
    assert not RetentionSetting.objects.exists()
    ok = admin_web.post("/collector/retention/", _post(realtime="3d", **{"5m": "30d"}))
    assert ok.status_code == 302
    eff = retention.effective()
    assert (eff.seconds["realtime"], eff.seconds["5m"]) == (3 * DAY, 30 * DAY)
    assert eff.stored["realtime"][1] == "alice"
    page = admin_web.get("/collector/retention/").content.decode()
    assert 'value="3d"' in page
    admin_web.post("/collector/retention/", _post(**{"5m": "30d"}))
    assert set(retention.effective().stored) == {"5m"}


def test_the_daily_level_is_set_on_the_page(admin_web, no_collector):
    page = admin_web.get("/collector/retention/").content.decode()
    assert 'name="1d"' in page
    assert "MIKROMON_RETENTION_1D_DAYS" in page
    short = admin_web.post("/collector/retention/", _post(**{"1d": "365d"}))
    assert short.status_code == 400
    assert "shorter than the hourly rollups" in short.content.decode()
    ok = admin_web.post("/collector/retention/", _post(**{"1d": "3650d"}))
    assert ok.status_code == 302
    assert retention.effective().seconds["1d"] == 3650 * DAY


def test_viewers_cannot_see_or_change(viewer_web, no_collector):
    assert 'href="/collector/retention/"' not in viewer_web.get("/collector/").content.decode()
    assert viewer_web.get("/collector/retention/").status_code == 403
    assert viewer_web.post("/collector/retention/", _post(realtime="3d")).status_code == 403
    assert not RetentionSetting.objects.exists()


def test_collector_page_shows_the_disk(admin_web, no_collector):
    from mikromon.web.monitor import disk_usage

    disk_usage._cache.clear()
    page = admin_web.get("/collector/").content.decode()
    section = page[page.index('id="collector-disk"'):]
    assert 'id="disk-database"' in section
    assert "Steady state at this retention" in section


def test_collector_page_shows_the_compaction(admin_web, no_collector):
    import time

    from mikromon.web.monitor import compaction_status
    from mikromon.web.monitor.models import MaintenanceState

    now = int(time.time())
    for step in (300, 3600):
        MaintenanceState.objects.create(name=f"rollup_{step}", value=now)
    compaction_status._cache.clear()
    page = admin_web.get("/collector/").content.decode()
    section = page[page.index('id="disk-compaction"'):]
    assert 'id="compaction-state">done<' in section
    assert 'id="compaction-pending">0<' in section
