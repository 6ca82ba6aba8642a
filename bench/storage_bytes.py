"""Bytes on disk per stored sample, and insert rate, for the Django storage.

Writes realistic realtime-tier samples through ``DjangoStorage.write_samples`` (the
collector's real write path, one call per device per poll): per device and poll,
12 interfaces x rx/tx bit rates plus 8 system metrics (CPU %, memory %, free and
total bytes, disk %, uptime, temperature, voltage) = 32 samples at 5 s.

Measured:
  * points table bytes / points (SQLite: ``dbstat``; PostgreSQL:
    ``pg_total_relation_size``, heap + primary key index),
  * whole database bytes / points (SQLite: file size after a WAL checkpoint,
    including latest values, series and rollups),
  * insert rate (samples per second of wall time, and per CPU second),
  * time of one rollup run over all the data.

Run: ``python bench/storage_bytes.py [--samples 1000000] [--devices 10]``. SQLite
runs in a temporary folder; PostgreSQL runs too when ``$MIKROMON_TEST_POSTGRES_URL``
is set (a scratch database ``<name>_bench`` is created and dropped). Loopback only.
Record the output in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

SYSTEM_KEYS = (
    "system.cpu.load_pct", "system.memory.used_pct", "system.memory.free_bytes",
    "system.memory.total_bytes", "system.disk.used_pct", "system.uptime_seconds",
    "system.health.temperature", "system.health.voltage",
)
INTERFACES = 12
INTERVAL = 5


class RouterModel:
    """Plausible values for one router, moving a little every poll."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rates = [rng.uniform(1e5, 5e8) for _ in range(INTERFACES * 2)]
        self.uptime = rng.randint(1000, 10_000_000)
        self.free = 700_000_000

    def poll(self, ts: datetime) -> list:
        from mikromon.domain.samples import Sample, make_labels

        rng = self.rng
        samples = []
        for i in range(INTERFACES):
            labels = make_labels(interface=f"ether{i + 1}")
            for j, key in enumerate(("iface.rx_bps", "iface.tx_bps")):
                k = i * 2 + j
                self.rates[k] = max(0.0, self.rates[k] * rng.uniform(0.9, 1.1))
                # A rate is bytes*8 over a measured (not exactly 5 s) interval.
                samples.append(Sample(key, self.rates[k] * 5 / rng.uniform(4.98, 5.02), ts, labels))
        self.uptime += INTERVAL
        self.free = min(1_073_741_824, max(0, self.free + rng.randint(-4096, 4096) * 16))
        values = (
            float(rng.randint(0, 100)), (1 - self.free / 1_073_741_824) * 100, float(self.free),
            1_073_741_824.0, 41.7, float(self.uptime), float(rng.randint(40, 55)),
            round(rng.uniform(23.8, 24.4), 1),
        )
        samples.extend(
            Sample(key, value, ts) for key, value in zip(SYSTEM_KEYS, values, strict=True)
        )
        return samples


def run_one(samples_wanted: int, devices: int) -> dict:
    """Write the samples into the configured database and measure (this process)."""
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection

    from mikromon.web.monitor import maintenance
    from mikromon.web.monitor.models import Device, MetricPoint
    from mikromon.web.monitor.storage import DjangoStorage

    ids = []
    for n in range(devices):
        dev = Device(name=f"bench-{n}", host="127.0.0.1", username="api")
        dev.set_password("pw")
        dev.save()
        ids.append(dev.pk)
    rng = random.Random(42)
    models = [RouterModel(rng) for _ in ids]
    per_poll = INTERFACES * 2 + len(SYSTEM_KEYS)
    polls = math.ceil(samples_wanted / (per_poll * devices))
    storage = DjangoStorage(maintenance_interval=None)
    start_ts = datetime(2025, 1, 1, tzinfo=UTC)
    written = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    gen_cpu = 0.0
    for p in range(polls):
        ts = start_ts + timedelta(seconds=INTERVAL * p)
        for device_id, model in zip(ids, models, strict=True):
            g0 = time.process_time()
            batch = model.poll(ts)
            gen_cpu += time.process_time() - g0
            written += storage.write_samples(device_id, batch)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0 - gen_cpu
    r0 = time.perf_counter()
    maintenance.update_rollups(start_ts.timestamp() + polls * INTERVAL + 3600)
    rollup_s = time.perf_counter() - r0
    points = MetricPoint.objects.count()
    result = {
        "vendor": connection.vendor,
        "devices": devices,
        "points": points,
        "written": written,
        "wall_s": round(wall, 1),
        "samples_per_s": round(written / wall),
        "samples_per_cpu_s": round(written / cpu),
        "rollup_s": round(rollup_s, 2),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'monitor_metric%' "
                "GROUP BY name"
            )
            tables = dict(cursor.fetchall())
            cursor.execute("PRAGMA page_size")
            result["page_size"] = cursor.fetchone()[0]
            result["file_bytes"] = Path(connection.settings_dict["NAME"]).stat().st_size
        else:
            tables = {}
            for name in ("monitor_metricpoint", "monitor_metricrollup", "monitor_metriclatest"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [name])
                tables[name] = cursor.fetchone()[0]
            cursor.execute(
                "SELECT pg_relation_size('monitor_metricpoint'), "
                "pg_indexes_size('monitor_metricpoint')"
            )
            heap, index = cursor.fetchone()
            result["point_heap_bytes_per_sample"] = round(heap / max(1, written), 1)
            result["point_index_bytes_per_sample"] = round(index / max(1, written), 1)
            cursor.execute("SELECT pg_database_size(current_database())")
            result["file_bytes"] = cursor.fetchone()[0]
    result["tables"] = tables
    result["point_bytes_per_sample"] = round(tables["monitor_metricpoint"] / points, 1)
    result["rollup_bytes_per_sample"] = round(tables.get("monitor_metricrollup", 0) / points, 2)
    result["db_bytes_per_sample"] = round(result["file_bytes"] / points, 1)
    storage.close()
    return result


def _child(backend_url: str | None, samples: int, devices: int, data_dir: str) -> dict:
    env = {**os.environ, "MIKROMON_DATA_DIR": data_dir}
    env.pop("MIKROMON_DATABASE_URL", None)
    if backend_url:
        env["MIKROMON_DATABASE_URL"] = backend_url
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--samples", str(samples), "--devices", str(devices)],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pg_scratch(url: str, create: bool, suffix: str = "_bench") -> str:
    """The URL of a scratch database named as ``url``'s plus ``suffix``, dropped
    first and then created (``create``) through ``url``."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + suffix
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path="/" + name).geturl()


def main() -> None:
    """Run the benchmark on SQLite (and PostgreSQL when configured); print a report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.samples, args.devices)))
        return
    print(f"# {datetime.now(UTC):%Y-%m-%d} {platform.node()} {platform.processor() or ''}"
          f" {os.cpu_count()} CPUs, Python {platform.python_version()}")
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        results.append(_child(None, args.samples, args.devices, data_dir))
    pg_url = os.environ.get("MIKROMON_TEST_POSTGRES_URL")
    if pg_url:
        scratch = _pg_scratch(pg_url, create=True)
        try:
            with tempfile.TemporaryDirectory() as data_dir:
                results.append(_child(scratch, args.samples, args.devices, data_dir))
        finally:
            _pg_scratch(pg_url, create=False)
    for r in results:
        print(json.dumps(r, indent=None))


if __name__ == "__main__":
    main()
