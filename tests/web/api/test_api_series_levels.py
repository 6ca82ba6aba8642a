"""The series endpoint and the CSV export over the rollup levels: ``last`` next to
min, max and average, and the 1-day level for a year."""

from __future__ import annotations

import csv
import io
import time

import pytest
from django.test import Client

from mikromon.web.monitor.models import MaintenanceState, MetricRollup, Series

DAY = 86400


@pytest.fixture
def api(admin_token):
    """A client authenticated with the admin's token."""
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def year(device) -> Series:
    """Day rollups of the CPU load over the last 400 days, up to today's UTC midnight."""
    series = Series.objects.create(device=device, key="system.cpu.load_pct")
    today = int(time.time()) // DAY * DAY
    MetricRollup.objects.bulk_create(
        MetricRollup(series=series, step=DAY, ts=ts, count=1440, min=1, max=90,
                     avg=40 + ts // DAY % 3, last=ts // DAY % 5)
        for ts in range(today - 400 * DAY, today, DAY))
    for step in (300, 3600, DAY):
        MaintenanceState.objects.update_or_create(name=f"rollup_{step}",
                                                  defaults={"value": today})
    return series


@pytest.mark.django_db
def test_a_year_of_the_series_api_reads_day_rollups_with_last(api, device, year) -> None:
    doc = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.cpu.load_pct"
                  "&from=-365d").json()
    assert (doc["source"], doc["step"]) == ("1d", DAY)
    (one,) = doc["series"]
    assert 364 <= len(one["t"]) <= 366
    assert one["last"] == [float(t // DAY % 5) for t in one["t"]]
    assert one["v"] == [float(40 + t // DAY % 3) for t in one["t"]]
    assert set(one["min"]) == {1.0}
    assert set(one["max"]) == {90.0}


@pytest.mark.django_db
def test_the_csv_export_offers_day_rows_with_last(admin_web, device, year) -> None:
    today = int(time.time()) // DAY * DAY
    response = admin_web.get("/series/export.csv", {
        "device": device.pk, "metric": "system.cpu.load_pct", "resolution": "1d",
        "from": today - 3 * DAY, "to": today})
    assert response.status_code == 200, response.content[:300]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["count"]) for r in rows] == [1440] * 3
    assert [r["last"] for r in rows] == [repr(float(t // DAY % 5))
                                         for t in range(today - 3 * DAY, today, DAY)]
