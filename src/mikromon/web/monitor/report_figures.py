"""The percentile of every series of a whole table at once: the report summaries'
largest values joined into one numpy array in a single statement, the range's
edges (:func:`.report_traffic.read_edges`) beside them, each series' figure the
``from_top(n)``-th largest of what its parts kept, as
:func:`mikromon.domain.traffic.combine_percentile` finds it for one series
(docs/operations.md, "Reports").

Used by :func:`.reports.percentile_report` for ranges whose figures merge several
parts (ranges not aligned to days, several days): unpacking every summary's
largest values into Python lists and sorting them per series cost most of such a
whole table (bench/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mikromon.domain.traffic import from_top
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_traffic as rt


@dataclass(frozen=True, slots=True)
class Figure:
    """The percentile of one series over a range from its parts (bps).

    Attributes:
        value: the percentile (``None``: not held by the parts, or no averages).
        samples: the 5-minute averages of the range (hourly stand-ins count 12).
        exact: whether ``value`` is the percentile of every average; else the
            caller reads the series' averages (:func:`.reports.series_percentile`).
        resolution: ``5m``, ``5m+1h``, ``1h`` or ``none`` (as
            :attr:`.report_traffic.SeriesParts.resolution`).
    """

    value: float | None
    samples: int
    exact: bool
    resolution: str


@dataclass(slots=True)
class _Held:
    """The summaries of a range in arrays, rows grouped by series: rows
    ``first[i]:first[i + 1]`` are those of series ``sids[i]``, their largest values
    ``values[start[first[i]]:start[first[i + 1]]]``."""

    sids: list[int]
    first: npt.NDArray[np.intp]
    samples: npt.NDArray[np.int64]
    hourly: npt.NDArray[np.int64]
    p95: npt.NDArray[np.float64]  # NaN: none stored
    kept: npt.NDArray[np.int64]  # values of each row in ``values``
    start: npt.NDArray[np.int64]  # each row's first index in ``values``; one more: the end
    values: npt.NDArray[np.float64]


def _held(conn: Any, cond: tuple[str, list[Any]], months: list[int], days: list[int],
          with_top: bool) -> _Held:
    """Read the summaries of ``months`` and ``days`` of the series of ``cond`` in one
    statement. Raises ValueError for a ``top`` column that is not float64 values."""
    on, params = rsql.held_filter(months, days)
    top = "m.top" if with_top else "NULL"
    rows = rt._fetch(conn, f"SELECT m.series_id, m.samples, m.hourly, m.p95, {top} FROM "
                           f"{rsql.SUMMARY_T} m WHERE ({on}) AND m.series_id IN "
                           f"(SELECT s.id FROM {rsql.SERIES_T} s WHERE {cond[0]})",
                     [*params, *cond[1]])
    columns = list(zip(*rows, strict=True)) or [()] * 5
    sid = np.array(columns[0], dtype=np.int64)
    order = np.argsort(sid, kind="stable")
    sid = sid[order]
    blobs = [columns[4][i] or b"" for i in order.tolist()]
    size = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs))
    if (size % 8).any():
        raise ValueError(f"a summary's top holds {int(size[size % 8 > 0][0])} bytes, "
                         "not float64 values")
    first = np.flatnonzero(np.diff(sid, prepend=-1, append=-1) if len(sid)
                           else np.ones(1, dtype=np.int64))
    return _Held(
        sids=sid[first[:-1]].tolist(), first=first,
        samples=np.array(columns[1], dtype=np.int64)[order],
        hourly=np.array(columns[2], dtype=np.int64)[order],
        p95=np.array(columns[3], dtype=np.float64)[order],
        kept=size // 8, start=np.concatenate(([0], np.cumsum(size // 8))).astype(np.int64),
        values=np.frombuffer(b"".join(blobs), dtype="<f8").astype(np.float64))


def _inexact(held: _Held, value: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Whether each series' summaries miss values above its ``value`` (NaN: not
    checked, a summary's stored figure or none found): a summary that kept only its
    largest values holds the figure only when it kept every one above it (its
    smallest kept at most the value)."""
    rows = np.repeat(value, np.diff(held.first))
    short = held.kept < held.samples
    last = np.full(len(rows), np.inf)
    some = held.kept > 0
    last[some] = held.values[held.start[:-1][some] + held.kept[some] - 1]
    bad = short & (last > rows)  # NaN: nothing to check (a stored figure, or none)
    return np.add.reduceat(bad, held.first[:-1]) > 0 if len(rows) else np.zeros(0, bool)


