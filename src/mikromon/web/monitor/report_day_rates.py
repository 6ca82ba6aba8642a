"""A finished day's 5-minute averages in time order (monitor.ReportDayRates), so
that the part of a day a report range starts or ends in is read from one row per
series instead of up to 287 rollups (docs/operations.md, "Reports").

Written when a day is over (by :func:`mikromon.web.monitor.report_summaries.update`
as it folds the day into its month, and by the backfill): 288 little-endian float64
values, bucket ``i`` starting at ``day + 300 * i``, NaN where the series has no
5-minute average. Only for days whose summary has no hourly stand-ins (their
5-minute rollups are all there); deleted when the day's 5-minute rollups age out
(:func:`drop_aged`), after which the day is read from its rollups again as
:func:`.reports.interval_rates` reads it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mikromon.domain.traffic import DAY, INTERVAL, Part, from_top
from mikromon.web.monitor import report_sql as rs

#: 5-minute buckets of a day.
BUCKETS = DAY // INTERVAL
#: The table (the model's default name; raw SQL as in report_summaries).
RATES_T = "monitor_reportdayrates"


def pack_day(day: int, rows: Iterable[tuple[int, float]]) -> bytes:
    """Return the ``rates`` blob of one series' ``(bucket start, average)`` rows of
    the day starting at ``day`` (Unix seconds; rows outside the day are left out)."""
    out = array("d", [math.nan]) * BUCKETS
    for ts, avg in rows:
        i = (int(ts) - day) // INTERVAL
        if 0 <= i < BUCKETS:
            out[i] = float(avg)
    return rs.pack(out)


def day_values(blobs: Sequence[bytes | memoryview], day: int, lo: int, hi: int
               ) -> npt.NDArray[np.float64]:
    """Return the averages of the buckets starting in ``[lo, hi)`` (within the day
    starting at ``day``) of ``rates`` blobs: shape ``(len(blobs), buckets)``, in
    time order, NaN where a series had no average.

    Raises:
        ValueError: a blob is not 288 float64 values.
    """
    for blob in blobs:
        if len(blob) != 8 * BUCKETS:
            raise ValueError(f"day rates of {day} hold {len(blob) / 8:g} values, not {BUCKETS}")
    first = max(0, -(-(lo - day) // INTERVAL))
    last = max(first, min(BUCKETS, -(-(hi - day) // INTERVAL)))
    whole = np.frombuffer(b"".join(blobs), dtype="<f8").reshape(len(blobs), BUCKETS)
    return whole[:, first:last]


#: ``from_top(n)`` of every count a day's rates can hold.
_FROM_TOP = np.array([0, *(from_top(n) for n in range(1, BUCKETS + 1))])


def day_parts(values: npt.NDArray[np.float64], *, with_values: bool = True
              ) -> list[Part | None]:
    """Return the :class:`~mikromon.domain.traffic.Part` of each row of
    :func:`day_values` (``None`` for a row without an average): the count, the sum
    of the positive averages (bps) and, ``with_values``, every average largest
    first; else no average but the part's own percentile (``p95``), enough for the
    bounds of :func:`.report_pages.percentile_bounds` and for the bytes."""
    ordered = np.sort(values, axis=1)  # ascending, NaN last
    counts = np.count_nonzero(~np.isnan(values), axis=1)
    sums = np.where(values > 0, values, 0.0).sum(axis=1).tolist()
    at = np.maximum(counts - _FROM_TOP[counts], 0)
    own = ordered[np.arange(len(values)), at].tolist() if len(values) else []
    out: list[Part | None] = []
    for i, n in enumerate(counts.tolist()):
        if not n:
            out.append(None)
        elif with_values:
            out.append(Part(samples=n, hourly=0, rate_sum=sums[i],
                            top=ordered[i, n - 1::-1].tolist()))
        else:
            out.append(Part(samples=n, hourly=0, rate_sum=sums[i], top=[], p95=own[i]))
    return out


def write(conn: Any, lo: int, hi: int, ids: tuple[int, int] | None = None) -> int:
    """Store the rates of the days starting in ``[lo, hi)`` (day boundaries) of the
    series whose day summary has no hourly stand-ins, from the 5-minute rollups
    (``ids``: only the series with ids in this ``[low, high)`` range). Returns the
    rows written."""
    cond, params = rs.series_filter(conn.ops.quote_name, ids=ids)
    low, high = ids if ids is not None else (0, 2**63 - 1)
    written = 0
    for day in range(lo // DAY * DAY, hi, DAY):
        found: dict[int, list[tuple[int, float]]] = {}
        with conn.cursor() as cursor:
            cursor.execute(f'SELECT r.series_id, r.ts, r."avg" FROM {rs.SERIES_T} s CROSS JOIN '
                           f"{rs.ROLLUP_T} r WHERE r.series_id = s.id AND {cond} AND r.step = "
                           f'{INTERVAL} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                           [*params, day, day + DAY])
            for sid, ts, avg in cursor.fetchall():
                found.setdefault(int(sid), []).append((int(ts), float(avg)))
            cursor.execute(f"SELECT series_id FROM {rs.SUMMARY_T} WHERE level = 'day' "
                           "AND start = %s AND hourly = 0 AND series_id >= %s "
                           "AND series_id < %s", [day, low, high])
            whole = {int(sid) for (sid,) in cursor.fetchall()}
            cursor.executemany(
                f"INSERT INTO {RATES_T} (day, series_id, rates) VALUES (%s, %s, %s) "
                "ON CONFLICT (day, series_id) DO UPDATE SET rates = excluded.rates",
                [(day, sid, pack_day(day, rows)) for sid, rows in found.items()
                 if sid in whole])
        written += len(whole.intersection(found))
    return written


def drop_aged(conn: Any, cutoff: int) -> int:
    """Delete the rates of the days starting before ``cutoff`` (the 5-minute rollups'
    retention, Unix seconds): their rollups are gone, in part or whole. Returns the
    rows deleted."""
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RATES_T} WHERE day < %s", [int(cutoff)])
        return max(cursor.rowcount, 0)


def delete_all(conn: Any) -> None:
    """Delete every day's rates (the summaries are being rebuilt)."""
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RATES_T}")


