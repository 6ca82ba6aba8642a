"""The report summaries' update in slices
(:class:`~mikromon.web.monitor.report_summary_pass.SummaryPass`): slices of a few
series give the summaries and day rates that one transaction over every series
gives (the backfill and the steady folds alike); a pass dropped between slices
(what a SIGKILL leaves) is resumed by the next one, which neither loses nor
double-counts a bucket; a series created mid-pass is folded before the
watermarks move, and the watermarks move only at the end. SQLite here,
PostgreSQL with ``-m db_backend``."""

from __future__ import annotations

from typing import Any

import pytest
from report_fleet import DAY, FIRST, MARK, NOV, RANGES, compare, fleet, rollups, set_mark

from mikromon.web.monitor import models as m
from mikromon.web.monitor import report_day_rates, report_summaries, report_summary_pass
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.report_summary_pass import SummaryPass

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

__all__ = ["fleet"]  # the fixture

#: The rollup watermarks of the steady folds after the first run: within a day,
#: across midnight (a day folded into its month) and across a month's end.
STEPS = (FIRST + 3 * DAY + 900, NOV - 600, NOV + 1200, NOV + 5 * DAY + 3 * 3600, MARK)


def _stored() -> tuple[dict[tuple[str, int, int], tuple[Any, ...]], dict[tuple[int, int], bytes]]:
    summaries = {(r.level, r.start, r.series_id): (r.samples, r.hourly, r.p95, r.p95_high,
                                                   bytes(r.top), r.rate_sum)
                 for r in m.ReportSummary.objects.all()}
    rates = {(r.day, r.series_id): bytes(r.rates) for r in m.ReportDayRates.objects.all()}
    return summaries, rates


def _plan() -> dict[str, int]:
    return dict(m.MaintenanceState.objects.filter(name__in=report_summary_pass.PLAN_NAMES)
                .values_list("name", "value"))


