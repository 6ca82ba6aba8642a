"""Retention per tier and per rollup level, stored in the database over the
environment's defaults: checks, precedence, the maintenance deleting per tier by
the stored settings, a change applied at the next maintenance run, the
measured write rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chunk_samples import stored_times

from mikromon.domain.retention import RetentionError
from mikromon.domain.samples import Sample, make_labels
from mikromon.web.control import retention
from mikromon.web.control.models import RetentionSetting
from mikromon.web.monitor import maintenance, write_rate
from mikromon.web.monitor.models import MetricPoint, MetricRollup, Series
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

DAY = 86400
NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def env_defaults(settings):
    settings.MIKROMON_RETENTION_DAYS = {
        "raw": 7, "5m": 90, "1h": 730, "1d": 1825, "inventory_gone": 30, "logs": 90, "events": 365,
        "alerts": 365}


def test_stored_settings_win_over_the_environment(db):
    eff = retention.effective()
    assert eff.seconds["realtime"] == eff.seconds["extended"] == 7 * DAY
    assert eff.stored == {}
    retention.save({"realtime": 3 * DAY, "5m": 30 * DAY}, by="alice")
    eff = retention.effective()
    assert (eff.seconds["realtime"], eff.seconds["short"], eff.seconds["5m"]) == (
        3 * DAY, 7 * DAY, 30 * DAY)
    assert eff.stored["realtime"][1] == "alice"
    doc = {d["key"]: d for d in retention.document(eff)["settings"]}
    assert doc["realtime"]["source"] == "stored"
    assert doc["short"]["source"] == "MIKROMON_RETENTION_RAW_DAYS"
    assert doc["5m"]["text"] == "30d"
    retention.save({"realtime": None}, by="alice")  # back to the default
    assert retention.effective().seconds["realtime"] == 7 * DAY
    assert not RetentionSetting.objects.filter(key="realtime").exists()


@pytest.mark.parametrize(("values", "key"), [
    ({"realtime": 3600}, "realtime"),
    ({"5m": 3 * DAY}, "5m"),             # shorter than the raw points (7 d)
    ({"1h": 60 * DAY}, "1h"),             # below 62 d
    ({"daily": 400 * DAY}, "daily"),      # no such level
])
def test_refused_sets_store_nothing(db, values, key):
    with pytest.raises(RetentionError) as err:
        retention.save(values, by="cli")
    assert list(err.value.problems) == [key]
    assert not RetentionSetting.objects.exists()


def test_environment_values_below_the_minimums_are_used_as_given(db, settings):
    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "raw": 1 / 24}
    retention.save({"1h": 800 * DAY}, by="cli")  # the raw default is not blamed
    assert retention.effective().seconds["realtime"] == 3600


def _series(device, key, **labels):
    return Series.objects.create(device=device, key=key, labels=dict(labels),
                                 labels_key=str(sorted(labels.items())))


def _points(series, ages_days):
    now = int(NOW.timestamp())
    MetricPoint.objects.bulk_create(
        MetricPoint(series=series, ts=now - int(a * DAY), value=1.0) for a in ages_days)


def test_maintenance_deletes_raw_points_per_tier(device):
    rt = _series(device, "iface.rx_bps", interface="ether1")     # realtime tier
    sh = _series(device, "dhcp.active_leases")                   # short tier
    unknown = _series(device, "vendor.thing")                    # not in the catalog
    ages = [0.5, 2.5, 4.5, 6.5, 8.5]
    for s in (rt, sh, unknown):
        _points(s, ages)
    retention.save({"realtime": 2 * DAY, "short": 5 * DAY}, by="cli")
    counts = maintenance.apply_retention(NOW.timestamp())
    left = {s.key: sorted(MetricPoint.objects.filter(series=s).values_list("ts", flat=True))
            for s in (rt, sh, unknown)}
    assert len(left["iface.rx_bps"]) == 1
    assert len(left["dhcp.active_leases"]) == 3
    # unknown metrics keep the longest tier's (7 d, the other tiers' default)
    assert len(left["vendor.thing"]) == 4
    assert (counts["raw_realtime"], counts["raw_short"], counts["raw_other"]) == (4, 2, 1)
    assert counts["raw"] == 7


def test_maintenance_deletes_rollups_per_level(device):
    s = _series(device, "iface.rx_bps", interface="ether1")
    now = int(NOW.timestamp())
    MetricRollup.objects.bulk_create(
        MetricRollup(series=s, step=step, ts=(now - age * DAY) // step * step, count=1,
                     min=1, max=1, avg=1, last=1)
        for step in (300, 3600) for age in (1, 10, 40, 100, 400))
    retention.save({"5m": 30 * DAY, "1h": 200 * DAY}, by="cli")
    counts = maintenance.apply_retention(NOW.timestamp())
    assert (counts["5m"], counts["1h"]) == (3, 1)
    assert MetricRollup.objects.filter(step=300).count() == 2
    assert MetricRollup.objects.filter(step=3600).count() == 4


def test_a_change_applies_at_the_next_maintenance_run(device):
    """A running storage deletes by a changed setting at its next rollup run,
    not an hour later, and without a restart."""
    s = _series(device, "iface.rx_bps", interface="ether1")
    _points(s, [0.5, 3.5, 6.5])
    clock = [NOW.timestamp()]
    storage = DjangoStorage(maintenance_interval=60, clock=lambda: clock[0],
                            defer_maintenance=True)
    while storage.maintenance_due():  # first run: retention too (7 d keeps all three)
        storage.maintain()
    assert len(stored_times(pk=s.pk)) == 3  # in the head or compacted
    clock[0] += 61
    assert storage.maintain()  # nothing changed: retention waits for its hour
    assert not storage.maintenance_due()
    retention.save({"realtime": 2 * DAY}, by="cli")
    clock[0] += 61
    assert storage.maintain()  # the rollups; the retention in the next call
    assert storage.maintain()
    assert len(stored_times(pk=s.pk)) == 1


def test_write_rate_is_counted_per_tier(device):
    clock = [NOW.timestamp()]
    storage = DjangoStorage(maintenance_interval=None, clock=lambda: clock[0])
    labels = make_labels(interface="ether1")
    for i in range(12):
        ts = NOW + timedelta(seconds=5 * i)
        storage.write_samples(device.pk, [
            Sample("iface.rx_bps", 1.0, ts, labels), Sample("iface.tx_bps", 1.0, ts, labels),
            Sample("iface.rx_bytes", 5.0, ts, labels),        # a counter: no history
            Sample("dhcp.active_leases", 3.0, ts)])
        clock[0] += 5
    clock[0] += 60
    storage.write_samples(device.pk, [Sample("dhcp.active_leases", 3.0, NOW + timedelta(
        seconds=120))])
    rates, window = write_rate.rates(clock[0])
    assert window > 0
    assert rates["realtime"] * window == pytest.approx(24)
    assert rates["short"] * window == pytest.approx(13)
    assert "other" not in rates
