"""Sample writer rate: samples stored per wall second and per CPU second through
``DjangoStorage.write_samples_many`` (the SampleWriter path the collector's
writer uses), on SQLite and PostgreSQL, a baseline revision against this tree
side by side in one run (issues 15 and 16).

The fleet batch: ``--routers`` routers (default 1,000), each with 12 interfaces x
8 rates (``iface.rx_bps`` ... ``iface.tx_drops_ps``, label ``interface`` as the
collector gives it), 10 ``system.*`` gauges and 9 ``system.health.*`` sensors:
115 samples per router per 5 s cycle, every router with its own answer instant
within the cycle (microseconds, as the collector stamps them). ``--counters``
adds the 96 raw interface counters the collector also hands over (stored as
latest values only). A cycle is written in ``write_samples_many`` calls of
``--per-call`` routers (the writer's calls hold at most 50,000 samples).

How: the parent prepares ONE fresh database (SQLite in a temporary data folder;
PostgreSQL: a scratch database ``<name>_bench`` next to the one of
``--database-url`` / ``MIKROMON_TEST_POSTGRES_URL``, created and dropped here),
migrates it and adds the routers. Then child processes write, alternating
``baseline`` (``src/`` of ``--baseline``, default ``main``, unpacked with
``git archive`` into a temporary folder and put first on ``PYTHONPATH``) and
``current`` (this tree's ``src/``), ``--rounds`` times each. Every child warms up
with one cycle (series created and cached, as in a running collector), then
writes ``--cycles`` cycles of timestamps no other child wrote (no conflicts), and
reports: samples per wall second, per CPU second of the writing process
(``time.process_time``) and, on PostgreSQL, per CPU second of its server backend
(utime+stime of ``pg_backend_pid()`` from ``/proc``), plus the points stored
(checked against the expected number).

Run: ``python bench/writer_rate.py [--database-url postgresql://...] [--skip
sqlite|postgresql] [--profile] [--pg-schema SQL ...]``; record the printed lines
in bench/RESULTS.md with the load average printed first. ``--pg-schema`` runs
each given statement on the PostgreSQL scratch database after migrating it: the
cost of a schema change measured before a migration is written for it.
``--own-schema`` gives each variant its own database, migrated by its own code
(two SQLite files; PostgreSQL: ``<name>_bench`` and ``<name>_bench_baseline``):
the cost of a migration's schema change measured with the code that goes with it.
``--profile`` runs one extra ``current`` child under cProfile and prints its 25
costliest functions (cumulative) to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from storage_bytes import _pg_scratch  # a sibling bench script

SRC = Path(__file__).resolve().parent.parent / "src"
RATES = ("rx_bps", "tx_bps", "rx_pps", "tx_pps", "rx_errors_ps", "tx_errors_ps",
         "rx_drops_ps", "tx_drops_ps")
COUNTERS = ("rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors",
            "rx_drops", "tx_drops")
SYSTEM = ("cpu.load_pct", "cpu.count", "cpu.frequency_hz", "memory.used_pct",
          "memory.free_bytes", "memory.total_bytes", "disk.used_pct", "disk.free_bytes",
          "disk.total_bytes", "uptime_seconds")
HEALTH = ("voltage", "temperature", "cpu-temperature", "board-temperature1", "fan1-speed",
          "fan2-speed", "psu1-voltage", "psu2-voltage", "power-consumption")
INTERFACES = (*(f"ether{i}" for i in range(1, 9)), "sfp-sfpplus1", "sfp-sfpplus2",
              "bridge-lan", "pppoe-out1")
STEP_S = 5
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------- child side


def fleet_cycle(device_ids: list[int], cycle: int, counters: bool) -> list[tuple[int, list]]:
    """One 5 s cycle of every router's realtime samples, as the collector makes them."""
    from mikromon.domain.samples import Sample, make_labels

    labels = [make_labels(interface=name) for name in INTERFACES]
    out = []
    base = T0 + timedelta(seconds=STEP_S * cycle)
    for n, device_id in enumerate(device_ids):
        # Routers answer spread over the cycle: each its own instant, microseconds.
        ts = base + timedelta(microseconds=(n * 4_999_999) // max(len(device_ids), 1))
        samples = []
        for i, lab in enumerate(labels):
            for j, rate in enumerate(RATES):
                samples.append(Sample(f"iface.{rate}", float(cycle * 1000 + i * 8 + j), ts, lab))
            if counters:
                for j, counter in enumerate(COUNTERS):
                    samples.append(Sample(f"iface.{counter}", float(cycle * 10_000 + j), ts, lab))
        for j, key in enumerate(SYSTEM):
            samples.append(Sample(f"system.{key}", float(j + cycle % 7), ts))
        for j, name in enumerate(HEALTH):
            samples.append(Sample(f"system.health.{name}", 40.0 + j + (cycle % 3) * 0.5, ts))
        out.append((device_id, samples))
    return out


def backend_cpu_s(pid: int | None) -> float:
    """utime+stime of process ``pid`` in seconds (0.0 without a pid or /proc)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_prepare(args: argparse.Namespace) -> dict:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from mikromon.web.monitor.models import Device

    for n in range(args.routers):
        dev = Device(name=f"bench-{n}", host="127.0.0.1", username="monitor")
        dev.set_password("bench-router-pw")
        dev.save()
    return {"routers": Device.objects.count()}


def child_write(args: argparse.Namespace) -> dict:
    from mikromon.web import bootstrap

    bootstrap.setup()
    from django.db import connection

    from mikromon.domain import catalog
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    device_ids = sorted(Device.objects.values_list("id", flat=True))
    storage = DjangoStorage(maintenance_interval=None)
    cycles = [fleet_cycle(device_ids, c, args.counters)
              for c in range(args.first_cycle, args.first_cycle + args.cycles + 1)]
    per_call = max(args.per_call, 1)

    def write(cycle: list[tuple[int, list]]) -> int:
        stored = 0
        for start in range(0, len(cycle), per_call):
            stored += storage.write_samples_many(cycle[start:start + per_call])
        return stored

    write(cycles[0])  # warm-up: series created and cached
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])
    samples = sum(len(s) for cycle in cycles[1:] for _, s in cycle)
    expected = sum(1 for cycle in cycles[1:] for _, s in cycle for x in s
                   if catalog.keeps_history(x.key))
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    b0 = backend_cpu_s(backend)
    c0 = time.process_time()
    t0 = time.perf_counter()
    stored = sum(write(cycle) for cycle in cycles[1:])
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    server = backend_cpu_s(backend) - b0
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    if stored != expected:
        raise SystemExit(f"stored {stored} points, expected {expected}")
    storage.close()
    return {
        "vendor": connection.vendor, "variant": args.variant, "samples": samples,
        "points": stored, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
        "samples_per_s": round(samples / wall),
        "samples_per_cpu_s": round(samples / cpu) if cpu else None,
        "server_cpu_s": round(server, 2) if backend else None,
        "samples_per_server_cpu_s": round(samples / server) if backend and server else None,
    }


# ---------------------------------------------------------------- parent side


def baseline_src(rev: str, into: Path) -> str:
    """Unpack ``src/`` of git revision ``rev`` into ``into``; return the commit id."""
    root = SRC.parent
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    blob = subprocess.run(["git", "-C", str(root), "archive", commit, "src"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return commit


def run_child(env: dict[str, str], src: Path, args: argparse.Namespace, *extra: str) -> dict:
    env = {**env, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--routers", str(args.routers), "--cycles",
           str(args.cycles), "--per-call", str(args.per_call), *extra]
    if args.counters:
        cmd.append("--counters")
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"child {extra} failed:\n{out.stderr[-4000:]}")
    if "--profile" in extra:
        sys.stderr.write(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_database(urls: dict[str, str | None], old_src: Path, args: argparse.Namespace) -> None:
    """Prepare the database(s) and run the children alternating; ``urls``: variant
    -> PostgreSQL URL (None: SQLite), one database per variant with
    ``--own-schema``, else the same for both."""
    sources = {"baseline": old_src, "current": SRC}
    with tempfile.TemporaryDirectory() as data_dir:
        envs: dict[str, dict[str, str]] = {}
        for variant, url in urls.items():
            env = {**os.environ, "MIKROMON_DATA_DIR": data_dir}
            env.pop("MIKROMON_DATABASE_URL", None)
            if args.own_schema:
                env["MIKROMON_DATA_DIR"] = os.path.join(data_dir, variant)
                os.makedirs(env["MIKROMON_DATA_DIR"])
            if url:
                env["MIKROMON_DATABASE_URL"] = url
            envs[variant] = env
        prepared = set()
        for variant, env in envs.items():
            key = (env["MIKROMON_DATA_DIR"], env.get("MIKROMON_DATABASE_URL"))
            if key not in prepared:  # migrated by the variant's own code
                prepared.add(key)
                run_child(env, sources[variant] if args.own_schema else SRC, args,
                          "--child", "prepare")
                url = env.get("MIKROMON_DATABASE_URL")
                if url and args.pg_schema:
                    import psycopg

                    with psycopg.connect(url, autocommit=True) as conn:
                        for statement in args.pg_schema:
                            conn.execute(statement)
                            print(f"# schema: {statement}", flush=True)
        env = envs["current"]
        results: dict[str, list[dict]] = {"baseline": [], "current": []}
        cycle = 0
        for _ in range(args.rounds):
            for variant, src in sources.items():
                got = run_child(envs[variant], src, args, "--child", "write", "--variant",
                                variant, "--first-cycle", str(cycle))
                cycle += args.cycles + 1
                results[variant].append(got)
                print(json.dumps(got), flush=True)
        if args.profile:
            run_child(env, SRC, args, "--child", "write", "--variant", "current",
                      "--first-cycle", str(cycle), "--profile")
        summary: dict[str, Any] = {"part": "summary", "vendor": results["current"][0]["vendor"]}
        for variant, runs in results.items():
            for field in ("samples_per_s", "samples_per_cpu_s", "samples_per_server_cpu_s"):
                values = [r[field] for r in runs if r[field]]
                if values:
                    summary[f"{variant}_{field}"] = round(statistics.median(values))
        if summary.get("baseline_samples_per_s"):
            summary["wall_ratio"] = round(
                summary["current_samples_per_s"] / summary["baseline_samples_per_s"], 2)
            summary["cpu_ratio"] = round(
                summary["current_samples_per_cpu_s"] / summary["baseline_samples_per_cpu_s"], 2)
        summary["load"] = round(os.getloadavg()[0], 2)
        print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=4, help="measured cycles per child")
    parser.add_argument("--rounds", type=int, default=2, help="children per variant")
    parser.add_argument("--per-call", type=int, default=400, help="routers per call")
    parser.add_argument("--counters", action="store_true")
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--database-url", default=os.environ.get("MIKROMON_TEST_POSTGRES_URL"))
    parser.add_argument("--skip", default="", help="comma list of: sqlite,postgresql")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pg-schema", action="append", default=[], metavar="SQL",
                        help="statement run on the PostgreSQL scratch database after migrating")
    parser.add_argument("--own-schema", action="store_true",
                        help="each variant writes to a database migrated by its own code")
    parser.add_argument("--child", choices=("prepare", "write"), help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="current", help=argparse.SUPPRESS)
    parser.add_argument("--first-cycle", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(child_prepare(args)))
        return
    if args.child == "write":
        print(json.dumps(child_write(args)))
        return
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as old:
        commit = baseline_src(args.baseline, Path(old))
        head = subprocess.run(["git", "-C", str(SRC.parent), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        per_router = 115 + (96 if args.counters else 0)
        print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} {platform.node()} {os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.2f}, Python {platform.python_version()}; "
              f"baseline {args.baseline} = {commit[:10]}, current = {head} + worktree; "
              f"{args.routers} routers x {per_router} samples, {args.cycles} cycles per "
              f"child, {args.per_call} routers per call", flush=True)
        if "sqlite" not in skip:
            run_database({"baseline": None, "current": None}, Path(old) / "src", args)
        if args.database_url and "postgresql" not in skip:
            scratch = _pg_scratch(args.database_url, create=True)
            # --own-schema: the baseline's own scratch database, <name>_bench_baseline.
            base = scratch
            if args.own_schema:
                base = _pg_scratch(args.database_url, create=True, suffix="_bench_baseline")
            try:
                run_database({"baseline": base, "current": scratch}, Path(old) / "src", args)
            finally:
                _pg_scratch(args.database_url, create=False)
                _pg_scratch(args.database_url, create=False, suffix="_bench_baseline")


if __name__ == "__main__":
    main()
