"""Poller: what one router's polls learn (version, absent paths), whoever polls."""

from __future__ import annotations

import asyncio

from mikromon.collectors.base import CollectContext
from mikromon.collectors.poll import Poller
from mikromon.domain.inventory import CollectResult, DeviceFacts
from mikromon.domain.tiers import Tier


def _result(version: str | None = None, absent: tuple[str, ...] = ()) -> CollectResult:
    facts = DeviceFacts(version=version) if version is not None else None
    return CollectResult(facts=facts, absent=list(absent))


def test_a_known_version_sets_the_context_at_once() -> None:
    poller = Poller(CollectContext(device="r"), version="6.49.10 (long-term)")
    assert (poller.ctx.major, poller.ctx.version) == (6, (6, 49, 10))


def test_learns_the_version_then_absent_paths() -> None:
    poller = Poller(CollectContext(device="r"))
    assert poller.learn(_result("7.16.2 (stable)", ("/ip/hotspot/active",))) is False
    assert poller.ctx.version == (7, 16, 2)
    assert poller.ctx.absent == {"/ip/hotspot/active"}
    assert poller.learn(_result("7.16.2 (stable)", ("/caps-man/interface",))) is False
    assert poller.ctx.absent == {"/ip/hotspot/active", "/caps-man/interface"}


def test_a_changed_version_forgets_absent_paths_before_adding_this_runs() -> None:
    poller = Poller(CollectContext(device="r"), version="6.49")
    poller.learn(_result(absent=("/interface/wifi",)))
    assert poller.learn(_result("7.16.2", ("/interface/wireless",))) is True
    assert poller.ctx.absent == {"/interface/wireless"}
    assert poller.ctx.major == 7


def test_unreadable_version_keeps_what_was_known() -> None:
    poller = Poller(CollectContext(device="r"), version="7.16.2")
    poller.learn(_result("garbage"))
    assert poller.ctx.version == (7, 16, 2)


def test_run_passes_the_context_and_learns() -> None:
    seen: list[tuple[object, Tier, CollectContext]] = []

    async def run_tier(client: object, tier: Tier, ctx: CollectContext) -> CollectResult:
        seen.append((client, tier, ctx))
        return _result("7.18beta2", ("/ppp/active",))

    poller = Poller(CollectContext(device="r"), run_tier=run_tier)  # type: ignore[arg-type]
    result = asyncio.run(poller.run("client", Tier.SHORT))  # type: ignore[arg-type]
    assert seen == [("client", Tier.SHORT, poller.ctx)]
    assert result.absent == ["/ppp/active"]
    assert poller.ctx.absent == {"/ppp/active"}
    assert poller.ctx.version == (7, 18, 0)
