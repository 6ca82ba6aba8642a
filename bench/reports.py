"""Time of the reports over a month of stored traffic for a fleet's interfaces.

A month past is stored as 5-minute rollups (raw points are kept 7 days by
default, ``MIKROMON_RETENTION_RAW_DAYS``; 5-minute rollups 90): this fills an
SQLite database (temporary folder) with one 30-day month of 5-minute rollups of
``iface.rx_bps`` and ``iface.tx_bps`` for ``--interfaces`` interfaces spread over
devices of 20 interfaces each (8,640 buckets per series; 1,000 interfaces =
17.28 million rollup rows), written with ``executemany`` in primary-key order,
the rollup watermark set after the month. Then times, in this process:

  * ``percentile_report`` (the 95th percentile of every interface, rx and tx);
  * ``top_talkers`` (bytes of every interface, top 20);
  * the availability report for the month with 10 outages per device.

Run: ``python bench/reports.py [--interfaces 1000]``. Prints a Markdown table to
paste into bench/RESULTS.md. Loopback only; nothing leaves the temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

PER_DEVICE = 20
STEP = 300
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30


def _setup(data_dir: str) -> None:
    os.environ["MIKROMON_DATA_DIR"] = data_dir
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)


def _fill(interfaces: int) -> tuple[int, float]:
    """Create devices, series, rollups and events; return (rollup rows, seconds)."""
    from django.db import connection, transaction

    from mikromon.web.monitor.models import (
        Device,
        Event,
        MaintenanceState,
        MetricRollup,
        Series,
        labels_key,
    )

    rng = random.Random(7)
    t0 = time.perf_counter()
    start = int(MONTH_START.timestamp())
    buckets = DAYS * 86400 // STEP
    table = connection.ops.quote_name(MetricRollup._meta.db_table)
    sql = (f'INSERT INTO {table} (series_id, step, ts, "count", "min", "max", "avg") '
           "VALUES (%s, %s, %s, %s, %s, %s, %s)")
    rows = 0
    devices = (interfaces + PER_DEVICE - 1) // PER_DEVICE
    for d in range(devices):
        dev = Device.objects.create(name=f"bench-{d:04d}", host="127.0.0.1", username="u",
                                    state="up")
        Device.objects.filter(pk=dev.pk).update(created_at=MONTH_START - timedelta(days=60))
        for k in range(10):
            down = MONTH_START + timedelta(days=3 * k, hours=rng.randint(0, 23))
            Event.objects.create(device=dev, ts=down, kind="device_down")
            Event.objects.create(device=dev, ts=down + timedelta(minutes=rng.randint(1, 90)),
                                 kind="device_up")
        for i in range(min(PER_DEVICE, interfaces - d * PER_DEVICE)):
            name = f"sfp{i + 1}"
            for key in ("iface.rx_bps", "iface.tx_bps"):
                series = Series.objects.create(
                    device=dev, key=key, labels={"interface": name},
                    labels_key=labels_key([("interface", name)]))
                base = rng.uniform(1e6, 5e8)
                values = [(series.pk, STEP, start + STEP * b, 60, 0.0, 0.0,
                           base * (1 + 0.8 * ((b % 288) / 288)) * rng.uniform(0.7, 1.3))
                          for b in range(buckets)]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, values)
                rows += len(values)
    MaintenanceState.objects.update_or_create(
        name="rollup_300", defaults={"value": start + buckets * STEP})
    return rows, time.perf_counter() - t0


def _timed(label: str, call: object) -> tuple[str, float, object]:
    t0 = time.perf_counter()
    result = call()  # type: ignore[operator]
    return label, time.perf_counter() - t0, result


def main() -> None:
    """Fill, time, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interfaces", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-reports-") as data_dir:
        _setup(data_dir)
        from mikromon.web.monitor import reports

        rows, fill_s = _fill(args.interfaces)
        start = MONTH_START.timestamp()
        end = start + DAYS * 86400
        results = [
            _timed("percentile_report (every interface, rx+tx)",
                   lambda: reports.percentile_report(start, end)),
            _timed("top_talkers (every interface, top 20)",
                   lambda: reports.top_talkers(start, end, kinds=("interface",))),
            _timed("availability_report (devices + events)",
                   lambda: reports.availability_report(start, end, now=end)),
        ]
        db_bytes = sum(os.path.getsize(os.path.join(data_dir, f)) for f in os.listdir(data_dir)
                       if f.endswith((".sqlite3", ".sqlite3-wal", ".db", ".db-wal")))
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
              f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite")
        print(f"{args.interfaces} interfaces, {rows:,} five-minute rollup rows "
              f"(filled in {fill_s:.0f} s), database {db_bytes / 2**20:.0f} MiB, "
              f"peak RSS {rss_mib:.0f} MiB\n")
        print("| report | seconds | rollup rows/s |")
        print("|---|---|---|")
        for label, seconds, _result in results:
            per = f"{rows / seconds:,.0f}" if "availability" not in label else "-"
            print(f"| {label} | {seconds:.2f} | {per} |")
        figure = results[0][2][0].figure  # type: ignore[index]
        print(f"\nhighest billing figure: {figure.billing_bps / 1e6:.1f} Mbit/s "
              f"from {figure.rx_samples} samples")


if __name__ == "__main__":
    main()
