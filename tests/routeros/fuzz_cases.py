"""Random and mutated RouterOS replies for the fuzz suite (tests) and its long run
(bench/fuzz_client.py): through framing, the client and every collector.

Each case is drawn from a seeded :class:`random.Random`, so a failure is replayed
from its seed and case number. What is checked: only mikromon's own errors leave
framing (:class:`FramingError`), the client (:class:`MikromonError`) and the
collectors (:class:`MikromonError`); every reply ends (the stream's end or a
limit, never a wait); buffers stay within the framing limits.

Inputs: rows of shared/routeros-captures (whole captures as replies), then
mutations of length prefixes, words, sentences, reply words and values.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mikromon.collectors.base import CollectContext
from mikromon.collectors.registry import COLLECTORS
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import MikromonError
from mikromon.routeros.base import ReplyLimit, Row
from mikromon.routeros.client import LibRouterOSClient
from mikromon.routeros.framing import MAX_SENTENCE, FramingError, SentenceReader
from mikromon.routeros.reply import RawApi
from mikromon.routeros.wire import BufferedProtocol, StockProtocol

ODD_VALUES = [
    "", "²", "٣", "１２", "9" * 5000, "-0", "1e999", "nan", "inf", "0x", "1w2d3h4m5s6ms7us",
    "99999999999999999999999", "-62@1Mbps", "17536671,2966351", "10000000/20000000", "yes",
    "true", "*FFFFFFFF", "\x00", "\udcff", "ÿ" * 300, "jan/02/1970 00:00:00", "2024-13-45 25:61:61",
    "7.16.2", "6.49.10 (long-term)", "a" * 70_000, "1.5", "100%", "=", "==", "-1", "12:34:56",
]


def load_captures(folder: Path) -> list[list[dict[str, str]]]:
    """Return the ``rows`` of every capture in ``folder`` (values as text)."""
    tables = []
    for path in sorted(folder.glob("*.json")):
        try:
            rows = json.loads(path.read_text(encoding="utf-8")).get("rows", [])
        except (ValueError, AttributeError):
            continue
        tables.append([{str(k): str(v) for k, v in row.items()} for row in rows
                       if isinstance(row, dict)])
    return [t for t in tables if t] or [[{"name": "ether1"}]]


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def word(data: bytes) -> bytes:
    return encode_length(len(data)) + data


def sentence(*words: bytes) -> bytes:
    return b"".join(word(w) for w in words) + b"\x00"


def row_words(row: Mapping[str, str]) -> list[bytes]:
    return [f"={k}={v}".encode("utf-8", "surrogateescape") for k, v in row.items()]


class Gen:
    """Draws replies and rows from one seeded generator."""

    def __init__(self, rng: random.Random, tables: list[list[dict[str, str]]]) -> None:
        self.rng = rng
        self.tables = tables

    def value(self, original: str) -> str:
        r = self.rng
        choice = r.random()
        if choice < 0.4:
            return r.choice(ODD_VALUES)
        if choice < 0.6 and original:
            i = r.randrange(len(original))
            return original[:i] + chr(r.choice([r.randrange(32, 127), r.randrange(0x80, 0x3000)])) \
                + original[i + 1:]
        if choice < 0.8:
            return original[: r.randrange(len(original) + 1)]
        return "".join(chr(r.randrange(0x20, 0x7F)) for _ in range(r.randrange(12)))

    def rows(self) -> list[dict[str, str]]:
        """Capture rows, with values, keys and rows mutated."""
        r = self.rng
        rows = [dict(row) for row in r.choice(self.tables)]
        for row in rows:
            for key in list(row):
                p = r.random()
                if p < 0.25:
                    row[key] = self.value(row[key])
                elif p < 0.3:
                    del row[key]
            if r.random() < 0.1:
                row[r.choice(["name", "version", "uptime", "bytes", "type"])] = self.value("")
        if rows and r.random() < 0.1:
            rows = rows * r.randrange(2, 5)
        return rows

    def reply(self) -> bytes:
        """One reply stream: a capture as ``!re`` rows and a ``!done``, mutated at
        the byte, word or sentence level (or random bytes)."""
        r = self.rng
        kind = r.random()
        if kind < 0.05:
            return r.randbytes(r.randrange(64))
        sentences: list[list[bytes]] = [[b"!re", *row_words(row)] for row in self.rows()]
        if r.random() < 0.1:
            sentences.append([b"!trap", f"=category={self.value('1')}".encode("utf-8",
                              "surrogateescape"), b"=message=" + r.randbytes(8)])
        if r.random() < 0.05:
            sentences.append([b"!empty"])
        done = [b"!done"]
        if r.random() < 0.3:
            done.append(f"=ret={self.value(str(r.randrange(10**6)))}".encode(
                "utf-8", "surrogateescape"))
        sentences.append(done)
        if r.random() < 0.3:  # sentence-level: drop, duplicate, swap, odd reply words
            for _ in range(r.randrange(1, 4)):
                i = r.randrange(len(sentences))
                op = r.random()
                if op < 0.3:
                    sentences.pop(i)
                elif op < 0.5:
                    sentences.insert(i, list(sentences[i]))
                elif op < 0.8:
                    sentences[i][0] = r.choice(
                        [b"!fatal", b"!re", b"!x", b"", b"re", b"!" * 70, b"!done", b".tag=1"])
                else:
                    sentences[i].insert(r.randrange(len(sentences[i]) + 1),
                                        r.choice([b"", b"=", b"x", b".tag=9", b"=a", b"?q"]))
                if not sentences:
                    break
        data = bytearray(b"".join(sentence(*(w for w in s if w)) if s[0] else
                                  b"".join(word(w) for w in s) + b"\x00" for s in sentences))
        if r.random() < 0.4 and data:  # byte-level: prefixes and words
            for _ in range(r.randrange(1, 6)):
                op = r.random()
                i = r.randrange(len(data) + 1)
                if op < 0.3:
                    data[i:i + 1] = bytes([r.choice([0x7F, 0x80, 0xBF, 0xC0, 0xDF, 0xE0, 0xEF,
                                                     0xF0, 0xF7, 0xF8, 0xFF, r.randrange(256)])])
                elif op < 0.5:
                    data[i:i] = encode_length(r.choice([0, 1, 127, 128, 16383, 16384,
                                                        0x1FFFFF, 0x200000, 2**28, 2**32 - 1]))
                elif op < 0.7:
                    del data[i:i + r.randrange(1, 8)]
                elif op < 0.85:
                    data[i:i] = r.randbytes(r.randrange(1, 8))
                else:
                    data = data[:i]
        return bytes(data)


def chunks(rng: random.Random, data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 1000, 65536])
        out.append(data[pos:pos + size])
        pos += size
    return out


class FuzzFailure(AssertionError):
    """A case broke a rule; the message carries the seed and the case."""


def check_framing(rng: random.Random, data: bytes) -> None:
    """Feed ``data`` in random chunks; only FramingError, buffers bounded."""
    reader = SentenceReader(max_sentence=rng.choice([MAX_SENTENCE, 4096]))
    try:
        for piece in chunks(rng, data):
            reader.feed(piece)
            while reader.next_sentence() is not None:
                pass
            if reader.pending > MAX_SENTENCE + 65536 + 8:
                raise FuzzFailure(f"reader holds {reader.pending} bytes")
    except FramingError:
        pass


class _Writer:
    def close(self) -> None:
        return None

    async def wait_closed(self) -> None:
        return None


class _Transport:
    """In-memory transport (librouteros's AsyncSocketTransport shape): the reply
    is fed in; writes are dropped."""

    def __init__(self, data: bytes) -> None:
        self.reader = asyncio.StreamReader(limit=2**20)
        self.reader.feed_data(data)
        self.reader.feed_eof()
        self.writer = _Writer()

    async def write(self, data: bytes) -> None:
        return None

    async def read(self, length: int) -> bytes:
        return await self.reader.readexactly(length)

    async def close(self) -> None:
        return None


CONFIG = DeviceConfig(id=1, name="fuzz", host="127.0.0.1", port=8728, username="u",
                      password="p", command_timeout=5.0)
SMALL = ReplyLimit(rows=50, bytes=8192)


async def check_client(rng: random.Random, data: bytes) -> None:
    """Run one command of the client over ``data``; only MikromonError may leave."""
    transport: Any = _Transport(data)
    protocol = (BufferedProtocol if rng.random() < 0.8 else StockProtocol)(transport, "utf-8")
    client = LibRouterOSClient(RawApi(protocol, "utf-8"), transport, CONFIG)
    which = rng.random()
    try:
        if which < 0.5:
            rows = await client.print("/interface", ["name"], limit=rng.choice([None, SMALL]))
            if len(rows) > 10_000:
                raise FuzzFailure(f"{len(rows)} rows passed the limit")
        elif which < 0.8:
            await client.count("/ip/firewall/connection")
        else:
            await client.call("/interface/monitor-traffic", {"interface": "ether1", "once": ""})
    except MikromonError:
        pass


@dataclass
class FakeClient:
    """A RouterOSClient whose every reply is drawn from the generator."""

    gen: Gen
    calls: int = 0
    errors: list[MikromonError] = field(default_factory=list)

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        self.calls += 1
        return self.gen.rows()

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        self.calls += 1
        return self.gen.rng.choice([0, 1, 5, 99, 10**6, 2**64])

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[Row]:
        return self.gen.rows()

    async def close(self) -> None:
        return None


async def check_collector(gen: Gen, index: int) -> None:
    """Run collector ``index`` over generated rows; only MikromonError may leave."""
    collector = COLLECTORS[index % len(COLLECTORS)]
    rng = gen.rng
    ctx = CollectContext(device="fuzz", major=rng.choice([6, 7]),
                         version=rng.choice([(), (6, 49, 10), (7, 16, 2), (7, 20)]))
    try:
        await collector.collect(FakeClient(gen), ctx)
    except MikromonError:
        pass


@dataclass
class Totals:
    """Cases run per kind, and the failures (seed, case, kind, error)."""

    framing: int = 0
    client: int = 0
    collector: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return self.framing + self.client + self.collector


async def run(seed: int, cases: int, tables: list[list[dict[str, str]]],
              report: Callable[[Totals], None] | None = None,
              max_failures: int = 20) -> Totals:
    """Run ``cases`` cases from ``seed``: about 80% framing, 12% client, 8%
    collectors (the client and collector cases cost 5-20 times a framing case)."""
    totals = Totals()
    for case in range(cases):
        rng = random.Random(seed * 1_000_003 + case)
        gen = Gen(rng, tables)
        kind = rng.random()
        try:
            if kind < 0.80:
                check_framing(rng, gen.reply())
                totals.framing += 1
            elif kind < 0.92:
                async with asyncio.timeout(10):
                    await check_client(rng, gen.reply())
                totals.client += 1
            else:
                async with asyncio.timeout(10):
                    await check_collector(gen, case)
                totals.collector += 1
        except Exception as err:  # the rule broken: anything but our own errors
            totals.failures.append(f"seed={seed} case={case}: {type(err).__name__}: "
                                   f"{str(err)[:300]}")
            if len(totals.failures) >= max_failures:
                break
        if case % 1000 == 999:
            # Let the loop turn: it drops cancelled timers (every command's
            # deadline) only then; without it they pile up in this tight loop.
            await asyncio.sleep(0)
        if report is not None and case % 100_000 == 0:
            report(totals)
    return totals
