"""Deadline arithmetic for the collection tiers: pure functions and small value
objects over monotonic seconds. No IO, no asyncio; "now" is always passed in.

Rules (DESIGN.md, "The five tiers"; STYLE.md, "Async and scheduling"):

- Deadlines are anchored: the k-th run of a tier is due at ``anchor + k * interval``,
  computed afresh each time, so rounding never accumulates (no drift).
- Each device gets a deterministic phase (a hash of its id): its ticks of every
  tier sit at that fraction of the interval, rounded down to a grid of phase
  slots (:data:`PHASE_SLOT_S`) that every device of the process shares, and its
  first runs at that fraction of a 5 s window. The grid starts at the origin of
  the monotonic clock, not at a device's start, so devices whose phases fall in
  the same slot have exactly the same due times however far apart their
  collectors started, and their timers fire in one pass of the event loop (one
  wake-up, warm caches: bench/RESULTS.md, "Devices of one phase slot poll in
  one wake-up"); the slots still spread the devices evenly over the interval
  (100 slots of a 5 s interval: about 10 devices a slot at 1,000 routers).
- Every tier runs once when a device's collector starts (off the grid, within the
  5 s window), then at its phase ticks. The second run is the first tick at least
  half an interval after the first run (so a heavy tier does not read the router's
  big tables twice within seconds: DESIGN.md, "Being kind to the router"): the
  first gap is 0.5 to 1.5 intervals, the one gap that puts the device on its
  phase; from then on runs are exactly one interval apart.
- A collector restarted by a configuration change keeps the schedule of the tiers
  that ran (a changed interval counts from the last run, and the ticks after that
  run fall on the device's slot of the new interval: :meth:`TierSchedule.retimed`)
  and runs at once every tier that never ran; an attempt that could not start
  (router down, login refused: :meth:`TierSchedule.blocked`) is no run.
- A run that overruns skips the ticks that came due meanwhile (counted), instead
  of queueing catch-up runs.
- Failures back off exponentially up to a cap; refused credentials wait much longer,
  because routers lock out clients that keep guessing.
- A time scale (a factor, passed in: :func:`effective_interval`; the service
  reads it with :func:`mikromon.config.time_scale`) multiplies every interval and
  backoff, and the phase slot, so tests and demos can run a 5 s tier every 50 ms
  (0.01) while the intervals users configure and see keep their minimums.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier

#: First delay after a failed connection attempt, seconds (before scaling).
CONNECT_BACKOFF_BASE_S: Final = 5.0
#: Longest delay between connection attempts to an unreachable router, seconds.
CONNECT_BACKOFF_CAP_S: Final = 300.0
#: Window over which the first runs of devices starting together are spread, seconds.
START_SPREAD_S: Final = 5.0
#: Delay after the router refused the credentials, seconds (or until the config changes).
AUTH_BACKOFF_S: Final = 900.0
#: Width of a phase slot, seconds (before time scaling): the devices whose phases
#: fall in one slot of an interval share their due times (one event-loop wake-up).
PHASE_SLOT_S: Final = 0.05


def phase_fraction(device_id: int) -> float:
    """Return the device's phase as a fraction in ``[0, 1)``, the same on every run
    and every host (a SHA-256 of the id, not Python's salted ``hash``)."""
    digest = hashlib.sha256(f"mikromon-phase:{device_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True, slots=True)
class Phase:
    """A device's place on the grid of phase slots shared by every device of the
    process (see the module docstring).

    Attributes:
        fraction: the device's phase in ``[0, 1)`` (:func:`phase_fraction`).
        slot: width of a phase slot, seconds (scaled :data:`PHASE_SLOT_S`), > 0.

    Raises:
        ValueError: ``fraction`` is outside ``[0, 1]`` or ``slot`` is not positive.
    """

    fraction: float = 0.0
    slot: float = PHASE_SLOT_S

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"phase fraction must be in [0, 1], got {self.fraction}")
        if not self.slot > 0:
            raise ValueError(f"phase slot must be > 0 s, got {self.slot}")

    def offset(self, interval: float) -> float:
        """Return the monotonic time of the device's tick 0 for ``interval`` seconds:
        the phase's share of the interval rounded down to a whole number of slots,
        seconds in ``[0, interval)`` after the clock's origin. Its ticks are that
        plus whole intervals; devices with the same interval and slot get the very
        same float, so their due times are equal, not merely close."""
        return math.floor(self.fraction * (interval / self.slot)) * self.slot


def device_phase(device_id: int, scale: float) -> Phase:
    """Return the phase of device ``device_id`` at time scale ``scale`` (its
    :func:`phase_fraction` on slots of ``PHASE_SLOT_S * scale`` seconds)."""
    return Phase(phase_fraction(device_id), PHASE_SLOT_S * scale)


def configured_interval(tier: Tier, intervals: Mapping[Tier, float]) -> float:
    """Return the tier's configured interval in seconds, raised to the tier's minimum
    when below it and the default when missing (what users see)."""
    value = intervals.get(tier)
    if value is None:
        return float(DEFAULT_INTERVALS[tier])
    return float(max(value, MINIMUM_INTERVALS[tier]))


def effective_interval(tier: Tier, intervals: Mapping[Tier, float], scale: float) -> float:
    """Return the interval the scheduler actually waits, seconds: the configured
    interval (see :func:`configured_interval`) times ``scale``."""
    return configured_interval(tier, intervals) * scale


def backoff_delay(failures: int, base: float, cap: float, factor: float = 2.0) -> float:
    """Return the wait after ``failures`` consecutive failures, seconds.

    ``base`` after the first failure, multiplied by ``factor`` after each further
    one, never more than ``cap``; 0 when ``failures`` is 0.
    """
    if failures <= 0:
        return 0.0
    # Cap the exponent first: 2.0 ** 2000 overflows.
    exponent = min(failures - 1, 64)
    return float(min(cap, base * factor**exponent))


@dataclass(slots=True)
class Backoff:
    """Consecutive-failure counter with exponential delays (seconds, already scaled).

    Attributes:
        base: delay after the first failure, seconds.
        cap: longest delay, seconds.
        failures: consecutive failures so far.
    """

    base: float
    cap: float
    failures: int = 0

    def failure(self) -> float:
        """Count one more failure and return the delay before the next attempt, seconds."""
        self.failures += 1
        return backoff_delay(self.failures, self.base, self.cap)

    def success(self) -> None:
        """Reset after a success."""
        self.failures = 0


@dataclass(slots=True)
class TierSchedule:
    """When one tier of one device runs next (monotonic seconds).

    Attributes:
        interval: seconds between runs (already scaled), > 0.
        anchor: monotonic time of tick 0; tick k is due at ``anchor + k * interval``.
        next_due: monotonic time the next run is due (a tick, or an earlier retry).
        last_due: when the last run was due, ``None`` before the first run.
        skipped: ticks skipped because a run overran or started late.
        phase: the device's phase; a changed interval is anchored at its slot
            (:meth:`retimed`).
        off_grid: the next run puts the tier on its grid (the first run after
            the start or after a changed interval): the tick after it comes at
            least half an interval later (:meth:`completed`).

    ``last_due`` stays ``None`` until a run was made (completed or failed); an
    attempt that could not start (:meth:`blocked`) does not set it.
    """

    interval: float
    anchor: float
    next_due: float
    last_due: float | None = None
    skipped: int = 0
    phase: Phase = Phase()
    off_grid: bool = False

    @classmethod
    def starting(
        cls, now: float, interval: float, phase: Phase, spread: float
    ) -> TierSchedule:
        """Return the schedule of a tier whose device's collector starts ``now``.

        Ticks are anchored at the device's slot (:meth:`Phase.offset`) of the grid
        every device shares, so the devices' runs of every tier are spread over
        its whole interval, and devices of one slot are due together. The first
        run does not wait for the first tick: it is due at
        ``now + phase.fraction * min(interval, spread)``, so every tier has run
        once shortly after start (see :meth:`completed`).

        Args:
            now: monotonic seconds when the device's collector starts.
            interval: seconds between runs, > 0.
            phase: the device's phase (:func:`device_phase`).
            spread: the window first runs are spread over, seconds.

        Raises:
            ValueError: ``interval`` is not positive.
        """
        if not interval > 0:
            raise ValueError(f"interval must be > 0 s, got {interval}")
        first = now + phase.fraction * min(interval, spread)
        return cls(interval=interval, anchor=phase.offset(interval), next_due=first,
                   phase=phase, off_grid=True)

    def tick_after(self, t: float) -> float:
        """Return the first tick strictly after ``t`` (monotonic seconds)."""
        k = math.floor((t - self.anchor) / self.interval) + 1
        due = self.anchor + k * self.interval
        # Floating point: anchor + k*interval may land a hair at or below t.
        while due <= t:
            k += 1
            due = self.anchor + k * self.interval
        return due

    def completed(self, finished: float) -> int:
        """Record that the run due at ``next_due`` finished at ``finished`` and schedule
        the next one at the first tick after ``finished``.

        After a run off the grid (``off_grid``: the first run, or the first after
        a changed interval), a tick less than half an interval away is passed
        over, so that the next run does not follow that one almost at once; that
        tick is not counted as skipped (see the module docstring).

        Returns:
            The number of ticks skipped: ticks after the run's due time that passed
            before it finished (0 when the run kept to its interval).
        """
        due = self.next_due
        nxt = self.tick_after(finished)
        first_after_due = self.tick_after(due)
        missed = max(0, round((nxt - first_after_due) / self.interval))
        if self.off_grid and nxt - due < self.interval / 2:
            nxt += self.interval
        self.off_grid = False
        self.last_due = due
        self.next_due = nxt
        self.skipped += missed
        return missed

    def failed(self, finished: float, retry_at: float) -> None:
        """Record a failed run: retry at ``retry_at`` or at the next tick, whichever
        comes first (a tier with a long interval should not wait a day after a
        brief outage)."""
        self.last_due = self.next_due
        self.off_grid = False
        self.next_due = min(self.tick_after(finished), max(retry_at, finished))

    def blocked(self, finished: float, retry_at: float) -> None:
        """Record an attempt that could not start (the router is down or refused
        the login): try again at ``retry_at`` or at the next tick, whichever comes
        first. Not a run: ``last_due`` is kept (a tier that never ran stays so)."""
        self.next_due = min(self.tick_after(finished), max(retry_at, finished))

    def defer(self, until: float, now: float) -> None:
        """Postpone the next run to ``until`` (the device is backing off), or to the
        first tick after ``now`` when that comes first; the tick grid is kept and
        ticks passed while waiting are not counted as skipped."""
        self.next_due = min(max(until, now), self.tick_after(now))

    def retimed(self, interval: float, now: float, last_run: float | None = None
                ) -> TierSchedule:
        """Return the schedule of this tier after a configuration change.

        - Same interval: the schedule as it is (its grid, its next run, a retry
          or a deferred run included), so an edit of the host, the credentials
          or another tier moves nothing.
        - A tier that has never run is due ``now`` (its first run comes at once).
        - A changed interval counts from the last run: the next run is due at
          ``last_run + interval`` (at once if that is past; earlier if a retry
          of a failed run was due before it), and the grid is anchored at the
          device's slot of the new interval (:meth:`Phase.offset`): the run
          after that one is the first tick at least half an interval later,
          and from then on runs are one new interval apart, due together with
          the other devices of the slot.

        Args:
            interval: the new interval, seconds (scaled), > 0.
            now: monotonic seconds.
            last_run: monotonic seconds when the last run started (default: when
                it was due, ``last_due``).

        Raises:
            ValueError: ``interval`` is not positive.
        """
        if not interval > 0:
            raise ValueError(f"interval must be > 0 s, got {interval}")
        new = TierSchedule(
            interval=interval, anchor=self.anchor, next_due=self.next_due,
            last_due=self.last_due, skipped=self.skipped, phase=self.phase,
            off_grid=self.off_grid,
        )
        if self.last_due is None:
            new.next_due = now
            new.anchor = self.phase.offset(interval)
            new.off_grid = True
            return new
        if interval == self.interval:
            return new
        start = last_run if last_run is not None else self.last_due
        new.anchor = self.phase.offset(interval)
        new.off_grid = True
        due = start + interval
        if self.next_due < self.tick_after(self.last_due):
            # A retry (failed run) or a deferred run was due before the next tick.
            due = min(due, self.next_due)
        new.next_due = max(due, now)
        return new


def initial_schedules(
    intervals: Mapping[Tier, float], now: float, phase: Phase, spread: float
) -> dict[Tier, TierSchedule]:
    """Return a fresh schedule per tier for a device whose collector starts ``now``.

    Args:
        intervals: tier -> effective interval, seconds (scaled).
        now: monotonic seconds.
        phase: the device's phase (:func:`device_phase`).
        spread: the window first runs are spread over, seconds (scaled
            :data:`START_SPREAD_S`).
    """
    return {t: TierSchedule.starting(now, intervals[t], phase, spread) for t in Tier}
