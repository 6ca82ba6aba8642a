"""Series ranked by an upper bound of their 95th percentile over a range held by
report summaries plus a short edge (this month: the month summary, today's summary
and the minutes not rolled up yet), so that a page of the percentile table sorted
by billing figure reads the largest values of a few series, not of every series of
the fleet (:mod:`.report_pages`; bench/reports.py). The bounds are read from the
summaries' narrow index and ranked once a request.

The bound of a series is the largest ``p95`` of its summaries in the range
(:func:`.report_pages.percentile_bounds`) and, when the range has an edge of
``k`` averages, the smallest ``p95_high`` of a summary keeping at least ``k``
averages above its percentile (:func:`mikromon.domain.traffic.percentile_high`).
A series without such a bound (no summary in the range, one without a stored
percentile, none with enough averages) ranks first, as unknown. An edge's averages
are counted by time (the buckets starting up to now); :func:`edge_buckets` checks
that no raw point lies later (one stamped ahead of this clock would escape the
count).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from mikromon.domain.traffic import HIGH_SLACK, INTERVAL
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor.models import MetricPoint

#: Up to this many series are picked by id in SQL; more are filtered as read.
IDS_IN_SQL = 500


def edge_buckets(conn: Any, cond: tuple[str, list[Any]], edges: list[tuple[int, int]],
                 now: float) -> int | None:
    """Return the most 5-minute averages the ``edges`` (``[start, end)`` pairs) can
    hold for any series of ``cond``: their buckets starting up to ``now``; ``None``
    when that is over :data:`~mikromon.domain.traffic.HIGH_SLACK` or a raw point of
    those series lies later in an edge (the bound would not hold)."""
    upto = int(now) + 1
    count = sum(max(0, -(-(min(b, upto) - a) // INTERVAL)) for a, b in edges)
    if count > HIGH_SLACK:
        return None
    late = [(max(a, upto), b) for a, b in edges if b > upto]
    for a, b in late:
        with conn.cursor() as cursor:
            # CROSS JOIN: one primary-key seek per series (none is usually there).
            # Head rows only: chunks hold windows closed hours before ``now``.
            cursor.execute(f"SELECT 1 FROM {rsql.SERIES_T} s CROSS JOIN "
                           f"{MetricPoint._meta.db_table} p "
                           f"WHERE p.series_id = s.id AND {cond[0]} AND p.ts >= %s "
                           "AND p.ts < %s LIMIT 1", [*cond[1], a, b])
            if cursor.fetchone() is not None:
                return None
    return count


@dataclass(frozen=True, slots=True)
class HeldSummaries:
    """The summaries of some months and days of some series, without their largest
    values: ``rows`` of ``(series id, samples, p95, p95_high, rate_sum)``, read
    once a request for both the percentile ranking and the talkers' bounds."""

    rows: list[tuple[int, int, float | None, float | None, float]]

    @classmethod
    def read(cls, conn: Any, months: list[int], days: list[int], ids: Collection[int]
             ) -> HeldSummaries:
        """The summaries of ``months`` and ``days`` of the series ``ids``: one range
        of the narrow index (``monitor_rs_narrow``) a period, filtered here; up to
        :data:`IDS_IN_SQL` series by their ids."""
        few = len(ids) <= IDS_IN_SQL
        wanted = ids if isinstance(ids, (set, frozenset, dict)) else set(ids)
        out: list[tuple[int, int, float | None, float | None, float]] = []
        if not ids:
            return cls(out)
        for level, starts in (("month", months), ("day", days)):
            for start in starts:
                sql = (f"SELECT m.series_id, m.samples, m.p95, m.p95_high, m.rate_sum "
                       f"FROM {rsql.SUMMARY_T} m WHERE m.level = %s AND m.start = %s")
                params: list[Any] = [level, start]
                if few:
                    sql += f" AND m.series_id IN ({', '.join(['%s'] * len(ids))})"
                    params += list(ids)
                with conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    found = cursor.fetchall()
                out += found if few else [row for row in found if row[0] in wanted]
        return cls(out)

    def sums(self) -> dict[int, float]:
        """Series id -> the summaries' ``rate_sum`` added up (bps x intervals)."""
        out: dict[int, float] = {}
        get = out.get
        for sid, _n, _p95, _high, rate_sum in self.rows:
            out[sid] = get(sid, 0.0) + rate_sum
        return out


def ranked_series(held: HeldSummaries, ids: Iterable[int], added: int
                  ) -> tuple[list[int], list[tuple[int, float]], dict[int, float]]:
    """Return the series of ``ids`` without an upper bound of their percentile over
    the ``held`` summaries with up to ``added`` more averages (of any value), by
    id; ``(series id, upper bound)`` of the others, highest bound first, then by
    id; and series id -> a lower bound, for the series with one.

    Ranked here from the summaries' narrow index: one read of 20,000 series'
    bounds costs a fraction of one ranked SQL statement, and a deep page reads it
    once (bench/reports.py).

    The lower bound: the percentile of a union of disjoint parts is not below the
    smallest of the parts' own (:func:`.report_pages.percentile_bounds`). Let the
    added averages join a part of ``n`` with ``n % 20 + added < 20``: its rank
    from the top, ``floor(n / 20) + 1``, stays, and averages joining a set only
    raise its values of a given rank, so that part's percentile is still at least
    its stored ``p95``. Without such a part the series has none."""
    # floor(n / 20) >= added: the summary keeps ``added`` averages above its percentile.
    floor = 20 * int(added)
    top: dict[int, float] = {}
    high: dict[int, float] = {}
    low: dict[int, float] = {}
    roomy: set[int] = set()
    unknown: set[int] = set()
    top_of, high_of, low_of, inf = top.get, high.get, low.get, math.inf
    for sid, samples, p95, p95_high, _sum in held.rows:
        if p95 is None or samples < 1:
            unknown.add(sid)
            continue
        if p95 > top_of(sid, -inf):
            top[sid] = p95
        if p95 < low_of(sid, inf):
            low[sid] = p95
        if samples % 20 + added < 20:
            roomy.add(sid)
        if not added:
            high[sid] = top[sid]
        elif p95_high is not None and samples >= floor and p95_high < high_of(sid, inf):
            high[sid] = p95_high
    order = []
    left = []
    for sid in ids:
        bound = high_of(sid)
        if bound is None or sid in unknown:
            left.append(sid)
        else:
            order.append((-max(bound, top[sid]), sid))
    order.sort()  # highest bound first, then by id
    known = [(sid, -negative) for negative, sid in order]
    lows = {sid: low[sid] for sid in roomy if sid not in unknown}
    return sorted(left), known, lows
