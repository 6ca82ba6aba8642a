"""The tier loop of one device: each tier run at its deadlines, and every way a run
can end handled.

A completed run's result goes through :func:`~mikromon.schedule.outcome.run_outcome`
to the device's :class:`~mikromon.schedule.report.DeviceReport`. A run that could
not start (the device is down or refused the login) is deferred to the next
connection attempt; one whose session broke reconnects at once (down if that
fails); a realtime command unanswered in time tells a slow router from a silent
one (:meth:`TierLoop._silent_or_slow`); a collector bug fails its run only.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import mikromon.schedule.trigger as trigger
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
from mikromon.domain.formatting import utc_iso
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import sample_count
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, RouterOSSession
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import CollectorDeps, RateCalculator
from mikromon.schedule.gate import Gated, RealtimeFirst
from mikromon.schedule.limits import TierLimits
from mikromon.schedule.outcome import run_outcome
from mikromon.schedule.report import DeviceReport
from mikromon.schedule.session import CONNECTION_ERRORS, DeviceSession, NotConnected, describe
from mikromon.schedule.status import TierStats

#: The lines about a device's polling share one logger, whichever module writes them.
log = logging.getLogger("mikromon.schedule.device")


class TierLoop:
    """Runs one device's tiers over its session. Event-loop only.

    Args:
        config: the device.
        deps: the rates factory, clock, time scale and run observer.
        session: the device's session.
        report: where states, events, samples and the status go.
        poller: runs a tier and learns the router (version, absent paths).
        limits: the tiers' time limits.
        schedules: tier -> its schedule.
        rates: tier -> its rate calculator (made on first need).
        intervals: tier -> interval as run (scaled), seconds.
        stats: tier -> its counters, taken over from the collector this loop's
            replaces (default: fresh ones).

    Attributes:
        stats: tier -> its counters.
        facts_known: set by the first completed realtime run (or a known version):
            the other tiers wait for it.
    """

    def __init__(self, config: DeviceConfig, deps: CollectorDeps, session: DeviceSession,
                 report: DeviceReport, poller: Poller, limits: TierLimits,
                 schedules: dict[Tier, trigger.TierSchedule],
                 rates: dict[Tier, RateCalculator], intervals: dict[Tier, float], *,
                 stats: dict[Tier, TierStats] | None = None) -> None:
        self.config = config
        self._deps = deps
        self._clock = deps.clock
        self._session = session
        self._report = report
        self._poller = poller
        self._limits = limits
        self.schedules = schedules
        self.rates = rates
        self._intervals = intervals
        self.stats = stats if stats is not None else {t: TierStats() for t in Tier}
        self.facts_known = asyncio.Event()
        if report.memory.facts.version is not None:
            self.facts_known.set()
        self._gate = RealtimeFirst()

    @property
    def memory(self) -> DeviceMemory:
        """What is known of the router (the report's)."""
        return self._report.memory

    @property
    def _client(self) -> RouterOSSession | None:
        return self._session.client

    async def loop(self, tier: Tier) -> None:
        """Run ``tier`` at its deadlines until cancelled (never overlapping itself)."""
        if tier is not Tier.REALTIME:
            # Other tiers wait for the first completed realtime run, which reads
            # the RouterOS version (/system/resource) when it can: a run that
            # could not start (device down) does not release them, one that
            # could not read the version does (the collectors go by the replies).
            await self.facts_known.wait()
        schedule = self.schedules[tier]
        clock = self._clock  # the injected clock: tests drive it
        while True:
            due = schedule.next_due
            if due > clock.monotonic():
                # Until the due time itself, not a delay read from a fresh "now":
                # the devices of one phase slot wake in one pass of the loop.
                await clock.sleep_until(due)
            await self.run(tier, schedule)

    async def run(self, tier: Tier, schedule: trigger.TierSchedule) -> None:
        """Run ``tier`` once now, unless the device is backing off (then the run is
        deferred); handle every way it can end (the one place that catches everything)."""
        clock = self._clock
        started = clock.monotonic()
        due = schedule.next_due
        if started < self._session.retry_at:
            schedule.defer(self._session.retry_at, started)
            return
        stats = self.stats[tier]
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
                    slow = self.memory.state is DeviceState.SLOW
                    self._poller.ctx.one_at_a_time = slow  # never prints together
                    if tier is Tier.REALTIME:
                        async with self._gate.realtime_run():
                            return await self._poller.run(limited, tier)
                    if slow:
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
        # when the command was sent: the probe below may take the connect timeout
        sent_at = self._clock.now() - timedelta(seconds=waited)
        sent_mono = self._clock.monotonic() - waited
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
        message = f"silent since {utc_iso(sent_at.replace(microsecond=0))}: {unanswered}"
        if self.memory.first_failure_mono is None:
            self.memory.first_failure_mono = sent_mono
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
        stats = self.stats[tier]
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
        stats = self.stats[tier]
        stats.runs += 1
        stats.duration_s = now - started
        if (tier is Tier.REALTIME and self.memory.state is DeviceState.SLOW
                and stats.duration_s <= self._limits.normal[tier]):
            log.info("device %s: answers in time again (realtime run in %.1f s): not slow",
                     self.config.label, stats.duration_s)
            failing = self.memory.failing_sensors()
            self._report.set_state(DeviceState.DEGRADED if failing else DeviceState.UP)
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
        counters = result.rate_inputs()
        rates = self._rates_of(tier).update_items(
            counters, uptime if tier is Tier.REALTIME else None) if counters else []
        out = run_outcome(result, self.memory, self._report.reported(), tier=tier,
                          device_id=self.config.id, ts=ts, mono=now, rates=rates,
                          error=self._report.current_error())
        self._report.ran(tier, result, out, now, error_changed=error_changed)
        if tier is Tier.REALTIME or self.memory.facts.version is not None:
            self.facts_known.set()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("device %s: %s tier ran in %.3f s (%d samples, %d counters, %d tables)",
                      self.config.label, tier.value, now - started, sample_count(out.samples),
                      len(result.counters) + sum(map(len, result.counter_blocks)),
                      len(result.inventory))

    def _rates_of(self, tier: Tier) -> RateCalculator:
        """Return the tier's rate calculator (made on first need)."""
        calc = self.rates.get(tier)
        if calc is None:
            calc = self.rates[tier] = self._deps.rates()
        return calc
