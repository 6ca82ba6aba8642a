"""DeviceCollector: polls one router on its five tiers.

One asyncio task per tier sleeps until the tier's next deadline
(:mod:`mikromon.schedule.trigger`) and runs it, so a tier never overlaps itself.
The tiers share one connection, opened lazily on first need; the client's own
lock keeps one command in flight. On a broken connection the client is closed
and the next run reconnects; failed connection attempts back off exponentially
(5 s .. 5 min) and refused credentials wait 15 min (or until the device's
configuration changes: routers lock out clients that keep guessing).

A router that answers, but not within the realtime limit, is *slow*, not down
(:meth:`DeviceCollector._silent_or_slow`): its realtime commands get the whole
command timeout, and its tiers keep running at the pace it answers. While a
slow router's realtime run is in progress its other tiers' commands wait
(:class:`RealtimeFirst`), so its realtime data is not queued behind its big tables.

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
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    TlsSetupFailed,
)
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.formatting import utc_iso
from mikromon.domain.inventory import BadValue, CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.schedule import trigger
from mikromon.schedule.changes import (
    DeviceMemory,
    facts_changes,
    health_changes,
    link_changes,
    version_tuple,
)
from mikromon.schedule.deps import CollectorDeps, RateCalculator, StorageQueue

log = logging.getLogger(__name__)

#: Seconds between status writes of a device whose state, error and facts did not
#: change (refreshes ``last_seen``); scaled by the time scale.
STATUS_REFRESH_S: Final = 30.0
#: A tier's ``blocked`` reason before the first realtime run has read the RouterOS
#: version (pages show it after "waiting:"). Any completed realtime run releases
#: the other tiers, whether or not it could read the version.
AFTER_FIRST_REALTIME: Final = "after the first realtime run (RouterOS version)"
#: Most characters of a router's raw text quoted in a ``bad_value`` event or line.
RAW_QUOTE_CHARS: Final = 200
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


class _Gated:
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
                    args: Mapping[str, str] | None = None) -> list[Row]:
        """:meth:`RouterOSClient.print` in turn."""
        async with self._turn():
            return await self._client.print(path, proplist, query, args)

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        """:meth:`RouterOSClient.count` in turn."""
        async with self._turn():
            return await self._client.count(path, query)

    async def call(self, command: str, args: Mapping[str, str] | None = None) -> list[Row]:
        """:meth:`RouterOSClient.call` in turn."""
        async with self._turn():
            return await self._client.call(command, args)

    async def close(self) -> None:
        """Close the session (never raises)."""
        await self._client.close()


@dataclass(slots=True)
class TierStats:
    """Counters of one tier of one device (for status pages).

    Attributes:
        runs: runs completed (with or without partial failures).
        errors: runs that failed or had failing collectors (a run that could not
            start because the device is down or refused the login is not counted:
            that shows as the tier's ``blocked`` reason).
        failing: consecutive failed runs (0 when the last run succeeded).
        last_run: when the last run started, UTC.
        duration_s: how long the last run took, seconds.
        last_error: the last counted failure's message (kept after the tier
            recovers: every counted error has its text; '' before any).
        last_error_at: when that failure happened, UTC.
        running_since: when the run in progress started, UTC (``None``: idle).
        bad_values: values read as ``None`` because the router's text could not be
            read or was impossible (every occurrence counts).
        lag_s: how late the last run started after its due time, seconds
            (``None`` before any).
    """

    runs: int = 0
    errors: int = 0
    failing: int = 0
    last_run: datetime | None = None
    duration_s: float | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    running_since: datetime | None = None
    bad_values: int = 0
    lag_s: float | None = None

    def error(self, message: str, at: datetime) -> None:
        """Count one failed run with its message."""
        self.errors += 1
        self.failing += 1
        self.last_error = message
        self.last_error_at = at


@dataclass(slots=True)
class Carry:
    """What a restarted collector inherits from the one it replaces (same router)."""

    memory: DeviceMemory
    rates: dict[Tier, RateCalculator]
    schedules: dict[Tier, trigger.TierSchedule]


@dataclass(slots=True)
class Remembered:
    """What the service remembers of one device for as long as the device exists
    in this process, whichever collector polls it (restarts by a configuration
    change or a stop and start of the service do not forget it).

    Attributes:
        announced_absent: paths already announced as absent (one ``path_absent``
            event each); cleared when the router's version changes.
        version: the RouterOS version ``announced_absent`` belongs to (``None``
            until known).
        state: the device's last reported state (a new collector of a device that
            was down or refused the login reports its recovery as an event).
        first_failure_mono: monotonic seconds when the current outage began.
        auth_hash: :meth:`DeviceConfig.config_hash` of the configuration whose
            login was refused (``None``: no refused login to wait out); another
            configuration (a new password) is tried at once.
        auth_retry_at: monotonic seconds before which that configuration is not
            tried again.
        auth_error: what the router said when it refused the login.
        bad_values: (path, field) -> (tier, raw text) of the unreadable values
            already reported (one ``bad_value`` event each until the text changes).
    """

    announced_absent: set[str] = field(default_factory=set)
    version: str | None = None
    state: DeviceState = DeviceState.UNKNOWN
    first_failure_mono: float | None = None
    auth_hash: str | None = None
    auth_retry_at: float = 0.0
    auth_error: str = ""
    bad_values: dict[tuple[str, str], tuple[Tier, str]] = field(default_factory=dict)

    def forget_outage(self) -> None:
        """Forget the state and the refused login (the device was disabled)."""
        self.state = DeviceState.UNKNOWN
        self.first_failure_mono = None
        self.auth_hash = None


class _NotConnected(Exception):
    """No session now (backing off, or the attempt just failed); handled in-module."""


_CONNECTION_ERRORS = (DeviceUnreachable, ConnectionLost, MalformedReply)


def describe(err: BaseException) -> str:
    """Return ``err`` for a line that names the device already: a DeviceError's
    message and command (not its device), else the text or the type's name."""
    if isinstance(err, DeviceError):
        text = err.message or type(err).__name__
        return f"{text} (command {err.command})" if err.command else text
    return str(err) or type(err).__name__


