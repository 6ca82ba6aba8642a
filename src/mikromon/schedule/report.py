"""What a device collector reports: the device's state, its events, its status and
its log lines, each once per change.

:class:`DeviceReport` keeps what is known of the device (its
:class:`~mikromon.schedule.changes.DeviceMemory`, the errors of its failing tiers)
and is the listener of its session
(:class:`~mikromon.schedule.session.SessionListener`): up, down, login refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from mikromon.domain.clock import Clock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import TlsSetupFailed
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import BadValue, CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import StorageQueue
from mikromon.schedule.known import Remembered
from mikromon.schedule.outcome import Reported, RunOutcome, bad_value_message, device_status
from mikromon.schedule.session import DeviceSession

#: The lines about a device's polling share one logger, whichever module writes them.
log = logging.getLogger("mikromon.schedule.device")

#: States in which the router answers (runs write their errors into the status).
_ANSWERING: Final = (DeviceState.UP, DeviceState.DEGRADED, DeviceState.SLOW)


class DeviceReport:
    """Reports one device: state changes as events and log lines (once each), its
    status to the queue (when something changed, else every ``status_refresh_s``).

    Args:
        config: the device.
        clock: time source.
        queue: receives events and status.
        memory: what is known of the router (taken over from a previous collector).
        remembered: what the service keeps of the device across its collectors.
        status_refresh_s: seconds between status writes when nothing changed.

    Attributes:
        memory: what is known of the router (replaced by every run's outcome).
        session: the device's session (its retry time and error), set by the collector.
        status_due: the next completed run writes the status whatever changed.
    """

    session: DeviceSession

    def __init__(self, config: DeviceConfig, clock: Clock, queue: StorageQueue,
                 memory: DeviceMemory, remembered: Remembered, status_refresh_s: float) -> None:
        self.config = config
        self._clock = clock
        self._queue = queue
        self.memory = memory
        self._remembered = remembered
        self._tier_errors: dict[Tier, str] = {}
        #: tier -> collector name -> the failure last logged (edge-triggered logging).
        self._collector_failures: dict[Tier, dict[str, str]] = {t: {} for t in Tier}
        #: tiers whose whole-run failure was logged (their recovery is logged too).
        self.failure_logged: set[Tier] = set()
        self._status_refresh = status_refresh_s
        self.status_due = True
        self._status_mono = 0.0

    def status_wanted(self, now: float, changed: bool) -> bool:
        """Whether a completed run writes the status: something ``changed``, it is
        due, or it was last written ``status_refresh_s`` ago (a database UPDATE per
        poll of every router would cost the writer more than the samples)."""
        return changed or self.status_due or now - self._status_mono >= self._status_refresh

    def connected(self) -> None:
        """A session opened: the device is up (or still slow); a recovery is an event."""
        now = self._clock.monotonic()
        before = self.memory.state
        self.status_due = True  # the next successful run writes "up" (or "slow")
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
            self.event(EventKind.DEVICE_UP, f"device reachable again{outage}")
        else:
            log.debug("device %s: connected", self.config.label)
        self.memory.first_failure_mono = None

    def connect_failed(self, err: BaseException, message: str, delay: float,
                       failures: int) -> None:
        """A connection attempt failed: the device is down (reported once)."""
        # A TLS settings mismatch: the router answered; the message names the fix.
        setup = isinstance(err, TlsSetupFailed)
        if self.memory.state is not DeviceState.DOWN:
            log.warning("device %s: %s: %s (next attempt in %.1f s)", self.config.label,
                        "API-SSL settings do not match" if setup else "down", message, delay)
            self._outage(DeviceState.DOWN)
            self.event(EventKind.DEVICE_DOWN,
                       f"API-SSL settings do not match the router: {message}" if setup
                       else f"device unreachable: {message}")
        else:
            log.debug("device %s: still down: %s (attempt %d, next in %.1f s)",
                      self.config.label, message, failures, delay)
        self.put_status(message)

    def login_refused(self, reason: str, error: str, delay: float) -> None:
        """The router refused the login: not tried again for ``delay`` seconds, or
        until the device's configuration changes (kept across its collectors)."""
        remembered = self._remembered
        remembered.auth_hash = self.config.config_hash()
        remembered.auth_retry_at = self.session.retry_at
        remembered.auth_error = error
        if self.memory.state is not DeviceState.AUTH_FAILED:
            log.error("device %s: login refused: %s; not retrying for %.0f s or until "
                      "its configuration changes", self.config.label, reason, delay)
            self._outage(DeviceState.AUTH_FAILED)
            self.event(EventKind.AUTH_FAILED, error)
        self.put_status(error)

    def connect_crashed(self) -> bool:
        """Whether an unexpected error while connecting is news (not down already)."""
        return self.memory.state is not DeviceState.DOWN

    def set_state(self, state: DeviceState) -> None:
        """Set the device's state, remembered across its collectors."""
        self.memory.state = state
        self._remembered.state = state

    def reported(self) -> Reported:
        """Return what was reported of the device (:func:`run_outcome`'s input)."""
        return self._remembered.reported()

    def _outage(self, state: DeviceState) -> None:
        """Set a down or refused state; the outage began now unless it had already
        (both remembered across the device's collectors)."""
        memory = self.memory
        memory.first_failure_mono = memory.first_failure_mono or self._clock.monotonic()
        self.set_state(state)
        self._remembered.first_failure_mono = memory.first_failure_mono

    def ran(self, tier: Tier, result: CollectResult, out: RunOutcome, now: float, *,
            error_changed: bool) -> None:
        """Keep and report a completed run's outcome: what is known and reported of
        the device, its log lines, what goes to the queue, and the status when it
        is wanted (:meth:`status_wanted`).

        Args:
            tier: the tier that ran.
            result: what it read (its collectors' failures).
            out: :func:`~mikromon.schedule.outcome.run_outcome` of it.
            now: monotonic seconds of its end.
            error_changed: whether the device's error changed by it.
        """
        self.memory = out.memory
        self._remembered.keep(out.reported)
        if out.degraded_changed:
            self.set_state(out.memory.state)
        self.log_outcome(out.failing if out.degraded_changed else None,
                         out.newly_absent, out.newly_bad, out.dropped)
        device_id = self.config.id
        self._queue.put_samples(device_id, out.samples)
        for snap in out.snapshots:
            self._queue.put_inventory(device_id, snap)
        if out.events:
            self._queue.put_events(out.events)
        if tier in self.failure_logged:
            self.failure_logged.discard(tier)
            log.info("device %s: %s tier works again", self.config.label, tier.value)
        self.log_collector_failures(tier, result.failures)
        if self.status_wanted(now, out.facts_changed or error_changed or out.degraded_changed):
            self.write_status(out.status)

    def log_outcome(self, failing: list[str] | None, absent: Sequence[str],
                     bad: Sequence[BadValue], dropped: Sequence[Sample]) -> None:
        """Log what a run's outcome changed: the device degraded or healthy again
        (``failing``: the sensors failing now; ``None``: no change), paths newly
        absent, values newly unreadable, negative rates dropped."""
        label = self.config.label
        if failing:
            words = ", ".join(f"{n}={(self.memory.health or {})[n]}" for n in failing)
            log.warning("device %s: degraded: %s", label, words)
        elif failing is not None:
            log.info("device %s: health states ok again", label)
        for path in absent:  # common and harmless (no wireless card): the event tells
            log.debug("device %s: %s is not on this router; not asked again until "
                      "its version changes or its collector restarts", label, path)
        for value in bad:
            log.warning("device %s: %s", label, bad_value_message(value))
        for sample in dropped:  # a rate calculator bug must never reach the charts
            log.debug("device %s: dropped negative rate %s", label, sample)

    def log_collector_failures(self, tier: Tier, failures: Sequence[str]) -> None:
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

    def set_tier_error(self, tier: Tier, message: str, *, write: bool = True) -> bool:
        """Record the tier's current error; return whether the device's error changed."""
        before = self.current_error()
        self._tier_errors.pop(tier, None)
        if message:
            self._tier_errors[tier] = message
        changed = self.current_error() != before
        if changed and write and self.memory.state in _ANSWERING:
            self.put_status(self.current_error())
        return changed

    @property
    def tier_errors(self) -> dict[Tier, str]:
        """Return tier -> its current error, failing tiers only, oldest first (a copy)."""
        return dict(self._tier_errors)

    def keep_tier_errors(self, errors: Mapping[Tier, str]) -> None:
        """Take over the tiers' errors of the collector this one replaces (same
        router, new configuration), so the device's error stays until a run clears it."""
        self._tier_errors = {tier: message for tier, message in errors.items() if message}

    def current_error(self) -> str:
        """Return the newest failing tier's message, ''."""
        return next(reversed(self._tier_errors.values()), "")

    def device_error(self) -> str:
        """Return the device's current error: while it is down or refused the login
        the connection's or login's error, else :meth:`current_error`."""
        if self.memory.state in (DeviceState.DOWN, DeviceState.AUTH_FAILED) and (
                self.session.error):
            return self.session.error
        return self.current_error()

    def event(self, kind: EventKind, message: str) -> None:
        self._queue.put_events([Event(
            device_id=self.config.id, ts=self._clock.now(), kind=kind, message=message
        )])

    def put_status(self, error: str, *, last_seen: datetime | None = None) -> None:
        self.write_status(device_status(self.config.id, self.memory, error,
                                         self._clock.now(), last_seen))

    def write_status(self, status: DeviceStatus) -> None:
        self.status_due = False
        self._status_mono = self._clock.monotonic()
        self._queue.put_status(status)
