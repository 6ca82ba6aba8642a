"""Start-up time of ``mikromon demo`` with many routers.

Spawns ``mikromon demo --routers N --port 0 --data-dir <fresh folder>`` (loopback
only) and times, from the spawn:

- ``banner``: the welcome banner is printed (every router listens and is
  registered as a device by then: the banner lists them);
- ``web``: the sign-in page answers 200;
- ``devices``: the database holds N devices (read with sqlite3, read-only).

Then stops the demo with SIGTERM and, with ``--again``, starts it a second time
on the same folder (what re-running the demo costs: the devices exist already).
``--profile FILE`` runs the first start under cProfile (``python -m cProfile -o
FILE -m mikromon demo ...``; the profile is written when the demo stops),
``--profile-again FILE`` the second one.

Run: ``python bench/demo_start.py [--routers 200] [--again] [--profile out.prof]``.
Record the printed figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
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
import urllib.request
from pathlib import Path

URL_RE = re.compile(r"running at (http://127\.0\.0\.1:\d+/)")


def start(routers: int, data_dir: Path, profile: str | None) -> dict[str, float]:
    """Start the demo, wait for banner, web and devices; stop it; return the times."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env["PYTHONUNBUFFERED"] = "1"
    head = [sys.executable, "-m", "cProfile", "-o", profile] if profile else [sys.executable]
    cmd = [*head, "-m", "mikromon", "demo", "--routers", str(routers), "--port", "0",
           "--data-dir", str(data_dir)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, text=True)
    times: dict[str, float] = {}
    url: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            match = URL_RE.search(line)
            if match and not url:
                url.append(match.group(1))
                times["banner"] = time.perf_counter() - t0
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(300):
            raise SystemExit("no banner within 300 s")
        while "web" not in times:
            try:
                with urllib.request.urlopen(url[0] + "accounts/login/", timeout=10) as r:
                    if r.status == 200:
                        times["web"] = time.perf_counter() - t0
            except OSError:
                time.sleep(0.02)
        db = data_dir / "mikromon.sqlite3"
        while "devices" not in times:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
                count = conn.execute("SELECT COUNT(*) FROM monitor_device").fetchone()[0]
            if count >= routers:
                times["devices"] = time.perf_counter() - t0
            else:
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    times["exit_status"] = proc.returncode
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, default=200)
    parser.add_argument("--again", action="store_true", help="start a second time")
    parser.add_argument("--profile", help="cProfile output of the first start")
    parser.add_argument("--profile-again", help="cProfile output of the second start")
    args = parser.parse_args()
    print(f"# {platform.python_version()} on {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="mikromon-demo-bench-") as tmp:
        data_dir = Path(tmp) / "demo"
        runs = [("first start", args.profile)]
        if args.again or args.profile_again:
            runs.append(("again", args.profile_again))
        for label, profile in runs:
            t = start(args.routers, data_dir, profile)
            print(f"{label}: routers={args.routers} banner={t['banner']:.2f}s "
                  f"web={t['web']:.2f}s devices={t['devices']:.2f}s "
                  f"exit={t['exit_status']:g}")


if __name__ == "__main__":
    main()
