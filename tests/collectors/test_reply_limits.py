"""Every print a collector makes declares a reply limit that real tables fit under."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from mikromon.collectors import detect_context, interface, ip_route, queue_simple, run_tier
from mikromon.collectors.support import bounded_reply
from mikromon.collectors.table_collectors import ROW_LIMIT
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import ReplyTooLarge
from mikromon.domain.tiers import Tier
from mikromon.emulator import PROFILES
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.base import DEFAULT_REPLY_LIMIT, ReplyLimit, RouterOSClient, Row
from mikromon.routeros.client import connect


class LimitRecorder:
    """Delegates to a real client and remembers the limit of every print."""

    def __init__(self, inner: RouterOSClient) -> None:
        self.inner = inner
        self.limits: dict[str, list[ReplyLimit | None]] = {}

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        self.limits.setdefault(path, []).append(limit)
        return await self.inner.print(path, proplist, query, args, limit=limit)

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        return await self.inner.count(path, query)

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[Row]:
        return await self.inner.call(command, args, limit=limit)

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.parametrize("name", ["v6", "v7"])
async def test_every_print_is_bounded_and_real_tables_fit(name: str) -> None:
    profile = PROFILES[name].replace(connections=200)
    async with async_emulators(1, profile=profile) as (router,):
        device = DeviceConfig(id=1, name=name, host=router.host, port=router.port,
                              username=router.username, password=router.password)
        client = LimitRecorder(await connect(device))
        try:
            ctx = await detect_context(client, name)
            for tier in Tier:
                result = await run_tier(client, tier, ctx)
                assert not [f for f in result.failures if "limit" in f]
                ctx.absent.update(result.absent)
        finally:
            await client.close()
    declared = {path: {limit for limit in limits} for path, limits in client.limits.items()}
    assert declared["/interface"] == {interface.REPLY_LIMIT}
    assert declared["/ip/route"] == {ip_route.REPLY_LIMIT}
    assert declared["/queue/simple"] == {queue_simple.REPLY_LIMIT}
    assert declared["/ip/arp"] == {bounded_reply(ROW_LIMIT)}
    # The rest say nothing and get the default; none is unbounded.
    for path, limits in declared.items():
        for limit in limits:
            assert (limit or DEFAULT_REPLY_LIMIT).rows <= 100_000, path


def test_declared_limits_hold_the_tables_they_are_for() -> None:
    """A BRAS's 10,000+ PPPoE interfaces and an ISP's per-subscriber queues fit;
    a table bounded by count-only fits twice its row limit."""
    assert interface.REPLY_LIMIT.rows >= 50_000
    assert queue_simple.REPLY_LIMIT.rows >= 50_000
    assert ip_route.REPLY_LIMIT.rows > ip_route.INVENTORY_LIMIT
    assert bounded_reply(ROW_LIMIT).rows >= 2 * ROW_LIMIT
    assert bounded_reply(ROW_LIMIT).bytes >= 2 * ROW_LIMIT * 500  # 500-byte rows


async def test_a_collector_past_its_limit_fails_the_tier_with_the_path_and_limit() -> None:
    """The emulator's endless rows: the counters tier ends in ReplyTooLarge (a
    session error: the scheduler drops the session and shows the message)."""
    async with async_emulators(1, profile="v7") as (router,):
        device = DeviceConfig(id=1, name="bras", host=router.host, port=router.port,
                              username=router.username, password=router.password,
                              command_timeout=30.0)
        client = await connect(device)
        ctx = await detect_context(client, "bras")
        router.set_fault(endless_rows=True)
        with pytest.raises(ReplyTooLarge) as info:
            await run_tier(client, Tier.REALTIME, ctx)
        await client.close()
    assert info.value.path.endswith("/print")
    assert str(info.value.limit) in str(info.value)
    assert client.closed
