"""The whole table's figures (:func:`mikromon.web.monitor.report_figures.figures`)
on what the summaries of a fleet rarely hold: a series with only a partial day
in the range (no summary), one with nothing there, and a stored summary whose
largest values are not float64 values. SQLite here, PostgreSQL with
``-m db_backend``."""

from __future__ import annotations

import pytest
from django.db import connection

from mikromon.domain import traffic
from mikromon.web.monitor import models as m
from mikromon.web.monitor import report_figures, reports
from mikromon.web.monitor import report_sql as rsql
from mikromon.web.monitor import report_summaries as rs

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=False)]

DAY = traffic.DAY
NOV = int(traffic.month_range(2026, 11)[0])
MARK = NOV + 5 * DAY


def _series(dev: m.Device, name: str) -> m.Series:
    return m.Series.objects.create(device=dev, key="iface.rx_bps", labels={"interface": name},
                                   labels_key=m.labels_key([("interface", name)]))


@pytest.fixture
def fleet() -> dict[str, m.Series]:
    """Day summaries of November 1-4 of ``full`` (averages 1..288 a day); ``late``
    has only 5-minute rollups of November 5 from 06:00 (after the marks: an edge);
    ``idle`` has nothing."""
    dev = m.Device.objects.create(name="edge-0", host="127.0.0.1", username="m")
    out = {name: _series(dev, name) for name in ("full", "late", "idle")}
    for day in range(NOV, MARK - DAY, DAY):
        rs._write(connection, "day", day, {out["full"].pk: traffic.summarize_rates(
            [float(v) for v in range(1, 289)], traffic.TOP_KEPT["day"])})
    m.MetricRollup.objects.bulk_create(
        m.MetricRollup(series=out["late"], step=300, ts=MARK - DAY + 6 * 3600 + 300 * i,
                       count=60, min=0, max=0, last=0, avg=float(1000 + i)) for i in range(40))
    for name, value in ((rs.DAY_MARK, MARK - DAY), (rs.MONTH_MARK, MARK - DAY),
                        ("rollup_300", MARK)):
        m.MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})
    return out


def test_a_series_with_only_an_edge_and_one_with_nothing(fleet: dict[str, m.Series]) -> None:
    start, end = NOV + 3600 + 17, MARK - DAY + 20 * 3600
    got = report_figures.figures(start, end, ["iface.rx_bps"])
    assert set(got) == {fleet["full"].pk, fleet["late"].pk}
    late = got[fleet["late"].pk]
    # The 40 averages 1000..1039: the 3rd largest (from_top(40) = 3).
    assert (late.value, late.samples, late.exact, late.resolution) == (1037.0, 40, True, "5m")
    # November 2-4 (the partial first day has no averages): 1..288 three times,
    # 864 averages; the 44th largest (from_top(864)) is 288 - 43 // 3.
    full = got[fleet["full"].pk]
    assert (full.value, full.samples, full.exact, full.resolution) == (274.0, 864, True, "5m")
    rows = {r.interface: r.figure.rx_bps for r in reports.percentile_report(start, end)}
    assert rows == {"full": 274.0, "late": 1037.0, "idle": None}


def test_malformed_largest_values_are_named(fleet: dict[str, m.Series]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {rsql.SUMMARY_T} SET top = %s WHERE start = %s",
                       [b"\x00" * 12, NOV + DAY])
    with pytest.raises(ValueError, match="12 bytes, not float64 values"):
        report_figures.figures(NOV + 3600, MARK - DAY + 3600, ["iface.rx_bps"])
