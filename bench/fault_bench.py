"""One misbehaving router among healthy ones, polled by a real ``mikromon serve``.

For each scenario:

1. a fresh data directory; ``mikromon simulate --count 6 --json --base-port 0``
   in a child process (loopback only), router 5 given the scenario's fault on
   its standard input (``fault 5 delay=8``; ``endless_rows=true``,
   ``endless_sentence=true`` where the emulator has them);
2. the six routers added with ``mikromon device add``;
3. ``mikromon serve --port 0`` started as another child process (the collector
   runs in it, the storage in its own child by default);
4. from the start (the bad router's states) and, for healthy routers, for
   ``--duration`` seconds after a warm-up of ``--warmup`` s, the status the
   serve process publishes into its SQLite database every second is read
   (``collector status --json`` reads the same row): every new realtime run of
   a healthy router gives its start lag (``lag_s``: start minus due time); the
   serve process's RSS (``/proc/<pid>/status`` VmRSS, the process alone and with
   its child processes) is read every 0.5 s;
5. both children are stopped with SIGTERM.

Reported per scenario: healthy routers' realtime polls made vs due in the window
(on time: started less than 1 s late), start lag p50/p99/max, the bad router's
states seen and realtime runs, and peak RSS. Targets: p99 start lag < 1 s, peak
RSS < 300 MB.

Run: ``python bench/fault_bench.py [--scenarios delay,endless_rows,endless_sentence]
[--duration 60]``; record the printed table in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MIKROMON = [sys.executable, "-c", "from mikromon.cli import main; raise SystemExit(main())"]
PASSWORD = "bench-pw"
COUNT = 6
BAD = 5
FAULTS = {
    "delay": "delay=8",
    "endless_rows": "endless_rows=true",
    "endless_sentence": "endless_sentence=true",
}
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")


@dataclass
class Result:
    scenario: str
    due: int = 0
    on_time: int = 0
    lags: list[float] = field(default_factory=list)
    bad_states: list[str] = field(default_factory=list)
    bad_runs: int = 0
    bad_errors: int = 0
    peak_rss_mb: float = 0.0
    peak_tree_rss_mb: float = 0.0
    note: str = ""


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(MIKROMON_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
               BENCH_ROUTER_PASSWORD=PASSWORD)
    return env


def rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(match[1]) if match else 0


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children started by any of its threads)."""
    kids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    for task in tasks:
        try:
            kids.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return kids + [g for k in kids for g in children(k)]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def read_status(db: Path) -> dict | None:
    """The newest published status with devices (their entries are stored a row
    each: put back as ``devices``)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as conn:
            rows = conn.execute(
                "SELECT id, status FROM control_collectorstatus ORDER BY published_at DESC"
            ).fetchall()
            for pk, text in rows:
                doc = json.loads(text)
                if doc.pop("device_rows", None):
                    doc["devices"] = [json.loads(entry) for (entry,) in conn.execute(
                        "SELECT doc FROM control_collectordevicestatus WHERE status_id = ?"
                        " ORDER BY position", (pk,))]
                if doc.get("devices"):
                    return doc
    except sqlite3.Error:
        return None
    return None


def run_scenario(name: str, duration: float, warmup: float) -> Result:
    result = Result(name)
    data_dir = Path(tempfile.mkdtemp(prefix=f"mikromon-fault-{name}-"))
    env = env_for(data_dir)
    sim = subprocess.Popen(
        [*MIKROMON, "simulate", "--count", str(COUNT), "--json", "--base-port", "0",
         "--password", PASSWORD],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    serve = None
    try:
        assert sim.stdout is not None
        assert sim.stdin is not None
        assert sim.stderr is not None
        routers = [json.loads(sim.stdout.readline()) for _ in range(COUNT)]
        sim.stdin.write(f"fault {BAD} {FAULTS[name]}\n")
        sim.stdin.flush()
        answer = ""
        while not answer.startswith(("ok:", "error")):
            answer = sim.stderr.readline().strip()
            if not answer and sim.poll() is not None:
                raise RuntimeError("mikromon simulate exited")
        threading.Thread(target=lambda: sim.stderr.read(), daemon=True).start()  # type: ignore[union-attr]
        if answer.startswith("error"):
            result.note = f"fault not available: {answer}"
            return result
        for i, r in enumerate(routers):
            done = subprocess.run(
                [*MIKROMON, "device", "add", "--name", f"r{i}", "--host", r["host"],
                 "--port", str(r["port"]), "--username", r["username"],
                 "--password-env", "BENCH_ROUTER_PASSWORD"],
                env=env, capture_output=True, text=True, timeout=60, check=False)
            if done.returncode:
                raise RuntimeError(f"device add failed: {done.stderr}")
        serve = subprocess.Popen([*MIKROMON, "serve", "--port", "0"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert serve.stdout is not None
        for line in serve.stdout:
            if URL_RE.search(line):
                break
        threading.Thread(target=lambda: serve.stdout.read(), daemon=True).start()  # type: ignore[union-attr]
        peak = [0, 0]
        stop = threading.Event()

        def sample_rss() -> None:
            while not stop.wait(0.5):
                own = rss_kb(serve.pid)
                tree = own + sum(rss_kb(k) for k in children(serve.pid))
                peak[0], peak[1] = max(peak[0], own), max(peak[1], tree)

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        db = data_dir / "mikromon.sqlite3"
        seen: dict[str, int] = {}
        started = time.monotonic() + warmup
        ends = started + duration
        first: dict[str, int] = {}
        while time.monotonic() < ends:
            measuring = time.monotonic() >= started
            doc = read_status(db)
            for dev in (doc or {}).get("devices", []):
                rt = dev["tiers"]["realtime"]
                if dev["name"] == f"r{BAD}":
                    if not result.bad_states or result.bad_states[-1] != dev["state"]:
                        result.bad_states.append(dev["state"])
                    if measuring:
                        first.setdefault("bad", rt["runs"])
                    else:
                        continue
                    result.bad_runs = rt["runs"] - first["bad"]
                    result.bad_errors = rt["errors"]
                    continue
                runs = rt["runs"]
                name_ = dev["name"]
                if not measuring:
                    seen[name_] = runs
                    continue
                first.setdefault(name_, runs)
                if name_ in seen and runs > seen[name_] and rt["lag_s"] is not None:
                    result.lags.append(float(rt["lag_s"]))
                seen[name_] = runs
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        healthy = COUNT - 1
        result.due = int(elapsed // 5) * healthy
        result.on_time = sum(1 for lag in result.lags if lag < 1.0)
        stop.set()
        sampler.join(2)
        result.peak_rss_mb = peak[0] / 1024
        result.peak_tree_rss_mb = peak[1] / 1024
        return result
    finally:
        for proc in (serve, sim):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default="delay,endless_rows,endless_sentence")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    print("| scenario | healthy realtime polls (on time / due) | start lag p50 / p99 / max "
          "(s) | bad router: states, realtime runs, errors | peak RSS serve / with "
          "children (MB) |")
    print("|---|---|---|---|---|")
    for name in args.scenarios.split(","):
        r = run_scenario(name, args.duration, args.warmup)
        if r.note:
            print(f"| {name} | {r.note} | | | |")
            continue
        print(f"| {name} | {r.on_time} / {r.due} (runs seen {len(r.lags)}) | "
              f"{percentile(r.lags, .5):.3f} / {percentile(r.lags, .99):.3f} / "
              f"{max(r.lags, default=float('nan')):.3f} | {' -> '.join(r.bad_states)}, "
              f"{r.bad_runs}, {r.bad_errors} | {r.peak_rss_mb:.0f} / "
              f"{r.peak_tree_rss_mb:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