def _figure_of(values: npt.NDArray[np.float64], total: int, single_p95: float
               ) -> tuple[float | None, bool]:
    """``(percentile, held)`` of a series' kept ``values`` and ``total`` averages."""
    if not np.isnan(single_p95):
        return single_p95, True
    rank = from_top(total)
    if rank > len(values):
        return None, False
    at = len(values) - rank
    return float(np.partition(values, at)[at]), True


def figures(start: float, end: float, keys: Iterable[str], device_id: int | None = None,
            *, using: str = "default") -> dict[int, Figure]:
    """Return ``series id -> Figure`` of every series of ``keys`` (of one device, or
    all) with averages in ``[start, end)`` (Unix seconds): the summaries holding
    whole days or months of the range read in one statement, the edges as
    :func:`.report_traffic.read_edges` reads them. Equal to
    :func:`~mikromon.domain.traffic.combine_percentile` of
    :func:`.report_traffic.series_parts` for every series.

    Raises:
        ValueError: a stored summary's or day's values are malformed.
    """
    conn, cond, (months, days, edge_ranges), month_mark = rt.range_pieces(
        start, end, keys, device_id, using)
    with_top = len(months) + len(days) > 1 or bool(edge_ranges)
    held = _held(conn, cond, months, days, with_top)
    edges = rt.read_edges(conn, cond, edge_ranges, month_mark)
    summarised = set(held.sids)
    sids = held.sids + [sid for sid in edges if sid not in summarised]
    groups = len(held.sids)
    counts = np.diff(held.first)
    samples = np.add.reduceat(held.samples, held.first[:-1]).tolist() if groups else []
    hourly = np.add.reduceat(held.hourly, held.first[:-1]).tolist() if groups else []
    # One summary per series and nothing else: its stored figure (part_percentile).
    single = np.where(counts == 1, held.p95[held.first[:-1]], np.nan).tolist() \
        if groups else []
    bounds = held.start[held.first].tolist()
    found: list[tuple[float | None, int, bool, str]] = []
    value = np.full(groups, np.nan)
    for i, sid in enumerate(sids):
        own = edges.get(sid, [])
        total = (samples[i] if i < groups else 0) + sum(p.samples for p in own)
        stand_ins = (hourly[i] if i < groups else 0) + sum(p.hourly for p in own)
        if total < 1:
            found.append((None, 0, True, rt.resolution(total, stand_ins)))
            continue
        kept = held.values[bounds[i]:bounds[i + 1]] if i < groups else np.zeros(0)
        if own:
            kept = np.concatenate([kept, *(np.asarray(p.top, dtype=np.float64) for p in own)])
        stored = single[i] if i < groups and not own else math.nan
        got, ok = _figure_of(kept, total, stored)
        if ok and got is not None:
            ok = all(p.complete or (p.top and p.top[-1] <= got) for p in own)
        if i < groups and got is not None and math.isnan(stored):
            value[i] = got
        found.append((got, total, ok, rt.resolution(total, stand_ins)))
    inexact = _inexact(held, value).tolist()
    out: dict[int, Figure] = {}
    for i, (sid, (got, total, ok, resolution)) in enumerate(zip(sids, found, strict=True)):
        out[sid] = Figure(got, total, ok and not (i < groups and inexact[i]), resolution)
    return out
