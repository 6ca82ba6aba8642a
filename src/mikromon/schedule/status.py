"""A device collector's status document: what ``mikromon collector status`` and the
pages show of one device, typed (:class:`DeviceStatusDoc`, :class:`TierStatusDoc`).

JSON-serialisable as it is: times are ISO UTC text, durations seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypedDict

import mikromon.schedule.trigger as trigger
from mikromon.domain.formatting import utc_iso
from mikromon.domain.tiers import Tier

#: A tier's ``blocked`` reason before the first realtime run has read the RouterOS
#: version (pages show it after "waiting:"). Any completed realtime run releases
#: the other tiers, whether or not it could read the version.
AFTER_FIRST_REALTIME: Final = "after the first realtime run (RouterOS version)"


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


class TierStatusDoc(TypedDict):
    """One tier of a device's status.

    Keys: interval_s (as configured), effective_interval_s (scaled),
    timeout_s (per command), last_run (ISO UTC), duration_s, lag_s (how late
    the last run started after its due time, seconds), running_since (ISO UTC
    while a run is in progress, else ``None``), next_due (ISO UTC; ``None`` while
    running), runs, errors, failing (consecutive), skipped, last_error and
    last_error_at (the last counted failure, kept after recovery), blocked (why
    the tier cannot run now, a reason that reads after "waiting:"; ``""``),
    bad_values (the tier's unreadable values so far).
    """

    interval_s: float
    effective_interval_s: float
    timeout_s: float
    last_run: str | None
    duration_s: float | None
    lag_s: float | None
    running_since: str | None
    next_due: str | None
    runs: int
    errors: int
    failing: int
    skipped: int
    last_error: str
    last_error_at: str | None
    blocked: str
    bad_values: int


class FactsDoc(TypedDict):
    """What the router said of itself (``None``: not read yet)."""

    identity: str | None
    board: str | None
    version: str | None


class DeviceStatusDoc(TypedDict):
    """One device's part of the service status.

    Keys: id, name, state, config_loaded_at (ISO UTC), last_error (the
    connection's or login's error while down or refused, else the newest
    failing tier's), connected, connect_attempts, connect_failures, retry_in_s,
    bad_values (values the router sent that could not be read, all tiers),
    facts, tiers (tier name -> :class:`TierStatusDoc`).
    """

    id: int
    name: str
    state: str
    config_loaded_at: str
    last_error: str
    connected: bool
    connect_attempts: int
    connect_failures: int
    retry_in_s: float
    bad_values: int
    facts: FactsDoc
    tiers: dict[str, TierStatusDoc]


def tier_status(
    stats: TierStats, schedule: trigger.TierSchedule, *, configured_s: float,
    effective_s: float, timeout_s: float, due: datetime, blocked: str,
) -> TierStatusDoc:
    """Return one tier's status from its counters and schedule.

    Args:
        stats: the tier's counters.
        schedule: the tier's schedule (``skipped``).
        configured_s: the interval as configured, seconds.
        effective_s: the interval as run (scaled), seconds.
        timeout_s: what each command may take now, seconds.
        due: when the tier runs next, UTC (shown unless a run is in progress).
        blocked: why it cannot run now, ``""``.
    """
    return {
        "interval_s": configured_s,
        "effective_interval_s": round(effective_s, 6),
        "timeout_s": round(timeout_s, 6),
        "last_run": utc_iso(stats.last_run) if stats.last_run else None,
        "duration_s": round(stats.duration_s, 4) if stats.duration_s is not None else None,
        "lag_s": round(stats.lag_s, 4) if stats.lag_s is not None else None,
        "running_since": utc_iso(stats.running_since) if stats.running_since else None,
        "next_due": None if stats.running_since else utc_iso(due),
        "runs": stats.runs,
        "errors": stats.errors,
        "failing": stats.failing,
        "skipped": schedule.skipped,
        "last_error": stats.last_error,
        "last_error_at": utc_iso(stats.last_error_at) if stats.last_error_at else None,
        "blocked": blocked,
        "bad_values": stats.bad_values,
    }


def tiers_status(
    stats: Mapping[Tier, TierStats], schedules: Mapping[Tier, trigger.TierSchedule], *,
    configured: Mapping[Tier, float], intervals: Mapping[Tier, float],
    reply_limits: Mapping[Tier, float], mono: float, wall: datetime,
    outage_error: str | None, retry_at: float, after_realtime: bool,
) -> dict[str, TierStatusDoc]:
    """Return every tier's status (tier name -> :class:`TierStatusDoc`).

    While the router is down or refused the login (``outage_error``: the device's
    error, else ``None``) nothing runs before the next connection attempt
    (``retry_at``, monotonic seconds) and every tier is blocked by that error;
    before the first realtime run (``after_realtime``) the other tiers run right
    after it, blocked by :data:`AFTER_FIRST_REALTIME`.

    Args:
        stats, schedules: the tiers' counters and schedules.
        configured, intervals: intervals as configured and as run, seconds.
        reply_limits: what each command may take now, seconds.
        mono, wall: now, as monotonic seconds and as UTC.
    """
    outage = outage_error is not None
    floor = max(retry_at, mono) if outage else -math.inf
    realtime_due = max(schedules[Tier.REALTIME].next_due, floor)
    tiers: dict[str, TierStatusDoc] = {}
    for tier in Tier:
        sched = schedules[tier]
        due_mono = max(sched.next_due, floor)
        if outage_error is not None:
            blocked = outage_error
        elif tier is not Tier.REALTIME and after_realtime:
            blocked = AFTER_FIRST_REALTIME
            due_mono = max(due_mono, realtime_due, mono)
        else:
            blocked = ""
        tiers[tier.value] = tier_status(
            stats[tier], sched, configured_s=configured[tier], effective_s=intervals[tier],
            timeout_s=reply_limits[tier], due=wall + timedelta(seconds=due_mono - mono),
            blocked=blocked,
        )
    return tiers
