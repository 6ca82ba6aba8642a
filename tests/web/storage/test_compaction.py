"""The compactor: head rows of closed windows become chunks, every sample kept bit
for bit; late rows merged into compacted windows; the horizon behind both rollup
watermarks; bounded transactions resuming at the cursor; retention of chunks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from chunk_samples import DAY, T0, bits, stored
from django.db import connection

from mikromon.storage.chunks import decode_chunk, encode_chunk, read_header
from mikromon.web.monitor import chunk_state, compaction, maintenance
from mikromon.web.monitor.models import (
    MaintenanceState,
    MetricChunk,
    MetricPoint,
    Series,
)

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

NOW = T0 + 3 * DAY + 5 * 3600  # Friday 05:00


def marks(value: int) -> None:
    """Set both rollup watermarks to ``value`` (Unix s)."""
    for step in (300, 3600):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": value})


def fill(series: Series, start: int, end: int, step: int = 5, value=None) -> dict[int, float]:
    """Head rows every ``step`` s in ``[start, end)``; returns {ts: value}."""
    rng = np.random.default_rng(series.pk)
    ts = np.arange(start, end, step)
    if value is None:
        vals = np.round(rng.normal(1e6, 3e4, ts.shape[0]), 3)
        vals[::7] = rng.normal(0, 1, vals[::7].shape[0])  # full-precision floats too
    else:
        vals = np.full(ts.shape[0], value, dtype=np.float64)
    MetricPoint.objects.bulk_create(
        [MetricPoint(series=series, ts=int(t), value=float(v))
         for t, v in zip(ts, vals, strict=True)],
        batch_size=2000)
    return dict(zip(ts.tolist(), vals.tolist(), strict=False))


@pytest.fixture
def two(device) -> tuple[Series, Series]:
    return (Series.objects.create(device=device, key="iface.rx_bps",
                                  labels_key='{"interface":"ether1"}'),
            Series.objects.create(device=device, key="system.cpu_load_pct"))


def test_windows_are_days_before_the_horizon_day_and_2_hours_in_it():
    edge = T0 + DAY + 4 * 3600
    assert compaction.window_of(T0 + 5, edge) == (T0, T0 + DAY)
    assert compaction.window_of(T0 + DAY + 3 * 3600, edge) == (T0 + DAY + 7200,
                                                              T0 + DAY + 14400)


def test_the_horizon_waits_for_both_rollup_watermarks(db):
    assert compaction.horizon(NOW) is None  # rollups never ran
    marks(NOW - 60)
    assert compaction.horizon(NOW) == (NOW - 7200) // 7200 * 7200
    MaintenanceState.objects.filter(name="rollup_3600").update(value=NOW - 5 * 3600)
    assert compaction.horizon(NOW) == (NOW - 5 * 3600) // 7200 * 7200


def test_every_sample_survives_bit_for_bit(two):
    rx, cpu = two
    want = {rx.pk: fill(rx, T0, NOW), cpu.pk: fill(cpu, T0 + 3, NOW, step=30)}
    before = {s.pk: bits(stored(s)) for s in two}
    marks(NOW)
    progress = compaction.compact(NOW, budget_s=None)
    assert progress.done
    assert progress.rows == sum(map(len, want.values())) - sum(
        MetricPoint.objects.filter(series=s).count() for s in two)
    edge = (NOW - 7200) // 7200 * 7200
    for s in two:
        assert bits(stored(s)) == before[s.pk]
        assert not MetricPoint.objects.filter(series=s, ts__lt=edge).exists()
        assert MetricPoint.objects.filter(series=s, ts__gte=edge).exists()
        starts = list(MetricChunk.objects.filter(series=s).values_list("start_ts", flat=True))
        days = [t for t in starts if t < edge // DAY * DAY]
        assert len(days) == 3
        assert all(t // DAY != u // DAY for t, u in itertools.pairwise(days))
        # the horizon's day: 2-hour chunks (00:00-02:00 only: the horizon is 02:00)
        assert [t // 7200 for t in starts if t >= edge // DAY * DAY] == [edge // 7200 - 1]
    assert compaction.compact(NOW, budget_s=None).chunks == 0  # nothing left


def test_a_day_of_2_hour_chunks_becomes_one_day_chunk(two):
    rx, _ = two
    want = fill(rx, T0, T0 + DAY)
    marks(T0 + DAY - 60)
    compaction.compact(T0 + DAY + 7200, budget_s=None)  # horizon inside the day
    assert MetricChunk.objects.filter(series=rx).count() == 11
    marks(NOW)
    compaction.compact(NOW, budget_s=None)
    assert list(MetricChunk.objects.filter(series=rx).values_list("start_ts", "count")) == [
        (T0, len(want))]
    assert bits(stored(rx)) == bits(want)


def test_a_late_row_is_merged_into_its_compacted_window_once(two):
    rx, _ = two
    want = fill(rx, T0, T0 + DAY, step=10)
    marks(NOW)
    compaction.compact(NOW, budget_s=None)
    # The writer drains its queue after an outage: a row inside the compacted day
    # (between two samples), and one at a second the chunk already holds.
    MetricPoint.objects.create(series=rx, ts=T0 + 3605, value=42.5)
    MetricPoint.objects.create(series=rx, ts=T0 + 3600, value=-1.0)
    progress = compaction.compact(NOW, budget_s=None)
    assert progress.rows == 2
    assert progress.chunks == 1
    got = stored(rx)
    assert got[T0 + 3605] == 42.5
    assert got[T0 + 3600] == want[T0 + 3600]  # the sample stored first wins
    assert len(got) == len(want) + 1
    assert MetricChunk.objects.filter(series=rx).count() == 1


def test_nan_in_a_chunk_survives_a_merge(two):
    """A chunk holding NaN (payload and sign kept) and -0.0 takes in a late row."""
    rx, _ = two
    ts = np.arange(T0, T0 + 600, 5, dtype=np.int64)
    vals = np.linspace(0, 1, ts.shape[0])
    nan = np.array([0x7FF8_0000_DEAD_BEEF], dtype=np.int64).view(np.float64)[0]
    vals[3], vals[4], vals[5] = nan, -0.0, np.inf
    MetricChunk.objects.create(series=rx, start_ts=T0, end_ts=int(ts[-1]),
                               count=ts.shape[0], data=encode_chunk(ts, vals))
    MetricPoint.objects.create(series=rx, ts=T0 + 2, value=7.0)
    marks(NOW)
    compaction.compact(NOW, budget_s=None)
    (chunk,) = MetricChunk.objects.filter(series=rx)
    got_ts, got = decode_chunk(bytes(chunk.data))
    assert got_ts[:2].tolist() == [T0, T0 + 2]
    assert got[1] == 7.0
    assert np.delete(got, 1).view(np.int64).tolist() == vals.view(np.int64).tolist()


def test_work_is_bounded_and_resumes_at_the_cursor(two, monkeypatch):
    monkeypatch.setattr(compaction, "BATCH_SAMPLES", 3000)
    rx, cpu = two
    want = {rx.pk: fill(rx, T0, T0 + 2 * DAY), cpu.pk: fill(cpu, T0, T0 + 2 * DAY)}
    marks(NOW)
    first = compaction.compact(NOW, budget_s=0.0)  # stops after one transaction
    assert first.chunks >= 1
    assert not first.done
    assert chunk_state.load().cursor == 0  # stopped inside the first series
    total = first.rows
    for _ in range(20):
        progress = compaction.compact(NOW, budget_s=0.0)
        total += progress.rows
        if progress.done:
            break
    assert progress.done
    assert total == sum(map(len, want.values()))
    for s in two:
        assert bits(stored(s)) == bits(want[s.pk])


def test_retention_deletes_chunks_once_wholly_old(two, settings):
    rx, _ = two
    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "raw": 1}
    fill(rx, T0, T0 + 3 * DAY, step=60)
    marks(NOW)
    compaction.compact(NOW, budget_s=None)
    assert MetricChunk.objects.filter(series=rx).count() == 3
    cutoff_day = T0 + DAY + 3600  # 01:00 on the second day: its chunk straddles
    counts = maintenance.apply_retention(cutoff_day + DAY)
    assert (counts["chunks"], counts["chunks_cut"]) == (1, 1)  # the straddling one cut
    assert list(MetricChunk.objects.filter(series=rx).values_list("start_ts", flat=True)) == [
        cutoff_day, T0 + 2 * DAY]
    maintenance.apply_retention(T0 + 2 * DAY + 3600 + DAY)
    assert list(MetricChunk.objects.filter(series=rx).values_list("start_ts", flat=True)) == [
        T0 + 2 * DAY + 3600]


def test_django_reads_and_writes_the_chunk_table(two):
    rx, cpu = two
    data = encode_chunk([T0, T0 + 5], [1.0, 2.0])
    MetricChunk.objects.create(series=rx, start_ts=T0, end_ts=T0 + 5, count=2, data=data)
    MetricChunk.objects.bulk_create([MetricChunk(series=cpu, start_ts=T0 + 8 * DAY + k,
                                                 end_ts=T0 + 8 * DAY + k, count=1,
                                                 data=encode_chunk([T0 + 8 * DAY + k], [k]))
                                     for k in range(3)])
    row = MetricChunk.objects.get(pk=(rx.pk, T0))
    assert bytes(row.data) == data
    assert read_header(bytes(row.data)).count == 2
    assert MetricChunk.objects.filter(series=cpu).count() == 3
    cpu.delete()  # cascades
    assert MetricChunk.objects.count() == 1


def test_compaction_is_off_by_setting(two, settings):
    from mikromon.web.monitor.storage import DjangoStorage

    rx, _ = two
    fill(rx, T0, T0 + DAY, step=60)
    marks(NOW)
    settings.MIKROMON_COMPACTION = False
    DjangoStorage(clock=lambda: NOW).maintain()
    assert not MetricChunk.objects.exists()
    settings.MIKROMON_COMPACTION = True
    storage = DjangoStorage(clock=lambda: NOW)
    storage.maintain()
    assert MetricChunk.objects.filter(series=rx).exists()


def test_chunks_are_the_same_logical_table_on_both_databases(db):
    with connection.cursor() as cursor:
        cols = [c.name for c in connection.introspection.get_table_description(
            cursor, "monitor_metricchunk")]
    assert sorted(cols) == ["count", "data", "end_ts", "series_id", "start_ts"]
