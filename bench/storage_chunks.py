"""Compressed chunks against the current one-row-per-sample layout and Prometheus.

One generated fleet, measured side by side in one run:

* the samples: per router and poll (every 5 s, a late poll stamped 1 s later now
  and then), 12 interfaces x 8 rates (rx/tx bit/s, packet/s, error/s, drop/s,
  computed from integer counters over a measured interval as the collector
  does), 8 system series (CPU, memory, disk, uptime, temperature, voltage) and 4
  health series (CPU temperature, two fans, power) = 108 series; traffic with a
  daily cycle, autocorrelated noise and bursts. Two variants of the same samples:
  ``raw`` (rates as the collector computes them today, full 64-bit floats) and
  ``res`` (rates rounded to their resolution: bit/s to 1, packet/error/drop
  rates to 0.001; a 5 s step resolves 1.6 bit/s and 0.2 packet/s);
* current layout: ``DjangoStorage.write_samples`` into ``monitor_metricpoint``
  (bytes as bench/storage_bytes.py measures them), on the first
  ``--current-hours`` of the data (a row costs the same whatever the series' length);
* chunks (:mod:`mikromon.storage.chunks`) as blobs in a table (series id, start,
  end, count, blob), 2 h and 24 h chunks, on SQLite and PostgreSQL: table bytes
  and database growth after VACUUM (ANALYZE);
* Prometheus: ``promtool tsdb create-blocks-from openmetrics`` on the same
  samples (Debian's prometheus package), the block directory's bytes;
* writes: samples encoded per CPU second (one core, this process);
* reads: a 7-day chart of 12 interfaces (rx+tx bit/s) of one router, fetched
  from the chunk table and decoded, median of 5 runs (wall time, and CPU time of
  this process: on a shared machine the wall time includes waiting for a core).

Run: ``python bench/storage_chunks.py [--devices 2] [--hours 24]``; PostgreSQL
too when ``$MIKROMON_TEST_POSTGRES_URL`` is set (a scratch ``<name>_chunks``
database is created and dropped). Loopback only. Record the output in
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from mikromon.storage.chunks import decode_chunks, encode_chunk

STEP = 5
T0 = 1_767_225_600  # 2026-01-01 UTC
INTERFACES = 12
RATES = (  # key, factor, kind
    ("iface.rx_bps", 8, "bytes"), ("iface.tx_bps", 8, "bytes"),
    ("iface.rx_pps", 1, "packets"), ("iface.tx_pps", 1, "packets"),
    ("iface.rx_errors_ps", 1, "errors"), ("iface.tx_errors_ps", 1, "errors"),
    ("iface.rx_drops_ps", 1, "drops"), ("iface.tx_drops_ps", 1, "drops"),
)
SYSTEM = (
    "system.cpu.load_pct", "system.memory.used_pct", "system.memory.free_bytes",
    "system.memory.total_bytes", "system.disk.used_pct", "system.uptime_seconds",
    "system.health.temperature", "system.health.voltage", "system.health.cpu-temperature",
    "system.health.fan1-speed", "system.health.fan2-speed", "system.health.power-consumption",
)
Series = tuple[str, dict[str, str], np.ndarray, np.ndarray]  # key, labels, ts, values


def _ar_noise(rng: np.random.Generator, n: int, sigma: float, keep: float = 0.9) -> np.ndarray:
    """Autocorrelated noise, shape (n,): AR(1) with coefficient ``keep``, as a
    convolution truncated where ``keep**k`` is below 1e-9."""
    kernel = keep ** np.arange(int(np.log(1e-9) / np.log(keep)) + 1)
    return np.convolve(rng.normal(0, sigma, n), kernel)[:n]


def device_series(device: int, polls: int, variant: str) -> list[Series]:
    """The 108 series of one router over ``polls`` polls (deterministic per device)."""
    rng = np.random.default_rng(1000 + device)
    late = rng.random(polls) < 0.03
    ts = T0 + STEP * np.arange(polls, dtype=np.int64) + late
    dt = np.diff(ts, prepend=ts[0] - STEP) + rng.normal(0, 0.004, polls)  # measured
    day = np.sin((ts - T0) * 2 * np.pi / 86_400 - rng.uniform(0, 6.3))
    out: list[Series] = []
    for i in range(INTERFACES):
        labels = {"interface": f"ether{i + 1}"}
        level = 10 ** rng.uniform(5, 8.7)
        for direction in (0, 1):
            bps = level * rng.uniform(0.2, 1) * (1.2 + day) * np.exp(_ar_noise(rng, polls, 0.05))
            bursts = rng.random(polls) < 0.002
            bps = np.where(bursts, bps * rng.uniform(2, 6), bps)
            by = np.round(bps * dt / 8).astype(np.int64)
            pk = np.round(by / rng.uniform(400, 1200)).astype(np.int64)
            er = np.where(rng.random(polls) < 0.001, rng.integers(1, 20, polls), 0)
            dr = np.where(rng.random(polls) < 0.01, rng.integers(1, 200, polls), 0)
            for (key, factor, kind), delta in zip(
                RATES[direction::2], (by, pk, er, dr), strict=True
            ):
                rate = delta * factor / dt
                if variant == "res":
                    rate = np.round(rate, 0 if kind == "bytes" else 3)
                out.append((key, labels, ts, rate.astype(np.float64)))
    total = 1_073_741_824
    free = 644_243_456 + np.cumsum(rng.integers(-64, 65, polls)) * 4096.0  # bytes
    disk_free = 90_000_000 - np.cumsum(rng.random(polls) < 0.01) * 4096
    values = (
        np.clip(np.round(20 + 15 * day + 10 * _ar_noise(rng, polls, 0.3)), 0, 100) + 0.0,
        (1 - free / total) * 100, free, np.full(polls, float(total)),
        (1 - disk_free / 134_217_728) * 100,
        (rng.integers(1000, 10**7) + (ts - T0)).astype(np.float64),
        np.round(45 + 3 * day + _ar_noise(rng, polls, 0.1)),
        np.round(24.1 + _ar_noise(rng, polls, 0.02), 1),
        np.round(55 + 5 * day + _ar_noise(rng, polls, 0.2)),
        np.round(4800 + 20 * _ar_noise(rng, polls, 0.5)) * 10,
        np.round(4650 + 20 * _ar_noise(rng, polls, 0.5)) * 10,
        np.round(18 + 2 * day + _ar_noise(rng, polls, 0.05), 1),
    )
    out.extend(
        (key, {}, ts, np.asarray(v, np.float64)) for key, v in zip(SYSTEM, values, strict=True)
    )
    return out


def fleet(devices: int, hours: float, variant: str) -> list[list[Series]]:
    polls = int(hours * 3600 / STEP)
    return [device_series(d, polls, variant) for d in range(devices)]


def chunk_rows(series: list[Series], span_s: int) -> list[tuple[int, int, int, int, bytes]]:
    """``(series id, start, end, count, blob)`` per chunk of ``span_s`` seconds."""
    rows = []
    for sid, (_, _, ts, values) in enumerate(series):
        cuts = np.searchsorted(ts, np.arange(ts[0] - ts[0] % span_s, ts[-1] + span_s, span_s))
        for a, b in itertools.pairwise(cuts):
            if b > a:
                rows.append((sid, int(ts[a]), int(ts[b - 1]), int(b - a),
                             encode_chunk(ts[a:b], values[a:b])))
    return rows


# ---------------------------------------------------------------- database child


def _current_layout(fleet_data: list[list[Series]], hours: float) -> dict:
    """Write the first ``hours`` through DjangoStorage; points table bytes/sample."""
    from mikromon.domain.samples import Sample, make_labels
    from mikromon.web.monitor.models import Device, MetricPoint
    from mikromon.web.monitor.storage import DjangoStorage

    storage = DjangoStorage(maintenance_interval=None)
    polls = int(hours * 3600 / STEP)
    written = 0
    for d, series in enumerate(fleet_data):
        dev = Device(name=f"bench-{d}", host="127.0.0.1", username="api")
        dev.set_password("pw")
        dev.save()
        prepared = [(k, make_labels(**lab), ts, v) for k, lab, ts, v in series]
        for p in range(min(polls, series[0][2].shape[0])):
            when = datetime.fromtimestamp(int(series[0][2][p]), UTC)
            batch = [Sample(k, float(v[p]), when, lab) for k, lab, _, v in prepared]
            written += storage.write_samples(dev.pk, batch)
    storage.close()
    points = MetricPoint.objects.count()
    return {"samples": written, "points": points}


def table_bytes(cursor, vendor: str, table: str) -> int:
    if vendor == "sqlite":
        cursor.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = %s)", [table]
        )
        return int(cursor.fetchone()[0] or 0)
    # the table itself (0 when partitioned) and its partitions with theirs
    cursor.execute("SELECT pg_total_relation_size(%s::regclass) + COALESCE((SELECT "
                   "SUM(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                   "WHERE inhparent = %s::regclass), 0)", [table, table])
    return int(cursor.fetchone()[0])


def db_size(cursor, vendor: str, path: str) -> int:
    if vendor == "sqlite":
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(path).stat().st_size
    cursor.execute("SELECT pg_database_size(current_database())")
    return int(cursor.fetchone()[0])


def _store_chunks(cursor, vendor: str, table: str, rows: list) -> None:
    blob = "bytea" if vendor == "postgresql" else "blob"
    cursor.execute(
        f"CREATE TABLE {table} (series_id integer NOT NULL, start_ts bigint NOT NULL, "
        f"end_ts bigint NOT NULL, count integer NOT NULL, data {blob} NOT NULL, "
        f"PRIMARY KEY (series_id, start_ts))"
    )
    if vendor == "postgresql":  # already compressed: no pglz attempt in TOAST
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN data SET STORAGE EXTERNAL")
    cursor.executemany(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s)", rows)


def run_child(args: argparse.Namespace) -> dict:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection, transaction

    vendor = connection.vendor
    result: dict = {"vendor": vendor}
    raw = fleet(args.devices, args.hours, "raw")
    cur = _current_layout(raw, args.current_hours)
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        point_bytes = table_bytes(cursor, vendor, "monitor_metricpoint")
    result["current_points"] = cur["points"]
    result["current_bytes_per_sample"] = round(point_bytes / cur["points"], 2)
    path = str(connection.settings_dict["NAME"])
    for variant in ("raw", "res"):
        data = raw if variant == "raw" else fleet(args.devices, args.hours, "res")
        series = [s for dev in data for s in dev]
        samples = sum(s[2].shape[0] for s in series)
        for span_h in (2, 24):
            table = f"bench_chunk_{variant}_{span_h}h"
            rows = chunk_rows(series, span_h * 3600)
            with connection.cursor() as cursor:
                if vendor == "postgresql":
                    cursor.execute("VACUUM ANALYZE")
                before = db_size(cursor, vendor, path)
                with transaction.atomic():
                    _store_chunks(cursor, vendor, table, rows)
                if vendor == "postgresql":
                    cursor.execute(f"VACUUM ANALYZE {table}")
                after = db_size(cursor, vendor, path)
                tbytes = table_bytes(cursor, vendor, table)
            blob = sum(len(r[4]) for r in rows)
            result[f"{variant}_{span_h}h"] = {
                "chunks": len(rows), "samples": samples,
                "blob_bytes_per_sample": round(blob / samples, 3),
                "table_bytes_per_sample": round(tbytes / samples, 3),
                "db_growth_bytes_per_sample": round((after - before) / samples, 3),
            }
    result["read_7d"] = _read_week(connection, vendor)
    return result


def _fetch(connection, vendor: str, sql: str, params: list) -> list:
    """Rows of ``sql``; on PostgreSQL in psycopg's binary format (bytea as bytes,
    not hex text: half the bytes to move and nothing to unhex)."""
    if vendor == "postgresql":  # Django's cursors bind client-side: text results only
        import psycopg

        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _read_week(connection, vendor: str) -> dict:
    """Store 7 days of one router's 24 interface bit rates; time fetch + decode."""
    from django.db import transaction

    out = {}
    for variant in ("raw", "res"):
        week = device_series(99, 7 * 86_400 // STEP, variant)
        wanted = [s for s in week if s[0] in ("iface.rx_bps", "iface.tx_bps")]
        start, end = int(wanted[0][2][0]), int(wanted[0][2][-1])
        for span_h in (2, 24):
            table = f"bench_week_{variant}_{span_h}h"
            rows = chunk_rows(wanted, span_h * 3600)
            with connection.cursor() as cursor, transaction.atomic():
                _store_chunks(cursor, vendor, table, rows)
            sql = (
                f"SELECT series_id, data FROM {table} WHERE series_id BETWEEN 0 AND 23 "
                f"AND end_ts >= %s AND start_ts <= %s ORDER BY series_id, start_ts"
            )
            total, fetch, cpu = [], [], []
            for _ in range(5):
                c0 = time.process_time()
                t0 = time.perf_counter()
                fetched = _fetch(connection, vendor, sql, [start, end])
                t1 = time.perf_counter()
                by_series: dict[int, list[bytes]] = {}
                for sid, data in fetched:
                    by_series.setdefault(sid, []).append(data)
                decoded = [decode_chunks(c, start, end) for c in by_series.values()]
                total.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                fetch.append(t1 - t0)
            n = sum(d[0].shape[0] for d in decoded)
            out[f"{variant}_{span_h}h_chunks"] = {
                "series": len(decoded), "samples": n,
                "bytes": sum(len(r[4]) for r in rows),
                "median_ms": round(1000 * sorted(total)[2], 1),
                "fetch_median_ms": round(1000 * sorted(fetch)[2], 1),
                "cpu_median_ms": round(1000 * sorted(cpu)[2], 1),  # this process only
            }
    return out


# ---------------------------------------------------------------- in-process parts


def write_rate(series: list[Series], span_s: int) -> dict:
    samples = sum(s[2].shape[0] for s in series)
    c0 = time.process_time()
    rows = chunk_rows(series, span_s)
    cpu = time.process_time() - c0
    t0 = time.process_time()
    for sid, (_, _, ts, _) in enumerate(series):  # decode everything back
        mine = [r[4] for r in rows if r[0] == sid]
        got_ts, _ = decode_chunks(mine)
        assert got_ts.shape == ts.shape
    dec = time.process_time() - t0
    return {"samples": samples, "encode_samples_per_cpu_s": round(samples / cpu),
            "decode_samples_per_cpu_s": round(samples / dec)}


def _om_name(key: str) -> str:
    return "mikromon_" + key.replace(".", "_").replace("-", "_")


def prometheus_blocks(data: list[list[Series]], work: Path) -> dict:
    """OpenMetrics file of the samples -> promtool blocks; their bytes."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return {"error": "promtool not found (Debian package prometheus)"}
    by_family: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for d, series in enumerate(data):
        for key, labels, ts, values in series:
            lab = ",".join([f'device="bench-{d}"', *(f'{k}="{v}"' for k, v in labels.items())])
            by_family.setdefault(_om_name(key), []).append((lab, ts, values))
    om = work / "samples.om"
    samples = 0
    with om.open("w") as fh:
        for name, members in by_family.items():
            fh.write(f"# TYPE {name} gauge\n")
            for lab, ts, values in members:
                prefix = f"{name}{{{lab}}} "
                fh.writelines(f"{prefix}{v!r} {t}\n" for t, v in zip(ts.tolist(),
                                                                    values.tolist(), strict=True))
                samples += ts.shape[0]
        fh.write("# EOF\n")
    blocks = work / "blocks"
    t0 = time.perf_counter()
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(om),
                    str(blocks)], check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    total = sum(p.stat().st_size for p in blocks.rglob("*") if p.is_file())
    chunk_bytes = sum(p.stat().st_size for p in blocks.rglob("chunks/*") if p.is_file())
    n_blocks = sum(1 for p in blocks.iterdir() if p.is_dir())
    om.unlink()
    return {"samples": samples, "blocks": n_blocks, "seconds": round(seconds, 1),
            "bytes_per_sample": round(total / samples, 3),
            "chunk_files_bytes_per_sample": round(chunk_bytes / samples, 3)}


def pg_scratch(url: str, create: bool) -> str:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_chunks"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path="/" + name).geturl()


def _child(script: str, argv: list[str], url: str | None, data_dir: str) -> dict:
    env = {**os.environ, "MIKROMON_DATA_DIR": data_dir}
    env.pop("MIKROMON_DATABASE_URL", None)
    if url:
        env["MIKROMON_DATABASE_URL"] = url
    cmd = [sys.executable, script, "--child", *argv]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the {url or 'SQLite'} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_args(description: str, skip: str, extra: dict[str, float] | None = None
               ) -> argparse.Namespace:
    """Parse the command line every bench of this fleet takes: ``--devices``,
    ``--hours``, ``extra`` options (name without dashes: float default),
    ``--skip`` (a comma list of ``skip``'s words) and the hidden ``--child``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--hours", type=float, default=24)
    for name, default in (extra or {}).items():
        parser.add_argument(f"--{name}", type=float, default=default)
    parser.add_argument("--skip", default="", help=f"comma list of: {skip}")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def machine_line(args: argparse.Namespace) -> str:
    """The first output line: when, where, the load, the versions and the fleet."""
    return (f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}, numpy "
            f"{np.__version__}; {args.devices} routers x {args.hours} h x 108 series at {STEP} s")


def each_database(script: str, argv: list[str], skip: set[str],
                  show: Callable[[dict], None]) -> None:
    """Run ``script --child argv`` on a fresh SQLite database, then on a scratch
    PostgreSQL database when ``$MIKROMON_TEST_POSTGRES_URL`` is set (unless
    ``skip`` names them); hand each child's last JSON line to ``show``."""
    if "sqlite" not in skip:
        with tempfile.TemporaryDirectory() as data_dir:
            show(_child(script, argv, None, data_dir))
    pg_url = os.environ.get("MIKROMON_TEST_POSTGRES_URL")
    if pg_url and "postgresql" not in skip:
        scratch = pg_scratch(pg_url, create=True)
        try:
            with tempfile.TemporaryDirectory() as data_dir:
                show(_child(script, argv, scratch, data_dir))
        finally:
            pg_scratch(pg_url, create=False)


def main() -> None:
    """Run every part on the same generated samples; print one JSON line each."""
    args = bench_args(__doc__.splitlines()[0], "sqlite,postgresql,prometheus",
                      {"current-hours": 2})
    if args.child:
        print(json.dumps(run_child(args)))
        return
    skip = set(args.skip.split(","))
    print(machine_line(args), flush=True)
    for variant in ("raw", "res"):
        data = fleet(args.devices, args.hours, variant)
        series = [s for dev in data for s in dev]
        for span_h in (2, 24):
            print(json.dumps({"part": f"codec_{variant}_{span_h}h",
                              **write_rate(series, span_h * 3600)}), flush=True)
        if "prometheus" not in skip:
            with tempfile.TemporaryDirectory() as work:
                print(json.dumps({"part": f"prometheus_{variant}",
                                  **prometheus_blocks(data, Path(work))}), flush=True)
    argv = ["--devices", str(args.devices), "--hours", str(args.hours),
            "--current-hours", str(args.current_hours)]
    each_database(__file__, argv, skip,
                  lambda doc: print(json.dumps({"part": "db", **doc}), flush=True))
    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
