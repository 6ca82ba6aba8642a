"""The fuzz suite of tests/routeros/test_fuzz.py, run long: random and mutated
replies through framing, the client and every collector.

Usage::

    PYTHONPATH=src nice python bench/fuzz_client.py --cases 10000000 [--seed N]

Runs the cases in blocks of 100,000 (seed, seed+1, ...; each case is replayed from
its seed and number), prints progress, and ends with the figures recorded in
bench/RESULTS.md: cases per kind, failures (only mikromon's own errors may leave;
every reply must end), wall time, cases/s and peak RSS. Exit status 1 when a
case failed.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "routeros"))

from fuzz_cases import Totals, load_captures, run  # noqa: E402

BLOCK = 100_000


async def main(cases: int, seed: int, captures: Path) -> int:
    tables = load_captures(captures)
    total = Totals()
    started = time.monotonic()
    done = 0
    block = 0
    while done < cases:
        n = min(BLOCK, cases - done)
        part = await run(seed + block, n, tables, max_failures=100)
        total.framing += part.framing
        total.client += part.client
        total.collector += part.collector
        total.failures.extend(part.failures)
        done += n
        block += 1
        elapsed = time.monotonic() - started
        print(f"{done:>11,} cases  {elapsed:8.0f} s  {done / elapsed:8.0f}/s  "
              f"failures {len(total.failures)}", flush=True)
        if len(total.failures) >= 100:
            break
    elapsed = time.monotonic() - started
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"python {platform.python_version()}")
    print(f"cases: {total.cases:,} (framing {total.framing:,}, client {total.client:,}, "
          f"collectors {total.collector:,}), seeds {seed}..{seed + block - 1}")
    print(f"failures: {len(total.failures)}")
    for line in total.failures[:20]:
        print("  " + line)
    print(f"time: {elapsed:.0f} s ({total.cases / elapsed:,.0f} cases/s), "
          f"peak RSS {rss_mib:.0f} MiB")
    return 1 if total.failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--captures", type=Path,
                        default=REPO / "src" / "mikromon" / "emulator" / "data")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.cases, args.seed, args.captures)))
