"""A tier's independent prints go together (one ``print_many``), and each
collector's reply is mapped as its own ``collect`` would: a trap fails that
collector only, an absent path goes to ``absent``, a known-absent path is not asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from collector_fakes import FakeRouter, context
from test_collectors_tiers import V7, build_router

from mikromon.collectors import run_tier
from mikromon.collectors.registry import collectors_for
from mikromon.collectors.together import together
from mikromon.domain.errors import CommandFailed, ConnectionLost
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import PrintReply, PrintRequest, print_one_by_one


class TaggingRouter(FakeRouter):
    """A :class:`FakeRouter` that also answers several prints at once."""

    batches: list[list[str]]

    async def print_many(self, requests: Sequence[PrintRequest]) -> list[PrintReply]:
        self.batches = [*getattr(self, "batches", []), [r.path for r in requests]]
        return await print_one_by_one(self, requests)


def tagging(captures: Path) -> TaggingRouter:
    plain = build_router(captures, V7)
    return TaggingRouter(tables=plain.tables, counts=plain.counts, commands=plain.commands)


async def test_realtime_tier_is_one_batch_and_reads_as_one_by_one(captures: Path) -> None:
    router = tagging(captures)
    batched = await run_tier(router, Tier.REALTIME, context())
    assert router.batches == [["/system/resource", "/system/health", "/interface"]]
    one_by_one = await run_tier(build_router(captures, V7), Tier.REALTIME, context())
    assert batched == one_by_one
    assert batched.samples
    assert batched.readings()
    assert batched.facts is not None


async def test_short_tier_batches_its_plain_prints_only(captures: Path) -> None:
    router = tagging(captures)
    await run_tier(router, Tier.SHORT, context())
    expected = [c.path for c in together(collectors_for(Tier.SHORT), context())]
    assert router.batches == [expected]
    assert len(expected) >= 2
    # the others ran as before, one after another
    assert len(router.calls) > len(expected)


async def test_a_trap_fails_its_collector_only(captures: Path) -> None:
    router = tagging(captures)
    router.errors["/system/health"] = CommandFailed("busy", device="test",
                                                    command="/system/health/print")
    del router.tables["/system/resource"]  # not on this router
    result = await run_tier(router, Tier.REALTIME, context())
    assert result.failures == ["system_health: busy (command /system/health/print)"]
    assert result.absent == ["/system/resource"]
    assert len(result.readings()) == 8 * len(router.tables["/interface"])


async def test_known_absent_path_is_not_asked(captures: Path) -> None:
    router = tagging(captures)
    await run_tier(router, Tier.REALTIME, context(absent={"/system/health"}))
    assert router.batches == [["/system/resource", "/interface"]]


async def test_a_mapping_bug_fails_its_collector_only(
    captures: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mikromon.collectors.system_health as health

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(health, "map_rows", broken)
    result = await run_tier(tagging(captures), Tier.REALTIME, context())
    assert result.failures == ["system_health: ZeroDivisionError: bug"]
    assert result.readings()
    assert result.facts is not None


async def test_a_broken_session_ends_the_tier(captures: Path) -> None:
    router = tagging(captures)
    router.errors["/interface"] = ConnectionLost("connection closed by the router",
                                                 device="test", command="/interface/print")
    with pytest.raises(ConnectionLost):
        await run_tier(router, Tier.REALTIME, context())


async def test_one_at_a_time_never_sends_prints_together(captures: Path) -> None:
    """A slow router's tiers (the scheduler sets ``one_at_a_time``) ask one print
    after another, and read the same."""
    router = tagging(captures)
    ctx = context()
    ctx.one_at_a_time = True
    result = await run_tier(router, Tier.REALTIME, ctx)
    assert getattr(router, "batches", []) == []
    assert [call.path for call in router.calls] == ["/system/resource", "/system/health",
                                                   "/interface"]
    assert result == await run_tier(build_router(captures, V7), Tier.REALTIME, context())
