"""Series reads with server-side downsampling, rollups and retention."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor import maintenance
from mikromon.web.monitor.models import (
    Device,
    InventoryItem,
    MetricPoint,
    MetricRollup,
    Series,
)
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.readers import (
    choose_step,
    find_series,
    latest_values,
    read_series,
)
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

POINTS = 1440  # two hours at 5 s


@pytest.fixture
def series(device: Device, t0: datetime) -> Series:
    """A series with value k at t0 + 5k s for k in 0..1439 (two hours)."""
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_samples(
        device.pk,
        [
            Sample("iface.rx_bps", float(k), t0 + timedelta(seconds=5 * k),
                   make_labels(interface="ether1"))
            for k in range(POINTS)
        ],
    )
    found = find_series(device.pk, "iface.rx_bps", interface="ether1")
    assert found is not None
    return found


def _expected(step: int) -> list[tuple[float, float, float, int]]:
    per = step // 5
    return [
        ((b * per + (b * per + per - 1)) / 2, b * per, b * per + per - 1, per)
        for b in range(POINTS // per)
    ]


def test_raw_read_downsamples_in_the_database(series: Series, t0: datetime) -> None:
    """A 60 s step over raw points gives 120 buckets with exact min/avg/max/count."""
    data = read_series(series, t0, t0 + timedelta(hours=2), step=60)
    assert (data.source, data.step, data.start) == ("raw", 60, int(t0.timestamp()))
    assert [(b.avg, b.min, b.max, b.count) for b in data.points] == _expected(60)
    assert data.points[1].ts - data.points[0].ts == 60


def test_auto_step_respects_max_points(series: Series, t0: datetime) -> None:
    """Without a step, the smallest nice step giving at most max_points buckets is used."""
    data = read_series(series.pk, t0, t0 + timedelta(hours=2), max_points=100)
    assert data.step == 120
    assert len(data.points) == 60
    assert choose_step(7 * 86400, 1000) == 900
    assert choose_step(60, 1000) == 1
    assert choose_step(400 * 86400, 100) == 4 * 86400


def test_partial_range_and_empty_range(series: Series, t0: datetime) -> None:
    """Only points inside [start, end) count; a range without data returns no buckets."""
    start = t0 + timedelta(minutes=10)
    data = read_series(series, start, start + timedelta(minutes=1), step=60)
    assert [(b.min, b.max, b.count) for b in data.points] == [(120.0, 131.0, 12)]
    empty = read_series(series, t0 - timedelta(days=1), t0 - timedelta(hours=1), step=300)
    assert empty.points == []


def test_bad_ranges_are_rejected(series: Series, t0: datetime) -> None:
    """Reversed ranges, non-positive steps, naive datetimes and huge bucket counts raise."""
    with pytest.raises(ValueError, match="must be after start"):
        read_series(series, t0, t0)
    with pytest.raises(ValueError, match="positive"):
        read_series(series, t0, t0 + timedelta(hours=1), step=0)
    with pytest.raises(ValueError, match="naive datetime"):
        read_series(series, t0.replace(tzinfo=None), t0 + timedelta(hours=1))
    with pytest.raises(ValueError, match="at most"):
        read_series(series, t0, t0 + timedelta(days=30), step=1)


def test_rollups_match_raw_aggregates(series: Series, t0: datetime) -> None:
    """update_rollups writes 5-minute and 1-hour buckets equal to aggregating raw points,
    and reads at those steps use them."""
    now = t0.timestamp() + 2 * 3600 + maintenance.ROLLUP_GRACE
    maintenance.update_rollups(now)
    assert MetricRollup.objects.filter(series=series, step=300).count() == 24
    assert MetricRollup.objects.filter(series=series, step=3600).count() == 2
    assert maintenance.rollup_watermark(300) == int(t0.timestamp()) + 7200

    five = read_series(series, t0, t0 + timedelta(hours=2), step=300)
    assert five.source == "5m"
    assert [(b.avg, b.min, b.max, b.count) for b in five.points] == _expected(300)
    hour = read_series(series, t0, t0 + timedelta(hours=2), step=3600)
    assert hour.source == "1h"
    assert [(b.avg, b.min, b.max, b.count) for b in hour.points] == _expected(3600)
    # Rollups alone, without raw points, answer the same read.
    MetricPoint.objects.filter(series=series).delete()
    again = read_series(series, t0, t0 + timedelta(hours=2), step=300)
    assert [(b.avg, b.count) for b in again.points] == [(a, c) for a, _, _, c in _expected(300)]


def test_reads_reach_past_the_watermark(series: Series, t0: datetime, device: Device) -> None:
    """Points newer than the last rollup come from raw data, merged into the same buckets."""
    maintenance.update_rollups(t0.timestamp() + 3600 + maintenance.ROLLUP_GRACE)
    assert maintenance.rollup_watermark(300) == int(t0.timestamp()) + 3600
    data = read_series(series, t0, t0 + timedelta(hours=2), step=1800)
    assert data.source == "5m"
    assert [(b.avg, b.min, b.max, b.count) for b in data.points] == _expected(1800)


def test_rollups_are_idempotent_and_count_late_points(
    series: Series, t0: datetime, device: Device
) -> None:
    """Re-running changes nothing; a point arriving late in the last closed bucket is
    counted by the next run."""
    now = t0.timestamp() + 2 * 3600 + maintenance.ROLLUP_GRACE
    maintenance.update_rollups(now)
    before = sorted(MetricRollup.objects.values_list("step", "ts", "count", "avg"))
    maintenance.update_rollups(now)
    assert sorted(MetricRollup.objects.values_list("step", "ts", "count", "avg")) == before
    late = t0 + timedelta(hours=2) - timedelta(seconds=2)
    DjangoStorage(maintenance_interval=None).write_samples(
        device.pk, [Sample("iface.rx_bps", 10_000.0, late, make_labels(interface="ether1"))]
    )
    maintenance.update_rollups(now + 300)
    last = MetricRollup.objects.get(series=series, step=300, ts=int(late.timestamp()) // 300 * 300)
    assert (last.count, last.max) == (61, 10_000.0)


def test_storage_runs_maintenance_on_its_clock(device: Device, t0: datetime) -> None:
    """DjangoStorage computes rollups from write_samples once maintenance is due."""
    clock_now = [t0.timestamp() + 600 + maintenance.ROLLUP_GRACE]
    storage = DjangoStorage(maintenance_interval=60, clock=lambda: clock_now[0])
    storage.write_samples(device.pk, [Sample("m", 1.0, t0 + timedelta(seconds=10))])
    assert MetricRollup.objects.filter(step=300).count() == 1


def test_storage_runs_maintenance_when_only_statuses_are_written(
    device: Device, t0: datetime,
) -> None:
    """A writer whose routers all stop answering writes statuses only: the
    maintenance still runs when due (with collector members, the elected member's
    failing routers would otherwise stop the rollups of the whole database)."""
    writer = DjangoStorage(maintenance_interval=None)
    writer.write_samples(device.pk, [Sample("m", 1.0, t0 + timedelta(seconds=10))])
    clock_now = [t0.timestamp() + 600 + maintenance.ROLLUP_GRACE]
    storage = DjangoStorage(maintenance_interval=60, clock=lambda: clock_now[0])
    storage.write_status(DeviceStatus(device_id=device.pk, state=DeviceState.DOWN,
                                      ts=t0 + timedelta(seconds=600), last_error="timeout"))
    assert MetricRollup.objects.filter(step=300).count() == 1


class _MaintenanceUnderWay:
    """A maintenance with a pass under way: always due, counts its slices."""

    def __init__(self) -> None:
        self.runs = 0

    def due(self) -> bool:
        return True

    def run(self) -> bool:
        self.runs += 1
        return True


def test_status_writes_do_not_run_maintenance_slices_back_to_back(
    device: Device, t0: datetime,
) -> None:
    """A writer cycle writes many statuses in a row: while a maintenance pass is
    under way they run at most one slice a STATUS_MAINTENANCE_GAP_S between them
    and the sample writes, not one slice each (the rows queued meanwhile would
    wait for the whole pass)."""
    from mikromon.web.monitor.storage import STATUS_MAINTENANCE_GAP_S

    now = [t0.timestamp()]
    storage = DjangoStorage(maintenance_interval=60, clock=lambda: now[0])
    busy = _MaintenanceUnderWay()
    storage._maintenance = busy  # type: ignore[assignment]

    def status() -> DeviceStatus:
        return DeviceStatus(device_id=device.pk, state=DeviceState.DOWN,
                            ts=t0, last_error="timeout")

    for _ in range(5):
        storage.write_status(status())
    assert busy.runs == 1
    now[0] += STATUS_MAINTENANCE_GAP_S
    storage.write_status(status())
    assert busy.runs == 2
    now[0] += STATUS_MAINTENANCE_GAP_S
    storage.write_samples(device.pk, [Sample("m", 1.0, t0)])  # runs a slice itself
    storage.write_status(status())
    assert busy.runs == 3


def test_latest_values_for_a_device(series: Series, device: Device, t0: datetime) -> None:
    """latest_values lists each series of a device with its newest value."""
    (only,) = latest_values(device.pk)
    assert (only.key, only.labels, only.value) == ("iface.rx_bps", {"interface": "ether1"}, 1439.0)
    assert only.ts == t0 + timedelta(seconds=5 * (POINTS - 1))
    assert find_series(device.pk, "iface.rx_bps", interface="ether9") is None


def test_retention_deletes_only_old_data(
    series: Series, device: Device, t0: datetime, settings
) -> None:
    """Raw points, rollups, vanished inventory, logs and events older than their
    retention are deleted; newer ones stay."""
    settings.MIKROMON_RETENTION_DAYS = {
        "raw": 1 / 24, "5m": 1, "1h": 1, "1d": 1, "inventory_gone": 1, "logs": 1, "events": 1,
    }
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_inventory(device.pk, InventorySnapshot(
        table="arp", rows=[{"address": "a"}], key_fields=("address",), ts=t0 - timedelta(days=3),
    ))
    storage.write_inventory(device.pk, InventorySnapshot(
        table="arp", rows=[], key_fields=("address",), ts=t0 - timedelta(days=2),
    ))
    storage.write_events([
        Event(device_id=device.pk, ts=t0 - timedelta(days=2), kind=EventKind.REBOOT, message=""),
        Event(device_id=device.pk, ts=t0, kind=EventKind.REBOOT, message=""),
    ])
    end = t0.timestamp() + 2 * 3600
    counts = maintenance.apply_retention(end)
    assert counts["raw"] == 720
    assert MetricPoint.objects.filter(series=series).count() == 720
    assert min(MetricPoint.objects.values_list("ts", flat=True)) == int(end) - 3600
    assert counts["inventory_gone"] == 1
    assert not InventoryItem.objects.exists()
    assert counts["events"] == 1
    assert EventRow.objects.count() == 1
