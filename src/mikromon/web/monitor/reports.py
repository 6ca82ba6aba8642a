"""Reading what the reports need from the database: interface and queue rate
series (availability: :mod:`.report_availability`, re-exported here). Shared by
the API (``/api/v1/reports/...``) and the Reports page; the arithmetic is in
:mod:`mikromon.domain.traffic`. What is counted how: docs/operations.md, "Reports".

Interval rates (for the percentile and the bytes): 5-minute averages, from the
5-minute rollups (``MetricRollup`` step 300) up to their watermark and from raw
samples (head and chunks, :mod:`.points`) grouped by 5 minutes after it. Hours
whose 5-minute rollups have aged out (retention) are read from the 1-hour
rollups, each hour counting as twelve 5-minute intervals at the hour's average;
``resolution`` then says ``5m+1h``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mikromon.domain.traffic import (
    BillingFigure,
    Part,
    bytes_from_rates,
    combine_percentile,
    percentile,
    percentile_rank,
)
from mikromon.web.monitor import report_ranks, report_series, report_talkers
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import (
    Device,
    MetricRollup,
    Series,
)
from mikromon.web.monitor.points import aggregate_points
from mikromon.web.monitor.report_availability import (
    DeviceAvailability,
    InterfaceAvailability,
    availability_report,
    device_count,
    link_name,
)
from mikromon.web.monitor.report_series import TRAFFIC_KEYS
from mikromon.web.monitor.report_traffic import (
    SeriesParts,
    series_moved,
    series_parts,
    talker_sums,
)
from mikromon.web.monitor.rollup_marks import rollup_watermark

_STEP = 300
_HOUR = 3600
#: The interfaces or queues of one kind, as the talkers name them: the series
#: (:class:`.report_series.TrafficSeries`), device id -> name, the range's edges of
#: every one of their series when they were read (:func:`.report_traffic.read_edges`;
#: ``None``: not read), and the range's summaries when they were read
#: (:class:`.report_ranks.HeldSummaries`).
KindPieces = tuple[report_series.TrafficSeries, dict[int, str],
                   dict[int, list[Part]] | None, report_ranks.HeldSummaries | None]
__all__ = ["TRAFFIC_KEYS", "DeviceAvailability", "InterfaceAvailability", "PercentileRow", "Talker",
           "availability_report", "device_count", "link_name", "percentile_report",
           "series_bytes", "series_percentile", "top_talkers"]


@dataclass(frozen=True, slots=True)
class PercentileRow:
    """The billing figure of one interface over a range (bits per second)."""

    device_id: int
    device: str
    interface: str
    figure: BillingFigure
    resolution: str


@dataclass(frozen=True, slots=True)
class Talker:
    """Bytes one interface or queue moved over a range (estimated from rates)."""

    kind: str
    device_id: int
    device: str
    name: str
    rx_bytes: float
    tx_bytes: float

    @property
    def total_bytes(self) -> float:
        """Both directions, bytes."""
        return self.rx_bytes + self.tx_bytes


def _rows(conn: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _five_minutes(series_id: int, start: float, end: float, using: str
                  ) -> tuple[str, list[Any], list[tuple[int, float, int]], int, int]:
    """The 5-minute averages ``(ts, v, n)`` of a series over the range: the SQL of
    the rollups before the watermark (and its parameters), the raw samples after
    it grouped by 5 minutes (:func:`.points.aggregate_points`), and the aligned
    range."""
    lo, hi = int(start) // _STEP * _STEP, int(end)
    mark = min(hi, max(lo, rollup_watermark(_STEP, using=using) or lo))
    rollup_t = usable_connection(using).ops.quote_name(MetricRollup._meta.db_table)
    sql = (f'SELECT ts, "avg" AS v, "count" AS n FROM {rollup_t} WHERE series_id = %s '
           f'AND step = {_STEP} AND ts >= %s AND ts < %s AND "count" > 0')
    got = aggregate_points([series_id], mark, hi, _STEP, using=using)[series_id]
    raw = list(zip(got.ts.tolist(), (got.sum / got.samples).tolist(), got.samples.tolist(),
                   strict=True))
    return sql, [series_id, lo, mark], raw, lo, hi


def _aged_hours(series_id: int, lo: int, until: int, using: str) -> list[tuple[Any, ...]]:
    """1-hour rollups ``(ts, avg, count)`` of the hours from the range start ``lo`` up
    to the hour of ``until`` (the first 5-minute average, or the range end)."""
    conn = usable_connection(using)
    rollup_t = conn.ops.quote_name(MetricRollup._meta.db_table)
    hour_end = until // _HOUR * _HOUR
    if hour_end <= lo:
        return []
    return _rows(conn, f'SELECT ts, "avg", "count" FROM {rollup_t} WHERE series_id = %s '
                       f'AND step = {_HOUR} AND ts >= %s AND ts < %s AND "count" > 0',
                 [series_id, lo // _HOUR * _HOUR, hour_end])


def interval_rates(series_id: int, start: float, end: float, *,
                   using: str = "default") -> tuple[list[tuple[float, int]], str]:
    """Return the 5-minute ``(average, samples)`` of a series over ``[start, end)``
    and the resolution read (``5m``, ``5m+1h``, ``1h``, or ``none``); hours read
    from 1-hour rollups appear as twelve intervals at the hour's average."""
    conn = usable_connection(using)
    sql, params, raw, lo, hi = _five_minutes(series_id, start, end, using)
    rows = [*_rows(conn, sql, params), *raw]
    old = _aged_hours(series_id, lo, min((int(r[0]) for r in rows), default=hi), using)
    out = [(float(avg), int(count)) for _ts, avg, count in rows]
    for _ts, avg, count in old:
        out += [(float(avg), max(1, int(count) // 12))] * (_HOUR // _STEP)
    return out, _resolution(bool(rows), bool(old))


def _resolution(five: bool, hourly: bool) -> str:
    return "5m+1h" if five and hourly else "5m" if five else "1h" if hourly else "none"


def _first(found: Any, raw: list[tuple[int, float, int]], default: int) -> int:
    """The first 5-minute bucket: of the rollups' ``MIN(ts)`` and of ``raw``."""
    known = [int(t) for t in (found, *(r[0] for r in raw[:1])) if t is not None]
    return min(known, default=default)


def series_percentile(series_id: int, start: float, end: float, *,
                      using: str = "default") -> tuple[float | None, int, str]:
    """Return the billing percentile of a series' 5-minute averages over ``[start, end)``
    (:func:`mikromon.domain.traffic.percentile`), the number of averages and the
    resolution. The database sorts the rollups' averages and returns only the
    largest ones the rank needs (rank
    :func:`~mikromon.domain.traffic.percentile_rank`), ranked here with the recent
    averages of raw samples; with aged hours (1-hour rollups) every average is
    read and ranked here."""
    conn = usable_connection(using)
    sql, params, raw, lo, hi = _five_minutes(series_id, start, end, using)
    ((count, first),) = _rows(conn, f"SELECT COUNT(*), MIN(ts) FROM ({sql}) q", params)
    count = int(count) + len(raw)
    if _aged_hours(series_id, lo, _first(first, raw, hi), using):
        rates, resolution = interval_rates(series_id, start, end, using=using)
        return percentile(v for v, _n in rates), len(rates), resolution
    if not count:
        return None, 0, "none"
    # The rank-th smallest is the (count - rank + 1)-th largest: ordered from the top,
    # the database keeps only the top 5 % while it sorts (a bounded sort).
    above = count - percentile_rank(count)
    top = _rows(conn, f"SELECT v FROM ({sql}) q ORDER BY v DESC LIMIT %s", [*params, above + 1])
    ranked = sorted([float(v) for (v,) in top] + [v for _ts, v, _n in raw], reverse=True)
    return ranked[above], count, "5m"


def series_bytes(series_id: int, start: float, end: float, *,
                 using: str = "default") -> float:
    """Return the bytes a rate series (bps) moved over ``[start, end)``, by
    :func:`mikromon.domain.traffic.bytes_from_rates` over its 5-minute averages
    (rollups summed in the database, then the recent raw averages; aged hours:
    1-hour averages times 3,600 s)."""
    conn = usable_connection(using)
    sql, params, raw, lo, hi = _five_minutes(series_id, start, end, using)
    ((total, first),) = _rows(
        conn, f"SELECT SUM(CASE WHEN v > 0 THEN v ELSE 0 END), MIN(ts) FROM ({sql}) q", params)
    moved = (float(total or 0) + sum(v for _ts, v, _n in raw if v > 0)) * _STEP / 8
    old = _aged_hours(series_id, lo, _first(first, raw, hi), using)
    return moved + bytes_from_rates([(float(avg), int(n)) for _ts, avg, n in old], _HOUR)


def _traffic_series(kind: str, device_id: int | None) -> dict[tuple[int, str], dict[str, int]]:
    """``(device id, name) -> {"rx": series id, "tx": series id}`` of one kind: the
    fleet's from the process' cache (:mod:`.report_series`), one device's read."""
    return report_series.traffic_series(kind, device_id).found


def _names(ids: Iterable[int]) -> dict[int, str]:
    """Device id -> name of ``ids``; every device's past a few hundred (one plain
    read through a cursor, not a statement with 10,000 parameters to compile nor
    10,000 rows through the ORM)."""
    wanted = set(ids)
    if len(wanted) > 500:
        conn = usable_connection("default")
        table = conn.ops.quote_name(Device._meta.db_table)
        return dict(_rows(conn, f"SELECT id, name FROM {table}", []))
    return dict(Device.objects.filter(pk__in=wanted).values_list("pk", "name"))


def _figure(series_id: int | None, start: float, end: float,
            fast: dict[int, SeriesParts] | None) -> tuple[float | None, int, str]:
    """``(percentile, samples, resolution)`` of one series: from its summaries and
    edges (``fast``) when they hold it exactly, else from its averages."""
    if series_id is None:
        return None, 0, "none"
    if fast is None:
        return series_percentile(series_id, start, end)
    pieces = fast.get(series_id)
    if pieces is None:
        return None, 0, "none"
    value, count, exact = combine_percentile(pieces.parts)
    if not exact:
        return series_percentile(series_id, start, end)
    return value, count, pieces.resolution


def percentile_report(start: float, end: float, device_id: int | None = None, *,
                      summaries: bool = True) -> list[PercentileRow]:
    """Return the 95th-percentile billing figure of every interface with rate
    series (or one device's) over ``[start, end)``, highest billing figure first.

    Read from the report summaries and the range's edges
    (:func:`.report_traffic.series_parts`); a series whose summaries do not hold its
    figure (:func:`~mikromon.domain.traffic.combine_percentile`) is read from its
    averages, as is every series with ``summaries=False`` (the reference path)."""
    found = _traffic_series("interface", device_id)
    names = _names(dev for dev, _name in found)
    fast = series_parts(start, end, TRAFFIC_KEYS["interface"], device_id) if summaries else None
    out = []
    for (dev, name), ids in found.items():
        rx = _figure(ids.get("rx"), start, end, fast)
        tx = _figure(ids.get("tx"), start, end, fast)
        figure = BillingFigure(rx_bps=rx[0], tx_bps=tx[0], rx_samples=rx[1], tx_samples=tx[1])
        resolution = rx[2] if rx[2] != "none" else tx[2]
        out.append(PercentileRow(device_id=dev, device=names.get(dev, ""), interface=name,
                                 figure=figure, resolution=resolution))
    out.sort(key=lambda r: (-(r.figure.billing_bps or -1.0), r.device, r.interface))
    return out


def top_talkers(start: float, end: float, *, kinds: Iterable[str] = ("interface", "queue"),
                limit: int = 20, device_id: int | None = None,
                summaries: bool = True, read: Mapping[str, KindPieces] | None = None
                ) -> list[Talker]:
    """Return the ``limit`` interfaces and simple queues that moved the most bytes
    over ``[start, end)`` (both directions), most first; bytes are estimated from
    the 5-minute average rates (:func:`mikromon.domain.traffic.bytes_from_rates`),
    summed from the report summaries and the range's edges (``summaries=False``:
    from every series' averages, the reference path). ``read``: kind -> the series,
    device names and edges :mod:`.report_pages` already read for the same range
    and device, used instead of reading them again."""
    out = []
    for kind in kinds:
        sums = talker_sums(start, end, *TRAFFIC_KEYS[kind], device_id, limit) \
            if summaries else None
        if sums is not None:
            out += _summed_talkers(kind, sums)
            continue
        known = read.get(kind) if read is not None else None
        edges = held = None
        if known is not None:
            series, names, edges, held = known
        else:
            series = report_series.traffic_series(kind, device_id)
        found = series.found
        pool: Iterable[tuple[int, str]] = found
        fast = None
        if summaries:
            # A range ending now: only the interfaces that can be among the first
            # ``limit`` (report_talkers), unless every series' edges were read.
            bounded = None if edges is not None else report_talkers.bounded_moved(
                start, end, TRAFFIC_KEYS[kind], device_id, series, limit, held=held)
            if bounded is not None:
                pool, fast = bounded
            else:
                fast = series_moved(start, end, TRAFFIC_KEYS[kind], device_id,
                                    edges_read=edges)
        if known is None:
            names = _names(dev for dev, _name in pool)
        ranked = []
        for dev, name in pool:
            ids = found[(dev, name)]
            moved = {}
            for side in ("rx", "tx"):
                sid = ids.get(side)
                if sid is None:
                    moved[side] = 0.0
                elif fast is None:
                    moved[side] = series_bytes(sid, start, end)
                else:
                    moved[side] = fast.get(sid, 0.0)
            device = names.get(dev, "")
            ranked.append((-(moved["rx"] + moved["tx"]), device, name, dev, moved["rx"],
                           moved["tx"]))
        # Only the first ``limit`` of each kind can be among the first ``limit``.
        out += [Talker(kind=kind, device_id=dev, device=device, name=name, rx_bytes=rx,
                       tx_bytes=tx)
                for _total, device, name, dev, rx, tx in heapq.nsmallest(limit, ranked)]
    out.sort(key=lambda t: (-t.total_bytes, t.device, t.name))
    return out[:limit]


def _summed_talkers(kind: str, sums: list[tuple[int, str, int, float, float]]) -> list[Talker]:
    """Talkers of :func:`.report_traffic.talker_sums` rows, named from their labels."""
    label = "interface" if kind == "interface" else "queue"
    labels = dict(Series.objects.filter(pk__in=[row[2] for row in sums])
                  .values_list("pk", "labels"))
    out = []
    for dev, device, sid, rx, tx in sums:
        name = labels.get(sid)
        name = name.get(label) if isinstance(name, dict) else None
        if isinstance(name, str) and name:
            out.append(Talker(kind=kind, device_id=dev, device=device, name=name,
                              rx_bytes=rx, tx_bytes=tx))
    return out
