"""Disk used and its forecast: the sizes each backend reports, the rows the
maintenance estimates, the steady state at the retention in force, when a disk
fills, the one-minute cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from mikromon.domain.samples import Sample, make_labels
from mikromon.web.control import retention
from mikromon.web.monitor import disk_usage, maintenance
from mikromon.web.monitor.disk_usage import forecast
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

DAY = 86400
NOW = datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
KEEP = {"realtime": 7 * DAY, "short": 7 * DAY, "medium": 7 * DAY, "long": 7 * DAY,
        "extended": 7 * DAY, "5m": 90 * DAY, "1h": 730 * DAY, "1d": 1825 * DAY}


def test_forecast_scales_each_tier_by_its_retention():
    measured = {"in_use_bytes": 2_000_000, "free_bytes": 10**12, "points_rows": 90_000,
                "rollup_rows": 10_000, "series": 100}
    out = forecast(measured, {"realtime": 20.0, "short": 1.0}, KEEP,
                   longest_raw_s=7 * DAY, now=0)
    assert out["bytes_per_point"] == out["bytes_per_rollup"] == 20.0
    assert out["steady_points"] == round(21.0 * 7 * DAY)
    assert out["steady_rollups"] == round(100 * (90 * DAY / 300 + 730 * DAY / 3600
                                                 + 1825 * DAY / 86400))
    assert out["steady_bytes"] == round(out["steady_points"] * 20 + out["steady_rollups"] * 20)
    assert out["fills_at"] is None  # a terabyte free: it fits
    shorter = forecast(measured, {"realtime": 20.0, "short": 1.0},
                       {**KEEP, "realtime": 2 * DAY}, longest_raw_s=7 * DAY, now=0)
    assert shorter["steady_points"] == round(20 * 2 * DAY + 7 * DAY)


def test_forecast_says_when_the_disk_fills():
    measured = {"in_use_bytes": 1_000_000, "free_bytes": 5_000_000, "points_rows": 50_000,
                "rollup_rows": 0, "series": 0}
    out = forecast(measured, {"realtime": 100.0}, KEEP, longest_raw_s=7 * DAY, now=1000)
    assert out["growth_bytes_per_s"] == 2000.0
    assert out["fills_in_s"] == 2500
    assert out["fills_at"] == 3500


def test_forecast_uses_per_table_sizes_when_known():
    measured = {"in_use_bytes": 5_000_000, "free_bytes": None, "points_rows": 100_000,
                "rollup_rows": 10_000, "series": 1, "points_bytes": 3_000_000,
                "rollup_bytes": 1_000_000}
    out = forecast(measured, {"realtime": 1.0}, KEEP, longest_raw_s=7 * DAY, now=0)
    assert (out["bytes_per_point"], out["bytes_per_rollup"]) == (30.0, 100.0)
    assert out["steady_bytes"] == round(7 * DAY * 30 + out["steady_rollups"] * 100
                                        + 1_000_000)


def test_forecast_keeps_only_the_head_uncompressed():
    """Compacted samples cost what the chunks cost; only the head (at most
    HEAD_S of each series) costs what a row costs."""
    measured = {"in_use_bytes": 10_000_000, "free_bytes": None, "points_rows": 100_000,
                "rollup_rows": 10_000, "series": 1, "points_bytes": 2_000_000,
                "rollup_bytes": 1_000_000, "chunk_samples": 1_000_000,
                "chunk_bytes": 3_000_000}
    out = forecast(measured, {"realtime": 2.0}, KEEP, longest_raw_s=7 * DAY, now=0)
    assert (out["bytes_per_point"], out["bytes_per_compacted_sample"]) == (20.0, 3.0)
    head = 2.0 * disk_usage.HEAD_S
    assert out["steady_points"] == round(2.0 * 7 * DAY)
    assert out["steady_bytes"] == round(head * 20 + (2.0 * 7 * DAY - head) * 3
                                        + out["steady_rollups"] * 100 + 4_000_000)
    assert out["growth_bytes_per_s"] == round(2.0 * 3 + (1 / 300 + 1 / 3600) * 100, 2)


def test_compacted_samples_count_as_raw_points():
    """A converted database's samples are in chunks: still enough to forecast."""
    measured = {"in_use_bytes": 3_000_000, "free_bytes": None, "points_rows": 10,
                "rollup_rows": 0, "series": 1, "chunk_samples": 50_000,
                "measured_at": 1}
    out = forecast(measured, {"realtime": 1.0}, KEEP, longest_raw_s=7 * DAY, now=0)
    assert out["steady_bytes"] is not None


