"""What is kept of a device between its runs and its collectors.

:class:`Carry` passes a collector's memory to the one replacing it (same router,
new configuration); :class:`Remembered` is kept by the service for as long as
the device exists, whichever collector polls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mikromon.schedule.trigger as trigger
from mikromon.domain.events import DeviceState
from mikromon.domain.tiers import Tier
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import RateCalculator
from mikromon.schedule.outcome import Reported
from mikromon.schedule.status import TierStats


@dataclass(slots=True)
class Carry:
    """What a restarted collector inherits from the one it replaces.

    Attributes:
        memory: what was seen of the router (reset when the edit points the
            device at another router).
        rates: tier -> its rate calculator (reset likewise).
        schedules: tier -> its schedule (kept: :meth:`TierSchedule.retimed`).
        stats: tier -> its counters: last run, duration, runs, errors (kept
            whatever the edit: they are the device's history).
        tier_errors: tier -> the error of its last run, ``""`` for none (reset
            with ``memory``).
    """

    memory: DeviceMemory
    rates: dict[Tier, RateCalculator]
    schedules: dict[Tier, trigger.TierSchedule]
    stats: dict[Tier, TierStats] = field(default_factory=dict)
    tier_errors: dict[Tier, str] = field(default_factory=dict)


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

    def reported(self) -> Reported:
        """Return what was reported of the device (:func:`run_outcome`'s input)."""
        return Reported(version=self.version, absent=frozenset(self.announced_absent),
                        bad_values=dict(self.bad_values))

    def keep(self, reported: Reported) -> None:
        """Keep what a run's outcome says was reported (:attr:`RunOutcome.reported`)."""
        self.version = reported.version
        self.announced_absent = set(reported.absent)
        self.bad_values = dict(reported.bad_values)

    def forget_outage(self) -> None:
        """Forget the state and the refused login (the device was disabled)."""
        self.state = DeviceState.UNKNOWN
        self.first_failure_mono = None
        self.auth_hash = None
