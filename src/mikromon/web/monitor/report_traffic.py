"""The traffic reports of a whole fleet read from the report summaries
(:mod:`mikromon.web.monitor.report_summaries`) with the edges of the range read
as they are: the 5-minute averages of every summarised series over ``[start, end)``
as :class:`~mikromon.domain.traffic.Part` lists, in a few queries for all series.

A range is split (:func:`mikromon.domain.traffic.summary_pieces`) into calendar
months and days held by summaries and edges (a partial first or last day, the
buckets not final yet); edges are read like :func:`.reports.interval_rates` reads a
range: 5-minute rollups before the rollup watermark, raw samples (head and
chunks, :mod:`.points`) grouped by 5 minutes after it, and hourly rollups
standing in for the hours before the first 5-minute average of the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mikromon.domain.traffic import DAY, INTERVAL, Part, summary_pieces
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.points import bucket_averages_where

_HOUR = 3600


@dataclass(frozen=True, slots=True)
class SeriesParts:
    """The pieces of one series over a range: summaries and edges."""

    parts: list[Part]

    @property
    def resolution(self) -> str:
        """``5m``, ``5m+1h``, ``1h`` or ``none`` (as :func:`.reports.interval_rates`)."""
        samples = hourly = 0
        for p in self.parts:
            samples += p.samples
            hourly += p.hourly
        five = samples - hourly > 0
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
    rows = _fetch(conn, f"SELECT m.series_id, m.samples, m.hourly, m.rate_sum, m.p95, {top} "
                        f"FROM {rsql.SUMMARY_T} m WHERE m.level = %s AND m.start IN "
                        f"({', '.join(['%s'] * len(starts))}) AND m.series_id IN "
                        f"(SELECT s.id FROM {rsql.SERIES_T} s WHERE {cond[0]})",
                  [level, *starts, *cond[1]])
    return [(sid, Part(samples=int(n), hourly=int(h), rate_sum=float(total),
                       top=rsql.unpack(blob) if with_top else [],
                       p95=None if p95 is None else float(p95)))
            for sid, n, h, total, p95, blob in rows]


def _raw_averages(conn: Any, cond: tuple[str, list[Any]], lo: int, hi: int
                  ) -> list[tuple[int, int, float]]:
    """``(series id, bucket start, average)`` of the raw samples in ``[lo, hi)`` by
    5 minutes, of the series matching ``cond`` (:func:`.points.bucket_averages_where`)."""
    return bucket_averages_where(cond, lo, hi, INTERVAL, using=conn.alias)


def _edge_values(conn: Any, cond: tuple[str, list[Any]], lo: int, hi: int,
                 rollup_mark: int | None) -> dict[int, tuple[list[float], int]]:
    """``series id -> (averages, hourly stand-ins)`` of the edge ``[lo, hi)``."""
    sql_cond, params = cond
    mark = min(hi, max(lo, rollup_mark if rollup_mark is not None else lo))
    found: dict[int, tuple[list[float], int]] = {}
    first: dict[int, int] = {}
    five = _fetch(conn, f'SELECT r.series_id, r.ts, r."avg" FROM {rsql.SERIES_T} s CROSS JOIN '
                        f"{rsql.ROLLUP_T} r WHERE r.series_id = s.id AND {sql_cond} AND r.step = "
                        f'{INTERVAL} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                  [*params, lo, mark])
    raw = _raw_averages(conn, cond, mark, hi) if mark < hi else []
    for sid, ts, avg in [*five, *raw]:
        found.setdefault(sid, ([], 0))[0].append(float(avg))
        first[sid] = min(first.get(sid, int(ts)), int(ts))
    if hi // _HOUR * _HOUR > lo // _HOUR * _HOUR:
        hours = _fetch(conn, f'SELECT r.series_id, r.ts, r."avg" FROM {rsql.SERIES_T} s CROSS '
                             f"JOIN {rsql.ROLLUP_T} r WHERE r.series_id = s.id AND {sql_cond} AND "
                             f'r.step = {_HOUR} AND r.ts >= %s AND r.ts < %s AND r."count" > 0',
                       [*params, lo // _HOUR * _HOUR, hi // _HOUR * _HOUR])
        for sid, ts, avg in hours:
            if int(ts) < first.get(sid, hi) // _HOUR * _HOUR:
                values, hourly = found.get(sid, ([], 0))
                found[sid] = (values + [float(avg)] * (_HOUR // INTERVAL),
                              hourly + _HOUR // INTERVAL)
    return found


def edge_part(values: list[float], hourly: int = 0) -> Part:
    """The :class:`~mikromon.domain.traffic.Part` of an edge's averages (all kept,
    sorted largest first in place)."""
    values.sort(reverse=True)
    # Largest first: when the last is positive, every one is.
    positive = sum(values) if values and values[-1] > 0 else sum(v for v in values if v > 0)
    return Part(samples=len(values), hourly=hourly, rate_sum=positive, top=values)


def read_edges(conn: Any, cond: tuple[str, list[Any]], edges: Iterable[tuple[int, int]],
               month_mark: int | None, *, with_values: bool = True) -> dict[int, list[Part]]:
    """Return ``series id -> parts`` of the edges (``[start, end)`` pairs of
    :func:`~mikromon.domain.traffic.summary_pieces`) of the series of ``cond``: the
    part of a finished day (before ``month_mark``) from the day's rates
    (:mod:`.report_day_rates`, one row per series; ``with_values=False``: their
    counts, sums and own percentiles only, :func:`.report_day_rates.day_parts`),
    the rest as :func:`_edge_values` reads it (rollups, raw points, aged hours)."""
    from mikromon.web.monitor import report_day_rates

    rollup_mark = rs.rollup_mark(conn)
    out: dict[int, list[Part]] = {}
    runs: list[tuple[tuple[str, list[Any]], int, int]] = []
    for a, b in edges:
        cursor = a
        while cursor < b:
            day = cursor // DAY * DAY
            stop = min(b, day + DAY)
            if month_mark is None or day + DAY > month_mark:  # not finished: as it is
                if runs and runs[-1][0] is cond and runs[-1][2] == cursor:
                    runs[-1] = (cond, runs[-1][1], stop)
                else:
                    runs.append((cond, cursor, stop))
            else:
                found, missing = report_day_rates.read(conn, cond, day, cursor, stop,
                                                       with_values=with_values)
                for sid, part in found.items():
                    out.setdefault(sid, []).append(part)
                for i in range(0, len(missing), 500):
                    batch = missing[i:i + 500]
                    runs.append((rsql.ids_filter(batch), cursor, stop))
            cursor = stop
    for run_cond, a, b in runs:
        for sid, (values, hourly) in _edge_values(conn, run_cond, a, b, rollup_mark).items():
            out.setdefault(sid, []).append(edge_part(values, hourly))
    return out


def series_parts(start: float, end: float, keys: Iterable[str], device_id: int | None = None,
                 *, using: str = "default") -> dict[int, SeriesParts]:
    """Return the pieces of every series of ``keys`` (of one device, or all) over
    ``[start, end)``: summaries where they hold whole days or months of the range,
    the averages themselves at the edges. Series with nothing in the range are left
    out. ``with_top=False`` skips the largest values (bytes only); a range held by
    one summary per series skips them too (its stored ``p95`` is the figure).
    """
    conn = usable_connection(using)
    cond = rsql.series_filter(conn.ops.quote_name, keys, device_id)
    lo, hi = int(start) // INTERVAL * INTERVAL, int(end)
    day_mark, month_mark = rs.marks(using=using)
    months, days, edges = summary_pieces(lo, hi, day_mark, month_mark)
    with_top = len(months) + len(days) > 1 or bool(edges)
    parts: dict[int, list[Part]] = {}
    for level, starts in (("month", months), ("day", days)):
        for sid, part in _summary_parts(conn, cond, level, starts, with_top):
            parts.setdefault(sid, []).append(part)
    for sid, edge in read_edges(conn, cond, edges, month_mark).items():
        parts.setdefault(sid, []).extend(edge)
    return {sid: SeriesParts(parts=p) for sid, p in parts.items()}


def series_moved(start: float, end: float, keys: Iterable[str], device_id: int | None = None,
                 *, using: str = "default",
                 edges_read: Mapping[int, list[Part]] | None = None) -> dict[int, float]:
    """Return ``series id -> bytes moved`` over ``[start, end)`` of every series of
    ``keys`` (of one device, or all) with averages in the range: the summaries'
    sums added up in the database, the edges (:func:`read_edges`) here; as
    :func:`.reports.series_bytes` counts them. ``edges_read``: the range's edges of
    every series of ``keys`` and ``device_id`` as :func:`read_edges` returned them
    (not read again)."""
    conn = usable_connection(using)
    cond = rsql.series_filter(conn.ops.quote_name, keys, device_id)
    return moved(conn, cond, start, end, edges_read)


def moved(conn: Any, cond: tuple[str, list[Any]], start: float, end: float,
          edges_read: Mapping[int, list[Part]] | None = None, *,
          ids: list[int] | None = None) -> dict[int, float]:
    """:func:`series_moved` of the series matching ``cond`` (an SQL condition on the
    series table aliased ``s``, :mod:`.report_sql`, and its parameters), or of the
    series ``ids`` (``cond`` ignored: their summaries are looked up by id)."""
    day_mark, month_mark = rs.marks(using=conn.alias)
    months, days, edges = summary_pieces(int(start) // INTERVAL * INTERVAL, int(end),
                                         day_mark, month_mark)
    on, params = rsql.held_filter(months, days)
    if ids is not None:
        cond = rsql.ids_filter(ids)
        which, which_params = f"m.series_id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    else:
        which = f"m.series_id IN (SELECT s.id FROM {rsql.SERIES_T} s WHERE {cond[0]})"
        which_params = cond[1]
    sums = {int(sid): float(total) for sid, total in _fetch(
        conn, f"SELECT m.series_id, SUM(m.rate_sum) FROM {rsql.SUMMARY_T} m WHERE ({on}) AND "
              f"{which} GROUP BY m.series_id", [*params, *which_params])}
    if edges_read is None:
        edges_read = read_edges(conn, cond, edges, month_mark)
    for sid, parts in edges_read.items():
        sums[sid] = sums.get(sid, 0.0) + sum(p.rate_sum for p in parts)
    return {sid: total * INTERVAL / 8 for sid, total in sums.items()}


#: ORDER BY of :func:`percentile_page` per sort (``q``: the grouped rows).
_PAGE_ORDER = {
    "billing": "(q.billing IS NULL), q.billing DESC, q.device_name, q.labels_key",
    "device": "q.device_name, q.labels_key",
    "interface": "q.labels_key, q.device_name",
}


@dataclass(frozen=True, slots=True)
class PercentilePageRow:
    """One interface of a page read by :func:`percentile_page` (bps)."""

    device_id: int
    device: str
    series_id: int
    rx_bps: float | None
    tx_bps: float | None
    rx_samples: int
    tx_samples: int
    resolution: str


def percentile_page(start: float, end: float, rx_key: str, tx_key: str,
                    device_id: int | None, sort: str, offset: int, limit: int, *,
                    using: str = "default") -> tuple[list[PercentilePageRow], int] | None:
    """Return a page of interfaces with their percentiles and the number of
    interfaces, sorted and paged in the database (``sort``: ``billing``, highest
    first, ``device`` or ``interface``); ``None`` unless the range is whole calendar
    months each held by one summary per series (whose ``p95`` is then the figure:
    a month summary keeps enough values for any month). Interfaces are the
    ``(device, labels)`` pairs of the two keys; ``series_id`` is one of its series.
    """
    conn = usable_connection(using)
    day_mark, month_mark = rs.marks(using=using)
    months, days, edges = summary_pieces(int(start) // INTERVAL * INTERVAL, int(end),
                                         day_mark, month_mark)
    if len(months) != 1 or days or edges:
        return None
    qn = conn.ops.quote_name
    cond, params = rsql.series_filter(qn, (rx_key, tx_key), device_id)
    side = "SUM(CASE WHEN s.{k} = %s THEN COALESCE(m.{c}, 0) ELSE 0 END)"
    inner = (
        f"SELECT s.device_id AS device_id, s.labels_key AS labels_key, d.name AS device_name, "
        f"MIN(s.id) AS sid, MAX(CASE WHEN s.{qn('key')} = %s THEN m.p95 END) AS rx, "
        f"MAX(CASE WHEN s.{qn('key')} = %s THEN m.p95 END) AS tx, "
        f"{side.format(k=qn('key'), c='samples')} AS rx_n, "
        f"{side.format(k=qn('key'), c='samples')} AS tx_n, "
        f"{side.format(k=qn('key'), c='hourly')} AS rx_h, "
        f"{side.format(k=qn('key'), c='hourly')} AS tx_h "
        f"FROM {rsql.SERIES_T} s JOIN monitor_device d ON d.id = s.device_id "
        f"LEFT JOIN {rsql.SUMMARY_T} m {rsql.narrow(conn)} ON m.level = 'month' AND m.start = %s "
        f"AND m.series_id = s.id WHERE {cond} GROUP BY s.device_id, s.labels_key, d.name")
    inner_params = [rx_key, tx_key, rx_key, tx_key, rx_key, tx_key, months[0], *params]
    rows = _fetch(conn, "SELECT q.device_id, q.device_name, q.sid, q.rx, q.tx, q.rx_n, q.tx_n, "
                        "q.rx_h, q.tx_h FROM (SELECT g.*, CASE WHEN g.rx IS NULL THEN g.tx "
                        "WHEN g.tx IS NULL OR g.rx >= g.tx THEN g.rx ELSE g.tx END AS billing "
                        f"FROM ({inner}) g) q ORDER BY {_PAGE_ORDER[sort]} LIMIT %s OFFSET %s",
                  [*inner_params, limit, offset])
    ((total,),) = _fetch(conn, f"SELECT COUNT(*) FROM (SELECT 1 FROM {rsql.SERIES_T} s WHERE "
                               f"{cond} GROUP BY s.device_id, s.labels_key) c", params)
    out = []
    for dev, name, sid, rx, tx, rx_n, tx_n, rx_h, tx_h in rows:
        rx_res = SeriesParts([Part(int(rx_n), int(rx_h), 0.0, [])]).resolution
        tx_res = SeriesParts([Part(int(tx_n), int(tx_h), 0.0, [])]).resolution
        out.append(PercentilePageRow(
            device_id=int(dev), device=str(name), series_id=int(sid),
            rx_bps=None if rx is None else float(rx), tx_bps=None if tx is None else float(tx),
            rx_samples=int(rx_n), tx_samples=int(tx_n),
            resolution=rx_res if rx_res != "none" else tx_res))
    return out, int(total)


def talker_sums(start: float, end: float, rx_key: str, tx_key: str, device_id: int | None,
                limit: int, *, using: str = "default"
                ) -> list[tuple[int, str, int, float, float]] | None:
    """Return the ``limit`` pairs ``(device, labels)`` of the two keys that moved the
    most bytes, summed, sorted and limited in the database from the summaries, as
    ``(device id, device name, a series id, rx bytes, tx bytes)``, most first (then
    by device name and labels); ``None`` when the range has edges (parts not held by
    summaries)."""
    conn = usable_connection(using)
    day_mark, month_mark = rs.marks(using=using)
    months, days, edges = summary_pieces(int(start) // INTERVAL * INTERVAL, int(end),
                                         day_mark, month_mark)
    if edges:
        return None
    qn = conn.ops.quote_name
    cond, params = rsql.series_filter(qn, (rx_key, tx_key), device_id)
    on, held_params = rsql.held_filter(months, days)
    side = f"SUM(CASE WHEN s.{qn('key')} = %s THEN COALESCE(m.rate_sum, 0) ELSE 0 END)"
    rows = _fetch(conn, f"SELECT q.device_id, q.device_name, q.sid, q.rx, q.tx FROM ("
                        f"SELECT s.device_id AS device_id, d.name AS device_name, s.labels_key "
                        f"AS labels_key, MIN(s.id) AS sid, {side} AS rx, {side} AS tx "
                        f"FROM {rsql.SERIES_T} s JOIN monitor_device d ON d.id = s.device_id "
                        f"LEFT JOIN {rsql.SUMMARY_T} m {rsql.narrow(conn)} "
                        f"ON m.series_id = s.id AND ({on}) "
                        f"WHERE {cond} GROUP BY s.device_id, s.labels_key, d.name) q "
                        "ORDER BY q.rx + q.tx DESC, q.device_name, q.labels_key LIMIT %s",
                  [rx_key, tx_key, *held_params, *params, limit])
    scale = INTERVAL / 8
    return [(int(dev), str(name), int(sid), float(rx) * scale, float(tx) * scale)
            for dev, name, sid, rx, tx in rows]
