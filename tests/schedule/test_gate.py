"""A slow router's gated session (:class:`mikromon.schedule.gate.Gated`) is a full
:class:`~mikromon.routeros.base.RouterOSClient`: the collectors' reply limits reach
the session beneath it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.schedule.gate import Gated, RealtimeFirst


class Recorder:
    """A client that records each command's limit and answers one row."""

    def __init__(self) -> None:
        self.limits: list[ReplyLimit | None] = []

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        self.limits.append(limit)
        return [{"name": path}]

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        return 1

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[Row]:
        self.limits.append(limit)
        return [{"name": command}]

    async def close(self) -> None:
        return None


async def test_gated_commands_pass_their_reply_limit_on() -> None:
    inner = Recorder()
    gated: RouterOSClient = Gated(inner, RealtimeFirst(), None, 1.0)
    small = ReplyLimit(rows=5, bytes=1000)
    assert await gated.print("/interface", ["name"], limit=small) == [{"name": "/interface"}]
    assert await gated.call("/interface/monitor-traffic", {"once": ""}, limit=small) == [
        {"name": "/interface/monitor-traffic"}]
    assert await gated.print("/ip/route", ["dst-address"]) == [{"name": "/ip/route"}]
    assert inner.limits == [small, small, None]
