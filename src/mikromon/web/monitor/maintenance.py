"""Rollups and retention for the stored time series.

Rollups: every closed 5-minute bucket of raw points becomes one ``MetricRollup``
row (count, min, max, avg, last) per series, every closed hour of 5-minute
rollups one 1-hour row, and every closed UTC day of hourly rollups one 1-day row
(``last``: the value of the bucket's latest sample), by
:class:`~.rollup_pass.RollupPass`: a range of series at a time, each its own
transaction, so that the writer thread running it between sample writes stalls
briefly each time; the report summaries (:mod:`.report_summaries`) then take in
the final 5-minute buckets (their failure is logged and leaves the rollups).
Watermarks in ``MaintenanceState`` (``rollup_300``, ``rollup_3600``,
``rollup_86400``: Unix second before which buckets are final) make each run
cheap; each run also recomputes the last 5-minute bucket before the watermark, so
points that arrive up to one bucket late are still counted, and the hourly and
daily buckets holding the source rows it rewrote (the daily level costs a run
little but at the end of a UTC day: bench/rollup_levels.py). A bucket is computed
``ROLLUP_GRACE`` seconds after it ends.

Compaction (:mod:`.compaction`, when ``settings.MIKROMON_COMPACTION`` is on)
turns head rows behind the 5-minute and hourly rollup watermarks and at least 2
hours old into compressed chunks; :func:`run` gives it
:data:`COMPACTION_BUDGET_S` seconds.

Retention deletes raw points, chunks, rollups, vanished inventory rows, log
lines and events older than their retention. A chunk goes when its last sample
is past its series' raw retention; a chunk straddling the cutoff is then cut
down to its samples at or after it (:mod:`.chunk_cut`), so that no reader sees
a raw sample older than its retention once a retention run is over. On
PostgreSQL whole weekly partitions of chunks past every tier's retention are
dropped first (:mod:`.chunk_partitions`); the chunks of the boundary partition
are deleted and cut as on SQLite. Raw points and rollups go by the settings in
force at each run (:func:`mikromon.web.control.retention.effective`: stored
settings over ``settings.MIKROMON_RETENTION_DAYS``): raw points per tier of
their metric (a series' key mapped through the metric catalog), rollups per
level. The rest goes by ``settings.MIKROMON_RETENTION_DAYS``.

Both are idempotent and safe to run from any single thread; DjangoStorage runs
them from the writer thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction

from mikromon.domain.retention import LEVELS
from mikromon.web.control import retention
from mikromon.web.monitor import (
    chunk_cut,
    chunk_partitions,
    compaction,
    disk_usage,
    report_summaries,
)
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import (
    Event,
    InventoryItem,
    LogEntry,
    MetricChunk,
    MetricPoint,
    MetricRollup,
    Series,
)
from mikromon.web.monitor.rollup_marks import ROLLUP_SOURCES as ROLLUP_SOURCES
from mikromon.web.monitor.rollup_marks import rollup_watermark as rollup_watermark
from mikromon.web.monitor.rollup_pass import ROLLUP_GRACE as ROLLUP_GRACE
from mikromon.web.monitor.rollup_pass import RollupPass

log = logging.getLogger(__name__)

#: Series per transaction of the retention's deletes of points and rollups (a
#: step of 2,000 took up to 0.3 s on PostgreSQL, bench/maintenance_stall.py).
RETENTION_SLICE = 1000
#: Series per transaction of the retention's deletes of chunks (a day chunk is
#: tens of kilobytes: 2,000 of them took 0.9 s on SQLite, bench/retention_cut.py).
CHUNK_RETENTION_SLICE = 200
#: Seconds between retention runs started by DjangoStorage.
RETENTION_INTERVAL = 3600.0
#: Seconds of compaction per :func:`run` (DjangoStorage gives it slices of its own).
COMPACTION_BUDGET_S = 5.0


def retention_version(*, using: str = "default") -> object:
    """A value that changes when the stored retention settings change
    (:func:`mikromon.web.control.retention.version`)."""
    return retention.version(using=using)


def update_rollups(now: float | None = None, *, using: str = "default") -> int:
    """Compute every rollup bucket closed since the last run, to the end
    (:class:`~.rollup_pass.RollupPass` without a time budget: slices of series,
    each its own transaction).

    Args:
        now: current Unix seconds (default: the clock).
        using: database alias.

    Returns:
        The number of rollup rows inserted or replaced.
    """
    rollups = RollupPass(time.time() if now is None else now, using=using)
    rollups.run()
    return rollups.rows


def apply_retention(now: float | None = None, *, using: str = "default") -> dict[str, int]:
    """Delete data older than its retention: raw points by the tier of their
    series' metric and rollups by level (:func:`retention.effective`, read now),
    the rest by ``settings.MIKROMON_RETENTION_DAYS``; all of
    :func:`retention_steps` at once.

    Returns:
        Rows deleted per kind: ``raw`` (all tiers), ``raw_<tier>`` (each tier;
        ``raw_other``: metrics the catalog does not know, kept as long as the
        longest tier), ``chunks`` (chunk rows deleted, all tiers),
        ``chunks_cut`` and ``chunk_samples_cut`` (chunks straddling their
        cutoff re-encoded without the samples before it, and those samples:
        :mod:`.chunk_cut`),
        ``chunk_partitions`` (PostgreSQL partitions dropped), ``5m``, ``1h``, ``1d``,
        ``inventory_gone``, ``summaries`` (report
        summaries of periods past the hourly retention), ``logs``, ``events``,
        ``alert_history`` (history rows of resolved alerts deleted with them,
        :mod:`mikromon.web.alerts.maintenance`).
    """
    counts: dict[str, int] = {}
    for _ in retention_steps(counts, now, using=using):
        pass
    return counts


def retention_steps(counts: dict[str, int], now: float | None = None, *,
                    using: str = "default") -> Iterator[None]:
    """The retention (:func:`apply_retention`) as short steps, each its own
    transaction: the deletes of raw points, chunks and rollups a range of
    :data:`RETENTION_SLICE` series at a time, then the other tables. Yields after
    each step, so that the writer thread running it between sample writes can stop
    and go on at its next maintenance call; adds the rows deleted to ``counts``
    (the keys of :func:`apply_retention`) as it goes. A step's error propagates;
    what earlier steps deleted stays deleted (each delete is final on its own).
    """
    now_s = time.time() if now is None else now
    days = settings.MIKROMON_RETENTION_DAYS
    kept = retention.effective(using=using)
    conn = usable_connection(using)
    qn = conn.ops.quote_name
    points_t = qn(MetricPoint._meta.db_table)
    chunks_t = qn(MetricChunk._meta.db_table)
    rollup_t = qn(MetricRollup._meta.db_table)
    by_tier: dict[str, list[int]] = {}
    pairs = list(Series.objects.using(using).values_list("id", "key"))
    for sid, key in pairs:
        by_tier.setdefault(retention.tier_of(key) or "other", []).append(sid)
    series_ids = [sid for ids in by_tier.values() for sid in ids]
    cut = chunk_cut.CutCounts()

    def per_series(name: str, sql: str, cutoff: int, ids: list[int], times: int = 1,
                   size: int = RETENTION_SLICE) -> Iterator[None]:
        # One primary-key range delete per series (the key starts with series_id),
        # a slice of ``size`` series per transaction.
        counts.setdefault(name, 0)
        for start in range(0, len(ids), size):
            with transaction.atomic(using=using), conn.cursor() as cursor:
                cursor.executemany(sql, [(sid, *[cutoff] * times)
                                         for sid in ids[start:start + size]])
                counts[name] += max(cursor.rowcount, 0)
            yield

    def cutoff_dt(key: str) -> datetime:
        return datetime.fromtimestamp(now_s, UTC) - timedelta(days=float(days[key]))

    counts["chunk_partitions"] = chunk_partitions.drop_expired(
        int(now_s - kept.longest_raw), using=using)
    yield
    for tier, ids in sorted(by_tier.items()):
        keep_s = kept.longest_raw if tier == "other" else kept.seconds[tier]
        yield from per_series(f"raw_{tier}", f"DELETE FROM {points_t} WHERE series_id = %s "
                              "AND ts < %s", int(now_s - keep_s), ids)
        yield from per_series("chunks", f"DELETE FROM {chunks_t} WHERE series_id = %s "
                              "AND start_ts < %s AND end_ts < %s", int(now_s - keep_s), ids,
                              times=2, size=CHUNK_RETENTION_SLICE)
        for _ in chunk_cut.cut_steps(ids, int(now_s - keep_s), cut, using=using):
            counts["chunks_cut"], counts["chunk_samples_cut"] = cut.chunks, cut.samples
            yield
    counts["raw"] = sum(counts.get(f"raw_{tier}", 0) for tier in by_tier)
    counts.setdefault("chunks", 0)
    counts.setdefault("chunks_cut", 0)
    counts.setdefault("chunk_samples_cut", 0)
    for key, step in LEVELS.items():
        yield from per_series(key, f"DELETE FROM {rollup_t} WHERE series_id = %s AND "
                              f"step = {step} AND ts < %s", int(now_s - kept.seconds[key]),
                              series_ids)
    with transaction.atomic(using=using):
        # Rows only: their search terms go with them (cascade) and are not counted.
        counts["inventory_gone"] = (
            InventoryItem.objects.using(using)
            .filter(gone=True, gone_at__lt=cutoff_dt("inventory_gone"))
            .delete()[1].get(InventoryItem._meta.label, 0)
        )
        counts["logs"] = (
            LogEntry.objects.using(using).filter(seen_at__lt=cutoff_dt("logs")).delete()[0]
        )
        counts["summaries"] = report_summaries.apply_retention(
            now_s - kept.seconds["1h"], using=using)
        counts["events"] = Event.objects.using(using).filter(ts__lt=cutoff_dt("events")).delete()[0]
        from mikromon.web.alerts.maintenance import apply_alert_retention

        counts["alert_history"] = apply_alert_retention(now_s, using=using)
    yield
    try:  # the rows the disk forecast scales (a few series per tier)
        with transaction.atomic(using=using):
            disk_usage.measure_rows(pairs, now_s, using=using)
    except Exception:
        log.exception("row counts for the disk forecast not measured; retention applied")


def run(now: float | None = None, *, using: str = "default") -> None:
    """Update rollups, compact for up to :data:`COMPACTION_BUDGET_S` (when
    :func:`compaction.enabled`), then apply retention."""
    update_rollups(now, using=using)
    if compaction.enabled():
        compaction.compact(now, using=using, budget_s=COMPACTION_BUDGET_S)
    apply_retention(now, using=using)
