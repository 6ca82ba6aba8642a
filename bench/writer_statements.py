"""Server CPU of the sample writer's PostgreSQL statements, variant against
variant, cycle by cycle in one process (issue 15): what the server spends per
sample on moving the staged rows into the head and the latest values.

One fresh scratch database (``<name>_statements`` next to the one of
``--database-url`` / ``MIKROMON_TEST_POSTGRES_URL``, created, migrated by this
tree and dropped here), the fleet of bench/writer_rate.py (``--routers`` routers
x 115 samples a 5 s cycle, 400 routers a call), one warm-up cycle, then
``--rounds`` rounds in which every chosen variant writes one cycle of its own
(timestamps no other cycle has: no conflicts). Per variant: samples per CPU
second of the server backend (utime+stime of ``pg_backend_pid()`` from
``/proc``), median over the rounds. ``--fillfactor`` sets the latest values'
table's fillfactor after migrating.

Variants (only ``current`` is the product's; the others are the statements it
was measured against):
* ``current``: this tree's ``SampleWriter`` as it is;
* ``checked``: this tree, every call with the conflict check of the points
  (``ON CONFLICT DO NOTHING``, the path taken after a conflict);
* ``sorted``: this tree, the staged points sorted by (series, second) first;
* ``update``: the latest values by ``UPDATE ... FROM`` the staging table (the
  greater time kept) plus an insert of the series not updated, the points with
  the conflict check.

Run: ``python bench/writer_statements.py --database-url postgresql://...
[--variants current,checked] [--rounds 4] [--fillfactor 50]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from storage_bytes import _pg_scratch  # a sibling bench script
from writer_rate import backend_cpu_s, fleet_cycle  # a sibling bench script

SAMPLES_PER_ROUTER = 115


def _update_statement() -> str:
    points, latest = "monitor_metricpoint", "monitor_metriclatest"
    return (
        f"WITH stored AS (INSERT INTO {points} (series_id, ts, value) SELECT series_id, ts,"
        f" value FROM pg_temp.mikromon_point_stage ON CONFLICT DO NOTHING RETURNING 1),"
        f" moved AS (UPDATE {latest} l SET ts = GREATEST(l.ts, s.ts), value = CASE WHEN"
        f" s.ts >= l.ts THEN s.value ELSE l.value END FROM pg_temp.mikromon_latest_stage s"
        f" WHERE l.series_id = s.series_id RETURNING l.series_id),"
        f" added AS (INSERT INTO {latest} (series_id, ts, value) SELECT series_id, ts, value"
        f" FROM pg_temp.mikromon_latest_stage s WHERE NOT EXISTS (SELECT 1 FROM moved m"
        f" WHERE m.series_id = s.series_id) ON CONFLICT (series_id) DO UPDATE SET"
        f" ts = excluded.ts, value = excluded.value WHERE excluded.ts >= {latest}.ts)"
        f" SELECT (SELECT count(*) FROM stored), set_config('synchronous_commit', 'off', true)"
    )


def variants() -> dict[str, Any]:
    """Variant name -> a replacement of ``SampleWriter._store_copied``."""
    from mikromon.web.monitor import storage_copy, storage_samples

    current = storage_samples.SampleWriter._store_copied

    def checked(self: Any, conn: Any, points: list, latest: Any, nested: bool) -> int:
        self._checked_calls = 2
        return current(self, conn, points, latest, nested)

    def ordered(self: Any, conn: Any, points: list, latest: Any, nested: bool) -> int:
        return current(self, conn, sorted(points, key=lambda r: (r[0], r[1])), latest, nested)

    def update(self: Any, conn: Any, points: list, latest: Any, nested: bool) -> int:
        with conn.cursor() as cursor:
            storage_copy.fill_stages(cursor, {
                "mikromon_point_stage": points,
                "mikromon_latest_stage": storage_samples._latest_rows(
                    latest, storage_copy.pg_microseconds),
            }, nested=nested)
            cursor.execute(_update_statement())
            return int(cursor.fetchone()[0])

    return {"current": current, "checked": checked, "sorted": ordered, "update": update}


def child(args: argparse.Namespace) -> dict:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection

    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage
    from mikromon.web.monitor.storage_samples import SampleWriter

    if args.fillfactor:
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE monitor_metriclatest SET (fillfactor = {int(args.fillfactor)})")
    for n in range(args.routers):
        dev = Device(name=f"bench-{n}", host="127.0.0.1", username="monitor")
        dev.set_password("bench-router-pw")
        dev.save()
    ids = sorted(Device.objects.values_list("id", flat=True))
    storage = DjangoStorage(maintenance_interval=None)
    chosen = {name: f for name, f in variants().items() if name in args.variants.split(",")}
    cycle_no = 0

    def write(cycle: list) -> int:
        return sum(storage.write_samples_many(cycle[s:s + 400]) for s in range(0, len(cycle), 400))

    write(fleet_cycle(ids, cycle_no, False))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    cpu: dict[str, list[float]] = {name: [] for name in chosen}
    expected = len(ids) * SAMPLES_PER_ROUTER
    for _ in range(args.rounds):
        for name, store in chosen.items():
            SampleWriter._store_copied = store  # type: ignore[method-assign]
            cycle_no += 1
            cycle = fleet_cycle(ids, cycle_no, False)
            before = backend_cpu_s(pid)
            if write(cycle) != expected:
                raise SystemExit(f"{name}: points lost or doubled")
            cpu[name].append(backend_cpu_s(pid) - before)
    storage.close()
    return {name: round(expected / statistics.median(spent)) for name, spent in cpu.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--variants", default="current,checked,sorted,update")
    parser.add_argument("--fillfactor", type=int, default=0)
    parser.add_argument("--database-url", default=os.environ.get("MIKROMON_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (or MIKROMON_TEST_POSTGRES_URL) is required")
    import tempfile

    scratch = _pg_scratch(args.database_url, create=True, suffix="_statements")
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            os.environ["MIKROMON_DATA_DIR"] = data_dir
            os.environ["MIKROMON_DATABASE_URL"] = scratch
            load = os.getloadavg()[0]
            result = child(args)
    finally:
        _pg_scratch(args.database_url, create=False, suffix="_statements")
    print(json.dumps({"samples_per_backend_cpu_s": result, "fillfactor": args.fillfactor or None,
                      "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