def read(conn: Any, cond: tuple[str, list[Any]], day: int, lo: int, hi: int, *,
         with_values: bool = True) -> tuple[dict[int, Part], list[int]]:
    """Read the part ``[lo, hi)`` of the finished day starting at ``day`` of the series
    of ``cond`` (:func:`.report_summaries.series_filter`) from their day rates.

    Returns:
        ``(series id -> part (:func:`day_parts`), series ids without rates)``: the
        latter (a day summary without rates: hourly stand-ins, aged, or stored
        before rates were kept) must be read from the rollups; a series without a
        day summary, or without an average in ``[lo, hi)``, had none there.
    """
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT m.series_id, d.rates FROM {rs.SUMMARY_T} m LEFT JOIN "
                       f"{RATES_T} d ON d.day = m.start AND d.series_id = m.series_id "
                       "WHERE m.level = 'day' AND m.start = %s AND m.series_id IN "
                       f"(SELECT s.id FROM {rs.SERIES_T} s WHERE {cond[0]})",
                       [day, *cond[1]])
        rows = cursor.fetchall()
    ids: list[int] = []
    blobs: list[bytes | memoryview] = []
    missing: list[int] = []
    for sid, blob in rows:
        if blob is None:
            missing.append(int(sid))
        else:
            ids.append(int(sid))
            blobs.append(blob)
    parts = day_parts(day_values(blobs, day, lo, hi), with_values=with_values)
    return {sid: part for sid, part in zip(ids, parts, strict=True) if part is not None}, missing
