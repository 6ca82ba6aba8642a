"""The report summaries' update (:mod:`.report_summaries`) in slices: the final
5-minute buckets folded a range of series at a time, each step resumable; a run
commits its steps together (see below).

Folding adds buckets to
the stored summaries, so a series folded twice would be counted twice: a pass
keeps its plan in ``MaintenanceState``, written in the transaction of the slice
it describes:

- ``report_summary_pass_day`` and ``report_summary_pass_month``: the watermarks
  the pass folds up to (fixed when it starts; buckets before them are final, so
  later rollup runs never change what it folds);
- ``report_summary_pass_from``: on the first run (no summary watermarks yet: a
  backfill from every stored rollup), the day it starts from;
- ``report_summary_pass_next``: the first series id not folded yet.

A slice folds the series with ids in ``[next, next + size)`` and moves ``next`` in
the same transaction: a restart (even SIGKILL) between slices resumes the stored
plan at ``next``, losing nothing and folding nothing twice. The summary
watermarks move (and the plan is deleted) in the step after the last series id.
Readers take a summary as holding every bucket before the summary watermarks, so
a slice committed before the marks move would count its series' new buckets
twice (in the summary and in the rollups read after the marks):
:meth:`SummaryPass.run` therefore runs a pass's slices as savepoints of one
transaction (the longest maintenance call is then the whole pass again), and
the plan is what lets a pass be stepped and resumed. A series created while a
pass runs gets a higher id and is folded by a later slice of it. Slices are
sized to take about :data:`SLICE_TARGET_S` (:func:`.slicing.next_size`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from mikromon.domain.traffic import DAY, INTERVAL
from mikromon.web.monitor import report_day_rates, report_summaries
from mikromon.web.monitor.dbutil import take_turn, usable_connection
from mikromon.web.monitor.report_sql import SERIES_T, STATE_T, series_filter
from mikromon.web.monitor.slicing import next_size, run_slices

__all__ = ["PLAN_NAMES", "SummaryPass", "update"]

#: Seconds one slice should take (as the rollups' slices).
SLICE_TARGET_S = 0.05
#: Series in the first slice of a pass, and the most in one slice.
FIRST_SLICE = 100
MAX_SLICE = 50_000
#: ``MaintenanceState`` names of a pass's plan (deleted when it is done).
NEXT, DAY_TO, MONTH_TO, FROM = (f"report_summary_pass_{n}" for n in
                                ("next", "day", "month", "from"))
PLAN_NAMES = (NEXT, DAY_TO, MONTH_TO, FROM)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a pass folds: the buckets before ``day_to`` into the day summaries and
    the days before ``month_to`` into the month summaries (Unix seconds), from
    ``start`` (a backfill: every stored rollup after it) or else from the summary
    watermarks; ``next``: the first series id not folded yet."""

    day_to: int
    month_to: int
    start: int | None
    next: int


def _ids_bound(conn: Any, func: str) -> int | None:
    """The ``MIN`` or ``MAX`` id of the summarised series."""
    cond, params = series_filter(conn.ops.quote_name)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {func}(s.id) FROM {SERIES_T} s WHERE {cond}", params)
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _stored_plan(conn: Any) -> Plan | None:
    nxt = report_summaries.state(conn, NEXT)
    day_to, month_to = report_summaries.state(conn, DAY_TO), report_summaries.state(conn, MONTH_TO)
    if nxt is None or day_to is None or month_to is None:
        return None
    return Plan(day_to=day_to, month_to=month_to, start=report_summaries.state(conn, FROM),
                next=nxt)


def _new_plan(conn: Any) -> Plan | None:
    """A plan for the buckets made final since the last pass (``None``: nothing to
    do), stored; a backfill's first step (deleting every summary) done."""
    mark = report_summaries.rollup_mark(conn)
    if mark is None:
        return None
    day_mark, month_mark = report_summaries.state(conn, report_summaries.DAY_MARK), \
        report_summaries.state(conn, report_summaries.MONTH_MARK)
    day_to = mark - INTERVAL
    month_to = day_to // DAY * DAY
    start: int | None = None
    if day_mark is None or month_mark is None:
        first, _ = report_summaries.backfill_start(conn)
        start = month_to if first is None else first
        report_summaries.clear(conn)
        report_summaries.set_state(conn, FROM, start)
    elif day_to <= day_mark and month_to <= month_mark:
        return None
    plan = Plan(day_to=day_to, month_to=month_to, start=start,
                next=_ids_bound(conn, "MIN") or 0)
    for name, value in ((DAY_TO, day_to), (MONTH_TO, month_to), (NEXT, plan.next)):
        report_summaries.set_state(conn, name, value)
    return plan


