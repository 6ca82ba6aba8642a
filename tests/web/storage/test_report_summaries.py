"""The report summaries against the reference computation (every series' own
5-minute averages, ``summaries=False``) on generated traffic: whole months, the
current month with its unrolled minutes, ranges not aligned to days, a day that
holds most of a range's top 5 % (the summaries cannot hold that figure: the
averages are read), hours aged out of the 5-minute rollups, summaries built at
once and bucket by bucket. SQLite here, PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

import math
import random

import pytest
from report_fleet import (
    DAY,
    DEC,
    FIRST,
    MARK,
    NOV,
    OCT,
    RANGES,
    compare,
    fleet,
    set_mark,
)

from mikromon.domain import traffic
from mikromon.domain.traffic import combine_percentile, summary_pieces
from mikromon.web.monitor import report_summaries, report_traffic, reports
from mikromon.web.monitor.maintenance import update_rollups
from mikromon.web.monitor.models import MaintenanceState, ReportDayRates, ReportSummary, Series
from mikromon.web.monitor.report_traffic import series_parts

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

__all__ = ["fleet"]  # the fixture


@pytest.mark.parametrize("rates", ["kept", "dropped"])
def test_summaries_give_the_reference_figures(fleet: dict[str, Series], rates: str) -> None:
    """``kept``: part of a finished day is read from its day rates; ``dropped``
    (aged, or stored before rates were kept): from its rollups."""
    set_mark("rollup_300", MARK)
    assert report_summaries.update() > 0  # first run: backfill
    assert report_summaries.marks() == (MARK - 300, MARK // DAY * DAY)
    with_rates = ReportDayRates.objects.all()
    # Every finished day of 5-minute rollups, not the days of hourly stand-ins.
    assert with_rates.filter(series=fleet["0:sfp1:iface.rx_bps"]).count() == \
        (MARK // DAY * DAY - FIRST) // DAY
    assert not with_rates.filter(day__gte=MARK // DAY * DAY).exists()
    stand_ins = ReportSummary.objects.filter(level="day", hourly__gt=0)
    assert stand_ins.exists()
    assert not any(with_rates.filter(day=m.start, series=m.series_id).exists()
                   for m in stand_ins)
    if rates == "dropped":
        with_rates.delete()
    for name, (start, end) in RANGES.items():
        try:
            compare(start, end)
        except AssertionError as err:
            raise AssertionError(f"range {name!r}: {err}") from err


def test_whole_month_is_one_summary_per_series(fleet: dict[str, Series]) -> None:
    set_mark("rollup_300", MARK)
    report_summaries.update()
    rx = fleet["0:sfp1:iface.rx_bps"]
    pieces = series_parts(OCT, NOV, ["iface.rx_bps"])
    assert len(pieces[rx.pk].parts) == 1
    assert pieces[fleet["aged"].pk].resolution == "5m+1h"
    row = ReportSummary.objects.get(level="month", start=OCT, series=rx)
    exact, count, _res = reports.series_percentile(rx.pk, OCT, NOV)
    assert (row.p95, row.samples) == (exact, count)


def test_a_day_holding_the_top_five_percent_is_read_from_the_averages(
        fleet: dict[str, Series]) -> None:
    set_mark("rollup_300", MARK)
    report_summaries.update()
    heavy = fleet["1:sfp1:iface.rx_bps"]
    start, end = RANGES["heavy day inside"]
    parts = series_parts(start, end, ["iface.rx_bps"])[heavy.pk].parts
    assert combine_percentile(parts)[2] is False  # the summaries cannot tell
    row = next(r for r in reports.percentile_report(start, end)
               if (r.device, r.interface) == ("edge-1", "sfp1"))
    assert row.figure.rx_bps == reports.series_percentile(heavy.pk, start, end)[0]
    assert row.figure.rx_bps >= 5e9


def test_folding_bucket_by_bucket_equals_the_backfill(fleet: dict[str, Series]) -> None:
    set_mark("rollup_300", FIRST + 3 * DAY)
    report_summaries.update()
    for mark in (FIRST + 3 * DAY + 300, FIRST + 3 * DAY + 900, NOV - 600, NOV + 1200,
                 NOV + 5 * DAY + 3 * 3600, MARK):
        set_mark("rollup_300", mark)
        report_summaries.update()
    kept = {(r.level, r.start, r.series_id): (r.samples, r.hourly, r.p95, r.p95_high,
                                              bytes(r.top),
                                              pytest.approx(r.rate_sum, rel=1e-12))
            for r in ReportSummary.objects.all()}
    kept_rates = _day_rates()
    MaintenanceState.objects.filter(name__startswith="report_summary").delete()
    report_summaries.update()  # rebuilt at once
    again = {(r.level, r.start, r.series_id): (r.samples, r.hourly, r.p95, r.p95_high,
                                               bytes(r.top), r.rate_sum)
             for r in ReportSummary.objects.all()}
    assert kept == again
    assert kept_rates == _day_rates()
    assert len(kept_rates) > 100
    compare(*RANGES["November so far"])


def _day_rates() -> dict[tuple[int, int], bytes]:
    return {(r.day, r.series_id): bytes(r.rates) for r in ReportDayRates.objects.all()}


def test_upgrading_computes_the_high_bounds_of_stored_summaries(
        fleet: dict[str, Series]) -> None:
    """Migration 0016 fills ``p95_high`` of the summaries stored before from their
    largest values, as the rollup run writes it."""
    set_mark("rollup_300", MARK)
    report_summaries.update()
    written = dict(ReportSummary.objects.values_list("pk", "p95_high"))
    assert sum(v is not None for v in written.values()) == len(written)
    ReportSummary.objects.update(p95_high=None)
    assert report_summaries.fill_high_bounds() == len(written)
    assert dict(ReportSummary.objects.values_list("pk", "p95_high")) == written
    assert report_summaries.fill_high_bounds() == 0  # only those lacking it


def test_day_rates_go_when_the_five_minute_rollups_age_out(fleet: dict[str, Series]) -> None:
    """The rates of a day whose 5-minute rollups are past their retention are
    dropped with the summaries' retention run; its ranges read the rollups left."""
    from mikromon.web.control import retention

    set_mark("rollup_300", MARK)
    report_summaries.update()
    kept = retention.effective()
    aged_before = NOV + 5 * DAY  # the 5-minute rollups kept from here
    # The hourly rollups' cutoff of the same run: the summaries themselves all stay.
    assert report_summaries.apply_retention(
        aged_before - kept.seconds["1h"] + kept.seconds["5m"]) == 0
    assert not ReportDayRates.objects.filter(day__lt=aged_before).exists()
    assert ReportDayRates.objects.filter(day__gte=aged_before).exists()
    # the summaries stay
    assert ReportSummary.objects.filter(level="day", start__lt=aged_before).count() > 0
    compare(NOV + 2 * DAY + 3600, NOV + 7 * DAY + 7200)


