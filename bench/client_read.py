"""Client CPU per realtime poll: librouteros's stock reader vs the buffered reader.

A realtime poll is three commands (``/system/resource``, ``/interface`` counters,
``/system/health``) against one emulated v7 router (8 interfaces). The emulator
runs in a child process, so the client's CPU time (``time.process_time`` of this
process) excludes the emulator's work and the two do not share a GIL.

Readers compared:

* ``librouteros``: the library unmodified (``async_connect``, its ``AsyncApi`` and
  ``parse_word``): reference only, it converts values and drops ``!done`` attributes.
* ``adapter-stock``: our adapter with librouteros's word-by-word protocol object.
* ``adapter-buffered``: our adapter with the chunk-parsing protocol object (default).

A second scenario reads a large table (``/ip/route``, 20,000 rows) once per round.
A third replays one poll's recorded reply bytes from memory (no socket) through
each adapter reader, to show the reading and parsing cost alone.

Run: ``python bench/client_read.py [--polls 400] [--rounds 3]``; loopback only.
Record the output in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import librouteros
from librouteros.connections import AsyncSocketTransport
from librouteros.protocol import encode_sentence

from mikromon.collectors import ip_route
from mikromon.domain.devices import DeviceConfig
from mikromon.emulator.profiles import V7
from mikromon.emulator.testing import running_emulators
from mikromon.routeros.client import connect
from mikromon.routeros.framing import SentenceReader
from mikromon.routeros.reply import RawApi
from mikromon.routeros.wire import BufferedProtocol, StockProtocol

PASSWORD = "bench"
RESOURCE = ("uptime", "version", "cpu-load", "free-memory", "total-memory", "free-hdd-space",
            "total-hdd-space", "cpu-count", "board-name")
COUNTERS = (".id", "name", "rx-byte", "tx-byte", "rx-packet", "tx-packet", "rx-error",
            "tx-error", "rx-drop", "tx-drop")
HEALTH = ("name", "value", "type")
Poll = Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class RouterAddress:
    host: str
    port: int
    username: str


def serve(conn: Connection, routes: int) -> None:
    """Child process: run one emulated router until told to stop."""
    profile = V7.replace(name="bench", routes=routes)
    with running_emulators(1, profile=profile, password=PASSWORD) as routers:
        router = routers[0]
        conn.send(RouterAddress(router.host, router.port, router.username))
        conn.recv()


def config(router: Any) -> DeviceConfig:
    return DeviceConfig(id=1, name="bench", host=router.host, port=router.port,
                        username=router.username, password=PASSWORD, command_timeout=60.0)


async def adapter_polls(router: Any, buffered: bool) -> tuple[Poll, Poll, Callable[[], Any]]:
    client = await connect(config(router), buffered=buffered)

    async def poll() -> int:
        rows = await client.print("/system/resource", RESOURCE)
        rows += await client.print("/interface", COUNTERS)
        rows += await client.print("/system/health", HEALTH)
        return len(rows)

    async def big() -> int:
        return len(await client.print("/ip/route", ("dst-address", "gateway", "distance"),
                                      limit=ip_route.REPLY_LIMIT))

    return poll, big, client.close


async def library_polls(router: Any) -> tuple[Poll, Poll, Callable[[], Any]]:
    api = await librouteros.async_connect(router.host, router.username, PASSWORD,
                                          port=router.port, encoding="utf-8", timeout=60)

    async def run(path: str, fields: tuple[str, ...]) -> int:
        words = [f"=.proplist={','.join(fields)}"]
        return len([row async for row in api.rawCmd(f"{path}/print", *words)])

    async def poll() -> int:
        return (await run("/system/resource", RESOURCE) + await run("/interface", COUNTERS)
                + await run("/system/health", HEALTH))

    async def big() -> int:
        return await run("/ip/route", ("dst-address", "gateway", "distance"))

    return poll, big, api.close


async def measure(factory: Callable[[], Awaitable[tuple[Poll, Poll, Callable[[], Any]]]],
                  polls: int) -> dict[str, float]:
    poll, big, close = await factory()
    try:
        for _ in range(20):
            await poll()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        rows = 0
        for _ in range(polls):
            rows += await poll()
        cpu1, wall1 = time.process_time(), time.perf_counter()
        await big()
        cpu2 = time.process_time()
        big_rows = await big()
        cpu3 = time.process_time()
    finally:
        await close()
    return {
        "cpu_ms_per_poll": (cpu1 - cpu0) * 1000 / polls,
        "wall_ms_per_poll": (wall1 - wall0) * 1000 / polls,
        "rows_per_poll": rows / polls,
        "big_rows": big_rows,
        "big_cpu_us_per_row": (cpu3 - cpu2) * 1e6 / big_rows,
        "warm_big_ms": (cpu2 - cpu1) * 1000,
    }


POLL_COMMANDS = (("/system/resource/print", RESOURCE), ("/interface/print", COUNTERS),
                 ("/system/health/print", HEALTH))


async def record_poll(router: Any) -> bytes:
    """Return the raw reply bytes of one realtime poll (after a plain login)."""
    reader, writer = await asyncio.open_connection(router.host, router.port)
    frames = SentenceReader()

    async def exchange(*words: str) -> bytes:
        writer.write(encode_sentence(*words, encoding="utf-8"))
        data = b""
        while True:
            chunk = await reader.read(65536)
            data += chunk
            frames.feed(chunk)
            while (sentence := frames.next_sentence()) is not None:
                if sentence[0] == b"!done":
                    return data

    await exchange("/login", f"=name={router.username}", f"=password={PASSWORD}")
    blob = b""
    for command, fields in POLL_COMMANDS:
        blob += await exchange(command, f"=.proplist={','.join(fields)}")
    writer.close()
    return blob


class _MemoryTransport(AsyncSocketTransport):
    """librouteros's transport over a fed StreamReader; writes go nowhere."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        super().__init__(reader=reader, writer=None)  # type: ignore[arg-type]

    async def write(self, data: bytes) -> None:
        return None


