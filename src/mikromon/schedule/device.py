"""DeviceCollector: polls one router on its five tiers.

One asyncio task per tier sleeps until the tier's next deadline
(:mod:`mikromon.schedule.trigger`) and runs it, so a tier never overlaps itself.
The tiers share one session (:class:`~mikromon.schedule.session.DeviceSession`:
connect, back off, wait out a refused login); each run goes through the
router's :class:`~mikromon.collectors.poll.Poller`, and what it read becomes
samples, events and a status by :func:`~mikromon.schedule.outcome.run_outcome`.

A router that answers, but not within the realtime limit, is *slow*, not down
(:meth:`DeviceCollector._silent_or_slow`): its realtime commands get the whole
command timeout, and its tiers keep running at the pace it answers. While a
slow router's realtime run is in progress its other tiers' commands wait
(:class:`~mikromon.schedule.gate.RealtimeFirst`), so its realtime data is not
queued behind its big tables.

What a run returns goes to a :class:`~mikromon.schedule.deps.Sink` (the
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
from datetime import datetime, timedelta
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.poll import Poller
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
)
from mikromon.domain.events import DeviceState
from mikromon.domain.inventory import CollectResult, utc_iso
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, RouterOSSession
from mikromon.schedule import trigger
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import CollectorDeps, RateCalculator, Sink
from mikromon.schedule.gate import Gated, RealtimeFirst
from mikromon.schedule.known import Carry, Remembered
from mikromon.schedule.limits import TierLimits
from mikromon.schedule.outcome import remembered_version, run_outcome
from mikromon.schedule.report import DeviceReport
from mikromon.schedule.session import CONNECTION_ERRORS, DeviceSession, NotConnected, describe
from mikromon.schedule.status import (
    AFTER_FIRST_REALTIME,
    DeviceStatusDoc,
    TierStats,
    tiers_status,
)

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
#: States in which the router answers (runs write their errors into the status).
_ANSWERING: Final = (DeviceState.UP, DeviceState.DEGRADED, DeviceState.SLOW)


class DeviceCollector:
    """Polls one enabled router on its five tiers until stopped.

    Args:
        config: the device (``enabled`` is not checked here).
        deps: connection, tier runner, rates, clock, time scale.
        sink: receives samples, inventory, events and status (must not block).
        loaded_at: when this configuration was applied, UTC.
        carry: state inherited from the previous collector of the same router.
        remembered: what the service keeps of this device across its collectors
            (default: a fresh one, kept by this collector only).
    """

    def __init__(
        self,
        config: DeviceConfig,
        deps: CollectorDeps,
        sink: Sink,
        *,
        loaded_at: datetime,
        carry: Carry | None = None,
        remembered: Remembered | None = None,
    ) -> None:
        self.config = config
        self.loaded_at = loaded_at
        self._deps = deps
        self._sink = sink
        self._clock = deps.clock
        scale = deps.time_scale
        self._configured = {t: trigger.configured_interval(t, config.intervals) for t in Tier}
        self._intervals = {t: self._configured[t] * scale for t in Tier}
        now = self._clock.monotonic()
        if carry is not None:
            memory = carry.memory
            self._rates = carry.rates
            self._schedules = {
                t: carry.schedules[t].retimed(self._intervals[t], now) for t in Tier
            }
        else:
            memory = DeviceMemory()
            self._rates = {}
            self._schedules = trigger.initial_schedules(
                self._intervals, now, trigger.phase_fraction(config.id),
                trigger.START_SPREAD_S * scale,
            )
        self._remembered = remembered if remembered is not None else Remembered()
        self._report = DeviceReport(config, self._clock, sink, memory, self._remembered,
                                    STATUS_REFRESH_S * scale)
        self._poller = Poller(
            CollectContext(device=config.label, clock=self._clock.now,
                           monotonic=self._clock.monotonic),
            version=self.memory.facts.version, run_tier=deps.run_tier,
        )
        remembered = self._remembered
        remembered.version, remembered.announced_absent = remembered_version(
            remembered.version, remembered.announced_absent, self.memory.facts.version)
        self._stats = {t: TierStats() for t in Tier}
        self._facts_known = asyncio.Event()
        if self.memory.facts.version is not None:
            self._facts_known.set()
        self._session = self._report.session = self._resume_outage(now)
        self._tasks: list[asyncio.Task[None]] = []
        #: per-command and per-run limits (see REPLY_FLOOR_S).
        self._limits = TierLimits(config, self._intervals, floor=REPLY_FLOOR_S,
                                  slow=self.memory.state is DeviceState.SLOW)
        self._gate = RealtimeFirst()

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
                self._loop(tier), name=f"mikromon:{self.config.label}:{tier.value}"
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
        return Carry(memory=self.memory, rates=self._rates, schedules=self._schedules)

    async def run_now(self, tier: Tier) -> None:
        """Run ``tier`` once now, as its schedule would (tests, one-off polls).

        Nothing runs while the device is backing off (the run is deferred).
        """
        await self._run(tier, self._schedules[tier])

    async def _loop(self, tier: Tier) -> None:
        if tier is not Tier.REALTIME:
            # Other tiers wait for the first completed realtime run, which reads
            # the RouterOS version (/system/resource) when it can: a run that
            # could not start (device down) does not release them, one that
            # could not read the version does (the collectors go by the replies).
            await self._facts_known.wait()
        schedule = self._schedules[tier]
        while True:
            delay = schedule.next_due - self._clock.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._run(tier, schedule)

    # -- one run ------------------------------------------------------------------

    async def _run(self, tier: Tier, schedule: trigger.TierSchedule) -> None:
        clock = self._clock
        started = clock.monotonic()
        due = schedule.next_due
        if started < self._session.retry_at:
            schedule.defer(self._session.retry_at, started)
            return
        stats = self._stats[tier]
        stats.last_run = stats.running_since = clock.now()
        stats.lag_s = max(0.0, started - due)
        ok = False
        try:
            result = await self._run_tier(tier)
        except NotConnected as err:
            # The device is down or refused the login: logged once, for the device,
            # and shown as every tier's ``blocked`` reason (not a failed run).
            self._failed(tier, schedule, str(err), started, quiet=True, count=False)
        except CommandTimeout as err:
            if tier is Tier.REALTIME:
                await self._silent_or_slow(tier, schedule, err, started)
            else:
                await self._session_broke(tier, schedule, describe(err), started)
        except TimeoutError:
            message = (f"{tier.value} tier did not finish within "
                       f"{self._limits.run[tier]:g} s")
            await self._session_broke(tier, schedule, message, started)
        except AuthenticationFailed as err:
            await self._session.drop(self._client)
            self._session.login_refused(err)
            self._failed(tier, schedule, self._session.error, started, quiet=True)
        except CONNECTION_ERRORS as err:
            await self._session_broke(tier, schedule, describe(err), started)
        except DeviceError as err:
            self._failed(tier, schedule, describe(err), started)
        except Exception as err:
            # The one place that catches everything: a collector bug must not stop
            # the other tiers or devices.
            if not stats.failing:
                log.exception("device %s: %s tier crashed", self.config.label, tier.value)
            self._failed(tier, schedule, f"{type(err).__name__}: {err}", started, quiet=True)
        else:
            ok = True
            self._succeeded(tier, schedule, result, started)
        finally:
            stats.running_since = None
        if self._deps.observer is not None:
            self._deps.observer(self.config.id, tier, started - due,
                                clock.monotonic() - started, ok)

    async def _run_tier(self, tier: Tier) -> CollectResult:
        """Run the tier's collectors over the session.

        Raises:
            NotConnected: no session (down, backing off, login refused).
            TimeoutError, DeviceUnreachable, ConnectionLost, MalformedReply: the
                session broke during the run (it is dropped).
            DeviceError, Exception: whatever the tier runner raised otherwise.
        """
        for attempt in (1, 2):
            client = await self._session.open()
            try:
                async with asyncio.timeout(self._limits.run[tier]) as deadline:
                    limited: RouterOSClient = client.with_timeout(self._limits.reply[tier])
                    if tier is Tier.REALTIME:
                        async with self._gate.realtime_run():
                            return await self._poller.run(limited, tier)
                    if self.memory.state is DeviceState.SLOW:
                        limited = Gated(limited, self._gate, deadline,
                                         self._limits.reply[tier])
                    return await self._poller.run(limited, tier)
            except (TimeoutError, *CONNECTION_ERRORS) as err:
                # Another tier lost (and closed) this session while this one waited
                # for it: that is no failure of this tier; run it on a new session.
                stale = self._client is not client
                await self._session.drop(client)
                if stale and attempt == 1 and isinstance(err, ConnectionLost):
                    log.debug("device %s: %s tier: session closed meanwhile; reconnecting",
                              self.config.label, tier.value)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _silent_or_slow(
        self, tier: Tier, schedule: trigger.TierSchedule, err: CommandTimeout, started: float
    ) -> None:
        """Handle a realtime command the router did not answer within its limit.

        The router gets one more chance: a new session (connect and login) within
        the device's ``connect_timeout``, as any connection gets. If it opens, the
        router is alive but slow (a busy BRAS reading thousands of interfaces, a
        router answering every command, the login included, seconds late): the run
        failed, the device is ``slow`` (not down), and its realtime commands get
        the device's whole ``command_timeout`` from now on, until a realtime run
        takes no longer than the normal limit again. If it does not, the router is
        silent: the device is down now (since the command was sent), and the next
        attempt waits for the connection backoff. A silent router is so found down
        within the realtime limit plus the connect timeout of its last reply.
        """
        waited = err.waited_s if err.waited_s is not None else self._limits.reply[tier]
        unanswered = f"no reply to {err.command or 'a command'} within {waited:g} s"
        if await self._session.takes_a_session(self.config.connect_timeout + 1.0):
            became_slow = self.memory.state is not DeviceState.SLOW
            if became_slow:
                limit = self.config.command_timeout
                log.warning("device %s: %s, but it takes new sessions: slow, not down; "
                            "%s commands now get %g s", self.config.label, unanswered,
                            tier.value, max(limit, self._limits.reply[tier]))
                self.memory.state = DeviceState.SLOW
                self._limits.set_slow(True)
            self._failed(tier, schedule, f"{unanswered} (slow router)", started)
            if became_slow:
                self._report.put_status(self._report.current_error())
            return
        since = self._clock.now() - timedelta(seconds=waited)
        message = f"silent since {utc_iso(since.replace(microsecond=0))}: {unanswered}"
        if self.memory.first_failure_mono is None:
            self.memory.first_failure_mono = self._clock.monotonic() - waited
        self._session.connect_failed(DeviceUnreachable(message))
        self._failed(tier, schedule, message, started, quiet=True)

    async def _session_broke(
        self, tier: Tier, schedule: trigger.TierSchedule, message: str, started: float
    ) -> None:
        """Handle a run whose session broke: reconnect at once. If that fails the
        device is down, its outage counted from this poll; if it works, the tier
        failed (and the next tiers have a session)."""
        if self.memory.first_failure_mono is None:
            self.memory.first_failure_mono = started
        try:
            await self._session.open()
        except NotConnected as err:
            self._failed(tier, schedule, f"{message}; {err}", started, quiet=True)
        else:
            self._failed(tier, schedule, message, started)

    # -- outcomes -------------------------------------------------------------------

    def _failed(
        self, tier: Tier, schedule: trigger.TierSchedule, message: str, started: float,
        *, quiet: bool = False, count: bool = True,
    ) -> None:
        """Record a failed run and schedule its retry.

        Args:
            quiet: the failure was logged already (the device is down, the login
                was refused, a traceback): DEBUG only.
            count: whether the run failed (``False``: it could not start, because
                the device is down or refused the login; the device's error says why).
        """
        now = self._clock.monotonic()
        stats = self._stats[tier]
        backoff = self._session.backoff
        retry = trigger.backoff_delay(
            stats.failing + 1, backoff.base, min(backoff.cap, self._intervals[tier])
        )
        if not count:
            schedule.blocked(now, max(self._session.retry_at, now + retry))
            return
        stats.error(message, self._clock.now())
        stats.duration_s = now - started
        if stats.failing == 1 and not quiet:
            log.warning("device %s: %s tier failed: %s", self.config.label, tier.value, message)
            self._report.failure_logged.add(tier)
        else:
            log.debug("device %s: %s tier failed again (%d): %s",
                      self.config.label, tier.value, stats.failing, message)
        schedule.failed(now, max(self._session.retry_at, now + retry))
        self._report.set_tier_error(tier, message)

    def _succeeded(
        self, tier: Tier, schedule: trigger.TierSchedule, result: CollectResult, started: float
    ) -> None:
        clock = self._clock
        now = clock.monotonic()
        ts = clock.now()
        stats = self._stats[tier]
        stats.runs += 1
        stats.duration_s = now - started
        if (tier is Tier.REALTIME and self.memory.state is DeviceState.SLOW
                and stats.duration_s <= self._limits.normal[tier]):
            log.info("device %s: answers in time again (realtime run in %.1f s): not slow",
                     self.config.label, stats.duration_s)
            failing = self.memory.failing_sensors()
            self.memory.state = DeviceState.DEGRADED if failing else DeviceState.UP
            self._remembered.state = self.memory.state
            self._limits.set_slow(False)
            self._report.status_due = True
        missed = schedule.completed(now)
        if missed:
            log.debug("device %s: %s tier overran: %d tick(s) skipped",
                      self.config.label, tier.value, missed)
        if result.failures:
            message = "; ".join(result.failures)
            stats.error(message, ts)
        else:
            message = ""
            stats.failing = 0
        error_changed = self._report.set_tier_error(tier, message, write=False)
        stats.bad_values += len(result.bad_values)
        uptime = result.facts.uptime_s if result.facts is not None else None
        rates = self._rates_of(tier).update(
            result.counters, uptime if tier is Tier.REALTIME else None) if result.counters else []
        out = run_outcome(result, self.memory, self._remembered.reported(), tier=tier,
                          device_id=self.config.id, ts=ts, mono=now, rates=rates,
                          error=self._report.current_error())
        self._report.ran(tier, result, out, now, error_changed=error_changed)
        if tier is Tier.REALTIME or self.memory.facts.version is not None:
            self._facts_known.set()
        log.debug("device %s: %s tier ran in %.3f s (%d samples, %d counters, %d tables)",
                  self.config.label, tier.value, now - started, len(out.samples),
                  len(result.counters), len(result.inventory))

    def _rates_of(self, tier: Tier) -> RateCalculator:
        """Return the tier's rate calculator (made on first need)."""
        calc = self._rates.get(tier)
        if calc is None:
            calc = self._rates[tier] = self._deps.rates()
        return calc

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
            self._stats, self._schedules, configured=self._configured,
            intervals=self._intervals, reply_limits=self._limits.reply, mono=mono, wall=wall,
            outage_error=device_error if outage else None, retry_at=retry_at,
            after_realtime=not self._facts_known.is_set(),
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
            "bad_values": sum(st.bad_values for st in self._stats.values()),
            "facts": {"identity": facts.identity, "board": facts.board,
                      "version": facts.version},
            "tiers": tiers,
        }
