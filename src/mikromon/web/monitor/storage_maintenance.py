"""When the writer's storage runs its maintenance: rollups, retention and
compaction in slices of about a quarter second a call, so that the samples the
collector polls meanwhile wait in memory well under a second (docs/storage.md,
"Durability"; bench/maintenance_stall.py measures the longest call).

With collector members sharing the fleet, one member runs it for the whole
database: the storage of each member asks its duty
(:class:`mikromon.web.control.maintainer.MaintenanceDuty`) every
:data:`DUTY_RECHECK_S` seconds and runs nothing while another member has it
(bench/maintenance_members.py measures the work a second member repeated).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from mikromon.web.monitor import compaction, maintenance
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.rollup_pass import RollupPass
from mikromon.web.monitor.slicing import run_slices

__all__ = ["StorageMaintenance"]

log = logging.getLogger("mikromon.web.monitor.storage")

#: Seconds of rollups per maintenance call (a pass goes on at the next calls):
#: short, so that the samples queued meanwhile wait in memory well under a second.
MAINTENANCE_SLICE_S = 0.25
#: Seconds of compaction per maintenance call: short, so that the rows queued
#: meanwhile wait in memory well under a second (docs/storage.md, durability).
COMPACTION_SLICE_S = 0.25
#: Seconds that must be left of a maintenance call for compaction to start in it.
COMPACTION_MIN_S = 0.05
#: Seconds between compaction slices while old rows wait.
COMPACTION_PAUSE_S = 1.0
#: Seconds between two questions of the duty (collector members): how long the
#: maintainer keeps going without asking, and how long another member waits before
#: asking whether the duty is its own now.
DUTY_RECHECK_S = 5.0


class StorageMaintenance:
    """The maintenance of one writer's storage (:class:`.storage.DjangoStorage`),
    and where each of its passes stands between calls.

    Args:
        interval: seconds between rollup runs (retention runs hourly); ``None``:
            never due (run :func:`maintenance.run` elsewhere). The first run is due
            at once.
        clock: returns Unix seconds.
        using: database alias.
        duty: ``None``: this storage runs the maintenance (a single collector).
            Else asked (every :data:`DUTY_RECHECK_S` seconds at most, when
            something is due) whether this storage runs it now (collector
            members: :class:`mikromon.web.control.maintainer.MaintenanceDuty`);
            while it answers ``False`` or fails, nothing runs and a pass under
            way is dropped (the maintainer computes its window again).

    Attributes:
        rollups: the rollup pass under way, or ``None``.
        retention: the retention steps under way
            (:func:`maintenance.retention_steps`), or ``None``.
        next_rollup, next_retention, next_compaction: Unix seconds when each is
            due next.

    Not thread-safe: the writer thread's, as its storage.
    """

    def __init__(self, interval: float | None, clock: Callable[[], float],
                 using: str = "default", duty: Callable[[], bool] | None = None) -> None:
        self.interval = interval
        self._clock = clock
        self._using = using
        self._duty = duty
        self._on_duty: bool | None = None  # None: not asked yet
        self._duty_until = 0.0  # clock seconds the last answer holds until
        self.next_rollup = 0.0
        self.rollups: RollupPass | None = None
        self.retention: Iterator[None] | None = None
        self.next_retention = 0.0
        self.next_compaction = 0.0
        self.retention_version: Any = None

    def due(self) -> bool:
        """Whether :meth:`run` would run rollups or compaction now (always
        ``False`` when ``maintenance_interval`` is ``None``)."""
        if self.interval is None:
            return False
        now = self._clock()
        if self._duty is not None and self._on_duty is False and now < self._duty_until:
            return False  # another member's duty; asked again at _duty_until
        return (self.rollups is not None or self.retention is not None
                or now >= self.next_rollup) or (
            now >= self.next_compaction and compaction.enabled())

    def run(self) -> bool:
        """Run the maintenance that is due: rollups every ``maintenance_interval``
        seconds (a :class:`~.rollup_pass.RollupPass`), then retention
        (:func:`maintenance.retention_steps`) every
        :data:`maintenance.RETENTION_INTERVAL` seconds and at the first rollup run
        after the stored retention settings changed
        (:func:`maintenance.retention_version`, read at every rollup run). Both go
        in steps: :data:`MAINTENANCE_SLICE_S` of them a call (at least one step;
        no step expected to end past it: :func:`.slicing.run_slices`), continued at
        the next calls until done. Compaction, when due, gets what is left of that
        time, or :data:`COMPACTION_SLICE_S` in a call of its own.

        Each part runs in its own transactions on this thread's connection; a
        failure is logged (collection continues) and the part is tried again at
        its next turn. Never raises for a database error.

        With a ``duty``, nothing runs while it is another member's (see the
        class's arguments).

        Returns:
            Whether anything was due and was run.
        """
        if not self.due() or not self._has_duty():
            return False
        assert self.interval is not None
        now = self._clock()
        deadline = time.monotonic() + MAINTENANCE_SLICE_S
        if self.rollups is None and self.retention is None and now >= self.next_rollup:
            self.next_rollup = now + self.interval
            self.rollups = RollupPass(now, using=self._using)
        rolled = self.rollups is not None
        if self.rollups is not None:
            try:
                usable_connection(self._using)
                if self.rollups.run(max(deadline - time.monotonic(), 0.0)):
                    log.debug("storage maintenance: rollups done (%d rows)", self.rollups.rows)
                    self.rollups = None
                    version = maintenance.retention_version(using=self._using)
                    if now >= self.next_retention or version != self.retention_version:
                        self.next_retention = now + maintenance.RETENTION_INTERVAL
                        self.retention = maintenance.retention_steps({}, now, using=self._using)
                        self.retention_version = version
            except Exception:
                self.rollups = None  # the next run computes its window again
                log.exception("storage maintenance failed; collection continues")
        worked = rolled or self.retention is not None
        # Retention starts in a call of its own: its first step (reading every
        # series) has no slice before it to tell how long it takes.
        if self.retention is not None and not rolled:
            steps = self.retention
            try:
                usable_connection(self._using)
                # at least one step when it is the call's work; StopIteration at the end
                run_slices(lambda: next(steps), lambda: False,
                           max(deadline - time.monotonic(), 0.0))
            except StopIteration:
                self.retention = None
                log.debug("storage maintenance: retention done")
            except Exception:
                self.retention = None  # tried again at the next retention run
                log.exception("retention failed; collection continues")
        # Compaction in what is left of a call that ran rollups or retention (else it
        # stays due for a later call: its own slice would double the stall).
        left = deadline - time.monotonic() if worked else COMPACTION_SLICE_S
        if now >= self.next_compaction and compaction.enabled() and left >= COMPACTION_MIN_S:
            self.next_compaction = now + self.interval
            try:
                progress = compaction.compact(
                    now, using=self._using, budget_s=min(left, COMPACTION_SLICE_S))
                log.debug("storage maintenance: compaction (%d chunks)", progress.chunks)
                if not progress.done and progress.horizon is not None:
                    self.next_compaction = now + COMPACTION_PAUSE_S
            except Exception:
                log.exception("compaction failed; collection continues")
        return True

    def _has_duty(self) -> bool:
        """Whether this storage runs the maintenance now: always without a duty,
        else the duty's answer, asked again every :data:`DUTY_RECHECK_S` seconds
        (logged when it changes). Losing it drops the passes under way."""
        if self._duty is None:
            return True
        now = self._clock()
        if now < self._duty_until and self._on_duty is not None:
            return self._on_duty
        try:
            usable_connection(self._using)
            mine = bool(self._duty())
        except Exception as err:
            mine = False
            log.warning("cannot tell which collector member runs the storage "
                        "maintenance (%s); asked again in %g s", err, DUTY_RECHECK_S)
        self._duty_until = now + DUTY_RECHECK_S
        if mine != self._on_duty:
            log.info("this collector member runs the storage maintenance (rollups, "
                     "retention, compaction)" if mine else "the storage maintenance "
                     "(rollups, retention, compaction) is another collector member's")
        if not mine:
            self.rollups = None
            self.retention = None
        self._on_duty = mine
        return mine
