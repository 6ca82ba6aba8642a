"""The collector service against N emulated routers: CPU, scheduling lag, throughput.

The routers run in a child process (``mikromon simulate --count N --json
--base-port 0``, loopback only), so this process's CPU time is the collector's:
the event loop (client, collectors, rates, scheduling), the writer thread and
the storage it calls. Real intervals (realtime every 5 s) unless ``--time-scale``.

For each N and storage:

1. start the service; wait until every device has run every tier once (warm-up:
   all five tiers of all N routers, spread over the first 5 s);
2. measure for ``--duration`` seconds: CPU seconds per 1,000 realtime polls
   (process, and the loop and writer threads alone; polls = runs due in the
   window), lag between a run's due time and its start (p50/p99, realtime and
   all tiers), realtime run duration, samples written per second, writer queue
   depth, drops, errors (and with ``--gc-stats`` garbage collection pauses);
3. stop the service (timed) and the routers.

Storages: ``memory`` (InMemoryStorage) and ``sqlite`` (DjangoStorage on a fresh
SQLite file in a temporary folder, devices read by DjangoDeviceSource). With
``--writers thread,process`` each sqlite run is made with the storage in the
writer thread (DjangoStorage) and in a child process (ProcessStorage, what
``mikromon serve`` uses by default); the child's CPU is read from /proc.

Run: ``python bench/service_scale.py [--counts 10,100,1000] [--duration 30]
[--storages memory,sqlite]``; record the printed table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.schedule import CollectorDeps, CollectorService
from mikromon.storage.memory import InMemoryStorage, InProcessLock, StaticDeviceSource

PASSWORD = "bench-pw"


@dataclass
class Result:
    n: int
    storage: str
    warmup_s: float = 0.0
    measured_s: float = 0.0
    realtime_polls: int = 0
    realtime_failed: int = 0
    other_runs: int = 0
    cpu_s: float = 0.0
    loop_cpu_s: float = 0.0
    writer_cpu_s: float = 0.0
    emulator_cpu_s: float = 0.0
    child_cpu_s: float = float("nan")
    lag_rt: list[float] = field(default_factory=list)
    lag_all: list[float] = field(default_factory=list)
    dur_rt: list[float] = field(default_factory=list)
    samples: int = 0
    max_queue: int = 0
    dropped: int = 0
    write_errors: int = 0
    tier_errors: int = 0
    stop_s: float = 0.0
    status_ms: float = 0.0
    gc_max_ms: float = 0.0
    gc_total_ms: float = 0.0
    objects: int = 0


class CountingStorage:
    """Passes writes to a storage and counts the samples written."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.samples = 0
        #: Blocks go to ``inner`` as they are when it takes them (the attribute of
        #: mikromon.storage.protocols.takes_blocks, read here so that a tree
        #: from before it runs this bench too).
        self.takes_blocks = getattr(inner, "takes_blocks", False) is True

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        n = int(self.inner.write_samples(device_id, samples))
        self.samples += n
        return n

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        n = int(self.inner.write_samples_many(batches))
        self.samples += n
        return n

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        self.inner.write_inventory(device_id, snapshot)

    def write_status(self, status: DeviceStatus) -> None:
        self.inner.write_status(status)

    def write_events(self, events: Sequence[Event]) -> None:
        self.inner.write_events(events)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class GcTimer:
    """Records the duration of every garbage collection while installed (seconds)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._start = 0.0

        self.by_generation = [0.0, 0.0, 0.0]

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            pause = time.perf_counter() - self._start
            self.pauses.append(pause)
            self.by_generation[info["generation"]] += pause


class Observer:
    """Collects (tier, due time, lag, duration, ok) of every run while ``recording``
    (due time in ``time.monotonic`` seconds)."""

    def __init__(self) -> None:
        self.recording = False
        self.runs: list[tuple[Tier, float, float, float, bool]] = []

    def __call__(self, device_id: int, tier: Tier, lag: float, duration: float,
                 ok: bool) -> None:
        if self.recording:
            due = time.monotonic() - duration - lag
            self.runs.append((tier, due, lag, duration, ok))


def start_routers(n: int, profile: str) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    exe = shutil.which("mikromon", path=str(Path(sys.executable).parent)) or "mikromon"
    proc = subprocess.Popen(
        [exe, "simulate", "--count", str(n), "--json", "--base-port", "0", "--profile", profile,
         "--password", PASSWORD],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None
    endpoints = []
    deadline = time.monotonic() + 120
    while len(endpoints) < n:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulate exited with {proc.wait()}")
        endpoints.append(json.loads(line))
        if time.monotonic() > deadline:
            raise RuntimeError("routers did not start within 120 s")
    return proc, endpoints


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(name: str) -> float:
    for t in threading.enumerate():
        if t.name == name and t.ident is not None:
            return time.clock_gettime(time.pthread_getcpuclockid(t.ident))
    return 0.0


def django_env(n: int, endpoints: list[dict[str, Any]], folder: Path, writer: str
               ) -> tuple[Any, Any, Any]:
    from mikromon.web import bootstrap

    bootstrap.setup(data_dir=folder)
    bootstrap.migrate(progress=False)
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    Device.objects.all().delete()
    for i, e in enumerate(endpoints):
        dev = Device(name=f"bench-{i + 1:04d}", host=e["host"], port=e["port"],
                     username=e["username"])
        dev.set_password(PASSWORD)
        dev.save()
    storage = ProcessStorage() if writer == "process" else DjangoStorage()
    return DjangoDeviceSource(), storage, DjangoCollectorLock()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run(n: int, storage_kind: str, args: argparse.Namespace, folder: Path,
        writer: str = "thread") -> Result:
    result = Result(n=n, storage=storage_kind if storage_kind == "memory"
                    else f"{storage_kind} ({writer} writer)")
    proc, endpoints = start_routers(n, args.profile)
    try:
        if storage_kind == "memory":
            configs = [
                DeviceConfig(id=i + 1, name=f"bench-{i + 1:04d}", host=e["host"], port=e["port"],
                             username=e["username"], password=PASSWORD)
                for i, e in enumerate(endpoints)
            ]
            source: Any = StaticDeviceSource(configs)
            inner: Any = InMemoryStorage(keep_samples=100)
            lock: Any = InProcessLock()
        else:
            source, inner, lock = django_env(n, endpoints, folder, writer)
        storage = CountingStorage(inner)
        observer = Observer()
        svc = CollectorService(source, storage, lock, deps=CollectorDeps(observer=observer),
                               time_scale=args.time_scale)
        t_start = time.monotonic()
        svc.start()
        while time.monotonic() - t_start < args.warmup_max:
            devices = svc.status()["devices"]
            if len(devices) == n and all(
                t["runs"] + t["errors"] >= 1 for d in devices for t in d["tiers"].values()
            ):
                break
            time.sleep(0.25)
        result.warmup_s = time.monotonic() - t_start
        time.sleep(1.0)  # let the last first runs' writes drain
        result.objects = len(gc.get_objects())
        if args.gc_freeze:
            gc.freeze()  # what a host can do once its collector has warmed up
        samples0 = storage.samples
        cpu0, loop0, writer0 = (time.process_time(), thread_cpu("mikromon-collector"),
                                thread_cpu("mikromon-writer"))
        emu0 = process_cpu(proc.pid)
        child_pid = getattr(inner, "pid", None)
        child0 = process_cpu(child_pid) if child_pid else 0.0
        gc_timer = GcTimer()
        if args.gc_stats:
            gc.callbacks.append(gc_timer)
        t0 = time.monotonic()
        observer.recording = True
        while time.monotonic() - t0 < args.duration:
            time.sleep(1.0)
            writer = svc.status(devices=False)["writer"]
            result.max_queue = max(result.max_queue, writer["queue_depth"])
        t1 = time.monotonic()
        result.measured_s = t1 - t0
        result.cpu_s = time.process_time() - cpu0
        result.loop_cpu_s = thread_cpu("mikromon-collector") - loop0
        result.writer_cpu_s = thread_cpu("mikromon-writer") - writer0
        result.emulator_cpu_s = process_cpu(proc.pid) - emu0
        if child_pid:
            if getattr(inner, "pid", None) == child_pid:
                result.child_cpu_s = process_cpu(child_pid) - child0
            else:
                print("warning: the storage process was restarted while measuring",
                      file=sys.stderr)
        result.samples = storage.samples - samples0
        if args.gc_stats:
            gc.callbacks.remove(gc_timer)
            print(f"GC seconds by generation: {[round(g, 2) for g in gc_timer.by_generation]}, "
                  f"collections: {len(gc_timer.pauses)}", file=sys.stderr)
        result.gc_max_ms = max(gc_timer.pauses, default=float("nan")) * 1e3
        result.gc_total_ms = sum(gc_timer.pauses) * 1e3 if args.gc_stats else float("nan")
        time.sleep(2.0)  # let the runs due before t1 finish (they are counted below)
        observer.recording = False
        t_status = time.perf_counter()
        status = svc.status()
        result.status_ms = (time.perf_counter() - t_status) * 1e3
        result.dropped = status["writer"]["batches_dropped"]
        result.write_errors = status["writer"]["write_errors"]
        result.tier_errors = sum(t["errors"] for d in status["devices"]
                                 for t in d["tiers"].values())
        kinds: dict[str, int] = {}
        for d in status["devices"]:
            for name, t in d["tiers"].items():
                if t["errors"]:
                    what = f"{name}: {t['last_error'][:120]}"
                    kinds[what] = kinds.get(what, 0) + t["errors"]
        for what, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"  tier errors x{count}: {what}", file=sys.stderr)
        for tier, due, lag, duration, ok in observer.runs:
            if not t0 <= due < t1:  # count the runs due in the window only
                continue
            result.lag_all.append(lag)
            if tier is Tier.REALTIME:
                result.lag_rt.append(lag)
                result.dur_rt.append(duration)
                result.realtime_polls += 1
                result.realtime_failed += not ok
            else:
                result.other_runs += 1
        t_stop = time.monotonic()
        if not svc.stop(30):
            print("warning: the service did not stop within 30 s", file=sys.stderr)
        result.stop_s = time.monotonic() - t_stop
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return result


def report(results: list[Result], args: argparse.Namespace) -> str:
    rt_interval = 5.0 * args.time_scale
    lines = [
        "| storage | N | realtime polls (expected) | CPU s / 1,000 realtime polls: process "
        "(loop, writer) | storage process CPU s / 1,000 | "
        "lag due->start ms realtime p50 / p99 | all tiers p50 / p99 | "
        "realtime run ms p50 / p99 | samples/s | max queue | drops | tier errors | "
        "emulator CPU % | warm-up s | stop s | status() ms | GC pauses ms: longest, total "
        "(objects) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        per_k = 1000 / max(1, r.realtime_polls)
        expected = r.n * r.measured_s / rt_interval
        lines.append(
            f"| {r.storage} | {r.n} | {r.realtime_polls} ({expected:.0f})"
            f"{f', {r.realtime_failed} failed' if r.realtime_failed else ''} | "
            f"{r.cpu_s * per_k:.2f} ({r.loop_cpu_s * per_k:.2f}, {r.writer_cpu_s * per_k:.2f}) | "
            f"{r.child_cpu_s * per_k:.2f} | "
            f"{pct(r.lag_rt, .5) * 1e3:.1f} / {pct(r.lag_rt, .99) * 1e3:.1f} | "
            f"{pct(r.lag_all, .5) * 1e3:.1f} / {pct(r.lag_all, .99) * 1e3:.1f} | "
            f"{pct(r.dur_rt, .5) * 1e3:.1f} / {pct(r.dur_rt, .99) * 1e3:.1f} | "
            f"{r.samples / r.measured_s:.0f} | {r.max_queue} | {r.dropped} | {r.tier_errors} | "
            f"{100 * r.emulator_cpu_s / r.measured_s:.0f} | {r.warmup_s:.1f} | {r.stop_s:.2f} | "
            f"{r.status_ms:.0f} | {r.gc_max_ms:.0f}, {r.gc_total_ms:.0f} "
            f"({r.objects / 1e6:.1f} M) |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="10,100,1000")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per run")
    parser.add_argument("--warmup-max", type=float, default=90.0)
    parser.add_argument("--storages", default="memory,sqlite")
    parser.add_argument("--writers", default="thread",
                        help="where the sqlite storage runs: thread, process or both "
                             "(thread,process)")
    parser.add_argument("--profile", default="v7")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--gc-stats", action="store_true",
                        help="time every garbage collection (a gc callback; it once "
                             "coincided with a CPython SystemError in Django's SQL compiler)")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after the warm-up (long-lived objects are then "
                             "never scanned again)")
    args = parser.parse_args()
    # SIGTERM ends the run through the finally blocks (the routers' process stops too).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = [int(c) for c in args.counts.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="mikromon-bench-") as tmp:
        for kind in args.storages.split(","):
            for n in counts:
                for writer in (args.writers.split(",") if kind == "sqlite" else ["thread"]):
                    print(f"running {kind} N={n} writer={writer} ...", file=sys.stderr,
                          flush=True)
                    results.append(run(n, kind, args, Path(tmp), writer))
                    print(report(results[-1:], args).splitlines()[-1], file=sys.stderr,
                          flush=True)
    print(f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average before "
          f"{os.getloadavg()[0]:.1f}; duration {args.duration:g} s per run, "
          f"time scale {args.time_scale:g}, profile {args.profile}"
          f"{', gc.freeze() after warm-up' if args.gc_freeze else ''}")
    print(report(results, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
