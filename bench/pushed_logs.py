"""Cost of a collector member reading back the syslog lines stored for its
devices (:class:`mikromon.web.control.pushed_logs.PushedLogs`), which every
member does about once a second when collectors share the fleet.

SQLite in a temporary folder (or ``--database-url``: a PostgreSQL database that
must be empty and migrated: a scratch database is best), ``--devices`` devices,
``--rows`` log rows already stored (the table a long-running fleet has), then
``--rounds`` rounds of: ``--new`` rows stored (two thirds received by syslog,
spread over the fleet), one read for half of the devices (a member of two).
Reported: the read's wall time per call, p50 and max, in milliseconds.

Run: ``python bench/pushed_logs.py [--devices 1000] [--rows 200000] [--new 200]
[--rounds 50] [--database-url postgresql://...]``; record the output in
bench/RESULTS.md with the load average.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import pages_fill  # a sibling bench script: Django on SQLite or a given database


def _store(devices: list[int], start: int, count: int) -> None:
    from django.utils import timezone

    from mikromon.web.monitor.models import LogEntry

    now = timezone.now()
    rows = []
    for n in range(start, start + count):
        row = {"time": "", "topics": "system,info", "message": f"line {n}"}
        if n % 3:
            row["source"] = "syslog"
        rows.append(LogEntry(device_id=devices[n % len(devices)], key=f"k{n}",
                             topics="system,info", message=row["message"], data=row,
                             seen_at=now))
    LogEntry.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        pages_fill.setup(data_dir, args.database_url or "", wipe=False)
        from django.db import connection

        from mikromon.web.control.pushed_logs import PushedLogs
        from mikromon.web.monitor.models import Device

        Device.objects.bulk_create(
            Device(name=f"r{n:05d}", host=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                   port=8728, username="api", password_encrypted="")
            for n in range(args.devices))
        ids = list(Device.objects.order_by("pk").values_list("pk", flat=True))
        _store(ids, 0, args.rows)
        mine = frozenset(ids[::2])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # as autovacuum does on a live table
                cursor.execute("ANALYZE monitor_logentry")
        reader = PushedLogs()
        reader.pushed_logs(mine)  # marks the start
        took, found = [], 0
        for r in range(args.rounds):
            _store(ids, args.rows + r * args.new, args.new)
            started = time.perf_counter()
            found += sum(len(v) for v in reader.pushed_logs(mine).values())
            took.append((time.perf_counter() - started) * 1000)
        print(f"{connection.vendor}, {platform.python_version()}, load "
              f"{os.getloadavg()[0]:.1f}: {args.devices} devices, {args.rows} rows stored, "
              f"{args.new} new a round ({found / args.rounds:.0f} of them this member's "
              f"syslog lines): read p50 {statistics.median(took):.2f} ms, "
              f"max {max(took):.2f} ms over {args.rounds} rounds")


if __name__ == "__main__":
    main()
