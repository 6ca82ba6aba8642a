"""The traffic reports of a whole fleet read from the report summaries
(:mod:`mikromon.web.monitor.report_summaries`) with the edges of the range read
as they are: the 5-minute averages of every summarised series over ``[start, end)``
as :class:`~mikromon.domain.traffic.Part` lists, in a few queries for all series.

A range is split (:func:`mikromon.domain.traffic.summary_pieces`) into calendar
months and days held by summaries and edges (a partial first or last day, the
buckets not final yet); edges are read like :func:`.reports.interval_rates` reads a
range: 5-minute rollups before the rollup watermark, raw points grouped by 5
minutes after it, and hourly rollups standing in for the hours before the first
5-minute average of the edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mikromon.domain.traffic import INTERVAL, Part, summary_pieces
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor.dbutil import usable_connection

_HOUR = 3600


@dataclass(frozen=True, slots=True)
class SeriesParts:
    """The pieces of one series over a range: summaries and edges."""

    parts: list[Part]

    @property
    def samples(self) -> int:
        """Intervals over the range."""
        return sum(p.samples for p in self.parts)

    @property
    def resolution(self) -> str:
        """``5m``, ``5m+1h``, ``1h`` or ``none`` (as :func:`.reports.interval_rates`)."""
        hourly = sum(p.hourly for p in self.parts)
        five = self.samples - hourly > 0
        return "5m+1h" if five and hourly else "5m" if five else "1h" if hourly else "none"

    @property
    def bytes(self) -> float:
        """Bytes moved: each interval 300 s at its average (positive averages only)."""
        return sum(p.rate_sum for p in self.parts) * INTERVAL / 8


def _fetch(conn: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _summary_parts(conn: Any, cond: tuple[str, list[Any]], level: str, starts: list[int],
                   with_top: bool) -> list[tuple[int, Part]]:
    if not starts:
        return []
    top = "top" if with_top else "NULL"
    rows = _fetch(conn, f"SELECT m.series_id, m.samples, m.hourly, m.rate_sum, {top} "
                        f"FROM {rs.SUMMARY_T} m WHERE m.level = %s AND m.start IN "
                        f"({', '.join(['%s'] * len(starts))}) AND m.series_id IN "
                        f"(SELECT s.id FROM {rs.SERIES_T} s WHERE {cond[0]})",
                  [level, *starts, *cond[1]])
    return [(sid, Part(samples=int(n), hourly=int(h), rate_sum=float(total),
                       top=rs.unpack(blob) if with_top else []))
            for sid, n, h, total, blob in rows]


def _edge_values(conn: Any, cond: tuple[str, list[Any]], lo: int, hi: int,
                 rollup_mark: int | None) -> dict[int, tuple[list[float], int]]:
    """``series id -> (averages, hourly stand-ins)`` of the edge ``[lo, hi)``."""
    sql_cond, params = cond
    mark = min(hi, max(lo, rollup_mark if rollup_mark is not None else lo))
    found: dict[int, tuple[list[float], int]] = {}
    first: dict[int, int] = {}
    five = _fetch(conn, f'SELECT r.series_id, r.ts, r."avg" FROM {rs.SERIES_T} s CROSS JOIN '
                        f"{rs.ROLLUP_T} r WHERE r.series_id = s.id AND {sql_cond} AND r.step = "
                        f'{INTERVAL} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                  [*params, lo, mark])
    raw = _fetch(conn, f"SELECT p.series_id, (p.ts / {INTERVAL}) * {INTERVAL}, AVG(p.value) "
                       f"FROM {rs.SERIES_T} s CROSS JOIN {rs.POINTS_T} p "
                       f"WHERE p.series_id = s.id AND {sql_cond} AND p.ts >= %s AND p.ts < %s "
                       f"GROUP BY p.series_id, (p.ts / {INTERVAL})", [*params, mark, hi]) \
        if mark < hi else []
    for sid, ts, avg in [*five, *raw]:
        found.setdefault(sid, ([], 0))[0].append(float(avg))
        first[sid] = min(first.get(sid, int(ts)), int(ts))
    if hi // _HOUR * _HOUR > lo // _HOUR * _HOUR:
        hours = _fetch(conn, f'SELECT r.series_id, r.ts, r."avg" FROM {rs.SERIES_T} s CROSS '
                             f"JOIN {rs.ROLLUP_T} r WHERE r.series_id = s.id AND {sql_cond} AND "
                             f'r.step = {_HOUR} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                       [*params, lo // _HOUR * _HOUR, hi // _HOUR * _HOUR])
        for sid, ts, avg in hours:
            if int(ts) < first.get(sid, hi) // _HOUR * _HOUR:
                values, hourly = found.get(sid, ([], 0))
                found[sid] = (values + [float(avg)] * (_HOUR // INTERVAL),
                              hourly + _HOUR // INTERVAL)
    return found


def series_parts(start: float, end: float, keys: Iterable[str], device_id: int | None = None,
                 *, with_top: bool = True, using: str = "default") -> dict[int, SeriesParts]:
    """Return the pieces of every series of ``keys`` (of one device, or all) over
    ``[start, end)``: summaries where they hold whole days or months of the range,
    the averages themselves at the edges. Series with nothing in the range are left
    out. ``with_top=False`` skips the largest values (bytes only).
    """
    conn = usable_connection(using)
    cond = rs.series_filter(conn.ops.quote_name, keys, device_id)
    lo, hi = int(start) // INTERVAL * INTERVAL, int(end)
    day_mark, month_mark = rs.marks(using=using)
    months, days, edges = summary_pieces(lo, hi, day_mark, month_mark)
    parts: dict[int, list[Part]] = {}
    for level, starts in (("month", months), ("day", days)):
        for sid, part in _summary_parts(conn, cond, level, starts, with_top):
            parts.setdefault(sid, []).append(part)
    if edges:
        rollup_mark = rs.rollup_mark(conn)
        for a, b in edges:
            for sid, (values, hourly) in _edge_values(conn, cond, a, b, rollup_mark).items():
                values.sort(reverse=True)
                parts.setdefault(sid, []).append(
                    Part(samples=len(values), hourly=hourly,
                         rate_sum=sum(v for v in values if v > 0), top=values))
    return {sid: SeriesParts(parts=p) for sid, p in parts.items()}
