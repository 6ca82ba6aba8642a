"""PostgreSQL: the chunk table is partitioned by week of ``start_ts`` (a default
partition beside), ``data`` has STORAGE EXTERNAL, the compactor creates the
partitions its chunks need, retention drops whole partitions past every tier's
retention and deletes chunk rows elsewhere."""

from __future__ import annotations

import numpy as np
import pytest
from chunk_samples import DAY, T0, stored
from django.db import connection

from mikromon.web.monitor import chunk_partitions, compaction, maintenance
from mikromon.web.monitor.models import MaintenanceState, MetricChunk, MetricPoint, Series

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

WEEK = 7 * DAY


@pytest.fixture(autouse=True)
def postgresql_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")


def rows(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def where(series: Series) -> dict[int, str]:
    """start_ts -> the partition holding the chunk."""
    return dict(rows("SELECT start_ts, tableoid::regclass::text FROM monitor_metricchunk "
                     "WHERE series_id = %s", [series.pk]))


def test_the_table_is_partitioned_with_external_storage():
    assert rows("SELECT relkind FROM pg_class WHERE relname = 'monitor_metricchunk'") == [("p",)]
    assert chunk_partitions.partitions(connection) == {}
    chunk_partitions.ensure_ahead(T0)
    names = chunk_partitions.partitions(connection)
    assert sorted(names.values()) == [chunk_partitions.week_of(T0) + k * WEEK for k in range(3)]
    assert all(name.startswith("monitor_metricchunk_p2024") for name in names)
    storage = dict(rows(
        "SELECT c.relname, a.attstorage FROM pg_attribute a JOIN pg_class c ON "
        "c.oid = a.attrelid WHERE a.attname = 'data' AND c.relname LIKE 'monitor_metricchunk%%'"))
    assert set(storage) == {"monitor_metricchunk", "monitor_metricchunk_default", *names}
    assert set(storage.values()) == {"e"}


def test_weeks_start_on_monday_utc():
    monday = 1715558400  # 2024-05-13 00:00 UTC, a Monday
    assert chunk_partitions.week_of(monday) == monday
    assert chunk_partitions.week_of(monday - 1) == monday - WEEK
    assert chunk_partitions.week_of(T0 + 6 * DAY) == monday + WEEK
    assert chunk_partitions.name_of(monday) == "monitor_metricchunk_p20240513"


def test_compaction_puts_chunks_in_their_weeks_partition_and_retention_drops_it(
        device, settings):
    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "raw": 7}
    series = Series.objects.create(device=device, key="iface.rx_bps")
    ts = np.arange(T0 - 3 * WEEK, T0 + 2 * DAY, 300)
    MetricPoint.objects.bulk_create([MetricPoint(series=series, ts=int(t), value=float(t % 77))
                                     for t in ts])
    now = T0 + 3 * DAY
    for step in (300, 3600):
        MaintenanceState.objects.create(name=f"rollup_{step}", value=now)
    compaction.compact(now, budget_s=None)
    placed = where(series)
    assert len(placed) == 3 * 7 + 2
    for start, name in placed.items():
        assert name == chunk_partitions.name_of(chunk_partitions.week_of(start))
    before = len(stored(series))
    # The cutoff on Wednesday 01:00 of T0's week: the three weeks before go
    # whole; in T0's week Monday's and Tuesday's chunks are deleted as rows,
    # Wednesday's straddles the cutoff and is cut there (in its partition).
    cutoff = T0 + DAY + 3600
    counts = maintenance.apply_retention(cutoff + 7 * DAY)
    assert counts["chunk_partitions"] == 3
    assert (counts["chunks"], counts["chunks_cut"]) == (2, 1)
    assert all(w + WEEK > cutoff for w in chunk_partitions.partitions(connection).values())
    assert list(where(series)) == [cutoff]
    assert where(series)[cutoff] == chunk_partitions.name_of(chunk_partitions.week_of(cutoff))
    assert len(stored(series)) == before - 22 * DAY // 300 - 3600 // 300
    assert min(stored(series)) == cutoff
    assert MetricChunk.objects.filter(series=series).count() == 1


def test_a_chunk_of_a_week_without_partition_goes_to_the_default(device):
    """A partition that cannot be created (the default holds rows of its week)
    leaves the chunk in the default partition: nothing is refused."""
    series = Series.objects.create(device=device, key="iface.rx_bps")
    far = T0 + 40 * WEEK
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO monitor_metricchunk (series_id, start_ts, end_ts, "
                       "\"count\", data) VALUES (%s, %s, %s, 0, '\\x00')",
                       [series.pk, far, far])
        chunk_partitions.ensure_for(connection, far + 60)  # logged, not raised
    assert chunk_partitions.name_of(chunk_partitions.week_of(far)) not in (
        chunk_partitions.partitions(connection))
    assert where(series) == {far: "monitor_metricchunk_default"}
