"""Polling through a database stall: another process holds SQLite's write lock.

N emulated routers (a child process, loopback only) are polled by the collector
service into a fresh SQLite database at real intervals (realtime every 5 s), with
the default busy timeouts (20 s for the connection, 2 s for the storage's writes,
1 s for the lease renewal). Once every device has polled, a second process
runs ``BEGIN IMMEDIATE`` on the database and holds the write lock for ``--hold``
seconds (30 by default). Measured:

- realtime polls during the hold: expected (devices x hold / 5 s) and done, and
  the tiers' ``skipped`` counters (runs missed because the previous one overran);
- whether the collector kept its lock all along (``lock_held`` sampled every
  0.25 s; the lease is refreshed every 10 s and fails while the lock is held);
- the writer: the longest ``unavailable_s`` seen, the deepest queue, batches and
  rows dropped at the bound (also per device), rows failed;
- after the release: seconds until the queue is empty, and how many points taken
  during the hold reached the database.

Run: ``python bench/db_stall.py [--count 20] [--hold 30] [--writers thread,process]
[--max-rows 1500000,5000]``; record the printed table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from service_scale import PASSWORD, start_routers

HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
print("released", flush=True)
"""


def setup(folder: Path, endpoints: list[dict[str, Any]]) -> Path:
    from mikromon.web import bootstrap

    bootstrap.setup(data_dir=folder)
    bootstrap.migrate(progress=False)
    from django.db import connection

    from mikromon.web.monitor.models import Device

    Device.objects.all().delete()
    for i, e in enumerate(endpoints):
        dev = Device(name=f"stall-{i + 1:03d}", host=e["host"], port=e["port"],
                     username=e["username"])
        dev.set_password(PASSWORD)
        dev.save()
    return Path(connection.settings_dict["NAME"])


def realtime_runs(status: dict[str, Any]) -> tuple[int, int]:
    runs = skipped = 0
    for dev in status.get("devices") or []:
        tier = (dev.get("tiers") or {}).get("realtime") or {}
        runs += int(tier.get("runs") or 0)
        skipped += sum(int(t.get("skipped") or 0) for t in (dev.get("tiers") or {}).values())
    return runs, skipped


def run(n: int, writer: str, max_rows: int, hold: float, db: Path) -> dict[str, Any]:
    from mikromon.schedule import CollectorService
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import MetricPoint
    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    storage = ProcessStorage() if writer == "process" else DjangoStorage()
    svc = CollectorService(DjangoDeviceSource(), storage, DjangoCollectorLock(),
                           writer_max_rows=max_rows)
    svc.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            status = svc.status()
            devices = status["devices"]
            if len(devices) == n and all(
                ((d.get("tiers") or {}).get("realtime") or {}).get("runs", 0) >= 2
                for d in devices
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("devices did not poll within 60 s")
            time.sleep(0.2)
        runs0, skipped0 = realtime_runs(status)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(hold)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        held_at = time.time()
        t0 = time.monotonic()
        lock_samples: list[bool] = []
        stalled = 0.0
        deepest = 0
        while holder.poll() is None:
            st = svc.status(devices=False)
            lock_samples.append(bool(st["lock_held"]))
            w = st["writer"] or {}
            stalled = max(stalled, float(w.get("unavailable_s") or 0))
            deepest = max(deepest, int(w.get("queue_depth") or 0))
            time.sleep(0.25)
        released = time.monotonic()
        status = svc.status()
        runs1, skipped1 = realtime_runs(status)
        while True:
            st = svc.status(devices=False)
            w = st["writer"] or {}
            if not w.get("queue_depth") and not w.get("in_flight") and not w.get(
                    "unavailable_s"):
                break
            if time.monotonic() - released > 120:
                break
            time.sleep(0.1)
        drained = time.monotonic() - released
        in_hold = MetricPoint.objects.filter(ts__gte=int(held_at) + 1,
                                             ts__lt=int(held_at + hold)).count()
        final = svc.status()
        writer_stats = final["writer"] or {}
        per_device = [int(d.get("rows_dropped") or 0) for d in final["devices"]]
        return {
            "writer": writer, "n": n, "max_rows": max_rows,
            "hold_s": round(released - t0, 1),
            "expected": round(n * hold / 5), "done": runs1 - runs0,
            "skipped": skipped1 - skipped0, "lock_kept": all(lock_samples),
            "lock_samples": len(lock_samples), "stalled_s": stalled, "deepest": deepest,
            "batches_dropped": writer_stats.get("batches_dropped", 0),
            "rows_dropped": writer_stats.get("rows_dropped", 0),
            "devices_with_drops": sum(1 for d in per_device if d),
            "rows_failed": writer_stats.get("rows_failed", 0),
            "drain_s": round(drained, 2), "points_in_hold": in_hold,
        }
    finally:
        svc.stop(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--writers", default="thread,process")
    parser.add_argument("--max-rows", default="1500000,5000")
    args = parser.parse_args()
    proc, endpoints = start_routers(args.count, "v7")
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="mikromon-stall-") as tmp:
            db = setup(Path(tmp), endpoints)
            for writer in args.writers.split(","):
                for bound in (int(b) for b in args.max_rows.split(",")):
                    result = run(args.count, writer, bound, args.hold, db)
                    print(result, flush=True)
                    rows.append(result)
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"\n{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.count} v7 routers, write lock held "
          f"{args.hold:g} s; SQLite busy timeout 20 s (web), 2 s (storage writes), 1 s "
          "(lease renewal)\n")
    print("| writer | queue bound (rows) | realtime polls expected / done | tiers skipped "
          "| lock kept | longest stall seen (s) | deepest queue | batches (rows) dropped "
          "| devices with drops | rows failed | drain after release (s) | points stored "
          "from the hold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['writer']} | {r['max_rows']} | {r['expected']} / {r['done']} | "
              f"{r['skipped']} | {'yes' if r['lock_kept'] else 'NO'} "
              f"({r['lock_samples']} checks) | {r['stalled_s']:.1f} | {r['deepest']} | "
              f"{r['batches_dropped']} ({r['rows_dropped']}) | {r['devices_with_drops']} | "
              f"{r['rows_failed']} | {r['drain_s']} | {r['points_in_hold']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
