"""The steps of one realtime poll, each alone in a hot loop: CPU per poll.

One emulated v7 router runs in a child process (``python -m mikromon simulate
--count 1``, loopback), so its CPU is not counted. Each step is repeated
``--polls`` times and timed with ``time.process_time``:

* ``client, three prints``: ``/system/resource``, ``/system/health`` and the
  interface counters printed one after another (three round trips);
* ``client, together``: the same three in one :meth:`print_many` (tagged, one
  round trip);
* ``parse``: the replies' bytes (as the router sent them) split into sentences
  and attributes, no socket (:class:`~mikromon.routeros.framing.SentenceReader`
  and :class:`~mikromon.routeros.reply.RawApi`);
* ``map``: :func:`mikromon.collectors.run_tier` over the replies' rows (no socket);
* ``rates``: :class:`~mikromon.pipeline.rates.RateCalculator` over the 96 counters
  (one :class:`~mikromon.domain.samples.CounterBlock`);
* ``outcome``: :func:`~mikromon.schedule.outcome.run_outcome` of the mapped result;
* ``hand-off``: the outcome's samples to the writer's queue
  (:meth:`~mikromon.schedule.write_queue.WriteQueue.put_samples`).

What the scheduler adds around them (deadlines, the gate, stats, the report)
is the difference between bench/poll_cpu.py's loop-thread figure and the sum.

Run: ``python bench/poll_steps.py [--polls 2000] [--rounds 2]``; record the
printed table in bench/RESULTS.md with the load average it prints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from mikromon.collectors import run_tier  # noqa: E402
from mikromon.collectors.base import CollectContext  # noqa: E402
from mikromon.collectors.registry import collectors_for  # noqa: E402
from mikromon.domain.devices import DeviceConfig  # noqa: E402
from mikromon.domain.samples import CounterBlock, sample_count  # noqa: E402
from mikromon.domain.tiers import Tier  # noqa: E402
from mikromon.emulator.codec import encode_sentence  # noqa: E402
from mikromon.pipeline.rates import RateCalculator  # noqa: E402
from mikromon.routeros.base import PrintReply, PrintRequest, Row  # noqa: E402
from mikromon.routeros.client import connect  # noqa: E402
from mikromon.routeros.framing import SentenceReader  # noqa: E402
from mikromon.routeros.reply import RawApi  # noqa: E402
from mikromon.schedule.changes import DeviceMemory  # noqa: E402
from mikromon.schedule.outcome import Reported, run_outcome  # noqa: E402
from mikromon.schedule.write_queue import WriteQueue  # noqa: E402

PASSWORD = "bench-pw"
REQUESTS = [c.request() for c in collectors_for(Tier.REALTIME)]  # type: ignore[attr-defined]


def start_router() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "mikromon", "simulate", "--count", "1", "--json",
         "--base-port", "0", "--profile", "v7", "--password", PASSWORD],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


class Recorded:
    """A client answering ``print_many`` with rows recorded from the router."""

    def __init__(self, replies: list[PrintReply]) -> None:
        self.replies = replies

    async def print_many(self, requests: Sequence[PrintRequest]) -> list[PrintReply]:
        return self.replies


def reply_bytes(replies: list[PrintReply]) -> bytes:
    """The tagged replies as the router sends them (rows, then ``!done``)."""
    out = []
    for tag, rows in enumerate(replies):
        assert isinstance(rows, list)
        for row in rows:
            out.append(encode_sentence(["!re", *(f"={k}={v}" for k, v in row.items()),
                                        f".tag={tag}"]))
        out.append(encode_sentence(["!done", f".tag={tag}"]))
    return b"".join(out)


async def timed(polls: int, step: Callable[[int], Awaitable[object]]) -> float:
    """CPU ms per call of ``step`` (after 50 warm-up calls)."""
    for i in range(50):
        await step(i)
    cpu = time.process_time()
    for i in range(polls):
        await step(50 + i)
    return (time.process_time() - cpu) / polls * 1e3


async def measure(endpoint: dict[str, Any], polls: int) -> dict[str, float]:
    config = DeviceConfig(id=1, name="bench", host=endpoint["host"], port=endpoint["port"],
                          username=endpoint["username"], password=PASSWORD)
    client = await connect(config)
    replies = await client.print_many(REQUESTS)
    data = reply_bytes(replies)
    api = RawApi.__new__(RawApi)  # only its attribute reader, no protocol
    api.encoding = "utf-8"
    ctx = CollectContext(device="bench")
    recorded = Recorded(replies)
    result = await run_tier(recorded, Tier.REALTIME, ctx)  # type: ignore[arg-type]
    (block,) = result.counter_blocks
    queue = WriteQueue(1_000_000, 1_000_000, 60.0, lambda device, rows: None, lambda: False)
    memory, reported = DeviceMemory(), Reported()
    out: dict[str, float] = {}

    async def three(i: int) -> None:
        for r in REQUESTS:
            await client.print(r.path, r.proplist, limit=r.limit)

    async def together(i: int) -> None:
        await client.print_many(REQUESTS)

    async def parse(i: int) -> None:
        reader = SentenceReader()
        reader.feed(data)
        rows: list[Row] = []
        while (sentence := reader.next_sentence()) is not None:
            rows.append(api._attributes(sentence))

    async def mapping(i: int) -> None:
        await run_tier(recorded, Tier.REALTIME, ctx)  # type: ignore[arg-type]

    calc = RateCalculator()

    def later(i: int) -> CounterBlock:
        """The poll's counters ``i`` polls later: 1,000 more each, 5 s later."""
        return CounterBlock(block.keys, block.labels, block.identities,
                            [None if v is None else v + 1000 * i for v in block.values],
                            block.ts, block.mono + 5.0 * i, block.width)

    async def rates(i: int) -> None:
        calc.update_items([later(i)], None)

    # the counters' copies above cost about what a poll's mapping makes: subtract
    async def copies(i: int) -> None:
        later(i)

    first = RateCalculator()
    first.update_items([block], None)
    rate_samples = first.update_items([later(1)], None)

    async def outcome(i: int) -> None:
        run_outcome(result, memory, reported, tier=Tier.REALTIME, device_id=1, ts=ctx.clock(),
                    mono=float(i), rates=rate_samples)

    samples = run_outcome(result, memory, reported, tier=Tier.REALTIME, device_id=1,
                          ts=ctx.clock(), mono=0.0, rates=rate_samples).samples

    async def hand_off(i: int) -> None:
        queue.put_samples(1, samples)
        if i % 1000 == 0:
            queue.wait_and_take(0.0)

    out["client, three prints"] = await timed(polls, three)
    out["client, together"] = await timed(polls, together)
    out["parse"] = await timed(polls, parse)
    out["map"] = await timed(polls, mapping)
    out["rates"] = await timed(polls, rates) - await timed(polls, copies)
    out["outcome"] = await timed(polls, outcome)
    out["hand-off"] = await timed(polls, hand_off)
    out["samples"] = float(sample_count(samples))
    await client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    proc, endpoint = start_router()
    try:
        runs = [asyncio.run(measure(endpoint, args.polls)) for _ in range(args.rounds)]
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
          f"{args.rounds} rounds x {args.polls} polls; {runs[0]['samples']:.0f} samples a poll")
    print("| step | CPU ms / poll (median, range) |")
    print("|---|---|")
    for step in runs[0]:
        if step == "samples":
            continue
        values = [r[step] for r in runs]
        print(f"| {step} | {statistics.median(values):.3f} "
              f"({min(values):.3f}-{max(values):.3f}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
