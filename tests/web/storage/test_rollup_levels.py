"""Rollup levels: the last value of every bucket, the 1-day level rolled up from
the hourly rows, its reads (a year chart), its retention, and the compactor not
waiting for it."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mikromon.domain.retention import RetentionError
from mikromon.web.control import retention
from mikromon.web.monitor import compaction, maintenance
from mikromon.web.monitor.models import (
    Device,
    MaintenanceState,
    MetricPoint,
    MetricRollup,
    Series,
)
from mikromon.web.monitor.readers import choose_step, read_series

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

DAY = 86400
#: A UTC midnight: the first of three days of raw points.
T0 = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
DAYS = 3
EVERY = 60
NOW = T0 + DAYS * DAY + maintenance.ROLLUP_GRACE


@pytest.fixture
def raw(device: Device) -> tuple[Series, list[tuple[int, float]]]:
    """A series with a sample every minute over three UTC days, values random
    (so the last of a bucket is neither its min, max nor average)."""
    series = Series.objects.create(device=device, key="system.cpu.load_pct")
    rng = random.Random(5)
    samples = [(ts, round(rng.uniform(0, 100), 3)) for ts in range(T0, T0 + DAYS * DAY, EVERY)]
    MetricPoint.objects.bulk_create(MetricPoint(series=series, ts=ts, value=v)
                                    for ts, v in samples)
    return series, samples


def _from_raw(samples: list[tuple[int, float]], step: int
              ) -> list[tuple[int, int, float, float, float, float]]:
    """``(ts, count, min, max, avg, last)`` per bucket of ``step`` seconds."""
    buckets: dict[int, list[float]] = {}
    for ts, value in samples:
        buckets.setdefault(ts // step * step, []).append(value)
    return [(ts, len(vs), min(vs), max(vs), sum(vs) / len(vs), vs[-1])
            for ts, vs in sorted(buckets.items())]


def _stored(series: Series, step: int) -> list[tuple[int, int, float, float, float, float]]:
    return list(MetricRollup.objects.filter(series=series, step=step).order_by("ts")
                .values_list("ts", "count", "min", "max", "avg", "last"))


def _same(got: list[tuple[int, int, float, float, float, float]],
          want: list[tuple[int, int, float, float, float, float]]) -> None:
    assert [(t, n, lo, hi, last) for t, n, lo, hi, _a, last in got] == \
        [(t, n, lo, hi, last) for t, n, lo, hi, _a, last in want]
    assert [a for *_x, a, _l in got] == pytest.approx([a for *_x, a, _l in want], rel=1e-9)


@pytest.mark.parametrize("step", [300, 3600, DAY])
def test_last_is_the_value_of_the_latest_sample_at_every_level(raw, step) -> None:
    series, samples = raw
    maintenance.update_rollups(NOW)
    want = _from_raw(samples, step)
    assert len(want) == DAYS * DAY // step
    _same(_stored(series, step), want)
    assert maintenance.rollup_watermark(step) == T0 + DAYS * DAY


def test_the_daily_level_is_rolled_up_from_the_hourly_rows(raw) -> None:
    """With the raw points gone, the day rows computed again from the hourly rows
    equal those computed from the raw points; without hourly rows there are none."""
    series, samples = raw
    maintenance.update_rollups(NOW)
    from_raw = _stored(series, DAY)
    MetricPoint.objects.all().delete()
    MetricRollup.objects.filter(step=DAY).delete()
    MaintenanceState.objects.filter(name="rollup_86400").delete()
    maintenance.update_rollups(NOW)
    _same(_stored(series, DAY), from_raw)
    _same(from_raw, _from_raw(samples, DAY))
    MetricRollup.objects.all().delete()
    MaintenanceState.objects.filter(name="rollup_86400").delete()
    maintenance.update_rollups(NOW)
    assert not MetricRollup.objects.filter(step=DAY).exists()


def test_a_late_sample_becomes_the_last_of_every_level(raw) -> None:
    series, _samples = raw
    maintenance.update_rollups(NOW)
    late = T0 + DAYS * DAY - 2
    MetricPoint.objects.create(series=series, ts=late, value=-1.5)
    maintenance.update_rollups(NOW + 300)
    for step in (300, 3600, DAY):
        row = MetricRollup.objects.get(series=series, step=step, ts=late // step * step)
        assert (row.last, row.min) == (-1.5, -1.5), step


def test_a_year_chart_reads_day_buckets(device: Device) -> None:
    """600 points over a year is a step of a day: ~365 day rows per series, the
    current day from the hourly rows, the last minutes from raw points."""
    series = Series.objects.create(device=device, key="system.cpu.load_pct")
    end = T0 + 400 * DAY + 7 * 3600 + 120
    day_mark, hour_mark = end // DAY * DAY, end // 3600 * 3600
    MetricRollup.objects.bulk_create(
        MetricRollup(series=series, step=DAY, ts=ts, count=1440, min=0, max=9, avg=4,
                     last=float(ts // DAY % 7)) for ts in range(T0, day_mark, DAY))
    MetricRollup.objects.bulk_create(
        MetricRollup(series=series, step=3600, ts=ts, count=60, min=1, max=2, avg=1.5,
                     last=float(ts)) for ts in range(day_mark, hour_mark, 3600))
    MetricPoint.objects.create(series=series, ts=hour_mark + 30, value=7.25)
    for step, mark in ((300, hour_mark), (3600, hour_mark), (DAY, day_mark)):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": mark})
    start = end - 365 * DAY
    assert choose_step(365 * DAY, 600) == DAY
    with CaptureQueriesContext(connection) as queries:
        data = read_series(series, start, end, max_points=600)
    assert (data.source, data.step) == ("1d", DAY)
    assert len(data.points) == 366  # 365 whole days before today, today so far
    assert any(f"step = {DAY}" in q["sql"] for q in queries.captured_queries)
    assert [b.last for b in data.points[:-1]] == [float(t // DAY % 7) for t in
                                                   range(start // DAY * DAY, day_mark, DAY)]
    today = data.points[-1]
    assert (today.ts, today.count, today.min, today.max, today.last) == (
        day_mark, 60 * 7 + 1, 1.0, 7.25, 7.25)


def test_the_daily_level_has_its_own_retention(device: Device) -> None:
    series = Series.objects.create(device=device, key="system.cpu.load_pct")
    now = T0 + 3000 * DAY
    ages = (10, 100, 800, 1900, 2900)
    MetricRollup.objects.bulk_create(
        MetricRollup(series=series, step=step, ts=(now - age * DAY) // step * step, count=1,
                     min=1, max=1, avg=1, last=1)
        for step in (3600, DAY) for age in ages)
    retention.save({"1h": 200 * DAY, "1d": 2000 * DAY}, by="cli")
    counts = maintenance.apply_retention(now)
    assert (counts["1h"], counts["1d"]) == (3, 1)
    left = MetricRollup.objects.filter(step=DAY).values_list("ts", flat=True)
    assert sorted(left) == sorted((now - age * DAY) // DAY * DAY for age in ages[:4])


def test_the_daily_level_is_kept_at_least_as_long_as_the_hourly_one(db) -> None:
    assert retention.effective().seconds["1d"] == 1825 * DAY  # the environment's default
    with pytest.raises(RetentionError) as err:
        retention.save({"1d": 100 * DAY}, by="cli")
    assert set(err.value.problems) == {"1d"}
    assert "hourly rollups" in err.value.problems["1d"]
    with pytest.raises(RetentionError, match="minimum 62d"):
        retention.save({"1d": 30 * DAY}, by="cli")
    assert retention.save({"1d": 3650 * DAY}, by="cli").seconds["1d"] == 3650 * DAY


def test_compaction_does_not_wait_for_the_daily_level(db) -> None:
    """The compactor's horizon follows the 5-minute and hourly watermarks only."""
    now = T0 + 10 * DAY + 3600
    for step in (300, 3600):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": now - 600})
    assert compaction.horizon(now) == (now - compaction.MIN_AGE_S) // compaction.WINDOW_S \
        * compaction.WINDOW_S
    MaintenanceState.objects.update_or_create(name="rollup_86400", defaults={"value": T0})
    assert compaction.horizon(now) == (now - compaction.MIN_AGE_S) // compaction.WINDOW_S \
        * compaction.WINDOW_S
