"""Start-up time and idle CPU of ``mikromon simulate`` with many routers.

Spawns ``mikromon simulate --count N --base-port 0 --json`` (loopback, OS-chosen
ports), times how long until N endpoint lines have been printed (every router
listens by then), checks that a sample of routers answers a login and a print,
then reads the process's CPU time from ``/proc/<pid>/stat`` over an idle window and
its memory (``VmRSS``) and open file descriptors. Finally SIGTERM and the exit status.

Run: ``python bench/emulator_scale.py [--count 1000] [--idle 10] [--tls]``.
Record the printed figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from mikromon.emulator.codec import decode_sentences, encode_sentence

MAIN = "from mikromon.cli import main; raise SystemExit(main())"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (seconds) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ask(port: int) -> float:
    """Log in and print /system/resource on a plain API port; return seconds taken."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        buffer = b""
        for words in (["/login", "=name=admin", "=password=admin"],
                      ["/system/resource/print"]):
            s.sendall(encode_sentence(words))
            while True:
                data = s.recv(65536)
                if not data:
                    raise RuntimeError(f"router on port {port} closed the connection")
                sentences, buffer = decode_sentences(buffer + data)
                if any(sentence[0] == "!done" for sentence in sentences):
                    break
    return time.perf_counter() - start


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=10.0, help="idle window (s)")
    parser.add_argument("--tls", action="store_true", help="also serve API-SSL")
    parser.add_argument("--sample", type=int, default=50, help="routers to query")
    args = parser.parse_args()

    cmd = [sys.executable, "-c", MAIN, "simulate", "--count", str(args.count),
           "--base-port", "0", "--json", "--profile", "mixed"] + (["--tls"] if args.tls else [])
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    endpoints = []
    for _ in range(args.count):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"simulate exited early with {proc.wait()}")
        endpoints.append(json.loads(line))
    ready = time.perf_counter() - started
    start_cpu = cpu_seconds(proc.pid)

    sample = random.Random(1).sample(endpoints, min(args.sample, len(endpoints)))
    latencies = sorted(ask(int(e["port"])) for e in sample)

    time.sleep(1.0)  # let the sample's sessions close
    before, t0 = cpu_seconds(proc.pid), time.perf_counter()
    time.sleep(args.idle)
    after, t1 = cpu_seconds(proc.pid), time.perf_counter()
    idle_pct = 100 * (after - before) / (t1 - t0)
    rss = rss_mib(proc.pid)
    fds = len(os.listdir(f"/proc/{proc.pid}/fd"))

    stop_at = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=60)
    stopped = time.perf_counter() - stop_at

    print(f"machine: {os.cpu_count()} cores (nproc), {cpu_model()}, "
          f"Python {platform.python_version()}")
    print(f"routers: {args.count} (profile mixed{', with API-SSL' if args.tls else ''})")
    print(f"ready (spawn -> {args.count} JSON lines): {ready:.2f} s "
          f"(CPU used by then: {start_cpu:.2f} s)")
    print(f"sample of {len(sample)}: login + /system/resource median "
          f"{1000 * latencies[len(latencies) // 2]:.1f} ms, max {1000 * latencies[-1]:.1f} ms")
    print(f"idle CPU over {t1 - t0:.1f} s: {idle_pct:.3f} % of one core")
    print(f"memory: VmRSS {rss:.1f} MiB; open file descriptors {fds}")
    print(f"SIGTERM -> exit {rc} in {stopped:.2f} s")
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