def test_nothing_measured_yet_gives_no_forecast():
    out = forecast({"in_use_bytes": 5000, "free_bytes": 1}, {}, KEEP, longest_raw_s=1, now=0)
    assert out["steady_bytes"] is None
    assert out["fills_at"] is None
    assert "not measured yet" in out["note"]


def test_too_few_points_give_no_forecast():
    """A new database's fixed overhead would make a point look kilobytes big."""
    measured = {"in_use_bytes": 3_000_000, "free_bytes": 10, "points_rows": 67,
                "rollup_rows": 0, "series": 67, "measured_at": 1}
    out = forecast(measured, {"realtime": 17.0}, KEEP, longest_raw_s=7 * DAY, now=0)
    assert out["steady_bytes"] is None
    assert out["fills_at"] is None
    assert "67 raw points" in out["note"]


def test_usage_measures_this_database(device, monkeypatch):
    clock = [NOW.timestamp()]
    storage = DjangoStorage(maintenance_interval=None, clock=lambda: clock[0])
    labels = make_labels(interface="ether1")
    for i in range(120):
        ts = datetime.fromtimestamp(NOW.timestamp() - 600 + 5 * i, UTC)
        storage.write_samples(device.pk, [Sample("iface.rx_bps", float(i), ts, labels),
                                          Sample("system.cpu.load_pct", 3.0, ts)])
        clock[0] += 5
    clock[0] += 61
    storage.write_samples(device.pk, [Sample("system.cpu.load_pct", 3.0, NOW)])
    before = disk_usage.usage(fresh=True, now=clock[0])
    assert before["error"] == ""
    assert before["rows"] == {}
    assert before["forecast"]["steady_bytes"] is None
    maintenance.update_rollups(clock[0])
    maintenance.apply_retention(clock[0])
    doc = disk_usage.usage(fresh=True, now=clock[0])
    assert "241 raw points" in doc["forecast"]["note"]
    monkeypatch.setattr(disk_usage, "MIN_POINTS", 100)
    doc = disk_usage.usage(fresh=True, now=clock[0])
    assert doc["rows"]["points_rows"] == 241  # 120 + 121 points
    assert doc["rows"]["series"] == 2
    assert doc["rows"]["rollup_rows"] >= 2
    assert doc["write_rate"]["per_tier"]["realtime"] > 0
    assert doc["forecast"]["bytes_per_point"] > 0
    assert doc["forecast"]["steady_bytes"] > 0
    assert doc["rows"]["chunk_samples"] == 0
    if connection.vendor == "sqlite":
        assert doc["backend"] == "sqlite"
        assert doc["rows"]["points_bytes"] > 0  # dbstat, at this size
        assert doc["free_bytes"] > 0
        assert doc["database_bytes"] > 0
    else:
        assert doc["backend"] == "postgresql"
        assert doc["database_bytes"] > 0
        assert "monitor_metricpoint" in {t["name"] for t in doc["tables"]}
    # a shorter retention forecasts less
    retention.save({"realtime": 2 * DAY}, by="cli")
    shorter = disk_usage.usage(fresh=True, now=clock[0])
    assert shorter["forecast"]["steady_points"] < doc["forecast"]["steady_points"]


def test_usage_is_cached_a_minute(db, monkeypatch):
    calls = []
    real = disk_usage._measure
    monkeypatch.setattr(disk_usage, "_measure", lambda *a: calls.append(1) or real(*a))
    disk_usage.usage(fresh=True, now=1000.0)
    disk_usage.usage(now=1030.0)
    assert len(calls) == 1
    disk_usage.usage(now=1000.0 + disk_usage.CACHE_S + 1)
    assert len(calls) == 2


def test_usage_counts_the_samples_in_chunks(device, monkeypatch):
    from mikromon.web.monitor import compaction

    storage = DjangoStorage(maintenance_interval=None)
    start = NOW.timestamp() - DAY
    for i in range(720):  # an hour at 5 s
        ts = datetime.fromtimestamp(start + 5 * i, UTC)
        storage.write_samples(device.pk, [Sample("system.cpu.load_pct", float(i % 7), ts)])
    now = NOW.timestamp()
    maintenance.update_rollups(now)
    assert compaction.compact(now, budget_s=None).rows == 720
    maintenance.apply_retention(now)
    monkeypatch.setattr(disk_usage, "MIN_POINTS", 100)
    doc = disk_usage.usage(fresh=True, now=now)
    assert doc["rows"]["points_rows"] == 0
    assert doc["rows"]["chunk_samples"] == 720
    assert doc["forecast"]["bytes_per_compacted_sample"] > 0
    assert doc["forecast"]["steady_bytes"] > 0
    if connection.vendor == "sqlite":
        assert doc["rows"]["chunk_bytes"] > 0
    else:
        assert doc["chunk_bytes"] > 0
