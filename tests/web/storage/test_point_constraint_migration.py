"""Migration monitor 0017 on a database written before it: head points kept, the
points' foreign key constraint gone (SQLite: still a WITHOUT ROWID table),
PostgreSQL's latest values with fillfactor 50; and back again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mikromon.web.monitor.models import Device, MetricPoint, Series

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]
BEFORE = ("monitor", "0019_report_summary_narrow")
AFTER = ("monitor", "0020_point_series_no_constraint")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _layout() -> tuple[bool, bool, str]:
    """(points' foreign key constraint present, WITHOUT ROWID or PostgreSQL,
    latest values' table options)."""
    table = MetricPoint._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
            sql = cursor.fetchone()[0]
            return "REFERENCES" in sql, sql.endswith("WITHOUT ROWID"), ""
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "AND contype = 'f'", [table])
        foreign = cursor.fetchone()[0] > 0
        cursor.execute("SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class "
                       "WHERE relname = 'monitor_metriclatest'")
        return foreign, True, cursor.fetchone()[0]


def test_points_survive_the_migration_both_ways() -> None:
    dev = Device(name="edge", host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    series = Series.objects.create(device=dev, key="system.cpu.load_pct")
    MetricPoint.objects.bulk_create([MetricPoint(series=series, ts=t, value=t / 2)
                                     for t in range(1000, 1100)])
    try:
        _migrate(BEFORE)
        assert _layout() == (True, True, "")
        _migrate(AFTER)
        assert _layout() == (False, True, "fillfactor=50" if connection.vendor != "sqlite"
                             else "")
        assert dict(MetricPoint.objects.values_list("ts", "value")) == {
            t: t / 2 for t in range(1000, 1100)}
    finally:
        _migrate(AFTER)
