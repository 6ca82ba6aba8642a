"""Reports of this month (summaries plus the minutes not rolled up yet) found from
bounds over a fleet of spread traffic: the top talkers
(:mod:`mikromon.web.monitor.report_talkers`) equal those computed from every
series' edges while reading the edges of only the interfaces that can be among
the first rows, and deep pages of the percentile table
(:func:`mikromon.web.monitor.report_pages._by_band`) equal the whole table while
computing few interfaces. SQLite here, PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction

from mikromon.domain import traffic
from mikromon.storage.chunks import encode_chunk
from mikromon.web.monitor import models as m
from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor import report_series, report_talkers, report_traffic, reports
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor.models import Series

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

HOUR = 3600
NOV, DEC = (int(t) for t in traffic.month_range(2026, 11))  # November 2026
MONTH_MARK = NOV + 3 * traffic.DAY
#: Today's summaries hold 100 buckets (to 08:20); 5-minute rollups follow to
#: ROLLUP_MARK, raw points after it.
DAY_MARK = MONTH_MARK + 100 * 300
ROLLUP_MARK = DAY_MARK + 600
DEVICES = 80
KINDS = ("interface", "queue")


def _series(dev: m.Device, key: str, label: str, name: str) -> Series:
    return Series.objects.create(device=dev, key=key, labels={label: name},
                                 labels_key=m.labels_key([(label, name)]))


def _summaries(series: Series, level: float, rng: random.Random) -> None:
    def draw(n: int) -> list[float]:
        return [level * rng.uniform(0.2, 1.3) for _ in range(n)]
    rs._write(connection, "month", NOV, {series.pk: traffic.summarize_rates(
        draw(864), traffic.TOP_KEPT["month"])})
    rs._write(connection, "day", MONTH_MARK, {series.pk: traffic.summarize_rates(
        draw(100), traffic.TOP_KEPT["day"])})


def _edge(series: Series, rollups: list[float], raw: list[float]) -> None:
    m.MetricRollup.objects.bulk_create(
        m.MetricRollup(series=series, step=300, ts=DAY_MARK + 300 * i, count=60, min=v, max=v,
                       last=v, avg=v) for i, v in enumerate(rollups))
    m.MetricPoint.objects.bulk_create(m.MetricPoint(series=series, ts=ROLLUP_MARK + 7 * i, value=v)
                                    for i, v in enumerate(raw))


@pytest.fixture
def fleet() -> dict[str, Series]:
    """Interfaces of levels from 100 kbit/s to 100 Mbit/s (log-uniform) with month
    and day summaries and an edge of two 5-minute rollups and raw points; a few
    simple queues; one interface with only an edge, one with nothing, and one
    (receive only) whose one summary's 79 averages have no room for the edge's
    three (79 % 20 + 3 >= 20): its percentile, the 4th largest of them (5 Mbit/s),
    falls to the 5th (1 kbit/s) with them. Returns a few series by role."""
    rng = random.Random(12)
    out: dict[str, Series] = {}
    with transaction.atomic():
        for d in range(DEVICES):
            dev = m.Device.objects.create(name=f"cpe-{(d * 7) % DEVICES:03d}", host="127.0.0.1",
                                        username="m")
            level = 10 ** rng.uniform(5, 8)
            if d == 9:
                series = out["no room"] = _series(dev, "iface.rx_bps", "interface", "ether1")
                rs._write(connection, "day", MONTH_MARK, {series.pk: traffic.summarize_rates(
                    [5e6] * 4 + [1e3] * 75, traffic.TOP_KEPT["day"])})
                _edge(series, [1.0, 1.0], [1.0])
                continue
            for key in ("iface.rx_bps", "iface.tx_bps"):
                series = out[f"{d}{key}"] = _series(dev, key, "interface", "ether1")
                if d == 5:
                    continue  # nothing stored
                if d != 6:  # d == 6: an edge only
                    _summaries(series, level, rng)
                _edge(series, [level * rng.uniform(0.2, 2.0) for _ in range(2)],
                      [level * rng.uniform(0.2, 2.0) for _ in range(rng.randint(1, 9))])
            if d % 10 == 0:
                for key in ("queue.upload_bps", "queue.download_bps"):
                    series = _series(dev, key, "queue", f"q{d}")
                    _summaries(series, level, rng)
                    _edge(series, [level], [level])
        for name, value in ((rs.MONTH_MARK, MONTH_MARK), (rs.DAY_MARK, DAY_MARK),
                            ("rollup_300", ROLLUP_MARK)):
            m.MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})
    return out


def _query() -> rq.ReportQuery:
    return rq.ReportQuery(start=NOV, end=DEC, preset="this_month", device_id=None)


def _every_edge(monkeypatch: pytest.MonkeyPatch, query: rq.ReportQuery, limit: int
                ) -> list[dict[str, Any]]:
    """The talkers with every series' edges read (the path before the bounds)."""
    with monkeypatch.context() as patch:
        patch.setattr(report_talkers, "bounded_moved", lambda *a, **k: None)
        return rq.talker_rows(query, KINDS, limit)


