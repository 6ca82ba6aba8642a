"""Taking turns on a slow router's one session: its realtime tier goes first.

While a slow router's realtime run is in progress its other tiers' commands
wait (:class:`RealtimeFirst`), so its realtime data is not queued behind its
big tables; :class:`Gated` is a tier's view of that session.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence

from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row


class RealtimeFirst:
    """Orders one router's commands so that its realtime tier goes first.

    While a realtime run is in progress, the other tiers' commands wait; they pass
    one at a time, and only between realtime runs. Used for slow routers (seconds
    per command): it keeps the realtime data coming every realtime run plus one
    other command, instead of queueing each realtime command behind every other
    tier's. Event-loop only.
    """

    def __init__(self) -> None:
        self._realtime_runs = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._turn = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def realtime_run(self) -> AsyncIterator[None]:
        """Hold the other tiers' commands back for the duration of the block."""
        self._realtime_runs += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._realtime_runs -= 1
            if not self._realtime_runs:
                self._idle.set()

    @contextlib.asynccontextmanager
    async def other_command(self) -> AsyncIterator[float]:
        """Wait for this command's turn (no realtime run in progress, no other tier's
        command in flight); yields the seconds waited."""
        started = time.monotonic()
        async with self._turn:
            while not self._idle.is_set():
                await self._idle.wait()
            yield time.monotonic() - started


class Gated:
    """A tier's view of a slow router's session: its commands take turns
    (:class:`RealtimeFirst`). The time a command waits for its turn is added to the
    tier's deadline, and each command keeps at least its own limit
    (``command_limit``) from its start: on a router that takes seconds per command,
    a tier of many commands is bounded by its commands' limits, not cut off by a
    run limit sized for a fast router."""

    def __init__(self, client: RouterOSClient, gate: RealtimeFirst,
                 deadline: asyncio.Timeout | None, command_limit: float) -> None:
        self._client = client
        self._gate = gate
        self._deadline = deadline
        self._command_limit = command_limit

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        async with self._gate.other_command() as waited:
            deadline = self._deadline
            when = deadline.when() if deadline is not None else None
            if deadline is not None and when is not None:
                least = asyncio.get_running_loop().time() + self._command_limit + 1.0
                deadline.reschedule(max(when + waited, least))
            yield

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        """:meth:`RouterOSClient.print` in turn (``limit`` passed on)."""
        async with self._turn():
            return await self._client.print(path, proplist, query, args, limit=limit)

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        """:meth:`RouterOSClient.count` in turn."""
        async with self._turn():
            return await self._client.count(path, query)

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[Row]:
        """:meth:`RouterOSClient.call` in turn (``limit`` passed on)."""
        async with self._turn():
            return await self._client.call(command, args, limit=limit)

    async def close(self) -> None:
        """Close the session (never raises)."""
        await self._client.close()
