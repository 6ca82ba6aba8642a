"""One page of the 95th-percentile table over a range the summaries do not hold
alone (this month: the month summary, today's summary and the minutes not rolled
up yet; the last 7 days; ranges not aligned to days), without merging the largest
values of every interface of the fleet (bench/pages.py: the Reports page's
default view at 10,000 devices).

Each series' pieces are read without their largest values first: the stored
percentile of each summary, the own percentile of each finished day's part (day
rates) and the averages of the other edges. The percentile of a union of disjoint
pieces lies between the largest of the pieces' own percentiles and a lower bound
at least their smallest (:func:`percentile_bounds`), so an interface's billing
figure is bounded without merging anything. The page is then found as
:func:`.reports.percentile_report` would sort it: sorted by name, only the page's
interfaces are computed; sorted by billing figure, the first page computes
interfaces in the order of their upper bounds until no interface left can enter
the page, a deeper one the interfaces in a band around it (:func:`_band`). Computed
means exactly as :func:`.reports.percentile_report` does it (the pieces' largest
values merged, or the series' averages when the summaries cannot hold the figure),
so the page equals the same page of the whole table (tests/web/storage/
test_report_pages.py).
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from mikromon.domain.names import natural_order
from mikromon.domain.traffic import (
    INTERVAL,
    BillingFigure,
    Part,
    combine_percentile,
    from_top,
    part_percentile,
    summary_pieces,
)
from mikromon.web.monitor import report_ranks, report_series, reports
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor import report_traffic as rt
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.points_fetch import Float64Array

#: Interfaces computed in the first round of looking for a page sorted by billing
#: figure, beyond the page's rows (each further round computes twice as many).
SPARE = 8
_INF = math.inf
BoolArray = npt.NDArray[np.bool_]


def percentile_bounds(parts: Iterable[Part]) -> tuple[float, float] | None:
    """Return ``(lowest, highest)`` that the billing percentile of the union of
    disjoint ``parts`` can be: the largest of the parts' own percentiles
    (:func:`~mikromon.domain.traffic.part_percentile`) and, taking the parts with
    the highest own percentiles first, the own percentile of the last part needed
    for them to hold ``from_top(N)`` averages at or above their own (at most the
    smallest of all); ``None`` when a part's own percentile is not known (the
    union's must be computed).

    Why: with ``r(n) = from_top(n)``, ``r(n) - 1 = floor(n / 20)`` values of ``n`` lie
    above the percentile. Above the largest part percentile lie at most
    ``sum(floor(n_i / 20)) <= floor(N / 20)`` values of the union: fewer than
    ``r(N)``, so the union's percentile is not above it. A part holds ``r(n_i)``
    values at or above its own percentile; when the parts taken hold ``r(N)`` in
    all, that many values of the union are at or above the last one's, so the
    union's percentile is not below it. Every part together holds
    ``sum(floor(n_i / 20) + 1) >= floor(N / 20) + 1 = r(N)``.
    """
    own: list[tuple[float, int]] = []
    total = 0
    for part in parts:
        if part.samples < 1:
            continue
        value = part_percentile(part)
        if value is None or math.isnan(value):
            return None
        own.append((value, part.samples))
        total += part.samples
    if not own:
        return None
    own.sort(reverse=True)
    need = from_top(total)
    low = own[-1][0]
    for value, samples in own:
        need -= from_top(samples)
        if need <= 0:
            low = value
            break
    return low, own[0][0]


def _sort_key(billing: float | None, device: str, interface: str) -> tuple[float, str, str]:
    """The order of :func:`.reports.percentile_report` (``billing or -1.0``: a figure
    of 0 sorts with the interfaces without one)."""
    return -(billing or -1.0), device, interface


def _best_key(high: float, device: str, interface: str) -> tuple[float, str, str]:
    """The smallest :func:`_sort_key` a figure at most ``high`` can have: ``-high``,
    or 0 when ``high`` is not above 0 (a figure of 0 or below sorts at 0 or after)."""
    return (-high if high > 0 else 0.0), device, interface


class _Table:
    """The interfaces of a range; reads the pieces of the series it computes (all of
    them only for :meth:`load_bounds`) and computes figures on demand."""

    def __init__(self, start: float, end: float, device_id: int | None, using: str) -> None:
        self.start, self.end, self.using = start, end, using
        self.conn = usable_connection(using)
        keys = reports.TRAFFIC_KEYS["interface"]
        series = self.series = report_series.traffic_series("interface", device_id,
                                                            using=using)
        #: ``(device id, name) -> {"rx"/"tx": series id}``, and series id -> its
        #: interface (shared with other requests: read only).
        self.found, self.interface_of = series.found, series.interface_of
        #: The ``rx`` and ``tx`` series id of each interface, in ``found`` order.
        self.rx, self.tx = series.rx, series.tx
        self.names = reports._names(dev for dev, _name in self.found)
        lo, hi = int(start) // INTERVAL * INTERVAL, int(end)
        day_mark, self.month_mark = rs.marks(using=using)
        self.months, self.days, self.edge_ranges = summary_pieces(lo, hi, day_mark,
                                                                  self.month_mark)
        self.cond = rsql.series_filter(self.conn.ops.quote_name, keys, device_id)
        #: Every series' pieces without their summaries' largest values, and which
        #: series have summaries (:meth:`load_bounds`; ``None`` until then).
        self.parts: dict[int, list[Part]] | None = None
        self.summarised: set[int] = set()
        self.edges: dict[int, list[Part]] = {}
        self.exact: dict[int, tuple[float | None, int, str]] = {}
        #: Interfaces already given a row, and the summaries ranked
        #: (:func:`_by_ranked`).
        self.shown: set[tuple[int, str]] = set()
        self.held: report_ranks.HeldSummaries | None = None

    def load_bounds(self) -> None:
        """Read every series' pieces for :meth:`bounds`: summaries without their
        largest values, edges of finished days without their averages (counts,
        sums, own percentiles: :func:`.report_day_rates.day_parts`), other edges
        with them."""
        parts: dict[int, list[Part]] = {}
        for level, starts in (("month", self.months), ("day", self.days)):
            for sid, part in rt._summary_parts(self.conn, self.cond, level, starts, False):
                parts.setdefault(sid, []).append(part)
        self.summarised = set(parts)
        # Finished days' parts without their averages: the series computed read theirs.
        self.edges = rt.read_edges(self.conn, self.cond, self.edge_ranges, self.month_mark,
                                   with_values=False)
        for sid, edge in self.edges.items():
            parts.setdefault(sid, []).extend(edge)
        self.parts = parts

    def bounds(self, ids: dict[str, int]) -> tuple[float, float] | None:
        """Bounds of the billing figure of an interface (``None``: unknown); an
        interface without a figure is bounded by ``(-inf, -inf)``."""
        assert self.parts is not None, "load_bounds() first"
        low = high = -_INF
        for side in ("rx", "tx"):
            sid = ids.get(side)
            parts = self.parts.get(sid) if sid is not None else None
            if not parts:
                continue
            found = percentile_bounds(parts)
            if found is None:
                return None
            low, high = max(low, found[0]), max(high, found[1])
        return low, high

    def compute(self, interfaces: Iterable[tuple[int, str]], *, every: bool = False) -> None:
        """Compute the figures of the series of ``interfaces`` not computed yet
        (``every``: the largest values of every series are read at once)."""
        wanted = [sid for key in interfaces for sid in self.found[key].values()
                  if sid not in self.exact]
        if not wanted:
            return
        tops: dict[int, list[Part]] = {}
        loaded = self.parts is not None
        summarised = [sid for sid in wanted if sid in self.summarised] if loaded else wanted
        conds = [self.cond] if every else [rsql.ids_filter(batch) for batch in _batches(summarised)]
        for cond in conds:
            for level, starts in (("month", self.months), ("day", self.days)):
                for sid, part in rt._summary_parts(self.conn, cond, level, starts, True):
                    tops.setdefault(sid, []).append(part)
        edges: dict[int, list[Part]] = {}
        for cond in [self.cond] if every else [rsql.ids_filter(b) for b in _batches(wanted)]:
            edges.update(rt.read_edges(self.conn, cond, self.edge_ranges, self.month_mark))
        for sid in wanted:
            parts = tops.get(sid, []) + edges.get(sid, [])
            self.exact[sid] = self._figure(sid, parts)

    def _figure(self, sid: int, parts: list[Part]) -> tuple[float | None, int, str]:
        """As :func:`.reports._figure` with the summaries' pieces."""
        if not parts:
            return None, 0, "none"
        value, count, exact = combine_percentile(parts)
        if not exact:
            return reports.series_percentile(sid, self.start, self.end, using=self.using)
        return value, count, rt.SeriesParts(parts).resolution

    def row(self, key: tuple[int, str]) -> reports.PercentileRow:
        """The row of a computed interface."""
        dev, name = key
        none = (None, 0, "none")
        ids = self.found[key]
        rx = self.exact[ids["rx"]] if "rx" in ids else none
        tx = self.exact[ids["tx"]] if "tx" in ids else none
        figure = BillingFigure(rx_bps=rx[0], tx_bps=tx[0], rx_samples=rx[1], tx_samples=tx[1])
        return reports.PercentileRow(device_id=dev, device=self.names.get(dev, ""),
                                     interface=name, figure=figure,
                                     resolution=rx[2] if rx[2] != "none" else tx[2])

    def key(self, row: reports.PercentileRow) -> tuple[float, str, str]:
        """The sort key of a row (billing figure first)."""
        return _sort_key(row.figure.billing_bps, row.device, row.interface)