def absent_message(path: str, version: str | None) -> str:
    """Return the ``path_absent`` event's text: the path (also the event's
    ``path`` field), then the RouterOS version it was seen on."""
    on = f" (RouterOS {version})" if version else ""
    return (f"{path} is not on this router{on}; skipped, and reported again only if "
            f"its RouterOS version changes")


def bad_value_message(bad: BadValue) -> str:
    """Return the ``bad_value`` event's text: the path and field first, then the
    row, the raw text (quoted, at most :data:`RAW_QUOTE_CHARS` characters) and why
    it was refused."""
    raw = bad.raw if len(bad.raw) <= RAW_QUOTE_CHARS else bad.raw[:RAW_QUOTE_CHARS] + "..."
    row = f" of {bad.row}" if bad.row else ""
    return (f"{bad.path} {bad.field}{row}: unreadable value {raw!r} ({bad.reason}); "
            f"stored as empty, reported again only if it changes")


def _limited(client: RouterOSClient, seconds: float) -> RouterOSClient:
    """Return ``client`` with a per-command limit of ``seconds`` on the same
    connection (``LibRouterOSClient.with_timeout``; a client without it as is)."""
    with_timeout = getattr(client, "with_timeout", None)
    return client if with_timeout is None else with_timeout(seconds)


def _is_closed(client: RouterOSClient) -> bool:
    """Whether the session says it is closed (LibRouterOSClient.closed; a client
    without that attribute is taken as open)."""
    return bool(getattr(client, "closed", False))


