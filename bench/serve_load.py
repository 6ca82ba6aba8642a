"""20 users on the web while ``mikromon serve`` polls 1,000 emulated routers.

1. ``mikromon simulate --count N --json --base-port 0`` runs the routers in a
   child process (loopback only; one asyncio process, as bench/service_scale.py);
2. a fresh SQLite data folder gets the N routers (``mikromon device import`` of a
   CSV), an admin and nothing else;
3. for each mode (``processes``: ``mikromon serve`` as it runs by default, a
   collector child and web workers; ``single``: ``serve --single-process``), the
   server starts on a free port with real intervals (realtime every 5 s), the
   bench waits until every router was polled (all ``up``) and ``--settle``
   seconds more, then ``--users`` simulated users sign in and browse for
   ``--duration`` seconds, each a loop of page views with ``--think`` seconds
   (±50 %) between them, over one keep-alive connection with its session cookie:

   - the overview, the device list, the event list, the collector page, the
     alert list: one HTML page each;
   - a device dashboard of a random router: the page, then the JSON its script
     reads (latest values, CPU and memory series, ``ether1`` receive and
     transmit series, alert marks), one after the other;

4. it reports requests per second, p50/p95/p99/max per page and overall,
   errors, and the collector's timeliness during the load: the realtime tier's
   start lag of every router, sampled every 5 s from the published status
   (p50/p99, share started within 1 s of its due time), rows written and
   batches dropped by the writer.

Run: ``python bench/serve_load.py [--routers 1000] [--users 20] [--duration 90]
[--modes processes,single]``; record the printed table in bench/RESULTS.md.
The machine runs everything: routers, collector, web and these users.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROUTER_PASSWORD = "bench-router-pw"
ADMIN_PASSWORD = "bench-admin-password-1"
MIKROMON = [sys.executable, "-c", "from mikromon.cli import main; raise SystemExit(main())"]
URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")
PAGES = ("overview", "devices", "events", "collector", "alerts", "dashboard")
PAGE_PATHS = {"overview": "/", "devices": "/devices/", "events": "/events/",
              "collector": "/collector/", "alerts": "/alerts/"}


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env["MIKROMON_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_routers(n: int) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
    proc = subprocess.Popen(
        [*MIKROMON, "simulate", "--count", str(n), "--json", "--base-port", "0",
         "--profile", "v7", "--username", "mon", "--password", ROUTER_PASSWORD],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    endpoints = [json.loads(proc.stdout.readline()) for _ in range(n)]
    return proc, endpoints


def prepare(data_dir: Path, endpoints: list[dict[str, Any]]) -> None:
    csv = data_dir.parent / "routers.csv"
    lines = ["name,host,port,username,password"]
    lines += [f"r{i:04d},127.0.0.1,{e['port']},mon,{ROUTER_PASSWORD}"
              for i, e in enumerate(endpoints, 1)]
    csv.write_text("\n".join(lines) + "\n")
    env = env_for(data_dir)
    for argv in (["device", "import", str(csv)],
                 ["createadmin", "bench", "--password-env", "PW"]):
        subprocess.run([*MIKROMON, *argv], env={**env, "PW": ADMIN_PASSWORD}, check=True,
                       capture_output=True, timeout=600)


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str
    log: Path


def start_server(data_dir: Path, mode: str, log: Path) -> Server:
    argv = [*MIKROMON, "serve", "--port", "0"]
    if mode == "single":
        argv.append("--single-process")
    proc = subprocess.Popen(argv, env=env_for(data_dir), stdout=subprocess.PIPE,
                            stderr=log.open("w"), stdin=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        match = URL_RE.search(line)
        if match:
            return Server(proc, match.group(0).rstrip("/"), log)
    raise RuntimeError(f"serve exited with {proc.wait()}; see {log}")


def published(data_dir: Path) -> dict[str, Any]:
    """The collector's published status, read from SQLite (no page involved): the
    document, with its ``devices`` read back from their rows (one row a device,
    ``control_collectordevicestatus``, as the product stores them)."""
    uri = f"file:{data_dir / 'mikromon.sqlite3'}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as conn:
        row = conn.execute("SELECT id, status FROM control_collectorstatus WHERE running = 1 "
                           "ORDER BY published_at DESC LIMIT 1").fetchone()
        if not row:
            return {}
        docs = conn.execute("SELECT doc FROM control_collectordevicestatus WHERE status_id = ? "
                            "ORDER BY position", (row[0],)).fetchall()
    status = json.loads(row[1])
    if docs:
        status["devices"] = [json.loads(doc) for (doc,) in docs]
    return dict(status)


def wait_polled(data_dir: Path, n: int, timeout: float) -> tuple[float, int]:
    """Wait until every router was polled once and 99 % are up (or ``timeout``);
    return the seconds waited and the routers up then."""
    began = time.monotonic()
    up = 0
    while time.monotonic() - began < timeout:
        devices = published(data_dir).get("devices") or []
        polled = sum(1 for d in devices
                     if ((d.get("tiers") or {}).get("realtime") or {}).get("last_run"))
        up = sum(1 for d in devices if d.get("state") == "up")
        if polled >= n and up >= 0.99 * n:
            break
        time.sleep(2)
    return time.monotonic() - began, up


class User:
    """One browser: a keep-alive connection, the session cookie, timings per page."""

    def __init__(self, url: str, device_ids: list[int], think: float, seed: int) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.devices = device_ids
        self.think = think
        self.random = random.Random(seed)
        self.times: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}

    def request(self, method: str, path: str, body: str = "",
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                **(headers or {})}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body or None, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    return 0, b""
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self) -> None:
        _, page = self.request("GET", "/accounts/login/")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, "no sign-in form"
        body = urllib.parse.urlencode({"username": "bench", "password": ADMIN_PASSWORD,
                                       "csrfmiddlewaretoken": csrf.group(1).decode()})
        status, _ = self.request("POST", "/accounts/login/", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{self.host}:{self.port}/accounts/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in refused ({status})")

    def timed(self, label: str, path: str) -> None:
        began = time.perf_counter()
        status, _ = self.request("GET", path, headers={"Accept": "*/*"})
        self.times.setdefault(label, []).append(time.perf_counter() - began)
        if status != 200:
            self.errors[label] = self.errors.get(label, 0) + 1

    def view(self, page: str = "") -> None:
        page = page or self.random.choice(PAGES)
        if page != "dashboard":
            self.timed(page, PAGE_PATHS[page])
            return
        pk = self.random.choice(self.devices)
        self.timed("dashboard", f"/devices/{pk}/")
        now = int(time.time())
        window = f"from={now - 3600}&to={now}&points=500"
        self.timed("api latest", f"/api/v1/devices/{pk}/latest")
        for metric in ("system.cpu.load_pct", "system.memory.used_pct"):
            self.timed("api series", f"/api/v1/devices/{pk}/series?metric={metric}&{window}")
        for metric in ("iface.rx_bps", "iface.tx_bps"):
            self.timed("api series",
                       f"/api/v1/devices/{pk}/series?metric={metric}&label=interface%3Dether1"
                       f"&{window}")
        self.timed("alert marks", f"/devices/{pk}/alert-marks/")

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            self.view()
            time.sleep(self.think * self.random.uniform(0.5, 1.5))


@dataclass
class Figures:
    mode: str
    workers: str = ""
    warmup_s: float = 0.0
    seconds: float = 0.0
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    up: int = 0
    sign_in_errors: list[str] = field(default_factory=list)
    rows_written: int = 0
    dropped: int = 0
    load: str = ""


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sample_collector(data_dir: Path, until: float, figures: Figures) -> None:
    first = last = None
    while time.monotonic() < until:
        status = published(data_dir)
        for device in status.get("devices") or []:
            lag = ((device.get("tiers") or {}).get("realtime") or {}).get("lag_s")
            if lag is not None:
                figures.lags.append(float(lag))
        writer = status.get("writer") or {}
        if writer:
            first = first or writer
            last = writer
        time.sleep(5)
    if first and last:
        figures.rows_written = int(last.get("rows_written", 0)) - int(first.get("rows_written", 0))
        figures.dropped = int(last.get("batches_dropped", 0)) - int(
            first.get("batches_dropped", 0))


def measure(data_dir: Path, mode: str, args: argparse.Namespace, ids: list[int]) -> Figures:
    figures = Figures(mode)
    server = start_server(data_dir, mode, data_dir.parent / f"serve-{mode}.log")
    try:
        figures.warmup_s, figures.up = wait_polled(data_dir, args.routers, timeout=240)
        time.sleep(args.settle)
        started = re.findall(r"started (web-\d+)", server.log.read_text())
        figures.workers = str(len(set(started))) if started else "in-process"
        users = [User(server.url, ids, args.think, seed) for seed in range(args.users)]
        for user in users:
            for _attempt in range(3):  # a sign-in may meet a locked database
                try:
                    user.sign_in()
                    break
                except RuntimeError as err:
                    figures.sign_in_errors.append(str(err))
            # Warm: every worker has served each page once before the timing starts.
            for page in PAGES:
                user.view(page)
            user.times.clear()
            user.errors.clear()
        began = time.monotonic()
        until = began + args.duration
        threads = [threading.Thread(target=u.run, args=(until,)) for u in users]
        sampler = threading.Thread(target=sample_collector, args=(data_dir, until, figures))
        for thread in [*threads, sampler]:
            thread.start()
        for thread in [*threads, sampler]:
            thread.join()
        figures.seconds = time.monotonic() - began
        figures.load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        for user in users:
            for label, values in user.times.items():
                figures.times.setdefault(label, []).extend(values)
            for label, count in user.errors.items():
                figures.errors[label] = figures.errors.get(label, 0) + count
    finally:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(120)
        except subprocess.TimeoutExpired:
            server.proc.kill()
    return figures


def ms(value: float) -> str:
    return f"{value * 1000:,.0f}"


def report(results: list[Figures], args: argparse.Namespace) -> None:
    print(f"\n{args.routers} routers, {args.users} users, think {args.think:g} s, "
          f"{args.duration:g} s per mode, {os.cpu_count()} cores")
    print("| mode | web workers | page | requests | req/s | p50 ms | p95 ms | p99 ms "
          "| max ms | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for fig in results:
        labels = sorted(fig.times, key=lambda k: -quantile(fig.times[k], 0.99))
        everything = [t for values in fig.times.values() for t in values]
        for label, values in [("all", everything), *((k, fig.times[k]) for k in labels)]:
            errors = sum(fig.errors.values()) if label == "all" else fig.errors.get(label, 0)
            print(f"| {fig.mode} | {fig.workers} | {label} | {len(values):,} | "
                  f"{len(values) / fig.seconds:.1f} | {ms(quantile(values, 0.5))} | "
                  f"{ms(quantile(values, 0.95))} | {ms(quantile(values, 0.99))} | "
                  f"{ms(max(values))} | {errors} |")
    print("\n| mode | polled, up after s | routers up | realtime lag p50 ms | p99 ms "
          "| started within 1 s | rows written/s | batches dropped | load average (1/5/15 min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fig in results:
        within = (sum(1 for lag in fig.lags if lag <= 1.0) / len(fig.lags)
                  if fig.lags else float("nan"))
        print(f"| {fig.mode} | {fig.warmup_s:.0f} | {fig.up} | {ms(quantile(fig.lags, 0.5))} | "
              f"{ms(quantile(fig.lags, 0.99))} | {within:.1%} | "
              f"{fig.rows_written / fig.seconds:,.0f} | {fig.dropped} | {fig.load} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--settle", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--modes", default="processes,single")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="mikromon-serve-load-"))
    data_dir = work / "data"
    routers, endpoints = start_routers(args.routers)
    try:
        prepare(data_dir, endpoints)
        uri = f"file:{data_dir / 'mikromon.sqlite3'}?mode=ro"
        with sqlite3.connect(uri, uri=True) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM monitor_device")]
        results = []
        for mode in args.modes.split(","):
            print(f"measuring {mode} ...", flush=True)
            results.append(measure(data_dir, mode, args, ids))
            report(results[-1:], args)  # at once: a later mode may fail
            if results[-1].sign_in_errors:
                print(f"sign-in errors: {results[-1].sign_in_errors}")
        report(results, args)
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"\nlogs and data in {work}")
    finally:
        routers.terminate()
        routers.wait(30)
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