def _batches(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    return (ids[i:i + size] for i in range(0, len(ids), size))


def percentile_page(start: float, end: float, device_id: int | None, sort: str,
                    offset: int, limit: int, *, using: str = "default",
                    read: dict[str, reports.KindPieces] | None = None,
                    now: float | None = None
                    ) -> tuple[list[reports.PercentileRow], int, int]:
    """Return the rows ``offset`` to ``offset + limit`` of the interfaces' billing
    figures over ``[start, end)`` sorted by ``sort`` (``billing``: highest first;
    ``device``; ``interface``), exactly as those of
    :func:`.reports.percentile_report` sorted the same way; the number of
    interfaces; and the offset used (past the end: the last page's). ``read``:
    receives the interfaces, device names and, when read, every series' edges
    (``"interface"``), for
    :func:`.reports.top_talkers` of the same range and device. ``now``: Unix
    seconds (default: the clock), the end of the data an edge can hold
    (:func:`.report_ranks.edge_buckets`)."""
    table = _Table(start, end, device_id, using)
    if read is not None:
        read["interface"] = (table.series, table.names, None, None)
    total = len(table.found)
    if offset >= total:
        offset = max(0, (total - 1) // limit * limit)
    if sort in ("device", "interface"):
        def by_name(key: tuple[int, str]) -> tuple[str, ...]:
            device = table.names.get(key[0], "")
            return natural_order(device, key[1]) if sort == "device" else \
                natural_order(key[1], device)
        page = sorted(table.found, key=by_name)[offset:offset + limit]
        table.compute(page)
        return [table.row(key) for key in page], total, offset
    added = report_ranks.edge_buckets(table.conn, table.cond, table.edge_ranges,
                                      time.time() if now is None else now)
    if added is None or not rs.bounds_stored(table.conn):
        table.load_bounds()
        if read is not None:  # every series' edges: the talkers sum them
            read["interface"] = (table.series, table.names, table.edges, None)
        if offset:
            found = [table.bounds(ids) for ids in table.found.values()]
            has = np.array([b is not None for b in found], np.bool_).reshape(len(found))
            low, high = (np.array([b[i] if b is not None else np.nan for b in found],
                                  np.float64).reshape(len(found)) for i in (0, 1))
            return _band(table, offset, limit, low, high, has), total, offset
        return _by_billing(table, offset + limit)[offset:], total, offset
    rows = _by_band(table, offset, limit, added) if offset else _by_ranked(table, limit, added)
    if read is not None and table.held is not None:  # the talkers' lower bounds
        read["interface"] = (table.series, table.names, None, table.held)
    return rows, total, offset


def _by_ranked(table: _Table, need: int, added: int) -> list[reports.PercentileRow]:
    """The ``need`` first rows by billing figure: the series ranked once by their
    bound (:func:`.report_ranks.ranked_series`), those without one computed first,
    then the others in rounds in the order of their bound (twice as many each
    round), until the ``need``-th computed row sorts before any figure the series
    not computed yet can have."""
    interface_of = table.interface_of
    table.held = report_ranks.HeldSummaries.read(table.conn, table.months, table.days,
                                                 interface_of)
    unknown, known, _lows = report_ranks.ranked_series(table.held, interface_of, added)
    rows: list[reports.PercentileRow] = []
    done, size = 0, 2 * (need + SPARE)  # series: two of each interface
    first: list[int] = unknown
    while True:
        chunk = known[done:done + size]
        batch = {interface_of[sid]: None for sid in [*first, *(sid for sid, _ub in chunk)]}
        first = []
        table.compute(batch)
        rows += [table.row(key) for key in batch if key not in table.shown]
        table.shown.update(batch)
        done += len(chunk)
        rows.sort(key=table.key)
        del rows[need:]
        if done >= len(known):
            return rows  # every series computed
        # The series not computed yet are bounded by the last bound computed.
        if len(rows) >= need and table.key(rows[-1])[0] < _best_key(known[done - 1][1], "",
                                                                     "")[0]:
            return rows
        size *= 2


def _value(row: reports.PercentileRow) -> float:
    """The figure a row sorts by (:func:`_sort_key`: none or 0 sort as -1)."""
    return row.figure.billing_bps or -1.0


def _by_band(table: _Table, offset: int, limit: int, added: int
             ) -> list[reports.PercentileRow]:
    """Rows ``offset`` to ``offset + limit`` by billing figure (:func:`_band`), the
    bounds ranked from the summaries' narrow index: an interface's figure lies
    between the largest lower bound of its sides and the largest of their upper
    bounds (both :func:`.report_ranks.ranked_series`); an interface with a side
    without an upper bound has none."""
    held = table.held = report_ranks.HeldSummaries.read(table.conn, table.months, table.days,
                                                        table.interface_of)
    _unknown, known, lows = report_ranks.ranked_series(held, table.interface_of, added)
    highs = report_ranks.value_lookup(known)
    floors = report_ranks.value_lookup(lows.items())
    low = np.full(len(table.found), -_INF)
    high = np.full(len(table.found), -_INF)
    has = np.ones(len(table.found), np.bool_)
    for side in (table.rx, table.tx):
        present = side >= 0
        side_high = highs(side)
        has &= ~present | ~np.isnan(side_high)
        high = np.fmax(high, np.where(present, side_high, -_INF))
        side_low = floors(side)
        low = np.fmax(low, np.where(present & ~np.isnan(side_low), side_low, -_INF))
    return _band(table, offset, limit, low, high, has)


def _band(table: _Table, offset: int, limit: int, low: Float64Array, high: Float64Array,
          has: BoolArray) -> list[reports.PercentileRow]:
    """Rows ``offset`` to ``offset + limit`` by billing figure, computing only the
    interfaces whose bounds (``low`` and ``high``: the lowest and highest its
    figure can be, arrays in ``table.found`` order; ``has`` false: unknown, always
    computed) meet a band of figures around the page.

    Those whose lower bound is above ``high`` (and above 0) sort before every row
    not above it, those whose upper bound is below ``low`` (above 0) after every
    row not below it; the others are computed. The page is known when the rows
    before it are all counted that way (it starts after the computed rows above
    ``high``) and its rows lie in ``[low, high]``; else the band widens (twice the
    margin each round) up to the whole table."""
    keys = list(table.found)
    by_low = np.sort(low[has])[::-1].tolist()
    by_high = np.sort(high[has])[::-1].tolist()
    margin = limit + SPARE
    while True:
        at = offset - margin
        top = by_low[at] if 0 <= at < len(by_low) else _INF
        at = offset + limit + margin
        foot = by_high[at] if at < len(by_high) and by_high[at] > 0 else -_INF
        # Above 0 too: a figure of 0 sorts with the interfaces without one.
        ahead = has & (low > top) & (low > 0)
        before = int(np.count_nonzero(ahead))
        middle = [keys[i] for i in np.flatnonzero(~ahead & (~has | (high >= foot))).tolist()]
        table.compute(middle)
        rows = sorted((table.row(key) for key in middle), key=table.key)
        above = sum(1 for row in rows if _value(row) > top)
        # (The page is never short of rows while some lie below the band: at least
        # offset + limit + margin + 1 interfaces are not below it.)
        page = rows[above:][offset - before - above:][:limit]
        if (offset >= before + above and all(_value(r) >= foot for r in page)) \
                or (top == _INF and foot == -_INF):
            return page
        margin *= 2


def _by_billing(table: _Table, need: int) -> list[reports.PercentileRow]:
    """The ``need`` first rows by billing figure: interfaces computed in the order
    of their best possible sort key until the ``need``-th computed row sorts before
    every interface not computed: the first ``need + SPARE``, then (or, when fewer
    rows have a figure, rounds of twice as many) every interface whose best key
    sorts before the ``need``-th row found."""
    order = []
    for key, ids in table.found.items():
        found = table.bounds(ids)
        high = _INF if found is None else found[1]
        device = table.names.get(key[0], "")
        best = _best_key(high, device, key[1]) if high > -_INF else _sort_key(None, device,
                                                                              key[1])
        order.append((best, key))
    order.sort()
    bests = [best for best, _key in order]
    rows: list[reports.PercentileRow] = []
    done, size = 0, need + SPARE
    while done < len(order):
        if len(rows) >= need:
            # The rest to compute: those whose best key sorts before the last row.
            size = bisect.bisect_left(bests, table.key(rows[-1]), lo=done) - done
            if size <= 0:
                break
        # Bounds that do not separate the interfaces (traffic alike everywhere):
        # past a quarter of them, the rest are computed at once.
        every = done + size > len(order) // 4
        batch = [key for _best, key in (order[done:] if every else order[done:done + size])]
        size *= 2
        table.compute(batch, every=every)
        rows += [table.row(key) for key in batch]
        done += len(batch)
        rows.sort(key=table.key)
        del rows[need:]
    return rows
