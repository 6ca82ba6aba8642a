"""Report summaries: per traffic series, per UTC day and per calendar month, the
number of 5-minute averages, their positive sum and their largest values
(:class:`~mikromon.web.monitor.models.ReportSummary`), so that a month's 95th
percentile and bytes of a whole fleet are read from one row per series instead of
8,640 rollups (docs/operations.md, "Reports"; bench/reports.py).

Kept as the rollups are written: at the end of every rollup pass
(:class:`~.rollup_pass.RollupPass`) a :class:`~.report_summary_pass.SummaryPass`
folds the new final buckets a range of series at a time (:func:`update`: one to
the end). A 5-minute rollup is
final once the rollup watermark has passed it by one bucket (each run recomputes
the last bucket before the watermark), so:

- day summaries hold the final buckets, those before ``report_summary_day`` =
  rollup watermark - 300 (``MaintenanceState``), folded in once each;
- month summaries hold whole days, those before ``report_summary_month`` (the
  start of the day holding ``report_summary_day``), folded in once a day.

Several processes may run the maintenance of one database (collector members):
:func:`backfill` and each slice of :func:`update`'s pass take a turn
(:func:`~.dbutil.take_turn`) before they read the watermarks and the stored plan,
so that a bucket is never folded twice.

The largest values of two disjoint sets are among the largest of each, so folding
new buckets into a summary keeps it exact (:func:`mikromon.domain.traffic.merge_parts`).
:func:`backfill` builds the summaries of rollups stored before (migration 0010);
hours whose 5-minute rollups had aged out count as twelve intervals at the hourly
average there, as the reports read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mikromon.domain.traffic import (
    DAY,
    INTERVAL,
    TOP_KEPT,
    Part,
    merge_parts,
    part_percentile,
    percentile_high,
    summarize_rates,
)
from mikromon.web.monitor import report_day_rates
from mikromon.web.monitor.dbutil import take_turn, usable_connection
from mikromon.web.monitor.report_sql import (
    ROLLUP_T,
    SERIES_T,
    STATE_T,
    SUMMARY_T,
    pack,
    series_filter,
    unpack,
)

#: ``MaintenanceState`` names of the two summary watermarks.
DAY_MARK = "report_summary_day"
MONTH_MARK = "report_summary_month"
LEVELS = ("day", "month")
_HOUR = 3600
#: The turn (:func:`~.dbutil.take_turn`; on PostgreSQL the advisory lock key "mkrs")
#: of whatever folds summaries: a backfill, each slice of a
#: :class:`~.report_summary_pass.SummaryPass`.
LOCK_KEY = 0x6D6B7273


def period_start(ts: int, level: str) -> int:
    """Return the start (Unix seconds UTC) of the day or calendar month holding ``ts``."""
    day = ts // DAY * DAY
    if level == "day":
        return day
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(day, UTC)
    return int(when.replace(day=1).timestamp())


def state(conn: Any, name: str) -> int | None:
    """Return the ``MaintenanceState`` value named ``name``, or ``None`` when unset."""
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {STATE_T} WHERE name = %s", [name])
        row = cursor.fetchone()
    return None if row is None or row[0] is None else int(row[0])


def set_state(conn: Any, name: str, value: int) -> None:
    """Store the ``MaintenanceState`` value named ``name`` (inserted when missing)."""
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {STATE_T} SET value = %s WHERE name = %s", [value, name])
        if cursor.rowcount < 1:
            cursor.execute(f"INSERT INTO {STATE_T} (name, value) VALUES (%s, %s)",
                           [name, value])


def rollup_mark(conn: Any) -> int | None:
    """Return the 5-minute rollup watermark (buckets before it are rolled up)."""
    return state(conn, f"rollup_{INTERVAL}")


def marks(*, using: str = "default") -> tuple[int | None, int | None]:
    """Return ``(day mark, month mark)``: the summaries hold the buckets before them."""
    conn = usable_connection(using)
    return state(conn, DAY_MARK), state(conn, MONTH_MARK)


def _chunk_rows(conn: Any, lo: int, hi: int, hourly_before: Mapping[int, int] | None,
                ids: tuple[int, int] | None) -> dict[int, tuple[list[float], int]]:
    """``series id -> (averages, hourly stand-ins)`` of the buckets in ``[lo, hi)``
    (of the series with ids in ``ids``, ``[low, high)``, when given)."""
    cond, params = series_filter(conn.ops.quote_name, ids=ids)
    found: dict[int, tuple[list[float], int]] = {}
    with conn.cursor() as cursor:
        # CROSS JOIN keeps SQLite's loop order series -> rollups (one key range each).
        cursor.execute(f'SELECT r.series_id, r."avg" FROM {SERIES_T} s CROSS JOIN {ROLLUP_T} r '
                       f"WHERE r.series_id = s.id AND {cond} AND r.step = {INTERVAL} "
                       f'AND r.ts >= %s AND r.ts < %s AND r."count" > 0', [*params, lo, hi])
        for sid, avg in cursor.fetchall():
            found.setdefault(sid, ([], 0))[0].append(float(avg))
        if hourly_before is None:
            return found
        cursor.execute(f'SELECT r.series_id, r.ts, r."avg" FROM {SERIES_T} s CROSS JOIN '
                       f"{ROLLUP_T} r WHERE r.series_id = s.id AND {cond} AND r.step = {_HOUR} "
                       f'AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                       [*params, lo, hi])
        for sid, ts, avg in cursor.fetchall():
            if ts < hourly_before.get(sid, hi):
                values, hourly = found.get(sid, ([], 0))
                found[sid] = (values + [float(avg)] * (_HOUR // INTERVAL),
                              hourly + _HOUR // INTERVAL)
    return found


def _existing(conn: Any, level: str, start: int, ids: list[int]) -> dict[int, Part]:
    out: dict[int, Part] = {}
    with conn.cursor() as cursor:
        for i in range(0, len(ids), 500):
            batch = ids[i:i + 500]
            cursor.execute(f"SELECT series_id, samples, hourly, rate_sum, top FROM {SUMMARY_T} "
                           f"WHERE level = %s AND start = %s AND series_id IN "
                           f"({', '.join(['%s'] * len(batch))})", [level, start, *batch])
            for sid, samples, hourly, rate_sum, top in cursor.fetchall():
                out[sid] = Part(samples=int(samples), hourly=int(hourly),
                                rate_sum=float(rate_sum), top=unpack(top))
    return out


def bounds_stored(conn: Any) -> bool:
    """Whether the database has what migration 0016 adds (``p95_high``, the day
    rates): not yet while migration 0011 builds the first summaries."""
    with conn.cursor() as cursor:
        columns = conn.introspection.get_table_description(cursor, SUMMARY_T)
    return any(c.name == "p95_high" for c in columns)


def _write(conn: Any, level: str, start: int, parts: Mapping[int, Part],
           bounds: bool = True) -> None:
    """Upsert summary rows (``bounds=False``: without ``p95_high``, the table as
    migration 0011 leaves it)."""
    columns = ["samples", "hourly", "rate_sum", "p95", "top"] + (["p95_high"] if bounds else [])
    sql = (f"INSERT INTO {SUMMARY_T} (level, start, series_id, {', '.join(columns)}) VALUES "
           f"({', '.join(['%s'] * (3 + len(columns)))}) ON CONFLICT (level, start, series_id) "
           f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in columns)}")
    rows = [(level, start, sid, p.samples, p.hourly, p.rate_sum, part_percentile(p),
             pack(p.top), *([percentile_high(p)] if bounds else []))
            for sid, p in parts.items()]
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)


def fold(lo: int, ends: Mapping[str, int], *, using: str = "default",
         hourly_before: Mapping[int, int] | None = None,
         ids: tuple[int, int] | None = None) -> int:
    """Fold the 5-minute rollups of the summarised series starting in ``[lo, end)``
    into the summaries of each level (``ends``: level -> end, Unix seconds), one day
    of rollups at a time. Each bucket must be folded once (the watermarks and the
    pass's progress, :mod:`.report_summary_pass`, see to it).

    Args:
        hourly_before: series id -> Unix second; when given (backfill), hourly
            rollups of hours before it stand in for 5-minute ones.
        ids: only the series with ids in this ``[low, high)`` range (default: all).

    Returns:
        Summary rows written.
    """
    conn = usable_connection(using)
    bounds = bounds_stored(conn)
    written = 0
    hi = max(ends.values(), default=lo)
    day = lo // DAY * DAY
    while day < hi:
        a, b = max(lo, day), min(hi, day + DAY)
        day += DAY
        rows = _chunk_rows(conn, a, b, hourly_before, ids) if a < b else {}
        for level, end in ends.items():
            if a >= end or not rows:
                continue
            # a level ending inside this day: re-read up to its end
            part_rows = _chunk_rows(conn, a, end, hourly_before, ids) if b > end else rows
            start, kept = period_start(a, level), TOP_KEPT[level]
            new = {sid: summarize_rates(v, kept, hourly) for sid, (v, hourly) in part_rows.items()}
            old = _existing(conn, level, start, sorted(new))
            merged = {sid: merge_parts(old[sid], p, kept) if sid in old else p
                      for sid, p in new.items() if p.samples}
            _write(conn, level, start, merged, bounds)
            written += len(merged)
    return written


def update(*, using: str = "default") -> int:
    """Fold the buckets made final since the last run, to the end (a
    :class:`~.report_summary_pass.SummaryPass` without a time budget: slices of
    series, each its own transaction); builds everything on the first run.

    Returns:
        Summary rows written.
    """
    from mikromon.web.monitor.report_summary_pass import SummaryPass

    summaries = SummaryPass(using=using)
    summaries.run()
    return summaries.rows


def _first(conn: Any, step: int, ids: tuple[int, int] | None = None) -> dict[int, int]:
    """``series id -> first bucket start`` of the summarised series' ``step`` rollups
    (of the series with ids in ``ids``, ``[low, high)``, when given)."""
    cond, params = series_filter(conn.ops.quote_name, ids=ids)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT s.id, (SELECT MIN(r.ts) FROM {ROLLUP_T} r WHERE r.series_id "
                       f"= s.id AND r.step = {step}) FROM {SERIES_T} s WHERE {cond}", params)
        return {sid: int(ts) for sid, ts in cursor.fetchall() if ts is not None}


def backfill_start(conn: Any, ids: tuple[int, int] | None = None
                   ) -> tuple[int | None, dict[int, int]]:
    """Where a backfill of the summarised series (with ids in ``ids``, ``[low,
    high)``, when given) starts: ``(start of the day of the first rollup, None when
    there is none; series id -> the hour before which hourly rollups stand in for
    5-minute ones)``."""
    five, hours = _first(conn, INTERVAL, ids), _first(conn, _HOUR, ids)
    before = {sid: ts // _HOUR * _HOUR for sid, ts in five.items()}
    starts = list(five.values()) + [ts for sid, ts in hours.items() if ts < before.get(sid, ts + 1)]
    return (min(starts) // DAY * DAY if starts else None), before


def clear(conn: Any) -> None:
    """Delete every summary and day's rates (a backfill rebuilds them)."""
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SUMMARY_T}")
    if bounds_stored(conn):
        report_day_rates.delete_all(conn)


