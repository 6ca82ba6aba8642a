"""DeviceCollector: polls one router on its five tiers.

One asyncio task per tier sleeps until the tier's next deadline
(:mod:`mikromon.schedule.trigger`) and runs it, so a tier never overlaps itself.
The wait ends at the deadline itself (:meth:`~mikromon.domain.clock.Clock.sleep_until`),
so the devices of one phase slot, due at the same instant, wake together.
The collector puts together the pieces that do the work, one job each:

- :class:`~mikromon.schedule.session.DeviceSession`: the one session the tiers
  share (connect, back off, wait out a refused login);
- :class:`~mikromon.schedule.tier_loop.TierLoop`: each tier run at its deadlines,
  through the router's :class:`~mikromon.collectors.poll.Poller`, and every way a
  run can end handled;
- :func:`~mikromon.schedule.outcome.run_outcome`: what a completed run read
  becomes samples, events, snapshots and a status (pure);
- :class:`~mikromon.schedule.report.DeviceReport`: the device's state, events,
  status writes and log lines, once per change;
- :mod:`mikromon.schedule.status`: the status document, typed.

A router that answers, but not within the realtime limit, is *slow*, not down
(:meth:`~mikromon.schedule.tier_loop.TierLoop._silent_or_slow`): its realtime commands get the whole
command timeout, and its tiers keep running at the pace it answers. While a
slow router's realtime run is in progress its other tiers' commands wait
(:class:`~mikromon.schedule.gate.RealtimeFirst`), so its realtime data is not
queued behind its big tables.

What a run returns goes to a :class:`~mikromon.schedule.deps.StorageQueue` (the
writer): samples (gauges plus rates from the rate calculator), inventory
snapshots, events (noticed changes, on transitions only) and the device's status.

Values the router sent that could not be read (``CollectResult.bad_values``:
``cpu-load=n/a``, an empty counter, a temperature of 900 C) cost only their
field. They are counted (``bad_values`` in the status, per tier and per
device) and reported once per device, path and field, with the raw text: a
WARNING line and a ``bad_value`` event, again only when the text changes, or
after a clean run of the tier read the field well.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime
from typing import Final

import mikromon.schedule.trigger as trigger
from mikromon.collectors.base import CollectContext
from mikromon.collectors.poll import Poller
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceState
from mikromon.domain.formatting import utc_iso
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSSession
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import CollectorDeps, StorageQueue
from mikromon.schedule.known import Carry, Remembered
from mikromon.schedule.limits import TierLimits
from mikromon.schedule.outcome import remembered_version
from mikromon.schedule.report import DeviceReport
from mikromon.schedule.session import DeviceSession, describe
from mikromon.schedule.status import (
    AFTER_FIRST_REALTIME,
    DeviceStatusDoc,
    TierStats,
    tiers_status,
)
from mikromon.schedule.tier_loop import TierLoop

__all__ = ["AFTER_FIRST_REALTIME", "Carry", "DeviceCollector", "Remembered", "describe"]

log = logging.getLogger(__name__)

#: Seconds between status writes of a device whose state, error and facts did not
#: change (refreshes ``last_seen``); scaled by the time scale.
STATUS_REFRESH_S: Final = 30.0
#: Shortest per-command limit of a tier, seconds (not scaled: network delays and a
#: busy router's reply time do not shrink with the time scale). A tier's commands
#: may take max(its interval, this), but never more than the device's
#: ``command_timeout``: a realtime command (tiny replies) unanswered for that long
#: means a silent router unless it takes a new session within the connect timeout
#: (then it is slow, and gets the whole limit), while the long tiers' big tables
#: get the whole limit.
REPLY_FLOOR_S: Final = 3.0


class DeviceCollector:
    """Polls one enabled router on its five tiers until stopped.

    Args:
        config: the device (``enabled`` is not checked here).
        deps: connection, tier runner, rates, clock, time scale.
        queue: receives samples, inventory, events and status (must not block).
        loaded_at: when this configuration was applied, UTC.
        carry: state inherited from the collector this one replaces (a
            configuration change): the tiers' counters and schedules, and, for the
            same router, what was learnt of it.
        remembered: what the service keeps of this device across its collectors
            (default: a fresh one, kept by this collector only).
    """

    def __init__(
        self,
        config: DeviceConfig,
        deps: CollectorDeps,
        queue: StorageQueue,
        *,
        loaded_at: datetime,
        carry: Carry | None = None,
        remembered: Remembered | None = None,
    ) -> None:
        self.config = config
        self.loaded_at = loaded_at
        self._deps = deps
        self._clock = deps.clock
        scale = deps.time_scale
        self._configured = {t: trigger.configured_interval(t, config.intervals) for t in Tier}
        self._intervals = intervals = {t: self._configured[t] * scale for t in Tier}
        now = self._clock.monotonic()
        stats: dict[Tier, TierStats] | None = None
        if carry is not None:
            memory = carry.memory
            rates = carry.rates
            stats = {t: replace(carry.stats.get(t) or TierStats(), running_since=None)
                     for t in Tier}
            schedules = {t: carry.schedules[t].retimed(
                intervals[t], now, self._mono_of(stats[t].last_run, now)) for t in Tier}
        else:
            memory = DeviceMemory()
            rates = {}
            schedules = trigger.initial_schedules(
                intervals, now, trigger.device_phase(config.id, scale),
                trigger.START_SPREAD_S * scale,
            )
        self._remembered = remembered if remembered is not None else Remembered()
        self._report = DeviceReport(config, self._clock, queue, memory, self._remembered,
                                    STATUS_REFRESH_S * scale)
        poller = Poller(
            CollectContext(device=config.label, clock=self._clock.now,
                           monotonic=self._clock.monotonic),
            version=self.memory.facts.version, run_tier=deps.run_tier,
        )
        remembered = self._remembered
        remembered.version, remembered.announced_absent = remembered_version(
            remembered.version, remembered.announced_absent, self.memory.facts.version)
        self._session = self._report.session = self._resume_outage(now)
        self._tasks: list[asyncio.Task[None]] = []
        #: per-command and per-run limits (see REPLY_FLOOR_S).
        self._limits = limits = TierLimits(config, intervals, floor=REPLY_FLOOR_S,
                                           slow=self.memory.state is DeviceState.SLOW)
        self._tiers = TierLoop(config, deps, self._session, self._report, poller, limits,
                               schedules, rates, intervals, stats=stats)
        if carry is not None:
            self._report.keep_tier_errors(carry.tier_errors)

    def _mono_of(self, wall: datetime | None, now: float) -> float | None:
        """Return the monotonic reading of UTC ``wall`` (``None`` stays ``None``)."""
        if wall is None:
            return None
        return now - (self._clock.now() - wall).total_seconds()

    def _resume_outage(self, now: float) -> DeviceSession:
        """Take over an outage or a refused login a previous collector of this device
        reported (its successor must not retry at once, and reports the recovery);
        return the device's session."""
        remembered = self._remembered
        outage = (DeviceState.DOWN, DeviceState.AUTH_FAILED)
        if self.memory.state is DeviceState.UNKNOWN and remembered.state in outage:
            self.memory.state = remembered.state
            self.memory.first_failure_mono = remembered.first_failure_mono
        if remembered.auth_hash is None:
            return DeviceSession(self.config, self._deps, self._report)
        if remembered.auth_hash == self.config.config_hash() and remembered.auth_retry_at > now:
            return DeviceSession(self.config, self._deps, self._report,
                                 auth_retry_at=remembered.auth_retry_at,
                                 auth_error=remembered.auth_error)
        remembered.auth_hash = None
        return DeviceSession(self.config, self._deps, self._report)

    @property
    def memory(self) -> DeviceMemory:
        """What is known of the router (:attr:`DeviceReport.memory`)."""
        return self._report.memory

    @memory.setter
    def memory(self, memory: DeviceMemory) -> None:
        self._report.memory = memory

    @property
    def _client(self) -> RouterOSSession | None:
        """The open session, ``None`` when there is none."""
        return self._session.client

    @property
    def connect_attempts(self) -> int:
        """Connection attempts made (tests and status)."""
        return self._session.attempts

    @property
    def connect_failures(self) -> int:
        """Connection attempts that failed or were refused (status)."""
        return self._session.failures

    # -- lifecycle --------------------------------------------------------------

    @property
    def device_id(self) -> int:
        """The device's id."""
        return self.config.id

    @property
    def state(self) -> DeviceState:
        """The device's current state."""
        return self.memory.state

    def start(self) -> None:
        """Start one task per tier in the running event loop."""
        for tier in Tier:
            self._tasks.append(asyncio.create_task(
                self._tiers.loop(tier), name=f"mikromon:{self.config.label}:{tier.value}"
            ))

    async def stop(self, grace_s: float = 3.0) -> Carry:
        """Cancel the tier tasks, close the connection, and return the state a
        replacing collector may inherit.

        Args:
            grace_s: seconds to wait for cancelled runs to unwind.
        """
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace_s)
            for task in pending:
                log.warning("device %s: task %s did not stop within %.1f s",
                            self.config.label, task.get_name(), grace_s)
        self._tasks.clear()
        await self._session.drop(self._client)
        return Carry(memory=self.memory, rates=self._tiers.rates,
                     schedules=self._tiers.schedules, stats=self._tiers.stats,
                     tier_errors=self._report.tier_errors)

    async def run_now(self, tier: Tier) -> None:
        """Run ``tier`` once now, as its schedule would (tests, one-off polls).

        Nothing runs while the device is backing off (the run is deferred).
        """
        await self._tiers.run(tier, self._tiers.schedules[tier])

    # -- status ---------------------------------------------------------------------

    def status(self, now: tuple[float, datetime] | None = None) -> DeviceStatusDoc:
        """Return this device's part of the service status
        (:class:`~mikromon.schedule.status.DeviceStatusDoc`, JSON-serialisable).

        Args:
            now: (monotonic seconds, UTC datetime) read once for a whole fleet;
                default: read the clock.

        A tier's ``next_due`` is, while the router is down or refused the login,
        never before the next connection attempt (see ``retry_in_s``), and before
        the first realtime run of the other tiers never before it; its
        ``blocked`` is the device's error while it is down or refused the login,
        or :data:`~mikromon.schedule.status.AFTER_FIRST_REALTIME`.
        """
        mono, wall = now if now is not None else (self._clock.monotonic(), self._clock.now())
        device_error = self._report.device_error()
        outage = self.memory.state in (DeviceState.DOWN, DeviceState.AUTH_FAILED)
        retry_at = self._session.retry_at
        tiers = tiers_status(
            self._tiers.stats, self._tiers.schedules, configured=self._configured,
            intervals=self._intervals, reply_limits=self._limits.reply, mono=mono, wall=wall,
            outage_error=device_error if outage else None, retry_at=retry_at,
            after_realtime=not self._tiers.facts_known.is_set(),
        )
        facts = self.memory.facts
        return {
            "id": self.config.id,
            "name": self.config.label,
            "state": self.memory.state.value,
            "config_loaded_at": utc_iso(self.loaded_at),
            "last_error": device_error,
            "connected": self._client is not None,
            "connect_attempts": self.connect_attempts,
            "connect_failures": self.connect_failures,
            "retry_in_s": round(max(0.0, retry_at - mono), 3),
            "bad_values": sum(st.bad_values for st in self._tiers.stats.values()),
            "facts": {"identity": facts.identity, "board": facts.board,
                      "version": facts.version},
            "tiers": tiers,
        }
