"""Polling one router: connect, learn the router, run tiers, close.

Every poller of a router goes through here: the scheduler
(:class:`mikromon.schedule.device.DeviceCollector`, which keeps its session open
between runs), ``mikromon collect-once`` and the web's Test connection (one
session each, through :func:`poll_session`).

:class:`Poller` holds what is known of one router (its
:class:`~mikromon.collectors.base.CollectContext`) and learns from every run:
the RouterOS version its facts name (a changed version forgets the paths
found absent, since an upgrade may bring them) and the paths found absent (not
asked again).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from mikromon.collectors import run_tier as run_tier_default
from mikromon.collectors.base import CollectContext
from mikromon.collectors.context import learn_version, read_version
from mikromon.collectors.registry import by_name
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, RouterOSSession

#: Runs every collector of a tier (:func:`mikromon.collectors.run_tier`).
TierRunner = Callable[[RouterOSClient, Tier, CollectContext], Awaitable[CollectResult]]
#: Opens a logged-in session (:func:`mikromon.routeros.client.connect`).
ClientFactory = Callable[[DeviceConfig], Awaitable[RouterOSSession]]

def open_session(config: DeviceConfig) -> Awaitable[RouterOSSession]:
    """Open a logged-in session (:func:`mikromon.routeros.client.connect`, imported
    when first used).

    Raises:
        DeviceError: connecting or logging in.
    """
    from mikromon.routeros.client import connect

    return connect(config)


@dataclass(slots=True)
class Poller:
    """What is known of one router, and how its tiers are run.

    Attributes:
        ctx: the collectors' context (version, absent paths, clocks).
        version: the RouterOS version text last learnt (``None`` before).
        run_tier: runs a tier's collectors (tests replace it).
    """

    ctx: CollectContext
    version: str | None = None
    run_tier: TierRunner = field(default=run_tier_default, repr=False)

    def __post_init__(self) -> None:
        learn_version(self.ctx, self.version)

    def learn(self, result: CollectResult) -> bool:
        """Learn from one run: the version its facts name, then the paths it found
        absent. A version other than the one known forgets the absent paths
        before this run's are added.

        Returns:
            Whether the RouterOS version changed (not: first learnt).
        """
        version = result.facts.version if result.facts is not None else None
        changed = False
        if version is not None:
            changed = self.version is not None and version != self.version
            if changed:
                self.ctx.absent.clear()
            if version != self.version or not self.ctx.version:  # else: learnt already
                learn_version(self.ctx, version)
            self.version = version
        self.ctx.absent.update(result.absent)
        return changed

    async def run(self, client: RouterOSClient, tier: Tier) -> CollectResult:
        """Run ``tier`` over ``client`` and learn from what it read.

        Raises:
            DeviceError, Exception: whatever the tier runner raises
                (:func:`mikromon.collectors.run_tier`: a broken session).
        """
        result = await self.run_tier(client, tier, self.ctx)
        self.learn(result)
        return result

    async def detect(self, client: RouterOSClient) -> None:
        """Ask the router its version (:func:`~mikromon.collectors.context.read_version`),
        so that a first tier other than realtime knows it.

        Raises:
            DeviceError: from the client.
        """
        version = await read_version(client)
        if version is not None:
            self.version = version
            learn_version(self.ctx, version)


@dataclass(slots=True)
class PollSession:
    """One open session with a router and its :class:`Poller` (see :func:`poll_session`)."""

    client: RouterOSClient
    poller: Poller

    @property
    def ctx(self) -> CollectContext:
        """The router's collection context."""
        return self.poller.ctx

    async def run(self, tier: Tier) -> CollectResult:
        """Run ``tier`` once (:meth:`Poller.run`)."""
        return await self.poller.run(self.client, tier)

    async def run_collectors(self, names: Sequence[str]) -> CollectResult:
        """Run the collectors registered as ``names`` (whatever their tier) and
        merge what they read; the Poller learns from it.

        Raises:
            KeyError: no collector of that name.
            DeviceError: from the client (a collector reports a missing path in
                ``absent``).
        """
        result = CollectResult()
        for name in names:
            result.merge(await by_name(name).collect(self.client, self.ctx))
        self.poller.learn(result)
        return result


@contextlib.asynccontextmanager
async def poll_session(
    config: DeviceConfig, *, connect: ClientFactory = open_session,
    run_tier: TierRunner = run_tier_default,
) -> AsyncIterator[PollSession]:
    """Log in to the router of ``config``, learn its version and yield the
    session; close it when the block ends (whatever happened).

    Args:
        config: the device (its label names it in messages).
        connect: opens the session (default :func:`mikromon.routeros.client.connect`).
        run_tier: runs a tier (default :func:`mikromon.collectors.run_tier`).

    Raises:
        DeviceError: connecting, logging in, reading the version, or from the block.
    """
    client = await connect(config)
    try:
        poller = Poller(CollectContext(device=config.label), run_tier=run_tier)
        await poller.detect(client)
        yield PollSession(client, poller)
    finally:
        await client.close()
