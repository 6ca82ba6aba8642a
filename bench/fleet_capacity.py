"""Fleet capacity: the largest fleet one machine keeps on time, by database and
number of collector processes (issue 16).

For each fleet size N (``--counts``):

1. the routers run in ``--emulators`` child processes (``mikromon simulate
   --count N/E --json --base-port 0``, loopback only), so no collector process
   shares its CPU with them;
2. a fresh database gets the N routers (``mikromon device import``): SQLite in a
   temporary data folder, or with ``--database-url`` a PostgreSQL database whose
   ``public`` schema is DROPPED and re-created first (give an EMPTY, bench-only one);
3. ``--collectors`` child processes of this file (``--role collector``) run the
   collector as ``mikromon serve`` builds it (``build_storage``, Django device
   source, alert store, outputs; with 2 or more collectors each is a member
   sharing the fleet, as ``mikromon collector join``), at the default tiers
   (realtime 5 s), plus a run observer. Each waits until the devices it polls
   have run every tier once and its share stayed the same for 5 s (warm-up),
   then measures for ``--duration`` seconds and prints one JSON line;
4. reported per N: realtime polls due in the window against the expected
   N * window / 5 s, polls on time (started within 1 s of due, of the expected),
   p50 / p99 start lag, collector CPU per realtime poll (collector processes,
   their storage child processes included), samples stored per second, writer
   batches dropped, failed runs, emulator CPU, peak collector RSS.

Run: ``python bench/fleet_capacity.py --counts 500,1000 [--database-url
postgresql://...] [--collectors 2] [--emulators 2] [--duration 60] [--writer
process] [--timeline FILE]``; record the printed table in bench/RESULTS.md.
``--writer`` sets the collectors' ``MIKROMON_WRITER`` and ``--event-loop`` their
``MIKROMON_EVENT_LOOP`` (the mode column says which writer and loop ran); ``--timeline`` has each
collector write its writer's second-by-second timeline (bench/fleet_timeline.py)
to ``FILE.<N>.<i>.jsonl``. Every child process is stopped at the end
(SIGTERM, then SIGKILL after 60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet_timeline import Timeline
from members_failover import processes
from service_scale import (
    CountingStorage,
    Observer,
    pct,
    process_cpu,
)

PASSWORD = "bench-router-pw"
MIKROMON = [sys.executable, "-c", "from mikromon.cli import main; raise SystemExit(main())"]
ON_TIME_S = 1.0
RT_INTERVAL_S = 5.0


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class DeviceObserver(Observer):
    """An :class:`Observer` that also keeps the ids of the devices polled while
    recording (a member's status may list devices in hand-off)."""

    def __init__(self) -> None:
        super().__init__()
        self.polled: set[int] = set()

    def __call__(self, device_id: int, tier: Any, lag: float, duration: float,
                 ok: bool) -> None:
        super().__call__(device_id, tier, lag, duration, ok)
        if self.recording:
            self.polled.add(device_id)


def collector_role(args: argparse.Namespace) -> int:
    """One collector process: warm up, measure, print one JSON line on stdout."""
    raise_nofile()
    from mikromon.web import bootstrap

    bootstrap.setup()
    from django.conf import settings

    from mikromon import schedule
    from mikromon.domain.tiers import Tier
    from mikromon.outputs.manager import OutputSet
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.collector_setup import build_storage, member_parts, shares_fleet
    from mikromon.web.control.outputs import configured
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource

    observer = DeviceObserver()
    source: Any = DjangoDeviceSource()
    lock: Any = DjangoCollectorLock()
    alerts: Any = DjangoAlertStore()
    shared = shares_fleet()
    if shared:
        source, lock, alerts = member_parts()
    inner = build_storage()
    storage = CountingStorage(inner)
    timeline = Timeline(storage, inner) if args.timeline else None
    if timeline is not None:
        timeline.time_host_calls()
    svc = schedule.CollectorService(
        source, timeline or storage, lock, alerts=alerts,
        deps=schedule.CollectorDeps(observer=observer, shared_fleet=shared),
        outputs=OutputSet(loader=configured, data_dir=Path(settings.DATA_DIR)),
    )
    began = time.monotonic()
    svc.start()
    if timeline is not None:
        timeline.start(svc, began)
    held, stable_since = -1, time.monotonic()
    while time.monotonic() - began < args.warmup_max:
        devices = svc.status()["devices"]
        if len(devices) != held:
            held, stable_since = len(devices), time.monotonic()
        warm = bool(devices) and all(t["runs"] + t["errors"] >= 1
                                     for d in devices for t in d["tiers"].values())
        if warm and time.monotonic() - stable_since >= 5:
            break
        time.sleep(0.5)
    warmup_s = time.monotonic() - began
    time.sleep(1.0)
    child_pid = getattr(inner, "pid", None)
    samples0, cpu0 = storage.samples, time.process_time()
    child0 = process_cpu(child_pid) if child_pid else 0.0
    max_queue, peak_rss = 0, 0.0
    t0 = time.monotonic()
    observer.recording = True
    while time.monotonic() - t0 < args.duration:
        time.sleep(1.0)
        max_queue = max(max_queue, svc.status(devices=False)["writer"]["queue_depth"])
        peak_rss = max(peak_rss, rss_mib(os.getpid()))
    t1 = time.monotonic()
    cpu = time.process_time() - cpu0
    child_cpu = process_cpu(child_pid) - child0 if child_pid else 0.0
    samples = storage.samples - samples0
    time.sleep(2.0)  # runs due before t1 that started late are counted below
    observer.recording = False
    status = svc.status()
    if timeline is not None:  # before the line: the bench stops this process after it
        timeline.dump(Path(args.timeline), warmup_s, t0 - began, t1 - began)
    lags = [lag for tier, due, lag, _d, _ok in observer.runs
            if tier is Tier.REALTIME and t0 <= due < t1]
    failed = sum(1 for tier, due, _l, _d, ok in observer.runs
                 if tier is Tier.REALTIME and t0 <= due < t1 and not ok)
    print(json.dumps({
        "devices": len(observer.polled), "warmup_s": warmup_s, "window_s": t1 - t0,
        "lags": lags, "failed": failed, "cpu_s": cpu + child_cpu, "samples": samples,
        "max_queue": max_queue, "dropped": status["writer"]["batches_dropped"],
        "write_errors": status["writer"]["write_errors"], "rss_mib": peak_rss,
        "writer_mode": inner.stats()["mode"],
        "event_loop": status.get("event_loop") or "asyncio",
    }), flush=True)
    svc.stop(30)
    return 0


def fresh_database(url: str | None) -> None:
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")


def step(n: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    data_dir = tmp / f"data-{n}-{time.monotonic_ns()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env.update(MIKROMON_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    if args.database_url:
        env["MIKROMON_DATABASE_URL"] = args.database_url
    if args.collectors > 1:
        env["MIKROMON_COLLECTOR_MEMBERS"] = "on"
    if args.writer:
        env["MIKROMON_WRITER"] = args.writer
    if args.event_loop:
        env["MIKROMON_EVENT_LOOP"] = args.event_loop
    fresh_database(args.database_url)
    with processes() as procs:
        emulators = []
        share = [n // args.emulators + (i < n % args.emulators) for i in range(args.emulators)]
        for count in share:
            emu = subprocess.Popen(
                [*MIKROMON, "simulate", "--count", str(count), "--json", "--base-port", "0",
                 "--profile", "v7", "--username", "mon", "--password", PASSWORD],
                stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True)
            procs.append(emu)
            emulators.append(emu)
        ports = []
        for emu, count in zip(emulators, share, strict=True):
            assert emu.stdout is not None
            ports += [json.loads(emu.stdout.readline())["port"] for _ in range(count)]
        csv = tmp / "routers.csv"
        csv.write_text("name,host,port,username,password\n" + "".join(
            f"r{i:05d},127.0.0.1,{p},mon,{PASSWORD}\n" for i, p in enumerate(ports)))
        subprocess.run([*MIKROMON, "device", "import", str(csv)], env=env, check=True,
                       capture_output=True, timeout=900)
        emu_cpu0 = sum(process_cpu(e.pid) for e in emulators)
        t_emu = time.monotonic()
        collectors = []
        for i in range(args.collectors):
            log = (tmp / f"collector-{n}-{i}.log").open("w")
            proc = subprocess.Popen(
                [sys.executable, __file__, "--role", "collector", "--duration",
                 str(args.duration), "--warmup-max", str(args.warmup_max),
                 *(["--timeline", f"{args.timeline}.{n}.{i}.jsonl"] if args.timeline
                   else [])],
                env=env, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                text=True)
            procs.append(proc)
            collectors.append(proc)
        parts = []
        for proc in collectors:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"a collector exited with {proc.wait()}; see its log in "
                                   f"{tmp}")
            parts.append(json.loads(line))
        emu_cpu = sum(process_cpu(e.pid) for e in emulators) - emu_cpu0
        emu_pct = 100 * emu_cpu / (time.monotonic() - t_emu)
    window = min(p["window_s"] for p in parts)
    lags = [lag for p in parts for lag in p["lags"]]
    expected = n * window / RT_INTERVAL_S
    polls = len(lags)
    return {
        "n": n, "held": sum(p["devices"] for p in parts), "expected": expected,
        "polls": polls, "on_time_pct": 100 * sum(1 for lag in lags if lag <= ON_TIME_S)
        / max(1.0, expected, polls),
        "p50_ms": pct(lags, .5) * 1e3, "p99_ms": pct(lags, .99) * 1e3,
        "cpu_ms_per_poll": 1e3 * sum(p["cpu_s"] for p in parts) / max(1, polls),
        "cores": sum(p["cpu_s"] for p in parts) / window,
        "samples_per_s": sum(p["samples"] / p["window_s"] for p in parts),
        "dropped": sum(p["dropped"] for p in parts),
        "failed": sum(p["failed"] for p in parts),
        "max_queue": max(p["max_queue"] for p in parts),
        "warmup_s": max(p["warmup_s"] for p in parts), "emulator_pct": emu_pct,
        "rss_mib": max(p["rss_mib"] for p in parts),
        "ran_on": "/".join(sorted({f"{p.get('writer_mode', 'thread')} writer, "
                                   f"{p.get('event_loop', 'asyncio')}" for p in parts})),
    }


def row(mode: str, r: dict[str, Any]) -> str:
    holds = r["on_time_pct"] >= 99 and r["dropped"] == 0
    return (f"| {mode} ({r['ran_on']}) | {r['n']} | {r['held']} | "
            f"{r['polls']} ({r['expected']:.0f}) | "
            f"{r['on_time_pct']:.1f} | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} | "
            f"{r['cpu_ms_per_poll']:.2f} ({r['cores']:.2f} cores) | {r['samples_per_s']:.0f} | "
            f"{r['dropped']} | {r['failed']} | {r['max_queue']} | {r['warmup_s']:.0f} | "
            f"{r['emulator_pct']:.0f} | {r['rss_mib']:.0f} | {'yes' if holds else 'no'} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="bench", choices=["bench", "collector"])
    parser.add_argument("--counts", default="500,1000")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup-max", type=float, default=120.0)
    parser.add_argument("--collectors", type=int, default=1)
    parser.add_argument("--emulators", type=int, default=2)
    parser.add_argument("--database-url", default=None,
                        help="a bench-only PostgreSQL database (its schema is dropped)")
    parser.add_argument("--writer", default=None, choices=["auto", "thread", "process"],
                        help="MIKROMON_WRITER of the collectors (default: the product's)")
    parser.add_argument("--event-loop", default=None, choices=["auto", "uvloop", "asyncio"],
                        help="MIKROMON_EVENT_LOOP of the collectors (default: the product's; "
                        "the emulators run the product's default)")
    parser.add_argument("--timeline", default=None,
                        help="FILE: each collector writes FILE.<N>.<i>.jsonl, its writer "
                        "second by second (bench/fleet_timeline.py)")
    parser.add_argument("--stop-after-fail", action="store_true",
                        help="no larger N once one N does not hold")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.role == "collector":
        return collector_role(args)
    raise_nofile()
    db = "PostgreSQL" if args.database_url else "SQLite"
    mode = f"{db}, {args.collectors} collector{'s' if args.collectors > 1 else ''}"
    if args.writer:
        mode += f", writer {args.writer}"
    load0 = os.getloadavg()
    header = ("| mode | N | devices polled in window | realtime polls (expected) | "
              "on time % (<= 1 s) | "
              "lag p50 / p99 ms | collector CPU ms / realtime poll (cores) | samples/s | "
              "drops | failed | max queue | warm-up s | emulator CPU % | collector RSS MiB | "
              "holds |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    with tempfile.TemporaryDirectory(prefix="mikromon-capacity-") as tmp:
        for n in (int(c) for c in args.counts.split(",")):
            print(f"running {mode} N={n} ...", file=sys.stderr, flush=True)
            r = step(n, args, Path(tmp))
            rows.append(row(mode, r))
            print(rows[-1], file=sys.stderr, flush=True)
            if args.stop_after_fail and not (r["on_time_pct"] >= 99 and r["dropped"] == 0):
                break
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
          f"{load0[0]:.1f} at start, {os.getloadavg()[0]:.1f} at end; {args.emulators} emulator "
          f"processes; {args.duration:g} s measured per step")
    print(header)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