async def replay(blob: bytes, buffered: bool, polls: int) -> float:
    """Return client CPU ms per poll to read ``blob`` (one poll's replies) from memory."""
    protocol_type = BufferedProtocol if buffered else StockProtocol
    start = time.process_time()
    for _ in range(polls):
        stream = asyncio.StreamReader()
        stream.feed_data(blob)
        stream.feed_eof()
        api = RawApi(protocol_type(_MemoryTransport(stream), "utf-8"), "utf-8")
        for command, fields in POLL_COMMANDS:
            await api.exchange(command, [f"=.proplist={','.join(fields)}"])
    return (time.process_time() - start) * 1000 / polls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs, 20_000))
    child.start()
    try:
        router = ours.recv()
        readers: dict[str, Callable[[], Awaitable[tuple[Poll, Poll, Callable[[], Any]]]]] = {
            "librouteros": lambda: library_polls(router),
            "adapter-stock": lambda: adapter_polls(router, buffered=False),
            "adapter-buffered": lambda: adapter_polls(router, buffered=True),
        }
        results: dict[str, list[dict[str, float]]] = {name: [] for name in readers}
        for _ in range(args.rounds):
            for name, factory in readers.items():
                results[name].append(asyncio.run(measure(factory, args.polls)))
        blob = asyncio.run(record_poll(router))
        replayed = {
            name: statistics.median(
                asyncio.run(replay(blob, buffered, args.polls * 5)) for _ in range(args.rounds))
            for name, buffered in (("adapter-stock", False), ("adapter-buffered", True))
        }
    finally:
        ours.send("stop")
        child.join(timeout=30)
    print(f"# {time.strftime('%Y-%m-%d')} {platform.node()} {platform.machine()} "
          f"{platform.processor() or ''} Python {platform.python_version()}; "
          f"{args.polls} polls x {args.rounds} rounds, medians")
    print("| reader | client CPU ms/poll | wall ms/poll | rows/poll "
          "| 20k-row table: client CPU us/row |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        def med(key: str, runs: list[dict[str, float]] = runs) -> float:
            return statistics.median(r[key] for r in runs)
        print(f"| {name} | {med('cpu_ms_per_poll'):.3f} | {med('wall_ms_per_poll'):.3f} "
              f"| {med('rows_per_poll'):.0f} | {med('big_cpu_us_per_row'):.2f} |")
    print()
    print(f"Reading one poll's replies from memory ({len(blob)} bytes, no socket):")
    print()
    print("| reader | CPU ms/poll |")
    print("|---|---|")
    for name, value in replayed.items():
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main()
