"""The compactor on the live code path: bytes a sample before and after, speed,
longest transaction; SQLite and PostgreSQL side by side in one run.

The fleet of bench/storage_chunks.py (108 series a router at 5 s, rates as the
collector stores them: at their resolution, its ``res`` variant), written for ``--hours``
(default 24, one UTC day) through ``DjangoStorage.write_samples`` (the writer),
into a fresh database migrated as the product migrates it. Then, as the
maintenance does it:

1. rollups up to the end of the data, then ``compaction.compact`` at 2 h after
   the day's 22nd hour: the first 22 hours become 2-h chunks;
2. ``compact`` again two hours after the day ended: the last rows go into
   their windows and the day's eleven 2-h chunks and the rest are merged into
   one day chunk per series.

Measured: the head's bytes a sample before (``monitor_metricpoint``, as
bench/storage_bytes.py measures a table), the chunk table's bytes a sample
after each step (SQLite: ``dbstat``; PostgreSQL: every partition with its
TOAST and index; after plain VACUUM, then after VACUUM FULL), the database's
size before and after (SQLite after VACUUM; PostgreSQL after both),
samples compacted per CPU second of this process (on SQLite the database work
runs in it; on PostgreSQL the server's share is not counted: the wall-time rate
is given beside) and the longest single transaction.

Run: ``python bench/compaction.py [--devices 2] [--hours 24]``; PostgreSQL too
when ``$MIKROMON_TEST_POSTGRES_URL`` is set (a scratch ``<name>_chunks``
database is created and dropped). Loopback only. Record the output in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime

from storage_chunks import (
    T0,
    bench_args,
    db_size,
    each_database,
    fleet,
    machine_line,
    table_bytes,
)


def _write(devices: int, hours: float) -> int:
    """Write the fleet through the writer; return the samples stored."""
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    written = 0
    for d, series in enumerate(fleet(devices, hours, "res")):
        dev = Device(name=f"bench-{d}", host="127.0.0.1", username="api")
        dev.set_password("pw")
        dev.save()
        prepared = [(k, make_labels(**lab), v) for k, lab, _, v in series]
        stamps = series[0][2]
        for p in range(stamps.shape[0]):
            when = datetime.fromtimestamp(int(stamps[p]), UTC)
            written += storage.write_samples(
                dev.pk, [Sample(k, float(v[p]), when, lab) for k, lab, v in prepared])
    storage.close()
    return written


def _step(now: int) -> dict:
    from django.db import connection

    from mikromon.web.monitor import compaction, maintenance

    maintenance.update_rollups(now)
    cpu, wall = time.process_time(), time.perf_counter()
    progress = compaction.compact(now, budget_s=None)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        cursor.execute('SELECT COUNT(*), COALESCE(SUM("count"), 0) FROM monitor_metricchunk')
        chunks, in_chunks = cursor.fetchone()
        chunk_bytes = table_bytes(cursor, connection.vendor, "monitor_metricchunk")
    return {
        "chunks_written": progress.chunks, "rows_compacted": progress.rows,
        "samples_encoded": progress.samples, "chunks": chunks, "samples_in_chunks": in_chunks,
        "chunk_bytes_per_sample": round(chunk_bytes / max(1, in_chunks), 3),
        "rows_per_cpu_s": round(progress.rows / cpu) if cpu else None,
        "samples_encoded_per_cpu_s": round(progress.samples / cpu) if cpu else None,
        "rows_per_wall_s": round(progress.rows / wall) if wall else None,
        "longest_transaction_ms": round(progress.longest_transaction_s * 1000, 1),
        "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
    }


def run_child(args: argparse.Namespace) -> dict:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection

    vendor, path = connection.vendor, str(connection.settings_dict["NAME"])
    started = time.perf_counter()
    samples = _write(args.devices, args.hours)
    result: dict = {"vendor": vendor, "samples": samples,
                    "write_s": round(time.perf_counter() - started, 1)}
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE")
        result["head_bytes_per_sample"] = round(
            table_bytes(cursor, vendor, "monitor_metricpoint") / samples, 2)
        result["db_bytes_before"] = db_size(cursor, vendor, path)
    end = T0 + int(args.hours * 3600)
    result["two_hour"] = _step(end)  # horizon: 2 h before the end of the data
    result["day"] = _step(end // 86400 * 86400 + 86400 + 7200 + 60)
    with connection.cursor() as cursor:
        result["db_bytes_after"] = db_size(cursor, vendor, path)
        if vendor == "postgresql":
            # Plain VACUUM leaves the space of the deleted rows and 2-h chunks
            # in the files, for new rows to reuse; VACUUM FULL shows the live bytes.
            cursor.execute("VACUUM FULL")
            cursor.execute('SELECT COALESCE(SUM("count"), 0) FROM monitor_metricchunk')
            in_chunks = cursor.fetchone()[0]
            result["chunk_bytes_per_sample_vacuum_full"] = round(
                table_bytes(cursor, vendor, "monitor_metricchunk") / max(1, in_chunks), 3)
            result["db_bytes_vacuum_full"] = db_size(cursor, vendor, path)
            result["db_bytes_per_sample_vacuum_full"] = round(
                result["db_bytes_vacuum_full"] / samples, 2)
    result["db_bytes_per_sample_after"] = round(result["db_bytes_after"] / samples, 2)
    return result


def main() -> None:
    """Run on SQLite, then PostgreSQL when configured; print one JSON line each."""
    args = bench_args(__doc__.splitlines()[0], "sqlite,postgresql")
    if args.child:
        print(json.dumps(run_child(args)))
        return
    print(machine_line(args), flush=True)
    each_database(__file__, ["--devices", str(args.devices), "--hours", str(args.hours)],
                  set(args.skip.split(",")), lambda doc: print(json.dumps(doc), flush=True))
    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