def test_rollup_runs_keep_the_summaries(fleet: dict[str, Series]) -> None:
    """update_rollups rolls the raw points up and folds the final buckets in."""
    set_mark("rollup_300", MARK)
    set_mark("rollup_3600", MARK)
    update_rollups(now=MARK + 1200)
    assert report_summaries.marks()[0] == MARK + 900 - 300  # buckets to MARK + 900
    compare(NOV, DEC)
    assert report_summaries.apply_retention(DEC + 40 * DAY) > 0
    assert not ReportSummary.objects.exists()


@pytest.mark.parametrize("sort", ["billing", "device", "interface"])
def test_pages_of_a_month_sorted_in_the_database(fleet: dict[str, Series], sort: str) -> None:
    """A whole month is paged in SQL; the rows equal the computed ones, page by page."""
    from mikromon.web.monitor import report_query as rq

    set_mark("rollup_300", MARK)
    report_summaries.update()
    query = rq.ReportQuery(start=OCT, end=NOV, preset="month", device_id=None)
    whole = rq.percentile_rows(query, sort)
    assert report_traffic.percentile_page(OCT, NOV, "iface.rx_bps", "iface.tx_bps", None,
                                          sort, 0, 2) is not None
    paged = []
    for page in (1, 2, 3):
        rows, total, paging = rq.percentile_page(query, sort, rq.Paging(page, 2))
        assert total == len(whole) == 5
        paged += rows
    assert paged == whole
    rows, _total, paging = rq.percentile_page(query, sort, rq.Paging(9, 2))
    assert (paging.page, rows) == (3, whole[4:])
    # Not a whole month: computed and sliced, the same way.
    query = rq.ReportQuery(start=OCT + 3600, end=NOV, preset="custom", device_id=None)
    assert report_traffic.percentile_page(OCT + 3600, NOV, "iface.rx_bps", "iface.tx_bps",
                                          None, sort, 0, 2) is None
    assert rq.percentile_page(query, sort, rq.Paging(1, 5))[0] == rq.percentile_rows(query, sort)


