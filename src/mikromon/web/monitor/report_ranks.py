"""Series ranked in SQL by an upper bound of their 95th percentile over a range
held by report summaries plus a short edge (this month: the month summary, today's
summary and the minutes not rolled up yet), so that a page of the percentile table
sorted by billing figure reads the summaries of a few series, not of every series
of the fleet (:mod:`.report_pages`; bench/reports.py).

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

from typing import Any

from mikromon.domain.traffic import HIGH_SLACK, INTERVAL
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor.models import MetricPoint


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


def ranked_series(conn: Any, cond: tuple[str, list[Any]], months: list[int],
                  days: list[int], added: int, offset: int, limit: int, *,
                  unknown: bool = False) -> list[tuple[int, float | None]]:
    """Return ``(series id, upper bound)`` of the series of ``cond`` with a bound of
    their percentile over the summaries of ``months`` and ``days`` with ``added``
    edge averages, ranked ``offset`` to ``offset + limit`` by it (highest first,
    then by id), and with ``unknown``, first, every series without a bound
    (``None``)."""
    on, params = rsql.held_filter(months, days)
    # floor(n / 20) >= added: the summary keeps ``added`` averages above its percentile.
    high = (f"MIN(CASE WHEN m.samples >= {20 * int(added)} THEN m.p95_high END)" if added
            else "MAX(m.p95)")
    per_series = (f"SELECT s.id AS id, MAX(m.p95) AS top, {high} AS high, "
                  "CASE WHEN COUNT(m.series_id) = 0 OR COUNT(m.series_id) > COUNT(m.p95) "
                  f"THEN 1 ELSE 0 END AS unk FROM {rsql.SERIES_T} s LEFT JOIN {rsql.SUMMARY_T} m "
                  f"ON m.series_id = s.id AND ({on}) WHERE {cond[0]} GROUP BY s.id")
    bounded = ("SELECT q.id, CASE WHEN q.unk = 1 OR q.high IS NULL THEN NULL "
               "WHEN q.high >= q.top THEN q.high ELSE q.top END AS ub, "
               "CASE WHEN q.unk = 1 OR q.high IS NULL THEN 1 ELSE 0 END AS unk "
               f"FROM ({per_series}) q")
    sql = (f"SELECT r.id, r.ub FROM (SELECT b.id, b.ub, b.unk, ROW_NUMBER() OVER "
           f"(ORDER BY b.unk, b.ub DESC, b.id) AS rn FROM ({bounded}) b) r "
           "WHERE (r.unk = 1 AND %s) OR (r.unk = 0 AND r.rn > %s AND r.rn <= %s) "
           "ORDER BY r.unk DESC, r.rn")
    with conn.cursor() as cursor:
        cursor.execute(sql, [*params, *cond[1], bool(unknown), offset, offset + limit])
        return [(int(sid), None if ub is None else float(ub)) for sid, ub in cursor.fetchall()]