@pytest.fixture
def tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of two series ids that never grow."""
    monkeypatch.setattr(report_summary_pass, "FIRST_SLICE", 2)
    monkeypatch.setattr(report_summary_pass, "MAX_SLICE", 2)


def _one_transaction(marks: tuple[int, ...]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """The summaries as the backfill and the folds over every series at once give
    them (one call of :func:`report_summaries.fold` a level and run)."""
    conn = usable_connection("default")
    set_mark("rollup_300", marks[0])
    report_summaries.backfill()
    for value in marks[1:]:
        day_mark, month_mark = report_summaries.marks()
        assert day_mark is not None
        assert month_mark is not None
        final = value - 300
        whole = final // DAY * DAY
        report_summaries.fold(day_mark, {"day": final})
        if whole > month_mark:
            report_summaries.fold(month_mark, {"month": whole})
            report_day_rates.write(conn, month_mark, whole)
        report_summaries.set_marks(conn, final, max(whole, month_mark))
    return _stored()


def test_slices_give_what_one_transaction_gives(fleet: dict[str, m.Series], tiny_slices) -> None:
    marks = (FIRST + 3 * DAY, *STEPS)
    whole = _one_transaction(marks)
    assert len(whole[0]) > 200
    assert len(whole[1]) > 100
    m.ReportSummary.objects.all().delete()
    m.ReportDayRates.objects.all().delete()
    m.MaintenanceState.objects.filter(name__startswith="report_summary").delete()
    for value in marks:
        set_mark("rollup_300", value)
        summaries = SummaryPass()
        steps = 0
        while not summaries.done:  # one slice a step
            summaries.step()
            steps += 1
        assert steps >= len(fleet) // 2  # two series ids a slice
        assert report_summaries.marks() == (value - 300, (value - 300) // DAY * DAY)
        assert not _plan()
    assert _stored() == whole
    compare(*RANGES["November so far"])


def test_a_pass_dropped_between_slices_is_resumed_without_double_counting(
        fleet: dict[str, m.Series], tiny_slices) -> None:
    set_mark("rollup_300", FIRST + 3 * DAY)
    report_summary_pass.update()
    set_mark("rollup_300", MARK)
    report_summary_pass.update()
    whole = _stored()
    # Again from the first mark, dropping each pass after two slices (its
    # transactions committed, the object gone: what a SIGKILL leaves behind).
    m.ReportSummary.objects.all().delete()
    m.ReportDayRates.objects.all().delete()
    m.MaintenanceState.objects.filter(name__startswith="report_summary").delete()
    set_mark("rollup_300", FIRST + 3 * DAY)
    report_summary_pass.update()
    set_mark("rollup_300", MARK)
    before = report_summaries.marks()
    dropped = 0
    while True:
        summaries = SummaryPass()
        for _ in range(2):
            summaries.step()
            if summaries.done:
                break
        if summaries.done:
            break
        dropped += 1
        plan = _plan()
        assert plan[report_summary_pass.DAY_TO] == MARK - 300
        assert report_summaries.marks() == before  # readers still read the rollups
        # A later rollup run moves the 5-minute watermark: the plan stays.
        set_mark("rollup_300", MARK + 300 * dropped)
    assert dropped >= 2
    assert report_summaries.marks() == (MARK - 300, MARK // DAY * DAY)
    assert _stored() == whole
    compare(*RANGES["to the present"])


def test_a_failing_slice_keeps_the_plan_where_it_was(
        fleet: dict[str, m.Series], tiny_slices, monkeypatch: pytest.MonkeyPatch) -> None:
    set_mark("rollup_300", FIRST + 3 * DAY)
    report_summary_pass.update()
    set_mark("rollup_300", MARK)
    summaries = SummaryPass()
    summaries.step()
    plan = _plan()
    real = report_summaries.fold

    def broken(*args: Any, **kwargs: Any) -> int:
        real(*args, **kwargs)  # written, then rolled back
        raise RuntimeError("summary bug")

    monkeypatch.setattr(report_summaries, "fold", broken)
    with pytest.raises(RuntimeError):
        SummaryPass().step()
    assert _plan() == plan
    monkeypatch.undo()
    monkeypatch.setattr(report_summary_pass, "FIRST_SLICE", 2)
    SummaryPass().run()
    assert report_summaries.marks()[0] == MARK - 300
    compare(*RANGES["last 7 days"])
    compare(*RANGES["heavy day inside"])


def test_readers_never_see_a_pass_partly_folded(
        fleet: dict[str, m.Series], tiny_slices, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass's slices commit together: a run failing after some slices leaves
    no series folded past the marks (the readers would count its new buckets twice,
    in its summary and in the rollups after the marks), and a run that ends moves
    the marks with every slice."""
    set_mark("rollup_300", FIRST + 3 * DAY)
    report_summary_pass.update()
    set_mark("rollup_300", MARK)
    before, marks = _stored(), report_summaries.marks()
    real, calls = report_summaries.fold, []

    def fails_later(*args: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) > 4:  # some slices folded first
            raise RuntimeError("summary bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_summaries, "fold", fails_later)
    with pytest.raises(RuntimeError):
        SummaryPass().run()
    assert len(calls) > 4
    assert (_stored(), report_summaries.marks(), _plan()) == (before, marks, {})
    compare(*RANGES["to the present"])
    monkeypatch.undo()
    assert SummaryPass().run()
    assert report_summaries.marks()[0] == MARK - 300
    compare(*RANGES["to the present"])


def test_a_series_created_mid_pass_is_folded_before_the_marks_move(
        fleet: dict[str, m.Series], tiny_slices) -> None:
    set_mark("rollup_300", MARK - DAY)
    report_summary_pass.update()
    set_mark("rollup_300", MARK)
    summaries = SummaryPass()
    summaries.step()
    summaries.step()
    device = fleet["0:sfp1:iface.rx_bps"].device
    late = m.Series.objects.create(device=device, key="iface.tx_bps",
                                   labels={"interface": "new"},
                                   labels_key=m.labels_key([("interface", "new")]))
    rollups([(late.pk, 300, ts, 60, 7e6) for ts in range(MARK - DAY + 600, MARK, 300)])
    summaries.run()
    assert report_summaries.marks()[0] == MARK - 300
    day = m.ReportSummary.objects.get(level="day", start=(MARK - 300) // DAY * DAY, series=late)
    assert day.samples == (MARK - 300 - (MARK - 300) // DAY * DAY) // 300
    compare(*RANGES["to the present"])


def test_nothing_due_is_done_at_once(fleet: dict[str, m.Series]) -> None:
    assert SummaryPass().run()
    assert not m.ReportSummary.objects.exists()
    set_mark("rollup_300", MARK)
    report_summary_pass.update()
    summaries = SummaryPass()
    assert summaries.run()
    assert summaries.rows == 0
    assert not _plan()
