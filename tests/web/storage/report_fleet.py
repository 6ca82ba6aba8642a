"""A generated fleet of traffic series for the report summaries' tests: 5-minute
rollups from 2026-10-10 to 2026-11-14 11:00 (hourly ones standing in for part of
one series), raw points after that; and the comparison of the reports read through
the summaries with the reference computed from every average."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from mikromon.web.monitor import reports
from mikromon.web.monitor.models import Device, MaintenanceState, MetricPoint, Series, labels_key

DAY = 86400
#: 5-minute rollups from 2026-10-10 to 2026-11-14 11:00; raw points after that.
FIRST = int(datetime(2026, 10, 10, tzinfo=UTC).timestamp())
MARK = int(datetime(2026, 11, 14, 11, 0, tzinfo=UTC).timestamp())
NOW = MARK + 1500
OCT = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
NOV = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
DEC = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
HEAVY_DAY = int(datetime(2026, 10, 20, tzinfo=UTC).timestamp())
RANGES = {
    "October": (OCT, NOV),
    "November so far": (NOV, DEC),
    "not aligned": (FIRST + 2 * DAY + 7 * 3600 + 13 * 60, NOV + 2 * DAY + 15 * 3600 + 1),
    "last 7 days": (NOW - 7 * DAY, NOW),
    "one partial day": (HEAVY_DAY + 3600 + 17, HEAVY_DAY + 20 * 3600),
    "to the present": (MARK - 2 * DAY - 300, MARK + 900),
    "heavy day inside": (HEAVY_DAY - 10 * DAY, HEAVY_DAY + 10 * DAY),
}


def rollups(rows: list[tuple[int, int, int, int, float]]) -> None:
    sql = ('INSERT INTO monitor_metricrollup (series_id, step, ts, "count", "min", "max", "avg", '
           '"last") VALUES (%s, %s, %s, %s, 0, 0, %s, 0)')
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def set_mark(name: str, value: int) -> None:
    MaintenanceState.objects.update_or_create(name=name, defaults={"value": value})


@pytest.fixture
def fleet() -> dict[str, Series]:
    """Two devices: interfaces with daily-shaped traffic and gaps, one with a
    saturated day, one idle (zeros and a negative glitch), one whose October
    before the 12th is only in hourly rollups; a queue; raw points after MARK."""
    rng = random.Random(12)
    out: dict[str, Series] = {}
    rows: list[tuple[int, int, int, int, float]] = []
    for d in range(2):
        dev = Device.objects.create(name=f"edge-{d}", host="127.0.0.1", username="m")
        for name, key in (("sfp1", "iface.rx_bps"), ("sfp1", "iface.tx_bps"),
                          ("sfp2", "iface.rx_bps"), ("cust-9", "queue.download_bps")):
            label = "queue" if key.startswith("queue") else "interface"
            series = Series.objects.create(device=dev, key=key, labels={label: name},
                                           labels_key=labels_key([(label, name)]))
            out[f"{d}:{name}:{key}"] = series
            base = rng.uniform(1e6, 1e8)
            for ts in range(FIRST, MARK, 300):
                if rng.random() < 0.03:
                    continue  # not polled
                shape = 1 + 0.8 * ((ts % DAY) / DAY)
                value = base * shape * rng.uniform(0.6, 1.4)
                if d == 1 and name == "sfp1" and HEAVY_DAY <= ts < HEAVY_DAY + DAY:
                    value = 5e9 + rng.uniform(0, 1e6)
                if d == 1 and name == "sfp2":
                    value = -1.0 if ts % 7919 == 0 else 0.0
                rows.append((series.pk, 300, ts, 60, value))
            MetricPoint.objects.bulk_create(
                MetricPoint(series=series, ts=MARK + 5 * i, value=base * rng.uniform(0.5, 3))
                for i in range(250))
    aged = Series.objects.create(device=Device.objects.get(name="edge-0"), key="iface.rx_bps",
                                 labels={"interface": "old"},
                                 labels_key=labels_key([("interface", "old")]))
    out["aged"] = aged
    twelfth = FIRST + 2 * DAY
    rows += [(aged.pk, 3600, ts, 720, 1e6 * (1 + (ts // 3600) % 24)) for ts in range(
        OCT, twelfth, 3600)]
    rows += [(aged.pk, 300, ts, 60, 2e6 + ts % 3900) for ts in range(twelfth + 1800, MARK, 300)]
    rollups(rows)
    return out


def compare(start: int, end: int) -> None:
    fast = {(r.device, r.interface): r for r in reports.percentile_report(start, end)}
    slow = {(r.device, r.interface): r for r in reports.percentile_report(
        start, end, summaries=False)}
    assert fast == slow
    assert any(r.figure.rx_samples for r in fast.values())
    fast_t = reports.top_talkers(start, end, limit=100)
    slow_t = reports.top_talkers(start, end, limit=100, summaries=False)
    assert [(t.device, t.name) for t in fast_t] == [(t.device, t.name) for t in slow_t]
    for a, b in zip(fast_t, slow_t, strict=True):
        assert a.rx_bytes == pytest.approx(b.rx_bytes, rel=1e-9)
        assert a.tx_bytes == pytest.approx(b.tx_bytes, rel=1e-9)
