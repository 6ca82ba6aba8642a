"""What device collectors are built from: how to open a session, how to run a
tier, how to compute rates, the clock, the time scale and the backoffs.

The defaults are the real pieces (:func:`mikromon.collectors.poll.open_session`,
:func:`mikromon.collectors.run_tier`, :class:`mikromon.pipeline.rates.RateCalculator`);
tests replace them with fakes driven by data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import mikromon.schedule.trigger as trigger
from mikromon.collectors import run_tier
from mikromon.collectors.poll import ClientFactory, TierRunner, open_session
from mikromon.domain.clock import Clock, SystemClock
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import CounterBlock, CounterReading, Sample, SampleBlock, SampleItem
from mikromon.domain.tiers import Tier

#: Called after every run: (device id, tier, lag behind the due time s, duration s, ok).
RunObserver = Callable[[int, Tier, float, float, bool], None]


class RateCalculator(Protocol):
    """Turns counter readings into rates (``mikromon.pipeline.rates.RateCalculator``)."""

    def update_items(self, readings: Sequence[CounterReading | CounterBlock],
                     uptime_s: float | None) -> Sequence[Sample | SampleBlock]:
        """Return rate samples for ``readings``, one by one or a reply's together
        (a reply's as a :class:`SampleBlock`; none for a series' first reading)."""
        ...


class StorageQueue(Protocol):
    """Where a collector puts what it read, on its way to the
    :class:`~mikromon.storage.protocols.Storage`
    (:class:`mikromon.schedule.writer.StorageWriter`, or the alerting
    :class:`mikromon.alerting.runner.AlertingQueue` in front of it). Never blocks."""

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None: ...
    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None: ...
    def put_events(self, events: Sequence[Event]) -> None: ...
    def put_status(self, status: DeviceStatus) -> None: ...


def _default_rates() -> RateCalculator:
    from mikromon.pipeline.rates import RateCalculator as Real

    return Real()


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectorDeps:
    """What device collectors are built from; replace any part in tests.

    Attributes:
        connect: opens a session to a router.
        run_tier: runs a tier's collectors over a session.
        rates: makes a fresh rate calculator.
        clock: time source.
        time_scale: factor applied to every interval and backoff (1 = real time).
        backoff_base_s: first wait after a failed connection attempt, seconds (unscaled).
        backoff_cap_s: longest wait between connection attempts, seconds (unscaled).
        auth_backoff_s: wait after refused credentials, seconds (unscaled).
        observer: called after every run (benchmarks); must be quick.
        shared_fleet: the collector shares the fleet with other collectors, so a
            device that appears or goes may have moved between them (logged and
            recorded as such).
    """

    connect: ClientFactory = open_session
    run_tier: TierRunner = run_tier
    rates: Callable[[], RateCalculator] = _default_rates
    clock: Clock = field(default_factory=SystemClock)
    time_scale: float = 1.0
    backoff_base_s: float = trigger.CONNECT_BACKOFF_BASE_S
    backoff_cap_s: float = trigger.CONNECT_BACKOFF_CAP_S
    auth_backoff_s: float = trigger.AUTH_BACKOFF_S
    observer: RunObserver | None = None
    shared_fleet: bool = False


