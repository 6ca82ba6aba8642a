"""The fuzz suite: random and mutated replies through framing, the client and
every collector raise only mikromon's errors, end, and stay bounded.

A seeded run of 100,000 cases here (about 10 s); bench/fuzz_client.py runs the same
cases by the million (figures in bench/RESULTS.md).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fuzz_cases import Gen, check_client, check_framing, load_captures, run

from mikromon.collectors.registry import COLLECTORS


@pytest.fixture(scope="module")
def tables(captures: Path) -> list[list[dict[str, str]]]:
    return load_captures(captures)


@pytest.mark.fuzz
async def test_fuzz_framing_client_and_collectors(tables: list[list[dict[str, str]]]) -> None:
    totals = await run(seed=20261206, cases=100_000, tables=tables)
    assert totals.failures == []
    assert totals.collector >= 10 * len(COLLECTORS)  # every collector, many times
    assert totals.client > 1000


async def test_every_capture_as_a_whole_reply(tables: list[list[dict[str, str]]]) -> None:
    """Each capture unmutated is a valid reply the client reads in full."""
    rng = random.Random(1)
    for table in tables:
        gen = Gen(rng, [table])
        await check_client(rng, gen.reply())
        check_framing(rng, gen.reply())


async def test_the_suite_can_fail() -> None:
    """A checker that lets a ValueError out is reported as a failure."""
    import fuzz_cases

    original = fuzz_cases.check_framing

    def broken(rng: random.Random, data: bytes) -> None:
        raise ValueError("invalid literal for int()")

    fuzz_cases.check_framing = broken
    try:
        totals = await run(seed=1, cases=50, tables=[[{"name": "x"}]])
    finally:
        fuzz_cases.check_framing = original
    assert totals.failures
    assert "ValueError" in totals.failures[0]


@pytest.mark.fuzz
async def test_fuzz_memory_stays_flat(tables: list[list[dict[str, str]]]) -> None:
    """Bounded memory: after a warm-up, thousands more cases leave no objects behind
    (no growing cache, buffer or timer from the client, framing or collectors)."""
    import gc

    await run(seed=7, cases=3000, tables=tables)
    gc.collect()
    before = len(gc.get_objects())
    totals = await run(seed=8, cases=6000, tables=tables)
    gc.collect()
    assert totals.failures == []
    assert len(gc.get_objects()) - before < 1000
