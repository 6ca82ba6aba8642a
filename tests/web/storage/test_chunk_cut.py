"""Retention cuts the chunks that straddle a tier's cutoff
(:mod:`mikromon.web.monitor.chunk_cut`): after a retention run no reader (the
raw reads, counts, the oldest second, the export, the chunks themselves) sees a
sample older than its series' cutoff, every sample at or after it is kept bit
for bit, each tier by its own retention, in transactions of a few series, and a
damaged chunk is left as it is without stopping the others. SQLite here,
PostgreSQL (partitions) with ``-m db_backend``."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from chunk_samples import DAY, T0, bits, stored
from django.db import connection
from django.db.models import Min

from mikromon.storage.chunks import encode_chunk
from mikromon.web.control import retention
from mikromon.web.monitor import chunk_cut, maintenance, points, series_export
from mikromon.web.monitor.models import MetricChunk, MetricPoint, Series
from mikromon.web.monitor.points import oldest_raw_subqueries

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _chunk(series: Series, start: int, end: int, step: int) -> dict[int, float]:
    """One chunk of a sample every ``step`` s in ``[start, end)``; returns it."""
    ts = np.arange(start, end, step, dtype=np.int64)
    vals = np.round(np.random.default_rng(series.pk).normal(5e5, 1e4, ts.shape[0]), 2)
    vals[::5] = np.random.default_rng(1).normal(0, 1, vals[::5].shape[0])
    MetricChunk.objects.create(series=series, start_ts=int(ts[0]), end_ts=int(ts[-1]),
                               count=int(ts.shape[0]), data=encode_chunk(ts, vals))
    return dict(zip(ts.tolist(), vals.tolist(), strict=True))


@pytest.fixture
def fleet(device) -> dict[str, Series]:
    """Series of two tiers (interfaces: the 30 s tier; CPU: the 5 s one), each
    with a chunk a day over four days."""
    out = {"rx": Series.objects.create(device=device, key="iface.rx_bps",
                                       labels_key='{"interface":"ether1"}'),
           "cpu": Series.objects.create(device=device, key="system.cpu_load_pct")}
    return out


def _fill(fleet: dict[str, Series]) -> dict[str, dict[int, float]]:
    return {name: {t: v for day in range(4) for t, v in _chunk(
        s, T0 + day * DAY, T0 + (day + 1) * DAY, 60).items()} for name, s in fleet.items()}


def _cutoffs(now: int) -> dict[str, int]:
    kept = retention.effective()
    return {name: now - int(kept.seconds.get(retention.tier_of(s.key), kept.longest_raw))
            for name, s in (("rx", Series.objects.get(key="iface.rx_bps")),
                            ("cpu", Series.objects.get(key="system.cpu_load_pct")))}


def test_no_reader_sees_a_sample_older_than_its_cutoff(fleet, settings) -> None:
    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "raw": 2}
    retention.save({"realtime": DAY}, by="test")  # the interfaces' tier: a day
    want = _fill(fleet)
    now = T0 + 2 * DAY + 7 * 3600 + 17  # 07:00:17 of the third day, plus a day
    cutoffs = _cutoffs(now + DAY)
    assert cutoffs == {"rx": now, "cpu": now - DAY}  # each inside a chunk
    counts = maintenance.apply_retention(now + DAY)
    assert counts["chunks_cut"] == 2
    for name, series in fleet.items():
        cutoff = cutoffs[name]
        kept = {t: v for t, v in want[name].items() if t >= cutoff}
        assert len(kept) < len(want[name])
        assert bits(stored(series)) == bits(kept)
        ts, _vals = points.read_points([series.pk], 0, T0 + 9 * DAY)[series.pk]
        assert ts.tolist() == sorted(kept)
        assert points.count_points([series.pk], 0, T0 + 9 * DAY) == len(kept)
        assert points.count_points([series.pk], 0, cutoff) == 0
        oldest = Series.objects.filter(pk=series.pk).annotate(
            head=oldest_raw_subqueries()[0], chunk=oldest_raw_subqueries()[1]).get()
        assert oldest.head is None
        assert oldest.chunk == min(kept)
        _total, rows = series_export.series_rows([series.pk], 0, T0 + 9 * DAY, None)
        assert [ts for _sid, ts, _v in rows] == sorted(kept)
    # Samples dropped by the cuts: those of the cut chunks' days before the cutoffs.
    assert counts["chunk_samples_cut"] == sum(
        cutoffs[name] // DAY * DAY <= t < cutoffs[name] for name in fleet for t in want[name])
    # The next run finds nothing straddling: the chunks start at or after the cutoff.
    again = maintenance.apply_retention(now + DAY)
    assert (again["chunks"], again["chunks_cut"]) == (0, 0)
    assert MetricChunk.objects.aggregate(first=Min("start_ts"))["first"] >= min(cutoffs.values())


def test_a_cut_leaves_no_chunk_when_no_sample_is_kept(fleet) -> None:
    """A chunk whose only samples at or after the cutoff are gone (its end past
    the cutoff, no sample there: a damaged bound) is deleted, not re-inserted."""
    rx = fleet["rx"]
    ts = np.arange(T0, T0 + 600, 60, dtype=np.int64)
    MetricChunk.objects.create(series=rx, start_ts=T0, end_ts=T0 + 3600, count=10,
                               data=encode_chunk(ts, np.ones(10)))
    counts = chunk_cut.CutCounts()
    list(chunk_cut.cut_steps([rx.pk], T0 + 1200, counts))
    assert not MetricChunk.objects.exists()
    assert (counts.chunks, counts.samples) == (1, 10)


def test_a_damaged_chunk_is_kept_and_the_others_cut(fleet, caplog) -> None:
    rx, cpu = fleet["rx"], fleet["cpu"]
    MetricChunk.objects.create(series=rx, start_ts=T0, end_ts=T0 + 3600, count=3,
                               data=b"not a chunk")
    want = _chunk(cpu, T0, T0 + 3600, 5)
    counts = chunk_cut.CutCounts()
    with caplog.at_level(logging.WARNING, logger="mikromon.web.monitor.chunk_cut"):
        list(chunk_cut.cut_steps([rx.pk, cpu.pk], T0 + 1800, counts))
    assert (counts.chunks, counts.damaged) == (1, 1)
    assert bytes(MetricChunk.objects.get(series=rx).data) == b"not a chunk"
    assert bits(stored(cpu)) == bits({t: v for t, v in want.items() if t >= T0 + 1800})
    assert f"chunk of series {rx.pk}" in caplog.text


def test_the_cut_goes_a_few_series_a_transaction(device, monkeypatch) -> None:
    """The retention's steps yield after each transaction of
    :data:`~mikromon.web.monitor.chunk_cut.SERIES_PER_TRANSACTION` series, and a
    head row is never touched by the cut."""
    series = [Series.objects.create(device=device, key="system.cpu_load_pct",
                                    labels_key=f'{{"n":"{n}"}}') for n in range(7)]
    for s in series:
        _chunk(s, T0, T0 + DAY, 60)
    MetricPoint.objects.create(series=series[0], ts=T0 + DAY + 5, value=1.0)
    monkeypatch.setattr(chunk_cut, "SERIES_PER_TRANSACTION", 2)
    counts = chunk_cut.CutCounts()
    steps = list(chunk_cut.cut_steps([s.pk for s in series], T0 + DAY // 2, counts))
    assert len(steps) == 4
    assert counts.chunks == 7
    assert MetricChunk.objects.filter(start_ts=T0 + DAY // 2).count() == 7
    assert MetricPoint.objects.count() == 1
    with connection.cursor() as cursor:  # PostgreSQL: still in the day's partition
        cursor.execute("SELECT COUNT(*) FROM monitor_metricchunk WHERE start_ts < %s",
                       [T0 + DAY // 2])
        assert cursor.fetchone()[0] == 0
