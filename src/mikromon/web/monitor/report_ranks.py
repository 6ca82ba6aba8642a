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

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from mikromon.domain.traffic import HIGH_SLACK, INTERVAL
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor.models import MetricPoint
from mikromon.web.monitor.points_fetch import Float64Array, Int64Array

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
    values, read once a request for both the percentile ranking and the talkers'
    bounds: one array a column, all of shape (n,), a row a summary.

    Attributes:
        sid: series id, int64.
        samples: averages the summary holds, int64.
        p95: its stored percentile, bps, float64 (NaN: not stored).
        p95_high: its stored upper bound of the percentile with averages added,
            bps, float64 (NaN: not stored).
        rate_sum: the sum of its positive averages, bps x intervals, float64.
    """

    sid: Int64Array
    samples: Int64Array
    p95: Float64Array
    p95_high: Float64Array
    rate_sum: Float64Array

    @classmethod
    def read(cls, conn: Any, months: list[int], days: list[int], ids: Collection[int]
             ) -> HeldSummaries:
        """The summaries of ``months`` and ``days`` of the series ``ids``: one range
        of the narrow index (``monitor_rs_narrow``) a period, filtered here; up to
        :data:`IDS_IN_SQL` series by their ids."""
        few = len(ids) <= IDS_IN_SQL
        found: list[tuple[Any, ...]] = []
        for level, starts in (("month", months), ("day", days)):
            for start in starts if ids else ():
                sql = (f"SELECT m.series_id, m.samples, m.p95, m.p95_high, m.rate_sum "
                       f"FROM {rsql.SUMMARY_T} m WHERE m.level = %s AND m.start = %s")
                params: list[Any] = [level, start]
                if few:
                    sql += f" AND m.series_id IN ({', '.join(['%s'] * len(ids))})"
                    params += list(ids)
                with conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    found += cursor.fetchall()
        n = len(found)
        column = [list(map(itemgetter(i), found)) for i in range(5)]
        held = cls(sid=np.fromiter(column[0], np.int64, n),
                   samples=np.fromiter(column[1], np.int64, n),
                   p95=np.array(column[2], np.float64).reshape(n),
                   p95_high=np.array(column[3], np.float64).reshape(n),
                   rate_sum=np.fromiter(column[4], np.float64, n))
        if few or not n:
            return held
        keep = np.isin(held.sid, _id_array(ids))
        return cls(sid=held.sid[keep], samples=held.samples[keep], p95=held.p95[keep],
                   p95_high=held.p95_high[keep], rate_sum=held.rate_sum[keep])

    def sums(self) -> dict[int, float]:
        """Series id -> the summaries' ``rate_sum`` added up (bps x intervals)."""
        ids, where = np.unique(self.sid, return_inverse=True)
        totals = np.bincount(where, weights=self.rate_sum, minlength=ids.shape[0])
        return dict(zip(ids.tolist(), totals.tolist(), strict=True))


def _id_array(ids: Iterable[int]) -> Int64Array:
    """``ids`` as an int64 array (kept when already one)."""
    if isinstance(ids, np.ndarray):
        return ids.astype(np.int64, copy=False)
    return np.fromiter(ids, np.int64)


def ranked_series(held: HeldSummaries, ids: Iterable[int], added: int
                  ) -> tuple[list[int], list[tuple[int, float]], dict[int, float]]:
    """Return the series of ``ids`` without an upper bound of their percentile over
    the ``held`` summaries with up to ``added`` more averages (of any value), by
    id; ``(series id, upper bound)`` of the others, highest bound first, then by
    id; and series id -> a lower bound, for the series with one.

    Ranked here from the summaries' narrow index, with numpy: one read of 20,000
    series' bounds costs a fraction of one ranked SQL statement, and a deep page
    reads it once (bench/reports.py).

    A summary without a stored percentile (or with none of its averages) makes its
    series unknown. The upper bound: the largest ``p95`` of a series' summaries,
    and with ``added`` averages the smallest ``p95_high`` of those keeping at least
    ``added`` averages above their percentile (``floor(n / 20) >= added``), if it
    is larger; without such a summary the series has none.

    The lower bound: the percentile of a union of disjoint parts is not below the
    smallest of the parts' own (:func:`.report_pages.percentile_bounds`). Let the
    added averages join a part of ``n`` with ``n % 20 + added < 20``: its rank
    from the top, ``floor(n / 20) + 1``, stays, and averages joining a set only
    raise its values of a given rank, so that part's percentile is still at least
    its stored ``p95``. Without such a part the series has none."""
    wanted = np.unique(_id_array(ids))
    sid, samples, p95 = held.sid, held.samples, held.p95
    good = ~np.isnan(p95) & (samples >= 1)
    unknown = np.unique(sid[~good])
    order = np.argsort(sid[good], kind="stable")
    gsid = sid[good][order]
    series, first = np.unique(gsid, return_index=True)
    if series.shape[0]:
        gp95 = p95[good][order]
        top = np.maximum.reduceat(gp95, first)
        low = np.minimum.reduceat(gp95, first)
        roomy = np.logical_or.reduceat((samples[good][order] % 20 + int(added)) < 20, first)
        if not added:
            high = top
        else:
            usable = (samples[good][order] >= 20 * int(added)) & ~np.isnan(
                held.p95_high[good][order])
            high = np.minimum.reduceat(np.where(usable, held.p95_high[good][order], np.inf),
                                       first)
    else:
        top = low = high = np.empty(0, np.float64)
        roomy = np.empty(0, np.bool_)
    fine = ~np.isin(series, unknown)
    bounded = fine & (high < np.inf) & np.isin(series, wanted)
    ranked_ids = series[bounded]
    bound = np.maximum(high[bounded], top[bounded])
    by = np.lexsort((ranked_ids, -bound))  # highest bound first, then by id
    known = list(zip(ranked_ids[by].tolist(), bound[by].tolist(), strict=True))
    left = np.setdiff1d(wanted, ranked_ids, assume_unique=True).tolist()
    lowered = fine & roomy
    lows = dict(zip(series[lowered].tolist(), low[lowered].tolist(), strict=True))
    return left, known, lows


def value_lookup(pairs: Iterable[tuple[int, float]]) -> Callable[[Int64Array], Float64Array]:
    """Return a function giving, for an int64 array of series ids, the float64 array
    of their values among ``pairs`` (``(series id, value)``; NaN where an id is not
    among them), found by binary search over the ids sorted once."""
    items = list(pairs)
    ids = np.fromiter(map(itemgetter(0), items), np.int64, len(items))
    values = np.fromiter(map(itemgetter(1), items), np.float64, len(items))
    order = np.argsort(ids)
    ids, values = ids[order], values[order]

    def find(wanted: Int64Array) -> Float64Array:
        if not ids.shape[0]:
            return np.full(wanted.shape, np.nan)
        at = np.minimum(np.searchsorted(ids, wanted), ids.shape[0] - 1)
        return np.where(ids[at] == wanted, values[at], np.nan)

    return find
