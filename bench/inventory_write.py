"""Inventory writes of a large router: the writer's time per table sync, a baseline
revision against this tree side by side in one run (issue 12, "Bulk work"; the
writer's cycle bounds what a SIGKILL can lose, issue 15).

One router with ``--leases`` DHCP leases (default 2,000, ``/ip/dhcp-server/lease``
rows as the captures show them) goes through ``DjangoStorage.write_inventory``:

* ``first read``: every row new;
* ``steady poll``: every row's ``expires-after`` and ``last-seen`` moved on (what
  each poll of a lease table brings), ``--polls`` times;
* ``a tenth renamed``: as a steady poll, and one row in ten has a new
  ``host-name`` (its search terms are rewritten too).

How: the parent prepares ONE fresh database (SQLite in a temporary data folder;
PostgreSQL: a scratch database ``<name>_bench`` next to the one of
``--database-url``, created and dropped here) and migrates it. Then child
processes write, alternating ``baseline`` (``src/`` of ``--baseline``, default
``main``, unpacked with ``git archive``) and ``current`` (this tree's ``src/``),
``--rounds`` times each, each child its own new device. A child reports, per
case, the median wall and CPU milliseconds of one sync (``time.process_time`` of
the writing process; on PostgreSQL also its server backend's utime+stime).

Run: ``python bench/inventory_write.py [--leases 2000] [--polls 5] [--rounds 3]
[--database-url postgresql://...] [--baseline REV]``; record the printed table in
bench/RESULTS.md with the load average printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from storage_bytes import _pg_scratch  # sibling bench scripts
from writer_rate import backend_cpu_s, baseline_src

SRC = Path(__file__).resolve().parent.parent / "src"
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
CASES = ("first read", "steady poll", "a tenth renamed")


def lease(n: int, step: int, renamed: bool) -> dict[str, object]:
    """Lease ``n`` as read at poll ``step`` (fields and forms as in the captures)."""
    host = f"host-{n}-r{step}" if renamed else f"host-{n}"
    return {
        ".id": f"*{n + 1:X}", "address": f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
        "mac-address": f"02:00:{n >> 24 & 255:02X}:{n >> 16 & 255:02X}:{n >> 8 & 255:02X}:"
                       f"{n & 255:02X}",
        "client-id": f"1:2:0:0:{n >> 8 & 255:x}:{n & 255:x}", "server": "dhcp-lan",
        "status": "bound", "dynamic": True, "host-name": host,
        "expires-after": f"{(9 * 60 - step * 5 - n % 60) % 600}s",
        "last-seen": f"{step * 5 + n % 60}s", "active-address": "", "comment": "",
    }


# ---------------------------------------------------------------- child side


def child(args: argparse.Namespace) -> dict[str, Any]:
    from mikromon.web import bootstrap

    bootstrap.setup()
    if args.child == "prepare":
        bootstrap.migrate(progress=False)
        return {"prepared": True}
    from django.db import connection

    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name=f"bench-{args.variant}-{args.round}", host="127.0.0.1",
                 username="monitor")
    dev.set_password("bench-router-pw")
    dev.save()
    storage = DjangoStorage(maintenance_interval=None)
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])

    def sync(step: int, renamed_every: int = 0) -> tuple[float, float, float]:
        rows = [lease(n, step, bool(renamed_every) and n % renamed_every == 0)
                for n in range(args.leases)]
        snapshot = InventorySnapshot(table="dhcp_leases", rows=rows, key_fields=("mac-address",),
                                     ts=T0 + timedelta(seconds=5 * step))
        b0, c0, t0 = backend_cpu_s(backend), time.process_time(), time.perf_counter()
        storage.write_inventory(dev.pk, snapshot)
        return ((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000,
                (backend_cpu_s(backend) - b0) * 1000)

    figures: dict[str, list[tuple[float, float, float]]] = {case: [] for case in CASES}
    figures["first read"].append(sync(0))
    for step in range(1, args.polls + 1):
        figures["steady poll"].append(sync(step))
    figures["a tenth renamed"].append(sync(args.polls + 1, renamed_every=10))
    storage.close()
    return {"vendor": connection.vendor, "variant": args.variant, "cases": {
        case: [round(statistics.median(x[i] for x in got), 1) for i in range(3)]
        for case, got in figures.items()}}


# ---------------------------------------------------------------- parent side


def run_child(env: dict[str, str], src: Path, args: argparse.Namespace,
              *extra: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--leases", str(args.leases), "--polls", str(args.polls),
           *extra]
    out = subprocess.run(cmd, env={**env, "PYTHONPATH": str(src)}, capture_output=True,
                         text=True)
    if out.returncode:
        raise SystemExit(f"child {extra} failed:\n{out.stderr[-4000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_database(url: str | None, old_src: Path, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
        env["MIKROMON_DATA_DIR"] = data_dir
        if url:
            env["MIKROMON_DATABASE_URL"] = url
        run_child(env, SRC, args, "--child", "prepare")
        results: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
        for n in range(args.rounds):
            for variant, src in (("baseline", old_src), ("current", SRC)):
                got = run_child(env, src, args, "--child", "write", "--variant", variant,
                                "--round", str(n))
                results[variant].append(got)
        vendor = results["current"][0]["vendor"]
        for case in CASES:
            cells = []
            for variant in ("baseline", "current"):
                runs = [r["cases"][case] for r in results[variant]]
                med = [statistics.median(r[i] for r in runs) for i in range(3)]
                cells.append(f"{med[0]:,.0f} / {med[1]:,.0f}"
                             + (f" / {med[2]:,.0f}" if vendor == "postgresql" else ""))
            print(f"| {vendor} | {case} | {cells[0]} | {cells[1]} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leases", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}; {args.leases} leases, "
          f"{args.polls} steady polls, {args.rounds} rounds", flush=True)
    print("| database | sync | baseline ms: wall / CPU (/ backend CPU) | this tree |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        old_src = Path(tmp) / "baseline"
        old_src.mkdir()
        commit = baseline_src(args.baseline, old_src)
        print(f"# baseline {commit[:10]}", flush=True)
        if not args.skip_sqlite:
            run_database(None, old_src / "src", args)
        if args.database_url:
            scratch = _pg_scratch(args.database_url, create=True)
            try:
                run_database(scratch, old_src / "src", args)
            finally:
                _pg_scratch(args.database_url, create=False)
    print(f"# load average at the end {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
