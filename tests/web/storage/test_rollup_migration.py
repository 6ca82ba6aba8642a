"""Migration 0018 on a database in the layout before it: stored rollups get
``last`` from their average, the table stays compact, and day rows are accepted
(run in a child process on a database of its own: SQLite, or a scratch
PostgreSQL database next to the test database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

CHILD = """
import json, os
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "mikromon.web.settings"
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", "monitor", "0016_report_summary_bounds", verbosity=0)
from mikromon.web.monitor.models import Device, MetricRollup, Series
dev = Device.objects.create(name="r1", host="127.0.0.1", username="u")
s = Series.objects.create(device=dev, key="system.cpu.load_pct")
with connection.cursor() as c:
    c.executemany('INSERT INTO monitor_metricrollup (series_id, step, ts, "count", "min", '
                  '"max", "avg") VALUES (%s, %s, %s, %s, %s, %s, %s)',
                  [(s.pk, 300, 600, 5, 1.0, 9.0, 4.5), (s.pk, 3600, 0, 60, 0.5, 9.5, 5.25)])
call_command("migrate", verbosity=0)
rows = sorted(MetricRollup.objects.values_list("step", "ts", "count", "avg", "last"))
MetricRollup.objects.create(series=s, step=86400, ts=0, count=65, min=0.5, max=9.5,
                            avg=5.0, last=4.0)
with connection.cursor() as c:
    if connection.vendor == "sqlite":
        c.execute("SELECT sql FROM sqlite_master WHERE name = 'monitor_metricrollup'")
        compact = c.fetchone()[0].endswith("WITHOUT ROWID")
    else:
        c.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'monitor_metricrollup'")
        compact = c.fetchone()[0] == 1
print(json.dumps({"rows": rows, "compact": compact,
                  "days": MetricRollup.objects.filter(step=86400).count()}))
"""


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A database URL of an empty database of the backend under test."""
    from django.db import connection

    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    import psycopg

    conf = connection.settings_dict
    name = f"{conf['NAME']}_m18"
    params = {"host": conf["HOST"], "port": conf["PORT"] or 5432, "user": conf["USER"],
              "password": conf["PASSWORD"], "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (f"postgresql://{conf['USER']}:{conf['PASSWORD']}@{conf['HOST']}:"
               f"{conf['PORT'] or 5432}/{name}")
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_stored_rollups_get_their_average_as_last(scratch_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "MIKROMON_DATABASE_URL": scratch_url,
           "MIKROMON_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert doc["rows"] == [[300, 600, 5, 4.5, 4.5], [3600, 0, 60, 5.25, 5.25]]
    assert doc["compact"] is True
    assert doc["days"] == 1