def set_marks(conn: Any, day: int, month: int) -> None:
    """Store the summary watermarks: the days hold the buckets before ``day``, the
    months the days before ``month`` (Unix seconds)."""
    set_state(conn, DAY_MARK, day)
    set_state(conn, MONTH_MARK, month)


def backfill(*, using: str = "default") -> int:
    """Build every summary from the stored rollups (replacing any) and set both
    watermarks; nothing when no 5-minute rollup was ever computed. Hours before a
    series' first 5-minute rollup are read from its hourly rollups.

    Returns:
        Summary rows written.
    """
    conn = usable_connection(using)
    take_turn(conn, LOCK_KEY)
    mark = state(conn, f"rollup_{INTERVAL}")
    if mark is None:
        return 0
    final = mark - INTERVAL
    lo, before = backfill_start(conn)
    clear(conn)
    written = 0
    if lo is not None:
        written = fold(lo, {"day": final, "month": final // DAY * DAY}, using=using,
                       hourly_before=before)
        if bounds_stored(conn):
            report_day_rates.write(conn, lo, final // DAY * DAY)
    set_marks(conn, final, final // DAY * DAY)
    return written


def apply_retention(cutoff: float, *, using: str = "default") -> int:
    """Delete the summaries of periods ended before ``cutoff`` (Unix seconds; the
    hourly rollups' retention), and drop the day rates of days whose 5-minute
    rollups are aging out (:func:`.report_day_rates.drop_aged`, by the retention in
    force: :func:`mikromon.web.control.retention.effective`). Returns the rows
    deleted."""
    from mikromon.web.control import retention

    conn = usable_connection(using)
    kept = retention.effective(using=using)
    report_day_rates.drop_aged(conn, int(cutoff) + kept.seconds["1h"] - kept.seconds["5m"])
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SUMMARY_T} WHERE (level = 'day' AND start < %s) OR "
                       f"(level = 'month' AND start < %s)",
                       [int(cutoff) - DAY, int(cutoff) - 31 * DAY])
        return max(cursor.rowcount, 0)


def fill_high_bounds(*, using: str = "default") -> int:
    """Compute ``p95_high`` (:func:`mikromon.domain.traffic.percentile_high`) of the
    stored summaries that lack it (migration 0016). Returns the rows updated."""
    conn = usable_connection(using)
    done = 0
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT level, start, series_id, samples, top FROM {SUMMARY_T} "
                       "WHERE p95_high IS NULL")
        rows = cursor.fetchall()
    for i in range(0, len(rows), 2000):
        updates = []
        for level, start, sid, samples, top in rows[i:i + 2000]:
            high = percentile_high(Part(samples=int(samples), hourly=0, rate_sum=0.0,
                                        top=unpack(top)))
            if high is not None:
                updates.append((high, level, start, sid))
        with conn.cursor() as cursor:
            cursor.executemany(f"UPDATE {SUMMARY_T} SET p95_high = %s WHERE level = %s "
                               "AND start = %s AND series_id = %s", updates)
        done += len(updates)
    return done
