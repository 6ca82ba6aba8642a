"""A rollup run in slices: every level's closed buckets computed a range of series
at a time, each range its own short transaction, resumable across calls.

The writer thread runs the maintenance between its sample writes, and samples
polled meanwhile wait in memory (docs/storage.md, durability). One statement over
every series holds that thread, and SQLite's write lock, for as long as the whole
fleet takes: about 1.4 s a minute for the 5-minute level at 1,000 routers, and
seconds once an hour and once a UTC day (bench/rollup_levels.py). A
:class:`RollupPass` does the same work in slices of series ids sized to take
about :data:`SLICE_TARGET_S` (halved after a slow one, doubled after a quick
one, so that a backfill of a year of hours per series shrinks to one series a
slice), and :meth:`RollupPass.run` stops when its time budget is spent; the next
call goes on where it stopped.

What readers see stays exact: a level's watermark moves (after the level's last
slice) only when every series has its buckets of the window;
rows written before that lie past the old watermark, where readers read the finer
level or raw points instead. A pass interrupted by an error or a restart leaves
the watermarks where they were: the next pass computes the window again (an
upsert: the buckets come out the same). The levels go in order (5 minutes, hours,
days), each from the window its source rewrote, then the report summaries take
in the final 5-minute buckets in one transaction of their own
(:mod:`.report_summary_pass`; their failure is logged and leaves the rollups).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.db.models import Max, Min

from mikromon.domain.retention import LEVELS
from mikromon.web.control import retention
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MaintenanceState, MetricPoint, MetricRollup, Series
from mikromon.web.monitor.report_summary_pass import SummaryPass
from mikromon.web.monitor.rollup_marks import ROLLUP_SOURCES, rollup_watermark, watermark_name
from mikromon.web.monitor.slicing import next_size, run_slices

__all__ = ["ROLLUP_GRACE", "RollupPass"]

log = logging.getLogger("mikromon.web.monitor.maintenance")

#: Seconds after a bucket's end before it is rolled up.
ROLLUP_GRACE = 60
#: Seconds one slice should take: short against the writer's one-second promise.
SLICE_TARGET_S = 0.05
#: Series in the first slice of a level, and the most in one slice.
FIRST_SLICE = 100
MAX_SLICE = 50_000


def _first_reach(source: int | None, using: str) -> int:
    """How far back, seconds, a level's first run reaches: the longest raw point
    retention for the 5-minute level, the source level's retention for the others
    (so the daily level of an existing database covers every stored hour)."""
    kept = retention.effective(using=using)
    if source is None:
        return kept.longest_raw
    return kept.seconds[next(k for k, step in LEVELS.items() if step == source)]


def _rollup_sql(step: int, source: int | None, tables: tuple[str, str, str]) -> str:
    """The upsert of the ``step`` buckets in ``[%s, %s)`` of the series with ids in
    ``[%s, %s)``, from raw points (``source`` ``None``) or from the ``source``
    rollups. ``last`` is the value of the bucket's latest sample: the aggregate
    gives its time, a scalar subquery per bucket its value by primary key (of the
    raw point, or the ``last`` of the latest source bucket). A join would do the
    same, but PostgreSQL, expecting far more buckets than there are, plans it as a
    hash join over the whole table (bench/rollup_levels.py)."""
    series_t, points_t, rollup_t = tables
    if source is None:
        table, x_step, y_step, last = points_t, "", "", "value"
        agg = ("COUNT(*) AS n, MIN(x.value) AS lo, MAX(x.value) AS hi, "
               "AVG(x.value) AS av")
    else:
        table, last = rollup_t, '"last"'
        x_step, y_step = f" AND x.step = {source}", f" AND y.step = {source}"
        agg = ('SUM(x."count") AS n, MIN(x."min") AS lo, MAX(x."max") AS hi, '
               'SUM(x."avg" * x."count") / SUM(x."count") AS av')
    # CROSS JOIN keeps SQLite's loop order series -> rows, so each series is read
    # as one primary-key range instead of a full table scan.
    # WHERE before ON CONFLICT: SQLite's parser needs one after a SELECT's FROM.
    return (f'INSERT INTO {rollup_t} (series_id, step, ts, "count", "min", "max", "avg", '
            f'"last") SELECT b.sid, {step}, b.bts, b.n, b.lo, b.hi, b.av, '
            f"(SELECT y.{last} FROM {table} y WHERE y.series_id = b.sid{y_step} "
            f"AND y.ts = b.lts) FROM (SELECT x.series_id AS sid, "
            f"(x.ts / {step}) * {step} AS bts, {agg}, "
            f"MAX(x.ts) AS lts FROM {series_t} s CROSS JOIN {table} x "
            f"WHERE x.series_id = s.id{x_step} AND x.ts >= %s AND x.ts < %s "
            f"AND s.id >= %s AND s.id < %s "
            f"GROUP BY x.series_id, (x.ts / {step})) b WHERE b.n > 0 "
            'ON CONFLICT (series_id, step, ts) DO UPDATE SET "count" = excluded."count", '
            '"min" = excluded."min", "max" = excluded."max", "avg" = excluded."avg", '
            '"last" = excluded."last"')


class RollupPass:
    """One rollup run over every level, as of ``now``, done in slices.

    Args:
        now: Unix seconds the run is for (buckets closed ``ROLLUP_GRACE`` before it).
        using: database alias.

    Attributes:
        rows: rollup rows inserted or replaced so far.
        done: every level and the report summaries are done.

    Use from one thread. Database errors of a slice propagate (its transaction
    rolled back); the pass may be run again or dropped.
    """

    def __init__(self, now: float, *, using: str = "default") -> None:
        self.now_s = int(now)
        self.rows = 0
        self.done = False
        self._using = using
        self._level = 0
        self._window: tuple[int, int] | None = None
        self._next_id = 0
        self._slice = FIRST_SLICE
        self._rewritten: dict[int, int] = {}  # step -> first bucket (re)written
        self._summary_pass: SummaryPass | None = None

    def run(self, budget_s: float | None = None) -> bool:
        """Go on for at most about ``budget_s`` seconds (``None``: to the end; at
        least one slice either way; :func:`.slicing.run_slices`); return
        :attr:`done`."""
        return run_slices(self._step, lambda: self.done, budget_s)

    def _step(self) -> None:
        if self._level == len(ROLLUP_SOURCES):
            self._summaries()
            return
        step, source = ROLLUP_SOURCES[self._level]
        if self._window is None:
            self._window = self._window_of(step, source)
            first_id = Series.objects.using(self._using).aggregate(low=Min("id"))["low"]
            self._next_id, self._slice = first_id or 0, FIRST_SLICE
            if self._window is None:
                self._level += 1
                return
        start, end = self._window
        last_id = Series.objects.using(self._using).aggregate(top=Max("id"))["top"]
        if last_id is None or self._next_id > last_id:
            MaintenanceState.objects.using(self._using).update_or_create(
                name=watermark_name(step), defaults={"value": end})
            self._rewritten[step] = start
            self._window = None
            self._level += 1
            return
        low, high = self._next_id, self._next_id + self._slice
        conn = usable_connection(self._using)
        qn = conn.ops.quote_name
        tables = (qn(Series._meta.db_table), qn(MetricPoint._meta.db_table),
                  qn(MetricRollup._meta.db_table))
        began = time.monotonic()
        with transaction.atomic(using=self._using), conn.cursor() as cursor:
            cursor.execute(_rollup_sql(step, source, tables), [start, end, low, high])
            self.rows += max(cursor.rowcount, 0)
        took = time.monotonic() - began
        self._next_id = high
        self._slice = next_size(self._slice, took, SLICE_TARGET_S, MAX_SLICE)

    def _window_of(self, step: int, source: int | None) -> tuple[int, int] | None:
        """The ``[start, end)`` of the ``step`` buckets this pass computes, or
        ``None`` when none closed: since the watermark (raw points land up to one
        bucket late: the last closed bucket again), and, for a level rolled up from
        another, the buckets whose source rows this pass rewrote."""
        end = (self.now_s - ROLLUP_GRACE) // step * step
        mark = rollup_watermark(step, using=self._using)
        if mark is None:
            start = end - _first_reach(source, self._using)
        elif source is None:
            start = mark - step
        else:
            start = min(mark, self._rewritten.get(source, mark))
        start = start // step * step
        return (start, end) if end > start else None

    def _summaries(self) -> None:
        """The report summaries' update (:meth:`.SummaryPass.run`: one transaction
        of its own; a failure leaves the rollups)."""
        if self._summary_pass is None:
            self._summary_pass = SummaryPass(using=self._using)
        try:
            self._summary_pass.run()
        except Exception:
            log.exception("report summaries not updated; the rollups are written")
            self.done = True
            return
        self.done = self._summary_pass.done