def _fold(conn: Any, plan: Plan, ids: tuple[int, int], using: str, bounds: bool) -> int:
    """Fold the plan's buckets of the series with ids in ``ids`` (``[low, high)``);
    return the summary rows written (``bounds``:
    :func:`.report_summaries.bounds_stored`)."""
    if plan.start is not None:
        _, before = report_summaries.backfill_start(conn, ids)
        written = report_summaries.fold(plan.start, {"day": plan.day_to, "month": plan.month_to},
                                        using=using, hourly_before=before, ids=ids)
        if bounds:
            report_day_rates.write(conn, plan.start, plan.month_to, ids)
        return written
    day_mark, month_mark = report_summaries.marks(using=using)  # set: a plan without start
    written = 0
    if day_mark is not None and plan.day_to > day_mark:
        written += report_summaries.fold(day_mark, {"day": plan.day_to}, using=using, ids=ids)
    if month_mark is not None and plan.month_to > month_mark:
        written += report_summaries.fold(month_mark, {"month": plan.month_to}, using=using,
                                         ids=ids)
        if bounds:
            report_day_rates.write(conn, month_mark, plan.month_to, ids)
    return written


class SummaryPass:
    """One update of the report summaries, done in slices of series.

    Args:
        using: database alias.

    Attributes:
        rows: summary rows written so far.
        done: the summary watermarks stand at the plan's (or nothing was due).

    Use from one thread. Database errors of a slice propagate (its transaction
    rolled back, the stored plan where it was); the pass may be run again, or
    dropped: the next pass resumes the stored plan.
    """

    def __init__(self, *, using: str = "default") -> None:
        self.rows = 0
        self.done = False
        self._using = using
        self._slice = FIRST_SLICE
        self._bounds: bool | None = None  # report_summaries.bounds_stored, read once

    def run(self) -> bool:
        """Fold every series and move the watermarks in one transaction (its slices
        are savepoints); return :attr:`done`.

        One transaction, because the report readers take a day or month summary
        as holding every bucket before the summary watermarks and read the rest
        from the rollups: a series whose slice had committed before the marks
        moved would be counted twice between its summary and those rollups until
        the pass ended (or for good, while a later slice kept failing). A
        failure rolls the whole pass back: the next pass starts it again."""
        with transaction.atomic(using=self._using):
            return run_slices(self.step, lambda: self.done, None)

    def step(self) -> None:
        """Fold one slice of series (its own transaction), or, past the last series
        id, move the summary watermarks to the plan's and end the pass."""
        conn = usable_connection(self._using)
        began = time.monotonic()
        with transaction.atomic(using=self._using):
            # Another process folding (collector members): wait, then read its plan.
            take_turn(conn, report_summaries.LOCK_KEY)
            plan = _stored_plan(conn) or _new_plan(conn)
            if plan is None:
                self.done = True
                return
            last = _ids_bound(conn, "MAX")
            if last is None or plan.next > last:
                report_summaries.set_marks(conn, plan.day_to, plan.month_to)
                with conn.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {STATE_T} WHERE name IN (%s, %s, %s, %s)",
                                   list(PLAN_NAMES))
                self.done = True
                return
            high = plan.next + self._slice
            if self._bounds is None:
                self._bounds = report_summaries.bounds_stored(conn)
            self.rows += _fold(conn, plan, (plan.next, high), self._using, self._bounds)
            report_summaries.set_state(conn, NEXT, high)
        self._slice = next_size(self._slice, time.monotonic() - began, SLICE_TARGET_S,
                                MAX_SLICE)


def update(*, using: str = "default") -> int:
    """Fold the buckets made final since the last run (:meth:`SummaryPass.run`:
    one transaction); builds everything on the first run.

    Returns:
        Summary rows written.
    """
    summaries = SummaryPass(using=using)
    summaries.run()
    return summaries.rows
