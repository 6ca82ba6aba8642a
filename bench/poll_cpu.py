"""Collector CPU per realtime poll: this tree side by side with an earlier one.

The emulated v7 routers run in one child process (``python -m mikromon simulate
--count N --json --base-port 0``, loopback only), started once from this tree;
both collectors poll the same routers. Each measurement runs in its own child
process, with ``PYTHONPATH`` set to the source tree it measures (this tree, or
the earlier one exported with ``git archive``), so neither the emulator's CPU
nor the other tree's is counted. Rounds alternate the two trees, so a busy
moment of the (shared) machine hits both.

A child runs the real :class:`~mikromon.schedule.CollectorService` (client,
collectors, rate calculator, scheduler, writer thread) with
``InMemoryStorage(keep_samples=100)`` at real intervals, waits until every
device ran every tier once, then measures ``--duration`` seconds:

* process CPU (``time.process_time``), the collector loop thread's and the
  writer thread's CPU, and the loop thread's user and system time (/proc),
  each divided by the realtime polls due in the window;
* realtime lag (due -> start) p50 / p99 and garbage collection pauses
  (a ``gc.callbacks`` timer);
* realtime polls per due instant: the polls' due times (start minus lag) in
  groups less than 1 ms apart, so devices due together (one phase slot, one
  wake-up of the event loop) count once;
* event loop iterations (``select`` calls) per realtime poll (asyncio's loop
  only; ``-`` for uvloop), and which event loop the collector ran on
  (``MIKROMON_EVENT_LOOP``: the tree's own default).

Modes: ``realtime`` (every tier but realtime set to 1,000,000 s: the other tiers
run once in the warm-up and never in the window, so the figure is the realtime
poll alone: resource, health, interface counters, rates, the hand-off to
storage and the writer) and ``all`` (the default tiers: the figure includes the
other tiers' runs in the window, as bench/service_scale.py reports it).

``--storage process`` writes to a new SQLite database through the storage child
process of :class:`~mikromon.web.monitor.process_storage.ProcessStorage` (what
``mikromon serve`` does from 500 devices) instead of ``InMemoryStorage`` in the
writer thread: the writer thread then only hands the samples to the child, whose
CPU is its own column (not in the process CPU).

Run: ``python bench/poll_cpu.py [--count 100] [--duration 30] [--rounds 2]
[--modes realtime,all] [--baseline-ref REF]``; record the printed table in
bench/RESULTS.md. This tree is measured twice: as the service runs in any
host, and with :func:`mikromon.schedule.gc_settle.freeze_now` after the warm-up,
as the collector's own process of ``mikromon serve`` does. ``--baseline-ref``
names the git commit to compare with (default: :data:`DEFAULT_BASELINE`, main
before the realtime prints went together); ``--baseline-src`` a source folder
instead. ``--gc-threshold N`` adds a row of this tree with gc.freeze() and
``gc.set_threshold(N, ...)`` (the youngest generation's threshold) after the
warm-up. ``--profile-out FILE`` writes a cProfile of this tree's loop thread
(thread CPU clock) for one extra run.
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from writer_rate import backend_cpu_s  # a sibling bench script (a process's CPU seconds)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PASSWORD = "bench-pw"
#: The tree before this round of the poll CPU work (issue 16, "Less CPU per
#: poll": main before the reply words were read a sentence at a time); af0fd07
#: was the tree before the first round, e707e2b before the second.
DEFAULT_BASELINE = "327b886"
#: Interval of the other tiers in ``realtime`` mode: they run once, in the warm-up.
NEVER_S = 1_000_000


def start_routers(n: int, profile: str) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mikromon", "simulate", "--count", str(n), "--json",
         "--base-port", "0", "--profile", profile, "--password", PASSWORD],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env,
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


def _thread_times(name: str) -> tuple[float, float, float]:
    """(CPU clock, user s, system s) of the thread called ``name`` (zeros if none)."""
    for t in threading.enumerate():
        if t.name == name and t.ident is not None and t.native_id is not None:
            cpu = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
            stat = Path(f"/proc/self/task/{t.native_id}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            tick = os.sysconf("SC_CLK_TCK")
            return cpu, int(fields[11]) / tick, int(fields[12]) / tick
    return 0.0, 0.0, 0.0


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def due_groups(dues: list[float], gap: float = 1e-3) -> int:
    """Return how many groups ``dues`` (seconds) form when times less than ``gap``
    apart go together (0 for none)."""
    groups = 0
    last = float("-inf")
    for due in sorted(dues):
        if due - last >= gap:
            groups += 1
        last = due
    return groups


def _count_iterations(loop: Any) -> Callable[[], int | None]:
    """Count the event loop's iterations (``_run_once`` calls, one ``select`` each)
    from now on; returns a function that reads the count and stops counting
    (``None`` when the loop is not an asyncio base event loop: uvloop's are not
    counted)."""
    once = getattr(loop, "_run_once", None)
    if once is None:
        return lambda: None
    count = [0]
    counting = [True]

    def run_once() -> None:
        if counting[0]:
            count[0] += 1
        once()

    loop._run_once = run_once  # read by run_forever on each turn

    def stop() -> int | None:
        counting[0] = False
        return count[0]

    return stop


def process_storage(devices: int) -> Any:
    """The database writes in a child process, as ``mikromon serve`` runs them from
    500 devices (``MIKROMON_WRITER=auto``): Django set up on a new SQLite
    database in a temporary folder, migrated, with ``devices`` devices (ids 1..n)."""
    os.environ["MIKROMON_DATA_DIR"] = tempfile.mkdtemp(prefix="poll-cpu-")
    os.environ.pop("MIKROMON_DATABASE_URL", None)
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.process_storage import ProcessStorage

    for n in range(devices):
        dev = Device(name=f"bench-{n + 1:04d}", host="127.0.0.1", username="monitor")
        dev.set_password(PASSWORD)
        dev.save()
    return ProcessStorage(maintenance_interval=None)


def child(args: argparse.Namespace) -> int:
    """Measure the tree on ``sys.path`` (imports happen here, after PYTHONPATH is set)."""
    import cProfile

    from mikromon.domain.devices import DeviceConfig
    from mikromon.domain.tiers import Tier
    from mikromon.schedule import CollectorDeps, CollectorService
    from mikromon.storage.memory import InMemoryStorage, InProcessLock, StaticDeviceSource

    endpoints = json.loads(Path(args.endpoints).read_text())
    intervals: dict[Any, float] = {}
    if args.mode == "realtime":
        intervals = {t: NEVER_S for t in Tier if t is not Tier.REALTIME}
    configs = [
        DeviceConfig(id=i + 1, name=f"bench-{i + 1:04d}", host=e["host"], port=e["port"],
                     username=e["username"], password=PASSWORD, intervals=intervals)
        for i, e in enumerate(endpoints)
    ]
    runs: list[tuple[Any, float, float, bool]] = []
    recording = False

    def observer(device_id: int, tier: Any, lag: float, duration: float, ok: bool) -> None:
        if recording:
            runs.append((tier, time.monotonic() - duration - lag, lag, ok))

    storage: Any = InMemoryStorage(keep_samples=100)
    if args.storage == "process":
        storage = process_storage(len(configs))
    svc = CollectorService(StaticDeviceSource(configs), storage,
                           InProcessLock(), deps=CollectorDeps(observer=observer))
    t_start = time.monotonic()
    svc.start()
    n = len(configs)
    while time.monotonic() - t_start < 90:
        devices: Any = svc.status()["devices"]
        if len(devices) == n and all(
            t["runs"] + t["errors"] >= 1 for d in devices for t in d["tiers"].values()
        ):
            break
        time.sleep(0.25)
    time.sleep(2.0)  # the first runs' writes drain
    while time.monotonic() - t_start < 600:  # the first runs' inventory (a database's: slow)
        writer: Any = svc.status()["writer"]
        if not writer or not writer["queued"]["inventory"]:
            break
        time.sleep(0.5)
    objects = len(gc.get_objects())
    if args.gc_freeze:
        from mikromon.schedule.gc_settle import freeze_now

        freeze_now()  # what the collector's own process does once warmed up
    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    pauses: list[float] = []
    started = [0.0]

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    profiler = None
    loop = getattr(svc, "_loop", None)
    if args.profile_out and loop is not None:
        profiler = cProfile.Profile(time.thread_time)
        loop.call_soon_threadsafe(profiler.enable)
    iterations = _count_iterations(loop)
    gc.callbacks.append(gc_timer)
    cpu0 = time.process_time()
    storage0 = backend_cpu_s(getattr(storage, "pid", None))
    loop0 = _thread_times("mikromon-collector")
    writer0 = _thread_times("mikromon-writer")
    t0 = time.monotonic()
    recording = True
    time.sleep(args.duration)
    t1 = time.monotonic()
    cpu = time.process_time() - cpu0
    storage_cpu = backend_cpu_s(getattr(storage, "pid", None)) - storage0
    loop1 = _thread_times("mikromon-collector")
    writer1 = _thread_times("mikromon-writer")
    gc.callbacks.remove(gc_timer)
    if profiler is not None and loop is not None:
        done = threading.Event()
        loop.call_soon_threadsafe(lambda: (profiler.disable(), done.set()))
        done.wait(10)
        profiler.dump_stats(args.profile_out)
    time.sleep(2.0)  # runs due before t1 finish
    recording = False
    svc.stop(30)
    if args.storage == "process":  # the storage child ended with the writer
        shutil.rmtree(os.environ["MIKROMON_DATA_DIR"], ignore_errors=True)
    window = [r for r in runs if t0 <= r[1] < t1]
    realtime = [r for r in window if r[0] is Tier.REALTIME]
    print(json.dumps({
        "polls": len(realtime), "failed": sum(not r[3] for r in realtime),
        "other_runs": len(window) - len(realtime), "seconds": t1 - t0, "cpu": cpu,
        "loop": loop1[0] - loop0[0], "loop_user": loop1[1] - loop0[1],
        "loop_sys": loop1[2] - loop0[2], "writer": writer1[0] - writer0[0],
        "storage_child": storage_cpu,
        "lag_p50": _pct([r[2] for r in realtime], 0.5),
        "lag_p99": _pct([r[2] for r in realtime], 0.99),
        "due_groups": due_groups([r[1] for r in realtime]),
        "gc_count": len(pauses), "gc_ms": sum(pauses) * 1e3, "objects": objects,
        "iterations": iterations(),
        "event_loop": "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio",
    }))
    return 0


def export_tree(ref: str, folder: Path) -> Path:
    """Write the ``src`` folder of commit ``ref`` into ``folder``; return its path."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def measure(src: Path, endpoints_file: Path, mode: str, args: argparse.Namespace,
            profile_out: str = "", gc_freeze: bool = False, gc_threshold: int = 0,
            ) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--endpoints",
               str(endpoints_file), "--mode", mode, "--duration", str(args.duration),
               "--storage", args.storage]
    if profile_out:
        command += ["--profile-out", profile_out]
    if gc_freeze:
        command.append("--gc-freeze")
    if gc_threshold:
        command += ["--gc-threshold", str(gc_threshold)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True,
                         timeout=args.duration + 800)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def row(label: str, mode: str, results: list[dict[str, Any]]) -> str:
    def per_poll(key: str) -> str:
        values = [r[key] / max(1, r["polls"]) * 1e3 for r in results]
        return f"{statistics.median(values):.3f}" + (
            f" ({min(values):.3f}-{max(values):.3f})" if len(values) > 1 else "")

    polls = sum(r["polls"] for r in results)
    failed = sum(r["failed"] for r in results)
    other = sum(r["other_runs"] for r in results)
    gc_ms = sum(r["gc_ms"] for r in results) / max(1, polls)
    groups = sum(r.get("due_groups", 0) for r in results)
    counted = [r["iterations"] for r in results if r.get("iterations") is not None]
    iterations = f"{sum(counted) / max(1, polls):.2f}" if counted else "-"
    loops = "/".join(sorted({r.get("event_loop", "asyncio") for r in results}))
    return (f"| {label} | {loops} | {mode} | "
            f"{polls}{f', {failed} failed' if failed else ''} | {other} | "
            f"{per_poll('cpu')} | {per_poll('loop')} | {per_poll('loop_user')} / "
            f"{per_poll('loop_sys')} | {per_poll('writer')} | {per_poll('storage_child')} | "
            f"{statistics.median(r['lag_p50'] for r in results) * 1e3:.1f} / "
            f"{max(r['lag_p99'] for r in results) * 1e3:.1f} | "
            f"{gc_ms * 1e3:.1f} | {max(r['objects'] for r in results) / 1e3:.0f} k | "
            f"{polls / max(1, groups):.1f} | {iterations} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--modes", default="realtime,all")
    parser.add_argument("--profile", default="v7")
    parser.add_argument("--baseline-ref", default=DEFAULT_BASELINE)
    parser.add_argument("--baseline-src", default="")
    parser.add_argument("--profile-out", default="")
    parser.add_argument("--gc-freeze", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--gc-threshold", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", default="", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="realtime", help=argparse.SUPPRESS)
    parser.add_argument("--storage", choices=("memory", "process"), default="memory")
    args = parser.parse_args()
    if args.child:
        return child(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mikromon-pollcpu-") as tmp:
        folder = Path(tmp)
        if args.baseline_src:
            baseline, base_label = Path(args.baseline_src), args.baseline_src
        else:
            baseline = export_tree(args.baseline_ref, folder)
            base_label = f"before ({args.baseline_ref})"
        trees: list[tuple[str, Path, bool, int]] = [
            (base_label, baseline, False, 0), ("this tree", REPO / "src", False, 0),
            ("this tree, gc.freeze() after warm-up", REPO / "src", True, 0)]
        if args.gc_threshold:
            trees.append((f"this tree, gc.freeze(), threshold {args.gc_threshold}",
                          REPO / "src", True, args.gc_threshold))
        proc, endpoints = start_routers(args.count, args.profile)
        try:
            endpoints_file = folder / "endpoints.json"
            endpoints_file.write_text(json.dumps(endpoints))
            results: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for mode in args.modes.split(","):
                for n in range(args.rounds):
                    for label, src, freeze, threshold in (trees if n % 2 == 0 else trees[::-1]):
                        print(f"{mode} round {n + 1}: {label} ...", file=sys.stderr, flush=True)
                        result = measure(src, endpoints_file, mode, args, gc_freeze=freeze,
                                         gc_threshold=threshold)
                        print(f"  {json.dumps(result)}", file=sys.stderr, flush=True)
                        results.setdefault((label, mode), []).append(result)
            if args.profile_out:
                measure(REPO / "src", endpoints_file, "realtime", args, args.profile_out)
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; load average "
          f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after; {args.count} "
          f"emulated {args.profile} routers, {args.storage} storage; {args.rounds} rounds x "
          f"{args.duration:g} s per "
          f"tree and mode, trees alternating")
    print("| tree | event loop | tiers | realtime polls | other runs | "
          "process CPU ms / realtime poll (median, range) | loop thread | loop user / sys | "
          "writer thread | storage child | "
          "lag p50 / p99 ms | GC µs / poll | objects | polls per due instant | "
          "loop iterations / poll |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (label, mode), rs in results.items():
        print(row(label, mode, rs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