def test_a_failing_summary_update_leaves_the_rollups_written(
        fleet: dict[str, Series], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    set_mark("rollup_300", MARK)
    set_mark("rollup_3600", MARK)
    report_summaries.update()
    marks = report_summaries.marks()

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("summary bug")

    monkeypatch.setattr(report_summaries, "fold", broken)
    update_rollups(now=MARK + 1200)
    assert MaintenanceState.objects.get(name="rollup_300").value == MARK + 900
    assert report_summaries.marks() == marks  # tried again at the next run
    assert "report summaries" in caplog.text
    monkeypatch.undo()
    update_rollups(now=MARK + 1200)
    assert report_summaries.marks()[0] == MARK + 600
    compare(NOV, DEC)


@pytest.mark.parametrize("now", [MARK + 1250, None])
@pytest.mark.parametrize("name", list(RANGES))
def test_pages_of_every_range_equal_the_whole_table(fleet: dict[str, Series], name: str,
                                                    now: int | None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 2 rows, by billing figure and by name, equal the whole table sliced.
    ``MARK + 1250``: the clock just after the last raw point (ranges ending now rank
    their series in SQL, :mod:`.report_ranks`); ``None``: the clock, weeks later
    (every range is bounded in Python)."""
    from mikromon.web.monitor import report_query as rq
    from mikromon.web.monitor import report_ranks

    set_mark("rollup_300", MARK)
    report_summaries.update()
    ranked: list[int] = []
    real = report_ranks.ranked_series
    monkeypatch.setattr(report_ranks, "ranked_series",
                        lambda *a, **k: ranked.append(1) or real(*a, **k))
    start, end = RANGES[name]
    query = rq.ReportQuery(start=start, end=end, preset="custom", device_id=None)
    for sort in ("billing", "device"):
        whole = rq.percentile_rows(query, sort)
        paged = []
        for page in (1, 2, 3):
            rows, total, paging = rq.percentile_page(query, sort, rq.Paging(page, 2), now=now)
            assert (total, paging.page) == (len(whole), page)
            paged += rows
        assert paged == whole, sort
    # The talkers of the page reuse what it read (the edges of every series, when
    # it read them): the same rows as read alone.
    read: dict[str, reports.KindPieces] = {}
    rq.percentile_page(query, "billing", rq.Paging(1, 2), read, now=now)
    kinds = ("interface", "queue")
    assert rq.talker_rows(query, kinds, 20, read) == rq.talker_rows(query, kinds, 20)
    assert (read.get("interface", ({}, {}, None))[2] is not None) == (not ranked and bool(
        summary_pieces(start, end, *report_summaries.marks())[2]))
    # Ranked in SQL: ranges whose edges hold at most half an hour of buckets up to
    # the clock (days only; this month at MARK + 1250); not October (a whole month:
    # sorted in SQL by its stored percentile) nor ranges starting or ending inside
    # a past day.
    assert bool(ranked) == (name == "heavy day inside"
                            or (name == "November so far" and now is not None)), ranked


def test_day_rates_slice_by_bucket_start() -> None:
    """A bucket belongs to a range when it starts in it; empty buckets are NaN."""
    from mikromon.web.monitor import report_day_rates as rates

    day = NOV
    blob = rates.pack_day(day, [(day, 1.0), (day + 300, 2.0), (day + 900, 4.0),
                                (day + DAY - 300, 9.0), (day + DAY, 99.0)])

    def kept(lo: int, hi: int) -> list[list[float]]:
        return [[v for v in row if v == v] for row in rates.day_values([blob], day, lo, hi)
                .tolist()]

    assert kept(day, day + DAY) == [[1.0, 2.0, 4.0, 9.0]]
    assert kept(day + 1, day + 901) == [[2.0, 4.0]]  # 600: empty
    assert kept(day + 301, day + 900) == [[]]
    with pytest.raises(ValueError, match="hold 3 values, not 288"):
        rates.day_values([blob, blob[:24]], day, day, day + DAY)


def test_day_rates_parts_with_and_without_their_values() -> None:
    """Each row's part: its averages largest first and their positive sum, or only
    the count, the sum and its own percentile (bounds); no part for an empty row."""
    import numpy as np

    from mikromon.web.monitor import report_day_rates as rates

    rng = random.Random(8)
    rows = [[rng.choice((math.nan, -1.0, 0.0, rng.uniform(0, 1e9))) for _ in range(n)]
            for n in (1, 7, 20, 21, 60, 150)]
    rows.append([math.nan] * 150)
    values = np.array([row + [math.nan] * (150 - len(row)) for row in rows])
    full = rates.day_parts(values, with_values=True)
    bare = rates.day_parts(values, with_values=False)
    assert full[-1] is None
    assert bare[-1] is None
    for row, part, bound in zip(rows[:-1], full[:-1], bare[:-1], strict=True):
        assert part is not None
        assert bound is not None
        expected = traffic.summarize_rates(row, len(row))
        assert (part.samples, part.hourly, list(part.top)) == (expected.samples, 0, expected.top)
        assert part.rate_sum == pytest.approx(expected.rate_sum, rel=1e-12)
        assert (bound.samples, list(bound.top), bound.rate_sum) == (part.samples, [],
                                                                   part.rate_sum)
        assert bound.p95 == traffic.part_percentile(expected)
