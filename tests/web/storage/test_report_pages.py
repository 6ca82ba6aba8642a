"""A page of the 95th-percentile table of a range the summaries do not hold alone
(this month: the month summary, today's summary and the minutes not rolled up yet)
equals the same page of the whole table computed for every interface, for every
sort and page, while computing exactly only the interfaces the page needs: the
others are ranked by bounds from their summaries' stored percentiles. SQLite here,
PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from mikromon.domain import traffic
from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor import report_summaries as rs
from mikromon.web.monitor.models import Device, MaintenanceState, MetricPoint, Series, labels_key

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

DAY = 86400
NOV = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
DEC = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
#: The month summaries hold November 1-3, today's summary 100 buckets of the 4th;
#: raw points (not rolled up) follow.
MONTH_MARK = NOV + 3 * DAY
DAY_MARK = MONTH_MARK + 100 * 300
#: The clock of the requests: the raw points (up to 280 s after DAY_MARK) are
#: in the three buckets before it, so pages by billing figure rank in SQL.
NOW = DAY_MARK + 600
DEVICES = 40


def _series(dev: Device, key: str, name: str = "ether1") -> Series:
    return Series.objects.create(device=dev, key=key, labels={"interface": name},
                                 labels_key=labels_key([("interface", name)]))


def _store(series: Series, month: list[float], day: list[float], edge: list[float], *,
           day_kept: int = traffic.TOP_KEPT["day"]) -> None:
    conn = connection
    if month:
        rs._write(conn, "month", NOV, {series.pk: traffic.summarize_rates(
            month, traffic.TOP_KEPT["month"])})
    if day:
        rs._write(conn, "day", MONTH_MARK, {series.pk: traffic.summarize_rates(day, day_kept)})
    MetricPoint.objects.bulk_create(MetricPoint(series=series, ts=DAY_MARK + 7 * i, value=v)
                                    for i, v in enumerate(edge))


@pytest.fixture
def fleet() -> None:
    """Interfaces whose month, day and last-minutes traffic overlap (bounds that do
    not separate them), two with the same traffic (ties by name), one with receive
    only, one with nothing in the range, one whose day summary does not hold its
    percentile (read from its averages), and a zero-traffic one."""
    rng = random.Random(21)
    twin = random.Random(5)
    twins = {key: ([twin.uniform(1e6, 3e7) for _ in range(864)],
                   [twin.uniform(1e6, 3e7) for _ in range(100)],
                   [twin.uniform(1e6, 3e7) for _ in range(9)])
             for key in ("iface.rx_bps", "iface.tx_bps")}
    with transaction.atomic():
        for d in range(DEVICES):
            dev = Device.objects.create(name=f"cpe-{(d * 17) % DEVICES:03d}",
                                        host="127.0.0.1", username="m")
            level = rng.uniform(1e6, 5e7)
            for key in ("iface.rx_bps", "iface.tx_bps"):
                if d == 7 and key == "iface.tx_bps":
                    continue
                series = _series(dev, key)
                if d == 8:
                    continue  # nothing stored in the range
                if d == 9:
                    _store(series, [0.0] * 864, [0.0] * 100, [0.0] * 3)
                    continue
                if d in (3, 4):
                    _store(series, *twins[key])
                    continue

                def draw(n: int, scale: float, level: float = level) -> list[float]:
                    return [level * scale * rng.uniform(0.2, 1.3) for _ in range(n)]
                _store(series, draw(864, 1.0), draw(100, rng.uniform(0.7, 1.5)),
                       draw(rng.randint(1, 40), rng.uniform(0.5, 2.0)),
                       day_kept=3 if d == 11 else traffic.TOP_KEPT["day"])
            _series(dev, "iface.rx_bps", "vlan9")  # never any data
        for name, value in ((rs.MONTH_MARK, MONTH_MARK), (rs.DAY_MARK, DAY_MARK),
                            ("rollup_300", DAY_MARK)):
            MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})


def _query() -> rq.ReportQuery:
    return rq.ReportQuery(start=NOV, end=DEC, preset="this_month", device_id=None)


def _ranked_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the SQL rankings (:func:`report_ranks.ranked_series`) made."""
    from mikromon.web.monitor import report_ranks

    calls: list[int] = []
    real = report_ranks.ranked_series

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_ranks, "ranked_series", counting)
    return calls


@pytest.mark.parametrize("sort", ["billing", "device", "interface"])
@pytest.mark.parametrize("per_page", [1, 7, 50])
@pytest.mark.parametrize("now", [NOW, None])
def test_pages_equal_the_whole_table(fleet: None, sort: str, per_page: int, now: float | None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``NOW``: ranked in SQL by the stored bounds; the clock (days after the
    data): the edge may hold more than an hour, bounded in Python."""
    ranked = _ranked_calls(monkeypatch)
    whole = rq.percentile_rows(_query(), sort)
    assert len(whole) == 2 * DEVICES
    assert sum(r["billing_bps"] is not None for r in whole) == DEVICES - 1
    paged = []
    for page in range(1, -(-len(whole) // per_page) + 1):
        rows, total, paging = rq.percentile_page(_query(), sort, rq.Paging(page, per_page),
                                                 now=now)
        assert (total, paging.page) == (len(whole), page)
        paged += rows
    assert paged == whole
    assert bool(ranked) == (sort == "billing" and now is not None)
    rows, _total, paging = rq.percentile_page(_query(), sort, rq.Paging(10**6, per_page),
                                              now=now)
    assert paging.page == -(-len(whole) // per_page)
    assert rows == whole[(paging.page - 1) * per_page:]


def test_one_device(fleet: None) -> None:
    dev = Device.objects.get(name="cpe-017")
    query = rq.ReportQuery(start=NOV, end=DEC, preset="this_month", device_id=dev.pk)
    assert rq.percentile_page(query, "billing", rq.Paging(1, 50), now=NOW)[0] == \
        rq.percentile_rows(query, "billing")


@pytest.mark.parametrize("sort", ["billing", "device"])
@pytest.mark.parametrize("now", [NOW, None])
def test_a_page_computes_few_interfaces_exactly(fleet: None, sort: str, now: float | None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The first page of 5 merges the largest values of under half of the table's
    78 series with data (their bounds: about 17 series might reach the page, and
    their interfaces' other sides are computed with them)."""
    calls: list[int] = []
    real = traffic.combine_percentile

    def counting(parts, *args, **kwargs):
        calls.append(len(parts))
        return real(parts, *args, **kwargs)

    from mikromon.web.monitor import report_pages

    monkeypatch.setattr(report_pages, "combine_percentile", counting)
    rows, total, _paging = rq.percentile_page(_query(), sort, rq.Paging(1, 5), now=now)
    assert (len(rows), total) == (5, 2 * DEVICES)
    assert 0 < len(calls) <= 36, len(calls)