class DeviceCollector:
    """Polls one enabled router on its five tiers until stopped.

    Args:
        config: the device (``enabled`` is not checked here).
        deps: connection, tier runner, rates, clock, time scale.
        queue: receives samples, inventory, events and status (must not block).
        loaded_at: when this configuration was applied, UTC.
        carry: state inherited from the previous collector of the same router.
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
        self._queue = queue
        self._clock = deps.clock
        scale = deps.time_scale
        self._configured = {t: trigger.configured_interval(t, config.intervals) for t in Tier}
        self._intervals = {t: self._configured[t] * scale for t in Tier}
        now = self._clock.monotonic()
        if carry is not None:
            self.memory = carry.memory
            self._rates = carry.rates
            self._schedules = {
                t: carry.schedules[t].retimed(self._intervals[t], now) for t in Tier
            }
        else:
            self.memory = DeviceMemory()
            self._rates = {}
            self._schedules = trigger.initial_schedules(
                self._intervals, now, trigger.phase_fraction(config.id),
                trigger.START_SPREAD_S * scale,
            )
        self._ctx = CollectContext(
            device=config.label, clock=self._clock.now, monotonic=self._clock.monotonic
        )
        self._remembered = remembered if remembered is not None else Remembered()
        self._apply_version(self.memory.facts.version)
        self._stats = {t: TierStats() for t in Tier}
        self._client: RouterOSClient | None = None
        self._connect_lock = asyncio.Lock()
        self._retry_at = 0.0
        self._connect_error = ""
        self._backoff = trigger.Backoff(deps.backoff_base_s * scale, deps.backoff_cap_s * scale)
        self._tier_errors: dict[Tier, str] = {}
        #: tier -> collector name -> the failure last logged (edge-triggered logging).
        self._collector_failures: dict[Tier, dict[str, str]] = {t: {} for t in Tier}
        #: tiers whose whole-run failure was logged (their recovery is logged too).
        self._tier_failure_logged: set[Tier] = set()
        self._facts_known = asyncio.Event()
        if self.memory.facts.version is not None:
            self._facts_known.set()
        self._resume_outage(now)
        self._tasks: list[asyncio.Task[None]] = []
        #: tier -> seconds each of its commands may take on a router that is not
        #: slow (see REPLY_FLOOR_S).
        self._normal_reply_timeouts = {
            t: min(config.command_timeout, max(self._intervals[t], REPLY_FLOOR_S)) for t in Tier
        }
        #: tier -> seconds each of its commands may take now.
        self._reply_timeouts = dict(self._normal_reply_timeouts)
        #: tier -> seconds a whole run may take, not counting waits for the other
        #: tiers' commands (also bounds clients without per-command limits).
        self._tier_timeouts: dict[Tier, float] = {}
        self._set_reply_timeouts(slow=self.memory.state is DeviceState.SLOW)
        self._gate = RealtimeFirst()
        self._status_refresh = STATUS_REFRESH_S * scale
        self._status_due = True
        self._status_mono = 0.0
        #: Connection attempts made (tests and status).
        self.connect_attempts = 0
        #: Connection attempts that failed or were refused (status).
        self.connect_failures = 0

    def _set_reply_timeouts(self, *, slow: bool) -> None:
        """Give the realtime commands the whole command timeout (a slow router) or
        their normal limit, and size the tiers' run limits to match."""
        limit = self.config.command_timeout
        normal = self._normal_reply_timeouts[Tier.REALTIME]
        self._reply_timeouts[Tier.REALTIME] = max(normal, limit) if slow else normal
        for t in Tier:
            self._tier_timeouts[t] = self.config.connect_timeout + 5 * self._reply_timeouts[t]

    def _resume_outage(self, now: float) -> None:
        """Take over an outage or a refused login a previous collector of this device
        reported (its successor must not retry at once, and reports the recovery)."""
        remembered = self._remembered
        outage = (DeviceState.DOWN, DeviceState.AUTH_FAILED)
        if self.memory.state is DeviceState.UNKNOWN and remembered.state in outage:
            self.memory.state = remembered.state
            self.memory.first_failure_mono = remembered.first_failure_mono
        if remembered.auth_hash is None:
            return
        if remembered.auth_hash == self.config.config_hash() and remembered.auth_retry_at > now:
            self._retry_at = remembered.auth_retry_at
            self._connect_error = remembered.auth_error
        else:
            remembered.auth_hash = None

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
        await self._drop_client(self._client)
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
        if started < self._retry_at:
            schedule.defer(self._retry_at, started)
            return
        stats = self._stats[tier]
        stats.last_run = stats.running_since = clock.now()
        stats.lag_s = max(0.0, started - due)
        ok = False
        try:
            result = await self._run_tier(tier)
        except _NotConnected as err:
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
                       f"{self._tier_timeouts[tier]:g} s")
            await self._session_broke(tier, schedule, message, started)
        except AuthenticationFailed as err:
            await self._drop_client(self._client)
            self._auth_failed(err)
            self._failed(tier, schedule, self._connect_error, started, quiet=True)
        except _CONNECTION_ERRORS as err:
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
            _NotConnected: no session (down, backing off, login refused).
            TimeoutError, DeviceUnreachable, ConnectionLost, MalformedReply: the
                session broke during the run (it is dropped).
            DeviceError, Exception: whatever the tier runner raised otherwise.
        """
        for attempt in (1, 2):
            client = await self._session()
            try:
                async with asyncio.timeout(self._tier_timeouts[tier]) as deadline:
                    limited = _limited(client, self._reply_timeouts[tier])
                    if tier is Tier.REALTIME:
                        async with self._gate.realtime_run():
                            return await self._deps.run_tier(limited, tier, self._ctx)
                    if self.memory.state is DeviceState.SLOW:
                        limited = _Gated(limited, self._gate, deadline,
                                         self._reply_timeouts[tier])
                    return await self._deps.run_tier(limited, tier, self._ctx)
            except (TimeoutError, *_CONNECTION_ERRORS) as err:
                # Another tier lost (and closed) this session while this one waited
                # for it: that is no failure of this tier; run it on a new session.
                stale = self._client is not client
                await self._drop_client(client)
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
        waited = err.waited_s if err.waited_s is not None else self._reply_timeouts[tier]
        unanswered = f"no reply to {err.command or 'a command'} within {waited:g} s"
        if await self._takes_a_session(self.config.connect_timeout + 1.0):
            became_slow = self.memory.state is not DeviceState.SLOW
            if became_slow:
                limit = self.config.command_timeout
                log.warning("device %s: %s, but it takes new sessions: slow, not down; "
                            "%s commands now get %g s", self.config.label, unanswered,
                            tier.value, max(limit, self._reply_timeouts[tier]))
                self.memory.state = DeviceState.SLOW
                self._set_reply_timeouts(slow=True)
            self._failed(tier, schedule, f"{unanswered} (slow router)", started)
            if became_slow:
                self._put_status(self.current_error())
            return
        since = self._clock.now() - timedelta(seconds=waited)
        message = f"silent since {utc_iso(since.replace(microsecond=0))}: {unanswered}"
        if self.memory.first_failure_mono is None:
            self.memory.first_failure_mono = self._clock.monotonic() - waited
        self._connect_failed(DeviceUnreachable(message))
        self._failed(tier, schedule, message, started, quiet=True)

    async def _takes_a_session(self, limit: float) -> bool:
        """Whether the router opens a new session (connect and login) within ``limit``
        seconds; an opened one becomes the session. A refused login also counts as
        an answer (the next run reports it)."""
        async with self._connect_lock:
            await self._drop_client(self._client)
            self.connect_attempts += 1
            try:
                client = await asyncio.wait_for(self._deps.connect(self.config), limit)
            except AuthenticationFailed:
                return True
            except Exception as err:  # no answer in time, refused, reset: all "silent"
                log.debug("device %s: no new session within %g s: %s",
                          self.config.label, limit, describe(err))
                return False
            self._client = client
            return True

    async def _session_broke(
        self, tier: Tier, schedule: trigger.TierSchedule, message: str, started: float
    ) -> None:
        """Handle a run whose session broke: reconnect at once. If that fails the
        device is down, its outage counted from this poll; if it works, the tier
        failed (and the next tiers have a session)."""
        if self.memory.first_failure_mono is None:
            self.memory.first_failure_mono = started
        try:
            await self._session()
        except _NotConnected as err:
            self._failed(tier, schedule, f"{message}; {err}", started, quiet=True)
        else:
            self._failed(tier, schedule, message, started)

    async def _session(self) -> RouterOSClient:
        """Return the open session, connecting if there is none (or it was closed,
        e.g. by a command timeout).

        Raises:
            _NotConnected: backing off, or this attempt failed (already handled).
        """
        client = self._client
        if client is not None and not _is_closed(client):
            return client
        async with self._connect_lock:
            client = self._client
            if client is not None:
                if not _is_closed(client):
                    return client
                await self._drop_client(client)
            if self._clock.monotonic() < self._retry_at:
                raise _NotConnected(self._connect_error or "not connected (reconnect pending)")
            self.connect_attempts += 1
            limit = self.config.connect_timeout + 1.0
            try:
                client = await asyncio.wait_for(self._deps.connect(self.config), limit)
            except TimeoutError:
                err = DeviceUnreachable(f"no session within {limit:g} s")
                self._connect_failed(err)
                raise _NotConnected(describe(err)) from None
            except AuthenticationFailed as err:
                self._auth_failed(err)
                raise _NotConnected(self._connect_error) from None
            except DeviceError as err:
                self._connect_failed(err)
                raise _NotConnected(describe(err)) from None
            except Exception as err:
                if self.memory.state is not DeviceState.DOWN:
                    log.exception("device %s: unexpected error while connecting",
                                  self.config.label)
                self._connect_failed(err)
                raise _NotConnected(f"{type(err).__name__}: {err}") from None
            self._client = client
            self._connected()
            return client

    async def _drop_client(self, client: RouterOSClient | None) -> None:
        """Close ``client`` if it is still the current session (never raises)."""
        if client is None or client is not self._client:
            return
        self._client = None
        try:
            await asyncio.wait_for(client.close(), 2.0)
        except Exception as err:  # close() should not raise; never let it stop us
            log.debug("device %s: closing the session failed: %s", self.config.label, err)

    # -- outcomes -------------------------------------------------------------------

    def _connected(self) -> None:
        now = self._clock.monotonic()
        before = self.memory.state
        self._backoff.success()
        self._retry_at = 0.0
        self._status_due = True  # the next successful run writes "up" (or "slow")
        if before is not DeviceState.SLOW:  # a slow router's new session is as slow
            # A router whose PSU or fan was failing stays degraded until it says otherwise.
            failing = self.memory.failing_sensors()
            self.memory.state = DeviceState.DEGRADED if failing else DeviceState.UP
        self._remembered.state = self.memory.state
        self._remembered.first_failure_mono = None
        self._remembered.auth_hash = None
        if before in (DeviceState.DOWN, DeviceState.AUTH_FAILED):
            since = self.memory.first_failure_mono
            outage = f" after {now - since:.1f} s" if since is not None else ""
            log.info("device %s: up again%s", self.config.label, outage)
            self._event(EventKind.DEVICE_UP, f"device reachable again{outage}")
        else:
            log.debug("device %s: connected", self.config.label)
        self.memory.first_failure_mono = None

    def _connect_failed(self, err: BaseException) -> None:
        now = self._clock.monotonic()
        self.connect_failures += 1
        delay = self._backoff.failure()
        self._retry_at = now + delay
        message = describe(err)
        self._connect_error = message
        # A TLS settings mismatch: the router answered; the message names the fix.
        setup = isinstance(err, TlsSetupFailed)
        if self.memory.state is not DeviceState.DOWN:
            log.warning("device %s: %s: %s (next attempt in %.1f s)", self.config.label,
                        "API-SSL settings do not match" if setup else "down", message, delay)
            self.memory.first_failure_mono = self.memory.first_failure_mono or now
            self.memory.state = DeviceState.DOWN
            self._remember_outage()
            self._event(EventKind.DEVICE_DOWN,
                        f"API-SSL settings do not match the router: {message}" if setup
                        else f"device unreachable: {message}")
        else:
            log.debug("device %s: still down: %s (attempt %d, next in %.1f s)",
                      self.config.label, message, self._backoff.failures, delay)
        self._put_status(message)

    def _auth_failed(self, err: AuthenticationFailed) -> None:
        now = self._clock.monotonic()
        delay = self._deps.auth_backoff_s * self._deps.time_scale
        self._retry_at = now + delay
        self.connect_failures += 1
        reason = err.message or "the router gave no reason"
        self._connect_error = f"login refused: {reason}"
        remembered = self._remembered
        remembered.auth_hash = self.config.config_hash()
        remembered.auth_retry_at = self._retry_at
        remembered.auth_error = self._connect_error
        if self.memory.state is not DeviceState.AUTH_FAILED:
            log.error("device %s: login refused: %s; not retrying for %.0f s or until "
                      "its configuration changes", self.config.label, reason, delay)
            self.memory.first_failure_mono = self.memory.first_failure_mono or now
            self.memory.state = DeviceState.AUTH_FAILED
            self._remember_outage()
            self._event(EventKind.AUTH_FAILED, self._connect_error)
        self._put_status(self._connect_error)

    def _remember_outage(self) -> None:
        self._remembered.state = self.memory.state
        self._remembered.first_failure_mono = self.memory.first_failure_mono

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
        retry = trigger.backoff_delay(
            stats.failing + 1, self._backoff.base, min(self._backoff.cap, self._intervals[tier])
        )
        if not count:
            schedule.blocked(now, max(self._retry_at, now + retry))
            return
        stats.error(message, self._clock.now())
        stats.duration_s = now - started
        if stats.failing == 1 and not quiet:
            log.warning("device %s: %s tier failed: %s", self.config.label, tier.value, message)
            self._tier_failure_logged.add(tier)
        else:
            log.debug("device %s: %s tier failed again (%d): %s",
                      self.config.label, tier.value, stats.failing, message)
        schedule.failed(now, max(self._retry_at, now + retry))
        self._set_tier_error(tier, message)

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
                and stats.duration_s <= self._normal_reply_timeouts[tier]):
            log.info("device %s: answers in time again (realtime run in %.1f s): not slow",
                     self.config.label, stats.duration_s)
            failing = self.memory.failing_sensors()
            self.memory.state = DeviceState.DEGRADED if failing else DeviceState.UP
            self._remembered.state = self.memory.state
            self._set_reply_timeouts(slow=False)
            self._status_due = True
        missed = schedule.completed(now)
        if missed:
            log.debug("device %s: %s tier overran: %d tick(s) skipped",
                      self.config.label, tier.value, missed)
        device_id = self.config.id
        events: list[Event] = []
        facts_changed = False
        if result.facts is not None:
            before = self.memory.facts
            new_events, version_changed = facts_changes(
                self.memory, result.facts, mono=now, ts=ts, device_id=device_id
            )
            events.extend(new_events)
            # Uptime moves every poll; only what the status shows counts as a change.
            after = self.memory.facts
            facts_changed = (after.identity, after.board, after.version) != (
                before.identity, before.board, before.version)
            if version_changed or (before.version is None and self.memory.facts.version):
                self._apply_version(self.memory.facts.version, forget_absent=version_changed)
        if tier is Tier.REALTIME or self.memory.facts.version is not None:
            self._facts_known.set()
        samples = list(result.samples)
        if result.counters:
            uptime = result.facts.uptime_s if result.facts is not None else None
            calc = self._rates.get(tier)
            if calc is None:
                calc = self._rates[tier] = self._deps.rates()
            for s in calc.update(result.counters, uptime if tier is Tier.REALTIME else None):
                if s.value >= 0:
                    samples.append(s)
                else:  # a rate calculator bug must never reach the charts
                    log.debug("device %s: dropped negative rate %s", self.config.label, s)
        self._queue.put_samples(device_id, samples)
        for snap in result.inventory:
            events.extend(link_changes(self.memory, snap, device_id=device_id))
            events.extend(health_changes(self.memory, snap, device_id=device_id))
            self._queue.put_inventory(device_id, snap)
        state_changed = self._update_degraded()
        for path in dict.fromkeys(result.absent):
            self._ctx.absent.add(path)
            announced = self._remembered.announced_absent
            if path not in announced:
                announced.add(path)
                log.info("device %s: %s is not on this router; not asked again until "
                         "its version changes or its collector restarts",
                         self.config.label, path)
                events.append(Event(
                    device_id=device_id, ts=ts, kind=EventKind.PATH_ABSENT, path=path,
                    message=absent_message(path, self.memory.facts.version),
                ))
        events.extend(self._bad_values(tier, result, ts))
        if events:
            self._queue.put_events(events)
        if tier in self._tier_failure_logged:
            self._tier_failure_logged.discard(tier)
            log.info("device %s: %s tier works again", self.config.label, tier.value)
        self._log_collector_failures(tier, result.failures)
        if result.failures:
            message = "; ".join(result.failures)
            stats.error(message, ts)
            error_changed = self._set_tier_error(tier, message, write=False)
        else:
            stats.failing = 0
            error_changed = self._set_tier_error(tier, "", write=False)
        # The status (and its last_seen) is written when something changed, else
        # refreshed every STATUS_REFRESH_S: a database UPDATE per poll of every
        # router would cost the writer more than the samples.
        if (self._status_due or facts_changed or error_changed or state_changed
                or now - self._status_mono >= self._status_refresh):
            self._put_status(self.current_error(), last_seen=ts)
        log.debug("device %s: %s tier ran in %.3f s (%d samples, %d counters, %d tables)",
                  self.config.label, tier.value, now - started, len(samples),
                  len(result.counters), len(result.inventory))

    def _bad_values(self, tier: Tier, result: CollectResult, ts: datetime) -> list[Event]:
        """Count the run's unreadable values; log and return an event for each
        (path, field) not reported before with the same raw text.

        A (path, field) this tier reported is forgotten when a run of the tier
        without failing collectors reads it well, so the same text breaking it
        again is reported again.
        """
        self._stats[tier].bad_values += len(result.bad_values)
        reported = self._remembered.bad_values
        first: dict[tuple[str, str], BadValue] = {}
        for bad in result.bad_values:
            first.setdefault((bad.path, bad.field), bad)
        events: list[Event] = []
        for key, bad in first.items():
            if reported.get(key, (None, None))[1] == bad.raw:
                continue
            reported[key] = (tier, bad.raw)
            message = bad_value_message(bad)
            log.warning("device %s: %s", self.config.label, message)
            events.append(Event(device_id=self.config.id, ts=ts, kind=EventKind.BAD_VALUE,
                                path=bad.path, message=message))
        if not result.failures:
            for key in [k for k, (t, _) in reported.items() if t is tier and k not in first]:
                del reported[key]
        return events

    def _update_degraded(self) -> bool:
        """Set the state of an answering router: degraded while a health state sensor
        is failing, else up. Return whether it changed (logged once per change)."""
        if self.memory.state not in (DeviceState.UP, DeviceState.DEGRADED):
            return False
        failing = self.memory.failing_sensors()
        wanted = DeviceState.DEGRADED if failing else DeviceState.UP
        if wanted is self.memory.state:
            return False
        self.memory.state = wanted
        self._remembered.state = wanted
        if failing:
            words = ", ".join(f"{n}={(self.memory.health or {})[n]}" for n in failing)
            log.warning("device %s: degraded: %s", self.config.label, words)
        else:
            log.info("device %s: health states ok again", self.config.label)
        return True

    def _log_collector_failures(self, tier: Tier, failures: Sequence[str]) -> None:
        """Log a collector's failure when it starts or its message changes (WARNING)
        and when the collector works again (INFO); never on every poll.

        Args:
            tier: the tier that ran (to completion).
            failures: its ``"<collector>: <message>"`` entries
                (:func:`mikromon.collectors.failure_text`).
        """
        known = self._collector_failures[tier]
        now: dict[str, str] = {}
        for text in failures:
            name, sep, message = text.partition(": ")
            if not sep:
                name, message = "", text
            now[name] = message
            if known.get(name) != message:
                what = f"{name} failed: {message}" if name else message
                log.warning("device %s: %s tier: %s", self.config.label, tier.value, what)
        for name in [n for n in known if n not in now]:
            what = f"{name} works again" if name else "works again"
            log.info("device %s: %s tier: %s", self.config.label, tier.value, what)
        self._collector_failures[tier] = now

    def _apply_version(self, version: str | None, *, forget_absent: bool = False) -> None:
        parts = version_tuple(version)
        remembered = self._remembered
        if parts:
            self._ctx.version = parts
            self._ctx.major = parts[0]
            # The version may have changed while no collector watched (service stopped).
            if remembered.version is not None and remembered.version != version:
                remembered.announced_absent.clear()
            remembered.version = version
        if forget_absent:
            self._ctx.absent.clear()
            self._remembered.announced_absent.clear()

    def _set_tier_error(self, tier: Tier, message: str, *, write: bool = True) -> bool:
        """Record the tier's current error; return whether the device's error changed."""
        before = self.current_error()
        self._tier_errors.pop(tier, None)
        if message:
            self._tier_errors[tier] = message
        changed = self.current_error() != before
        if changed and write and self.memory.state in _ANSWERING:
            self._put_status(self.current_error())
        return changed

    def current_error(self) -> str:
        """Return the newest failing tier's message, ''."""
        return next(reversed(self._tier_errors.values()), "")

    def device_error(self) -> str:
        """Return the device's current error: while it is down or refused the login
        the connection's or login's error, else :meth:`current_error`."""
        if self.memory.state in (DeviceState.DOWN, DeviceState.AUTH_FAILED) and (
                self._connect_error):
            return self._connect_error
        return self.current_error()

    def _event(self, kind: EventKind, message: str) -> None:
        self._queue.put_events([Event(
            device_id=self.config.id, ts=self._clock.now(), kind=kind, message=message
        )])

    def _put_status(self, error: str, *, last_seen: datetime | None = None) -> None:
        self._status_due = False
        self._status_mono = self._clock.monotonic()
        facts = self.memory.facts
        self._queue.put_status(DeviceStatus(
            device_id=self.config.id, state=self.memory.state, ts=self._clock.now(),
            last_seen=last_seen, last_error=error, identity=facts.identity,
            board=facts.board, version=facts.version,
        ))

    # -- status ---------------------------------------------------------------------

    def status(self, now: tuple[float, datetime] | None = None) -> dict[str, object]:
        """Return this device's part of the service status (JSON-serialisable).

        Args:
            now: (monotonic seconds, UTC datetime) read once for a whole fleet;
                default: read the clock.

        Keys: id, name, state, config_loaded_at (ISO UTC), last_error (the
        connection's or login's error while down or refused, else the newest
        failing tier's), connected, connect_attempts, connect_failures, retry_in_s,
        bad_values (values the router sent that could not be read, all tiers),
        facts, tiers (tier -> interval_s as configured, effective_interval_s,
        timeout_s (per command), last_run, duration_s, lag_s (how late the last
        run started after its due time, seconds), running_since (ISO UTC while
        a run is in progress, else ``None``), next_due (ISO UTC; ``None`` while
        running; while the router is down or refused the login never before the
        next connection attempt, see retry_in_s; before the first realtime run
        of the other tiers never before it), runs, errors, failing (consecutive),
        skipped, last_error and last_error_at (the last counted failure, kept
        after recovery), blocked (why the tier cannot run now, a reason that reads
        after "waiting:": the device's error while it is down or refused the
        login, or :data:`AFTER_FIRST_REALTIME`; ``""``), bad_values (the tier's
        unreadable values so far)).
        """
        mono, wall = now if now is not None else (self._clock.monotonic(), self._clock.now())
        device_error = self.device_error()
        outage = self.memory.state in (DeviceState.DOWN, DeviceState.AUTH_FAILED)
        # While the router is down or refused the login nothing runs before the
        # next connection attempt; before the first realtime run the other tiers
        # run right after it.
        floor = max(self._retry_at, mono) if outage else -math.inf
        realtime_due = max(self._schedules[Tier.REALTIME].next_due, floor)
        tiers: dict[str, object] = {}
        for tier in Tier:
            st = self._stats[tier]
            sched = self._schedules[tier]
            due_mono = max(sched.next_due, floor)
            if outage:
                blocked = device_error
            elif tier is not Tier.REALTIME and not self._facts_known.is_set():
                blocked = AFTER_FIRST_REALTIME
                due_mono = max(due_mono, realtime_due, mono)
            else:
                blocked = ""
            due = wall + timedelta(seconds=due_mono - mono)
            tiers[tier.value] = {
                "interval_s": self._configured[tier],
                "effective_interval_s": round(self._intervals[tier], 6),
                "timeout_s": round(self._reply_timeouts[tier], 6),
                "last_run": utc_iso(st.last_run) if st.last_run else None,
                "duration_s": round(st.duration_s, 4) if st.duration_s is not None else None,
                "lag_s": round(st.lag_s, 4) if st.lag_s is not None else None,
                "running_since": utc_iso(st.running_since) if st.running_since else None,
                "next_due": None if st.running_since else utc_iso(due),
                "runs": st.runs,
                "errors": st.errors,
                "failing": st.failing,
                "skipped": sched.skipped,
                "last_error": st.last_error,
                "last_error_at": utc_iso(st.last_error_at) if st.last_error_at else None,
                "blocked": blocked,
                "bad_values": st.bad_values,
            }
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
            "retry_in_s": round(max(0.0, self._retry_at - mono), 3),
            "bad_values": sum(st.bad_values for st in self._stats.values()),
            "facts": {"identity": facts.identity, "board": facts.board,
                      "version": facts.version},
            "tiers": tiers,
        }
