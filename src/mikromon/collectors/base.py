"""The Collector Protocol: one RouterOS resource, read and mapped to samples and inventory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient

if TYPE_CHECKING:
    from mikromon.collectors.clock import RouterClock


@dataclass(slots=True, kw_only=True)
class CollectContext:
    """What a collector knows about the router before it asks.

    Attributes:
        device: the device's label for messages.
        major: RouterOS major version (6 or 7), from ``/system/resource`` ``version``.
        version: full version tuple, e.g. ``(7, 16, 2)``; ``()`` when unknown.
        absent: paths already known to be missing on this router; collectors
            skip them without asking.
        clock: returns "now" as timezone-aware UTC (the ``ts`` of what is read).
        monotonic: returns monotonic seconds (``CounterReading.mono``).
        router_clock: the router's ``/system/clock`` as last read (offset, zone,
            date), ``None`` before a read or when it could not be read
            (:func:`mikromon.collectors.clock.router_clock`).
        router_clock_mono: monotonic seconds of that read, ``None`` before one.
        health_states: the health state rows last sent (``(name, state)`` pairs)
            and the monotonic seconds they were sent
            (:mod:`mikromon.collectors.system_health` sends them again only when
            they change or have aged); ``None`` before.
        one_at_a_time: send one command at a time, never several prints
            together (:mod:`mikromon.collectors.together`): set by the scheduler
            while the router is slow, so that a router taking seconds per
            command never has more than one of them to work on.
    """

    device: str
    major: int = 7
    version: tuple[int, ...] = ()
    absent: set[str] = field(default_factory=set)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    router_clock: RouterClock | None = None
    router_clock_mono: float | None = None
    health_states: tuple[tuple[tuple[str, str], ...], float] | None = None
    one_at_a_time: bool = False

    def at_least(self, *version: int) -> bool:
        """Return whether the router runs ``version`` or newer (``at_least(7, 13)``).

        An unknown full version falls back to comparing the major version only.
        """
        if self.version:
            return tuple(self.version) >= version
        return self.major >= version[0]


class Collector(Protocol):
    """Reads one resource from a router.

    Attributes:
        name: registry key, named after the RouterOS path (``system_resource``).
        tier: the tier it runs in.

    A collector that stores inventory tables also has ``views``: a tuple of
    :class:`~mikromon.collectors.table_view.TableView`, one per table, saying how
    the pages show it (read by :func:`mikromon.collectors.registry.table_views`).
    """

    name: str
    tier: Tier

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the resource and map it.

        Raises:
            DeviceError: from the client; ``PathAbsent`` is caught by the
                collector and reported in ``CollectResult.absent`` instead.
        """
        ...
