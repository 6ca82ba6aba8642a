"""Top talkers of a range that ends in the minutes not rolled up yet (this month,
the last 7 days), found without reading the recent averages of every series of
the fleet (bench/reports.py: the Reports page's default view at 10,000 devices).

A series' bytes over such a range are its summaries' (whole months and days,
:mod:`.report_summaries`) plus its edge's: the buckets after the day summaries'
mark, read as :func:`.report_traffic.read_edges` reads them (5-minute rollups,
raw samples grouped by 5 minutes, hourly stand-ins twelve times). Only positive
averages count, so the edge adds at least nothing, and at most its number of
5-minute slots times the largest value any of the series holds there (an
average is not above its largest sample): :func:`edge_bound`, one statement a
source, not a read of 20,000 series' samples. The summaries alone then give each
interface a lower bound of its bytes and the edge bound an upper one; only the
interfaces whose upper bound reaches the ``limit``-th largest lower bound can be
among the first ``limit``, and only they are computed, as
:func:`.report_traffic.series_moved` computes every series (the same figures).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from mikromon.domain.traffic import DAY, INTERVAL, summary_pieces
from mikromon.web.monitor import points_fetch, report_ranks
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor import report_traffic as rt
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.points_fetch import Float64Array
from mikromon.web.monitor.report_series import TrafficSeries

_HOUR = 3600
#: Relative slack of the comparison of bounds: sums of the same values added in
#: another order differ by far less (about 1e-12 for 10,000 values).
_SLACK = 1e-9
#: Series computed per statement (an ``IN`` list).
_BATCH = 500


def _rollup_extent(conn: Any, cond: tuple[str, list[Any]], step: int, lo: int, hi: int
                   ) -> tuple[float | None, int | None]:
    """``(largest average, latest ts)`` of the rollups of ``step`` seconds in
    ``[lo, hi)`` of the series of ``cond`` (one index seek a series)."""
    with conn.cursor() as cursor:
        cursor.execute(f'SELECT MAX(r."avg"), MAX(r.ts) FROM {rsql.SERIES_T} s CROSS JOIN '
                       f"{rsql.ROLLUP_T} r WHERE r.series_id = s.id AND {cond[0]} AND "
                       f'r.step = {int(step)} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                       [*cond[1], lo, hi])
        ((top, last),) = cursor.fetchall()
    return (None if top is None else float(top)), (None if last is None else int(last))


def edge_bound(conn: Any, cond: tuple[str, list[Any]], edges: Iterable[tuple[int, int]],
               rollup_mark: int | None) -> float | None:
    """Return an upper bound of the sum of the positive 5-minute averages (bps) that
    any one series of ``cond`` holds in ``edges`` (``[start, end)`` pairs read as
    :func:`.report_traffic._edge_values` reads them), or ``None`` when it is not
    bounded this way: a chunk meets the raw part (its samples are not looked at
    here) or a value is not a number.

    Per edge: the slots from its first possible value (the start of the hour
    holding its start when an hourly rollup may stand in) to the end of its latest
    value found, times the largest value found (not below 0)."""
    total = 0.0
    for a, b in edges:
        mark = min(b, max(a, rollup_mark if rollup_mark is not None else a))
        # (largest value, end of the latest value's slot, first slot it may count from)
        found: list[tuple[float | None, int | None, int]] = []
        if mark > a:
            top, last = _rollup_extent(conn, cond, INTERVAL, a, mark)
            found.append((top, None if last is None else last + INTERVAL, a))
        if b > mark:
            if points_fetch.any_chunk_meeting(conn, cond, mark, b):
                return None
            top, last = points_fetch.head_extent(conn, cond, mark, b)
            found.append((top, None if last is None else last // INTERVAL * INTERVAL + INTERVAL,
                          a))
        hours = a // _HOUR * _HOUR, b // _HOUR * _HOUR
        if hours[1] > hours[0]:
            top, last = _rollup_extent(conn, cond, _HOUR, *hours)
            found.append((top, None if last is None else last + _HOUR, hours[0]))
        values = [(top, stop, first) for top, stop, first in found
                  if top is not None and stop is not None]
        if not values:
            continue
        if any(math.isnan(top) for top, _stop, _first in values):
            return None
        slots = -(-(max(v[1] for v in values) - min(v[2] for v in values)) // INTERVAL)
        total += slots * max(0.0, max(v[0] for v in values))
    return total


def bounded_moved(start: float, end: float, keys: Iterable[str], device_id: int | None,
                  series: TrafficSeries, limit: int, *,
                  held: report_ranks.HeldSummaries | None = None, using: str = "default"
                  ) -> tuple[list[tuple[int, str]], dict[int, float]] | None:
    """Return the interfaces (keys of ``series.found``, the series of ``keys``) that
    can be among the ``limit`` that moved the most bytes over ``[start, end)``, and
    ``series id -> bytes`` of their series (as :func:`.report_traffic.series_moved`);
    ``None`` when the range is not of this kind (no edge, or an edge inside a
    finished day, read from the day rates) or its edge is not bounded
    (:func:`edge_bound`). ``held``: the range's summaries, when already read
    (:class:`.report_ranks.HeldSummaries`)."""
    conn = usable_connection(using)
    cond = rsql.series_filter(conn.ops.quote_name, keys, device_id)
    day_mark, month_mark = rs.marks(using=using)
    months, days, edges = summary_pieces(int(start) // INTERVAL * INTERVAL, int(end),
                                         day_mark, month_mark)
    if not edges or any(month_mark is not None and a // DAY * DAY + DAY <= month_mark
                        for a, _b in edges):
        return None
    bound = edge_bound(conn, cond, edges, rs.rollup_mark(conn))
    if bound is None:
        return None
    interfaces = list(series.found)
    count = len(interfaces)
    # Each series id (sorted) and the position of its interface in ``interfaces``.
    sides = np.concatenate([series.rx, series.tx])
    at = np.concatenate([np.arange(count), np.arange(count)])[sides >= 0]
    sides = sides[sides >= 0]
    order = np.argsort(sides)
    ids, at = sides[order], at[order]
    if held is None:
        held = report_ranks.HeldSummaries.read(conn, months, days, ids.tolist())
    # The summaries' bytes of each interface: a lower bound of what it moved.
    lows: Float64Array = np.zeros(count)
    if ids.shape[0] and held.sid.shape[0]:
        where = np.minimum(np.searchsorted(ids, held.sid), ids.shape[0] - 1)
        hit = ids[where] == held.sid
        lows = np.bincount(at[where[hit]], weights=held.rate_sum[hit],
                           minlength=count).astype(np.float64)
    floor = (np.partition(lows, count - limit)[count - limit] * (1 - _SLACK)
             if count >= limit > 0 else -math.inf)
    reach = (lows + ((series.rx >= 0).astype(np.int64) + (series.tx >= 0)) * bound) \
        * (1 + _SLACK) >= floor
    pool = [interfaces[i] for i in np.flatnonzero(reach).tolist()]
    wanted = [sid for key in pool for sid in series.found[key].values()]
    if len(wanted) > ids.shape[0] // 2:
        return None  # the bound separates too few: every series read at once is cheaper
    moved: dict[int, float] = {}
    for i in range(0, len(wanted), _BATCH):
        moved.update(rt.moved(conn, cond, start, end, ids=wanted[i:i + _BATCH]))
    return pool, moved
