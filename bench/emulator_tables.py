"""How fast the emulator answers on generated tables of 100,000 routes.

The emulator runs in a child process (one v7 router, ``routes=100_000``); a raw
socket client in this process times ``count-only``, queries and a full print with
``.proplist``. Rows are generated on demand, never stored.

Run: ``python bench/emulator_tables.py [--routes 100000] [--repeat 5]``; loopback only.
Record the printed figures in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import time
from multiprocessing.connection import Connection

from mikromon.emulator.codec import decode_sentences, encode_sentence
from mikromon.emulator.profiles import V7
from mikromon.emulator.testing import async_emulators


def serve(routes: int, conn: Connection) -> None:
    async def run() -> None:
        async with async_emulators(1, profile=V7.replace(routes=routes)) as (router,):
            conn.send(router.port)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(run())


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buffer = b""

    def call(self, *words: str) -> list[list[str]]:
        self.sock.sendall(encode_sentence(words))
        out: list[list[str]] = []
        while not out or out[-1][0] != "!done":
            data = self.sock.recv(1 << 20)
            if not data:
                raise RuntimeError("connection closed")
            sentences, self.buffer = decode_sentences(self.buffer + data)
            out.extend(sentences)
        return out


def timed(client: Client, repeat: int, *words: str) -> tuple[float, list[list[str]]]:
    times, reply = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        reply = client.call(*words)
        times.append(time.perf_counter() - start)
    return statistics.median(times), reply


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(args.routes, child), daemon=True)
    proc.start()
    port = parent.recv()
    client = Client(port)
    client.call("/login", "=name=admin", "=password=admin")
    cases = [
        ("count-only, no query", ("/ip/route/print", "=count-only=")),
        ("count-only, ?dst-address=100.1.2.0/24",
         ("/ip/route/print", "=count-only=", "?dst-address=100.1.2.0/24")),
        ("print 1 row by ?dst-address, .proplist",
         ("/ip/route/print", "=.proplist=.id,dst-address,gateway", "?dst-address=100.1.2.0/24")),
        ("count-only, 2 queries + ?#|",
         ("/ip/route/print", "=count-only=", "?routing-table=isp2", "?distance=2", "?#|")),
        ("full print, .proplist=.id,dst-address",
         ("/ip/route/print", "=.proplist=.id,dst-address")),
    ]
    print(f"machine: {os.cpu_count()} cores (nproc); routes: {args.routes}; "
          f"median of {args.repeat}")
    for label, words in cases:
        seconds, reply = timed(client, args.repeat, *words)
        rows = sum(1 for s in reply if s[0] == "!re")
        ret = next((w for w in reply[-1] if w.startswith("=ret=")), "")
        extra = f", {rows / seconds:,.0f} rows/s" if rows > 1000 else ""
        print(f"{label}: {1000 * seconds:.1f} ms ({rows} rows {ret}{extra})")
    parent.send("stop")
    proc.join(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
