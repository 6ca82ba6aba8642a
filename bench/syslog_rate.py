"""Syslog lines per second the receiver sustains.

Three measurements, loopback only, bounded in count:

1. ``parse()`` alone, per format (RouterOS ``default``, BSD ``syslog``, CEF),
   CPU time of this process.
2. TCP: a child process writes ``--count`` LF-framed lines over one connection
   as fast as it can; the receiver (in this process's event loop) parses,
   matches the source, queues the rows (:class:`SyslogIntake`, flushed every
   0.5 s to a sink that drops them) and evaluates two ``log`` rules
   (:class:`AlertingQueue` + :class:`AlertEngine`): what the collector does,
   without the database write. TCP loses nothing, so lines/s = count / wall time.
3. UDP: a child process sends ``--count`` datagrams paced at ``--udp-rate``
   lines/s; reported: the share accepted (UDP drops what the socket buffer
   cannot hold).

The per-source rate limit is lifted for the measurement. Run:
``python bench/syslog_rate.py [--count 100000] [--udp-rate 20000]``; record the
output in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import socket
import time
from datetime import UTC, datetime
from typing import Any

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, RuleSet
from mikromon.alerting.runner import AlertingQueue
from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.intake import SyslogIntake
from mikromon.syslog.parse import parse
from mikromon.syslog.receiver import SyslogReceiver
from mikromon.syslog.sources import DeviceAddresses, KnownDevice

HOST = "127.0.0.1"
LINES = {
    "default": b"system,error,critical login failure for user admin from 10.0.0.9 via ssh",
    "syslog": b"<27>Oct  2 17:36:35 MikroTik login failure for user admin from 10.0.0.9 via ssh",
    "cef": (b"Oct  2 17:36:35 MikroTik CEF:0|MikroTik|CHR|7.19|10|system,error,critical|High|"
            b"dvchost=MikroTik msg=login failure for user admin from 10.0.0.9 via ssh app=ssh"),
}


class NullSink:
    """Counts rows, stores nothing."""

    def __init__(self) -> None:
        self.rows = 0

    def put_inventory(self, device_id: int, snapshot: Any) -> None:
        self.rows += len(snapshot.rows)


def bench_parse(count: int) -> dict[str, float]:
    out = {}
    received = datetime.now(UTC)
    for name, line in LINES.items():
        started = time.process_time()
        for _ in range(count):
            parse(line, received)
        out[name] = count / (time.process_time() - started)
    return out


def _tcp_sender(port: int, count: int) -> None:
    line = b"interface,info ether1 link down\n"
    with socket.create_connection((HOST, port)) as s:
        batch = line * 1000
        for _ in range(count // 1000):
            s.sendall(batch)


def _udp_sender(port: int, count: int, rate: float) -> None:
    line = b"interface,info ether1 link down"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        started = time.monotonic()
        for i in range(count):
            if i % 100 == 0:
                ahead = i / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            s.sendto(line, (HOST, port))


async def bench_socket(kind: str, count: int, rate: float) -> dict[str, float]:
    engine = AlertEngine()
    rules = (rule_from_mapping({"id": 1, "name": "logins", "kind": "log",
                                "params": {"pattern": "login failure for user",
                                           "topics": ["system"]}}),
             rule_from_mapping({"id": 2, "name": "links", "kind": "log",
                                "params": {"pattern": r"link (down|up)"}}))
    engine.set_rules(RuleSet(rules, {}, {1: DeviceInfo(id=1, name="edge")}), datetime.now(UTC))
    null = NullSink()
    intake = SyslogIntake(AlertingQueue(null, engine))
    addresses = DeviceAddresses()
    await addresses.update([KnownDevice(1, "edge", HOST)])
    receiver = SyslogReceiver(SyslogSettings(port=0, bind=HOST, rate_per_source=1e9, burst=1e9),
                              addresses, intake.deliver)
    await receiver.start()
    ctx = multiprocessing.get_context("spawn")
    if kind == "tcp":
        child = ctx.Process(target=_tcp_sender, args=(receiver.port, count))
    else:
        child = ctx.Process(target=_udp_sender, args=(receiver.port, count, rate))
    cpu0, wall0 = time.process_time(), time.monotonic()
    child.start()
    last_seen, last_change = 0, time.monotonic()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        intake.flush(datetime.now(UTC))
        seen = receiver.counters["received"]
        if seen >= count:
            break
        if seen != last_seen:
            last_seen, last_change = seen, time.monotonic()
        elif not child.is_alive() and time.monotonic() - last_change > 1.0:
            break  # UDP: the sender is done and nothing more arrives
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    intake.flush(datetime.now(UTC))
    child.join(10)
    await receiver.stop()
    accepted = receiver.counters["accepted"]
    return {"sent": count, "accepted": accepted, "stored": null.rows, "dropped": intake.dropped,
            "wall_s": wall, "lines_per_s": accepted / wall, "cpu_us_per_line":
            cpu / max(accepted, 1) * 1e6, "log_lines_evaluated": engine.log_lines_seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--udp-rate", type=float, default=20_000)
    args = parser.parse_args()
    count = max(1000, min(args.count, 500_000)) // 1000 * 1000
    print(f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}")
    for name, per_s in bench_parse(min(count, 50_000)).items():
        print(f"parse {name:8s}: {per_s:,.0f} lines/s (CPU)")
    tcp = asyncio.run(bench_socket("tcp", count, 0))
    print(f"tcp: {tcp['accepted']:,} of {tcp['sent']:,} lines in {tcp['wall_s']:.2f} s = "
          f"{tcp['lines_per_s']:,.0f} lines/s, {tcp['cpu_us_per_line']:.1f} us CPU/line "
          f"(stored {tcp['stored']:,}, queue full: {tcp['dropped']:,} dropped, evaluated "
          f"{tcp['log_lines_evaluated']:,})")
    udp = asyncio.run(bench_socket("udp", count, args.udp_rate))
    print(f"udp at {args.udp_rate:,.0f}/s: {udp['accepted']:,} of {udp['sent']:,} accepted "
          f"({udp['accepted'] / udp['sent']:.1%}) in {udp['wall_s']:.2f} s, "
          f"{udp['cpu_us_per_line']:.1f} us CPU/line")


if __name__ == "__main__":
    main()
