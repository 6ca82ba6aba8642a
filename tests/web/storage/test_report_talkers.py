"""Top talkers of this month (summaries plus the minutes not rolled up yet) found
from bounds (:mod:`mikromon.web.monitor.report_talkers`) equal those computed from
every series' edges, while reading the edges of only the interfaces that can be
among the first rows. SQLite here, PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection, transaction

from mikromon.domain import traffic
from mikromon.storage.chunks import encode_chunk
from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor import report_talkers, report_traffic, reports
from mikromon.web.monitor.models import (
    Device,
    MaintenanceState,
    MetricChunk,
    MetricPoint,
    MetricRollup,
    Series,
    labels_key,
)

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

DAY = 86400
HOUR = 3600
NOV = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
DEC = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
MONTH_MARK = NOV + 3 * DAY
#: Today's summaries hold 100 buckets (to 08:20); 5-minute rollups follow to
#: ROLLUP_MARK, raw points after it.
DAY_MARK = MONTH_MARK + 100 * 300
ROLLUP_MARK = DAY_MARK + 600
DEVICES = 30
KINDS = ("interface", "queue")


def _series(dev: Device, key: str, label: str, name: str) -> Series:
    return Series.objects.create(device=dev, key=key, labels={label: name},
                                 labels_key=labels_key([(label, name)]))


def _summaries(series: Series, level: float, rng: random.Random) -> None:
    def draw(n: int) -> list[float]:
        return [level * rng.uniform(0.2, 1.3) for _ in range(n)]
    rs._write(connection, "month", NOV, {series.pk: traffic.summarize_rates(
        draw(864), traffic.TOP_KEPT["month"])})
    rs._write(connection, "day", MONTH_MARK, {series.pk: traffic.summarize_rates(
        draw(100), traffic.TOP_KEPT["day"])})


def _edge(series: Series, rollups: list[float], raw: list[float]) -> None:
    MetricRollup.objects.bulk_create(
        MetricRollup(series=series, step=300, ts=DAY_MARK + 300 * i, count=60, min=v, max=v,
                     avg=v) for i, v in enumerate(rollups))
    MetricPoint.objects.bulk_create(MetricPoint(series=series, ts=ROLLUP_MARK + 7 * i, value=v)
                                    for i, v in enumerate(raw))


@pytest.fixture
def fleet() -> dict[str, Series]:
    """Interfaces of levels from 100 kbit/s to 100 Mbit/s (log-uniform) with month
    and day summaries and an edge of two 5-minute rollups and raw points; a few
    simple queues; one interface with only an edge, one with nothing. Returns a
    few series by role."""
    rng = random.Random(12)
    out: dict[str, Series] = {}
    with transaction.atomic():
        for d in range(DEVICES):
            dev = Device.objects.create(name=f"cpe-{(d * 7) % DEVICES:03d}", host="127.0.0.1",
                                        username="m")
            level = 10 ** rng.uniform(5, 8)
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
            MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})
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


@pytest.mark.parametrize("limit", [1, 3, 5, 12, 100])
def test_bounded_talkers_equal_every_edge_read(fleet: dict[str, Series], limit: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rows, bytes to the byte; the first few read a few series' edges."""
    expected = _every_edge(monkeypatch, _query(), limit)
    assert len(expected) == min(limit, DEVICES + 3)  # with the 3 queues
    computed = _computed(monkeypatch)
    assert rq.talker_rows(_query(), KINDS, limit) == expected
    interfaces = 2 * DEVICES
    if limit <= 3:
        assert 0 < len(computed) <= interfaces // 4, len(computed)
    if limit == 100:
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
    MetricPoint.objects.create(series=burst, ts=ROLLUP_MARK + 3, value=1e13)
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
    MetricChunk.objects.create(series=sid, start_ts=ts, end_ts=ts, count=1,
                               data=encode_chunk([ts], [5e12]))
    keys = reports.TRAFFIC_KEYS["interface"]
    found = reports._traffic_series("interface", None)
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
    largest = max(max(MetricRollup.objects.values_list("avg", flat=True)),
                  max(MetricPoint.objects.values_list("value", flat=True)))
    last = max(MetricPoint.objects.values_list("ts", flat=True)) // 300 * 300
    found = report_talkers.edge_bound(connection, cond, [(DAY_MARK, DEC)], ROLLUP_MARK)
    assert found is not None
    assert math.isclose(found, (last + 300 - DAY_MARK) // 300 * largest, rel_tol=1e-12)
    hour = DAY_MARK // HOUR * HOUR
    MetricRollup.objects.create(series=fleet["5iface.rx_bps"], step=HOUR, ts=hour + HOUR,
                                count=720, min=0, max=0, avg=largest / 2)
    found = report_talkers.edge_bound(connection, cond, [(DAY_MARK, DEC)], ROLLUP_MARK)
    assert found is not None
    assert math.isclose(found, (hour + 2 * HOUR - hour) // 300 * largest, rel_tol=1e-12)
    # Each hourly stand-in's twelve averages lie under the bound.
    moved = report_traffic.series_moved(NOV, DEC, reports.TRAFFIC_KEYS["interface"])
    assert moved[fleet["5iface.rx_bps"].pk] <= found * 300 / 8