def _computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Series whose bytes :func:`report_traffic.moved` computes by id."""
    seen: list[int] = []
    real = report_traffic.moved

    def counting(*args: Any, **kwargs: Any) -> dict[int, float]:
        seen.extend(kwargs.get("ids") or [])
        return real(*args, **kwargs)

    monkeypatch.setattr(report_traffic, "moved", counting)
    return seen


@pytest.mark.parametrize("limit", [1, 3, 5, 12, 200])
def test_bounded_talkers_equal_every_edge_read(fleet: dict[str, Series], limit: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rows, bytes to the byte; the first few read a few series' edges."""
    expected = _every_edge(monkeypatch, _query(), limit)
    assert len(expected) == min(limit, DEVICES + DEVICES // 10)  # with the queues
    computed = _computed(monkeypatch)
    assert rq.talker_rows(_query(), KINDS, limit) == expected
    interfaces = 2 * DEVICES
    if limit <= 3:
        assert 0 < len(computed) <= interfaces // 4, len(computed)
    if limit == 200:
        assert not computed  # every interface can be among them: all read at once


def test_page_reads_shared_with_the_talkers(fleet: dict[str, Series],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's ranked summaries (their sums) serve the talkers: the same rows as
    read alone and as with every edge read."""
    read: dict[str, reports.KindPieces] = {}
    rq.percentile_page(_query(), "billing", rq.Paging(1, 5), read, now=ROLLUP_MARK + 70)
    assert read["interface"][3] is not None
    expected = _every_edge(monkeypatch, _query(), 4)
    assert rq.talker_rows(_query(), KINDS, 4, read) == expected
    assert rq.talker_rows(_query(), KINDS, 4) == expected


def test_an_edge_alone_can_lead(fleet: dict[str, Series],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An interface with no summary whose last minutes outweigh every month so far
    is first: the bound of the edge keeps it among those computed."""
    burst = fleet["5iface.rx_bps"]
    m.MetricPoint.objects.create(series=burst, ts=ROLLUP_MARK + 3, value=1e13)
    rows = rq.talker_rows(_query(), KINDS, 3)
    assert rows == _every_edge(monkeypatch, _query(), 3)
    assert (rows[0]["device_id"], rows[0]["name"]) == (burst.device_id, "ether1")


def test_a_chunk_in_the_edge_reads_every_edge(fleet: dict[str, Series],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Samples compacted into a chunk after the rollup watermark are not bounded
    by the head rows: every series' edges are read, and a large sample in the
    chunk counts."""
    sid = fleet["6iface.tx_bps"]
    ts = ROLLUP_MARK + 100
    m.MetricChunk.objects.create(series=sid, start_ts=ts, end_ts=ts, count=1,
                               data=encode_chunk([ts], [5e12]))
    keys = reports.TRAFFIC_KEYS["interface"]
    found = report_series.traffic_series("interface")
    assert report_talkers.bounded_moved(NOV, DEC, keys, None, found, 3) is None
    rows = rq.talker_rows(_query(), KINDS, 3)
    assert rows == _every_edge(monkeypatch, _query(), 3)
    assert rows[0]["device_id"] == sid.device_id


def test_edge_bound_counts_every_slot_and_hourly_stand_ins(fleet: dict[str, Series]) -> None:
    """The bound of the edge ``[DAY_MARK, DEC)``: its 5-minute slots up to the last
    value found (two rollups, the raw points' bucket) times the largest value;
    with an hourly rollup there, from the start of the hour holding the edge's
    start (the hour stands in as twelve averages) to the hour's end."""
    cond = rsql.series_filter(connection.ops.quote_name, reports.TRAFFIC_KEYS["interface"])
    largest = max(max(m.MetricRollup.objects.values_list("avg", flat=True)),
                  max(m.MetricPoint.objects.values_list("value", flat=True)))
    last = max(m.MetricPoint.objects.values_list("ts", flat=True)) // 300 * 300
    found = report_talkers.edge_bound(connection, cond, [(DAY_MARK, DEC)], ROLLUP_MARK)
    assert found is not None
    assert math.isclose(found, (last + 300 - DAY_MARK) // 300 * largest, rel_tol=1e-12)
    hour = DAY_MARK // HOUR * HOUR
    m.MetricRollup.objects.create(series=fleet["5iface.rx_bps"], step=HOUR, ts=hour + HOUR,
                                count=720, min=0, max=0, last=0, avg=largest / 2)
    found = report_talkers.edge_bound(connection, cond, [(DAY_MARK, DEC)], ROLLUP_MARK)
    assert found is not None
    assert math.isclose(found, (hour + 2 * HOUR - hour) // 300 * largest, rel_tol=1e-12)
    # Each hourly stand-in's twelve averages lie under the bound.
    moved = report_traffic.series_moved(NOV, DEC, reports.TRAFFIC_KEYS["interface"])
    assert moved[fleet["5iface.rx_bps"].pk] <= found * 300 / 8


def _pages_and_middle(monkeypatch: pytest.MonkeyPatch, per_page: int, now: float
                      ) -> tuple[list[dict[str, Any]], list[int]]:
    """Check that every page by billing figure equals the whole table sliced, then
    read a page in the middle alone; return the whole table and the series that
    page computed."""
    from mikromon.web.monitor import report_pages

    whole = rq.percentile_rows(_query(), "billing")
    paged = []
    for page in range(1, -(-len(whole) // per_page) + 1):
        paged += rq.percentile_page(_query(), "billing", rq.Paging(page, per_page), now=now)[0]
    assert paged == whole
    computed: list[int] = []
    real = report_pages._Table.compute

    def counting(self: Any, interfaces: Any, **kwargs: Any) -> None:
        wanted = list(interfaces)
        computed.extend(sid for key in wanted for sid in self.found[key].values()
                        if sid not in self.exact)
        real(self, wanted, **kwargs)

    monkeypatch.setattr(report_pages._Table, "compute", counting)
    page = 40 // per_page + 1
    rows = rq.percentile_page(_query(), "billing", rq.Paging(page, per_page), now=now)[0]
    assert rows == whole[(page - 1) * per_page:page * per_page]
    return whole, computed


@pytest.mark.parametrize("spare", [0, 8])
@pytest.mark.parametrize("per_page", [1, 4, 7])
def test_deep_pages_compute_a_band(fleet: dict[str, Series], per_page: int, spare: int,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page by billing figure equals the whole table sliced (``spare`` 0: a
    band of the page's size, which computed rows above it often widen); a page in
    the middle computes the interfaces near it, not those before it."""
    from mikromon.web.monitor import report_pages

    monkeypatch.setattr(report_pages, "SPARE", spare)
    whole, computed = _pages_and_middle(monkeypatch, per_page, ROLLUP_MARK + 70)
    assert len(whole) == DEVICES
    room = next(r for r in whole if r["device_id"] == fleet["no room"].device_id)
    assert room["rx_p95_bps"] == 1e3
    assert 0 < len(computed) <= DEVICES, len(computed)  # of 2 x DEVICES series
    # The interface with an edge only has no bounds: always computed.
    first = {(r["device_id"], r["interface"]) for r in whole[:10]
             if r["device_id"] != fleet["6iface.rx_bps"].device_id}
    found = reports._traffic_series("interface", None)
    assert not first & {key for key, ids in found.items() if set(ids.values()) & set(computed)}


class _Known:
    """A stand-in for the table of :mod:`.report_pages`: one side an interface,
    its figure given (``compute`` records what it is asked)."""

    def __init__(self, figures: dict[str, float]) -> None:
        self.found = {(i, name): {"rx": i} for i, name in enumerate(figures, 1)}
        self.interface_of = {i: key for key, ids in self.found.items() for i in ids.values()}
        self.rx = np.arange(1, len(figures) + 1, dtype=np.int64)
        self.tx = np.full(len(figures), -1, np.int64)
        self.figures = {i: figure for i, figure in enumerate(figures.values(), 1)}
        self.conn, self.months, self.days, self.held = None, [], [], None
        self.computed: set[int] = set()

    def compute(self, interfaces: Any) -> None:
        self.computed.update(key[0] for key in interfaces)

    def row(self, key: tuple[int, str]) -> reports.PercentileRow:
        figure = traffic.BillingFigure(rx_bps=self.figures[key[0]], tx_bps=None,
                                       rx_samples=1, tx_samples=0)
        return reports.PercentileRow(device_id=key[0], device=key[1], interface="e1",
                                     figure=figure, resolution="5m")

    def key(self, row: reports.PercentileRow) -> tuple[float, str, str]:
        from mikromon.web.monitor import report_pages

        return report_pages._sort_key(row.figure.billing_bps, row.device, row.interface)


def test_band_widens_past_rows_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Interfaces with loose upper bounds (r, l1-l3: 95, figures 3-10) fill the band
    of page 5 of 1 row (``SPARE`` 0: from 80 to 50), while x (50, bounded tightly)
    lies below it: the page's row computed in the band (l1, 5) is below the band's
    foot, so the band widens, and the page is r (10), not l1."""
    from mikromon.web.monitor import report_pages, report_ranks

    bounds = {"a": (100, 100), "b": (90, 90), "c": (80, 80), "r": (10, 95), "l1": (5, 95),
              "l2": (4, 95), "l3": (3, 95), "x": (50, 50)}
    figures = {"a": 100.0, "b": 90.0, "c": 80.0, "r": 10.0, "l1": 5.0, "l2": 4.0, "l3": 3.0,
               "x": 50.0}
    table = _Known(figures)
    sids = {name: i for i, name in enumerate(figures, 1)}
    ranked = sorted(((sids[n], float(b[1])) for n, b in bounds.items()),
                    key=lambda item: (-item[1], item[0]))
    lows = {sids[n]: float(b[0]) for n, b in bounds.items()}
    monkeypatch.setattr(report_pages, "SPARE", 0)
    monkeypatch.setattr(report_ranks.HeldSummaries, "read", classmethod(lambda *a: None))
    monkeypatch.setattr(report_ranks, "ranked_series", lambda *a: ([], ranked, lows))
    whole = sorted(figures, key=lambda n: -figures[n])
    for offset in range(len(figures)):
        page = report_pages._by_band(table, offset, 1, 3)  # type: ignore[arg-type]
        assert [row.device for row in page] == [whole[offset]], offset


def test_percentile_bounds_count_the_parts_above_first() -> None:
    """The lower bound is the percentile of the last part needed, taking the parts
    with the highest percentiles first, until they hold as many averages at or above
    their own as the union's rank: a short quiet edge no longer drags it to its
    level. Random unions lie within the bounds."""
    from mikromon.web.monitor.report_pages import percentile_bounds

    busy = traffic.summarize_rates([100.0] * 200, 200)
    quiet = traffic.summarize_rates([1.0] * 10, 10)
    assert percentile_bounds([busy, quiet]) == (100.0, 100.0)
    assert percentile_bounds([quiet]) == (1.0, 1.0)
    rng = random.Random(4)
    for _ in range(300):
        sets = [[rng.uniform(0, 10) * rng.choice((1, 10)) for _ in range(rng.randint(1, 60))]
                for _ in range(rng.randint(1, 6))]
        found = percentile_bounds([traffic.summarize_rates(s, len(s)) for s in sets])
        assert found is not None
        union = traffic.percentile([v for s in sets for v in s])
        assert union is not None
        assert found[0] <= union <= found[1], (found, union)


@pytest.mark.parametrize("per_page", [3, 7])
def test_deep_pages_of_long_edges_compute_a_band(fleet: dict[str, Series], per_page: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The clock long after the data: the edge may hold more than half an hour, so
    every series' pieces are read and bound in Python; deep pages by billing figure
    still equal the whole table, and a page in the middle computes the interfaces
    near it only."""
    _whole, computed = _pages_and_middle(monkeypatch, per_page, ROLLUP_MARK + 30 * traffic.DAY)
    assert 0 < len(computed) <= DEVICES, len(computed)  # of 2 x DEVICES series
