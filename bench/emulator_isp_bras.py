"""How cheap a poll of the isp-bras profile is: 4,000 PPPoE customers whose dynamic
``pppoe-in`` interfaces, PPP sessions and queues are generated when read.

The emulator runs in a child process (one ``isp-bras`` router); a raw socket client
in this process times what a collector asks every poll: ``count-only`` of
``/ppp/active`` and ``/interface``, and full prints of ``/interface`` (with the
``.proplist`` the realtime tier uses) and ``/ppp/active``. Each print is repeated on
a fresh second of router time (the connected set is computed once per second), so
the figures include that work.

Run: ``python bench/emulator_isp_bras.py [--sessions 4000] [--repeat 5]``; loopback
only. Record the printed figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from emulator_tables import Client

from mikromon.emulator.profiles import PROFILES
from mikromon.emulator.testing import async_emulators

REALTIME_PROPLIST = ("name,type,rx-byte,tx-byte,rx-packet,tx-packet,rx-drop,tx-drop,"
                     "rx-error,tx-error,running,disabled")


def serve(sessions: int, conn: Connection) -> None:
    async def run() -> None:
        profile = PROFILES["isp-bras"].replace(ppp_sessions=sessions)
        async with async_emulators(1, profile=profile) as (router,):
            conn.send(router.port)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(run())


def timed(client: Client, repeat: int, *words: str) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        time.sleep(1.05)  # a new second of router time: the session set is rebuilt
        start = time.perf_counter()
        reply = client.call(*words)
        times.append(time.perf_counter() - start)
        rows = sum(1 for s in reply if s[0] == "!re")
    return statistics.median(times), rows


def cpu_per_print(sessions: int, repeat: int) -> None:
    """CPU seconds the emulator spends per request in this process (table build,
    rows and encoding, no socket): less disturbed by other load than wall time."""
    from mikromon.emulator import ManualClock
    from mikromon.emulator.codec import encode_sentence
    from mikromon.emulator.router import Router

    clock = ManualClock()
    router = Router(PROFILES["isp-bras"].replace(ppp_sessions=sessions), clock=clock)
    router.table("/ppp/active")  # the shared slot table, built once per process
    for path in ("/interface", "/ppp/active", "/queue/simple"):
        times = []
        for _ in range(repeat):
            clock.advance(1.0)
            start = time.process_time()
            table = router.table(path)
            for i in range(len(table)):
                encode_sentence(["!re", *(f"={k}={v}" for k, v in table.row(i).items())])
            times.append(time.process_time() - start)
        label = f"CPU per {path} print (in-process)"
        print(f"{label:45s} {statistics.median(times) * 1000:8.1f} ms")
    times = []
    for _ in range(repeat):
        clock.advance(1.0)
        start = time.process_time()
        len(router.table("/ppp/active"))
        times.append(time.process_time() - start)
    median = statistics.median(times) * 1000
    print(f"{'CPU per /ppp/active count (in-process)':45s} {median:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(args.sessions, child))
    proc.start()
    try:
        client = Client(parent.recv())
        assert client.call("/login", "=name=admin", "=password=admin")[-1] == ["!done"]
        print(f"isp-bras, {args.sessions} customers, cpu count {os.cpu_count()}")
        for label, words in (
                ("/ppp/active count-only", ("/ppp/active/print", "=count-only=")),
                ("/interface count-only", ("/interface/print", "=count-only=")),
                ("/interface print, realtime .proplist",
                 ("/interface/print", f"=.proplist={REALTIME_PROPLIST}")),
                ("/interface print, all fields", ("/interface/print",)),
                ("/ppp/active print, all fields", ("/ppp/active/print",)),
                ("/queue/simple print, all fields", ("/queue/simple/print",)),
                ("/ip/firewall/connection count-only",
                 ("/ip/firewall/connection/print", "=count-only="))):
            median, rows = timed(client, args.repeat, *words)
            print(f"{label:45s} {median * 1000:8.1f} ms  ({rows} rows)")
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    cpu_per_print(args.sessions, args.repeat)


if __name__ == "__main__":
    main()
