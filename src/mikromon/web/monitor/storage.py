"""DjangoStorage: the :class:`mikromon.storage.protocols.Storage` implementation.

Called from the collector's writer thread. Each method runs in one transaction
on that thread's own connection (``write_samples_many``: one for all the devices
of a writer cycle). The writing itself is done by the modules beside this one:
samples by :mod:`.storage_samples`, inventory and log lines by
:mod:`.storage_inventory`, events by :mod:`.storage_events`; text is fitted to
its columns by :mod:`.storage_text`.

Failures stay with their device: when a call covering several devices fails for
a reason other than an unavailable database (a value the database refuses), it
is rolled back and each device is written again in a transaction of its own; the
devices that fail again are reported in :class:`~mikromon.domain.errors.PartialWrite`
(with the others' rows stored). A database that takes no writes now (SQLite busy
or locked past its busy timeout, disk full, connection lost: Django's
``OperationalError`` and ``InterfaceError``) raises
:class:`~mikromon.domain.errors.StorageUnavailable` with nothing stored, so the
writer keeps the rows queued and retries (:mod:`.storage_sql`).

Rollups and retention run from the same thread every ``maintenance_interval``
seconds (see :mod:`.maintenance`), and compaction (:mod:`.compaction`) in
slices of :data:`COMPACTION_SLICE_S`, one a second while old rows wait (the
conversion of a database from before chunks), else once a
``maintenance_interval``: after a sample write commits, or, with
``defer_maintenance``, when the owner calls :meth:`DjangoStorage.maintain` (the
storage process does that after it replied, so that maintenance never delays a
write's answer).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from mikromon.domain.errors import StorageUnavailable
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.web.monitor import compaction, maintenance
from mikromon.web.monitor.dbutil import (
    close_connection,
    sqlite_busy_timeout,
    usable_connection,
)
from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.rollup_pass import RollupPass
from mikromon.web.monitor.slicing import run_slices
from mikromon.web.monitor.storage_events import write_events
from mikromon.web.monitor.storage_inventory import append_log, record_sync, sync_inventory
from mikromon.web.monitor.storage_samples import SampleWriter
from mikromon.web.monitor.storage_sql import (
    database_errors,
    reason,
    unavailable,
    write_each,
)
from mikromon.web.monitor.storage_text import fitted
from mikromon.web.monitor.write_rate import WriteTally

__all__ = ["DjangoStorage"]

log = logging.getLogger(__name__)

#: SQLite: milliseconds a write waits for the write lock (see DjangoStorage).
WRITE_BUSY_TIMEOUT_MS = 2000
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


def _short_wait(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a write method with the storage's SQLite busy timeout (restored after)."""

    @functools.wraps(method)
    def wrapper(self: DjangoStorage, *args: Any, **kwargs: Any) -> Any:
        if self._busy_timeout_ms is None:
            return method(self, *args, **kwargs)
        with database_errors():
            conn = usable_connection(self._using)
            waiting = sqlite_busy_timeout(conn, self._busy_timeout_ms)
            waiting.__enter__()
        try:
            return method(self, *args, **kwargs)
        finally:
            waiting.__exit__(None, None, None)

    return wrapper


class DjangoStorage:
    """Stores samples, inventory, device status and events in the Django database.

    Args:
        using: database alias.
        maintenance_interval: seconds between rollup runs from the sample writes
            (retention runs hourly); ``None`` disables maintenance here (run
            :func:`maintenance.run` elsewhere). The first run is due at once.
        clock: returns Unix seconds (injectable for tests).
        busy_timeout_ms: SQLite: milliseconds a write waits for another
            process's write lock before it raises :class:`StorageUnavailable`
            (the writer keeps the rows and retries); ``None``: the connection's
            own (``MIKROMON_SQLITE_BUSY_TIMEOUT_MS``, 20 s). Short by default:
            measured in bench/db_stall.py, long busy waits in the collector's
            process delayed polling.
        defer_maintenance: ``False``: a sample write that committed runs the
            maintenance that is due before it returns. ``True``: sample writes
            never run it; the owner calls :meth:`maintain` when it suits it.

    Not thread-safe: use one instance per writer thread, and call :meth:`close`
    when that thread ends.
    """

    def __init__(
        self,
        *,
        using: str = "default",
        maintenance_interval: float | None = 60.0,
        clock: Callable[[], float] = time.time,
        defer_maintenance: bool = False,
        busy_timeout_ms: int | None = WRITE_BUSY_TIMEOUT_MS,
    ) -> None:
        self._using = using
        self._busy_timeout_ms = busy_timeout_ms
        self._defer_maintenance = defer_maintenance
        self._samples = SampleWriter(using)
        self._maintenance_interval = maintenance_interval
        self._clock = clock
        self._next_rollup = 0.0
        self._rollups: RollupPass | None = None
        self._retention: Iterator[None] | None = None  # maintenance.retention_steps
        self._next_retention = 0.0
        self._next_compaction = 0.0
        self._retention_version: Any = None
        self._tally = WriteTally(clock)

    # -- samples -----------------------------------------------------------------

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Append points and upsert latest values.

        Samples with a non-finite value are skipped; a second sample for the same
        series and second is ignored. Timestamps are stored as whole Unix seconds.

        Returns:
            The number of points stored (0 when the device no longer exists).
        """
        return self.write_samples_many(((device_id, samples),))

    @_short_wait
    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        """Write several devices' samples in ONE transaction: one multi-row insert
        (SQLite: one ``executemany``) for all points and one upsert for the latest
        value of each series (the newest sample of the call, deduplicated here).

        Per ``(device_id, samples)`` pair: non-finite values skipped, repeated
        (series, second) ignored, latest never moving back; metric keys and label
        sets longer than their columns are :func:`~.storage_text.bounded` (the
        ``labels`` column keeps the full label values).
        Samples of devices deleted meanwhile are dropped (logged) and the other
        devices' samples are written. When the call fails otherwise, each device
        is written again in its own transaction.

        Args:
            batches: ``(device_id, samples)`` pairs; a device may appear more than once.

        Returns:
            The number of points stored.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            PartialWrite: some devices' samples were refused (``failed``: device id
                to reason) or not tried because the database became unavailable
                (``pending``); the other devices' points were stored (``written``).
        """
        by_device: dict[int, list[Sample]] = {}
        for device_id, samples in batches:
            finite = [s for s in samples if math.isfinite(s.value)]
            if finite:
                by_device.setdefault(device_id, []).extend(finite)
        if not by_device:
            return 0
        try:
            self._connection()
            written = self._samples.write(by_device)
        except DatabaseError as err:
            # Series created in the rolled-back transaction are gone: forget them.
            for device_id in by_device:
                self._samples.forget(device_id)
            if unavailable(err):
                raise StorageUnavailable(reason(err)) from err
            # A device deleted meanwhile (foreign keys are checked at commit), a
            # cached series deleted, or one device's rows refused: each device again
            # on its own, so that one device's failure stays its own.
            written = write_each(by_device, self._write_one, dropped=self._samples_dropped)
        self._tally.add(by_device)
        self._tally.flush_due(using=self._using)
        if not self._defer_maintenance:
            self.maintain()
        return written

    def _write_one(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Write one device's samples in a transaction of their own (after a
        failed batch)."""
        try:
            return self._samples.write({device_id: samples})
        except DatabaseError:
            self._samples.forget(device_id)
            raise

    def _samples_dropped(self, device_id: int) -> bool:
        """Whether refused samples belong to a device deleted meanwhile (logged)."""
        if self._device_exists(device_id):
            return False
        log.warning("samples for deleted device id %s dropped", device_id)
        return True

    def _device_exists(self, device_id: int) -> bool:
        try:
            return Device.objects.using(self._using).filter(pk=device_id).exists()
        except DatabaseError:
            return True

    # -- inventory ---------------------------------------------------------------

    @_short_wait
    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Sync one table (see the Protocol); ``append_only`` snapshots go to LogEntry
        (a line read from ``/log`` that was already received by syslog is skipped).

        Every snapshot, also one without rows, records ``snapshot.ts`` as the table's
        read time (:class:`InventorySync`, one upsert), so a table the router reported
        empty reads "none reported" with its time rather than "nothing collected".
        Missing device: the snapshot is dropped with a warning. A table name
        longer than its column is :func:`~.storage_text.bounded`.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            django.db.DatabaseError: the database refused the snapshot.
        """
        table = fitted(snapshot.table, InventoryItem, "table")
        if table != snapshot.table:
            snapshot = dataclasses.replace(snapshot, table=table)
        try:
            with database_errors():
                self._connection()
                with transaction.atomic(using=self._using):
                    if snapshot.append_only:
                        append_log(device_id, snapshot, using=self._using)
                    else:
                        sync_inventory(device_id, snapshot, using=self._using)
                    record_sync(device_id, snapshot, using=self._using)
        except IntegrityError:
            if self._device_exists(device_id):
                raise
            log.warning("inventory %s for deleted device id %s dropped", snapshot.table, device_id)

    # -- status and events -------------------------------------------------------

    @_short_wait
    def write_status(self, status: DeviceStatus) -> None:
        """Update the device's state, last seen, last error and facts.

        ``status_changed_at`` is set to ``status.ts`` when the state changes. Uses
        ``QuerySet.update``: status writes do not change the configuration version.
        Identity, board and version longer than their columns are
        :func:`~.storage_text.bounded`.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            django.db.DatabaseError: the database refused the status.
        """
        fields: dict[str, Any] = {"state": status.state.value, "last_error": status.last_error}
        if status.last_seen is not None:
            fields["last_seen"] = status.last_seen
        for name, value in (
            ("identity", status.identity), ("board", status.board),
            ("ros_version", status.version),
        ):
            if value is not None:
                fields[name] = fitted(value, Device, name)
        with database_errors():
            self._connection()
            devices = Device.objects.using(self._using).filter(pk=status.device_id)
            with transaction.atomic(using=self._using):
                devices.exclude(state=status.state.value).update(
                    status_changed_at=status.ts, **fields
                )
                devices.filter(state=status.state.value).update(**fields)

    @_short_wait
    def write_events(self, events: Sequence[Event]) -> None:
        """Append events (events of devices deleted meanwhile are dropped).

        A ``path_absent`` event is skipped when it repeats the newest
        ``path_absent`` event of that device and ``path`` word for word and no
        ``version_changed`` event of that device came after that one (each
        collector start finds the absent paths again; an operator is told once per
        router version; see :mod:`.storage_events`).

        When the call fails for a reason other than an unavailable database, each
        device's events are written again in a transaction of their own.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            PartialWrite: some devices' events were refused (``failed``) or not
                tried (``pending``: the database became unavailable); the other
                devices' events were stored (``written``: their number).
        """
        if not events:
            return
        try:
            self._connection()
            write_events(events, using=self._using)
            return
        except DatabaseError as err:
            if unavailable(err):
                raise StorageUnavailable(reason(err)) from err
        by_device: dict[int, list[Event]] = {}
        for e in events:
            by_device.setdefault(e.device_id, []).append(e)
        write_each(by_device, lambda _, part: write_events(part, using=self._using))

    # -- housekeeping ------------------------------------------------------------

    def maintenance_due(self) -> bool:
        """Whether :meth:`maintain` would run rollups or compaction now (always
        ``False`` when ``maintenance_interval`` is ``None``)."""
        if self._maintenance_interval is None:
            return False
        now = self._clock()
        return (self._rollups is not None or self._retention is not None
                or now >= self._next_rollup) or (
            now >= self._next_compaction and compaction.enabled())

    def maintain(self) -> bool:
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

        Returns:
            Whether anything was due (and was run).
        """
        if not self.maintenance_due():
            return False
        assert self._maintenance_interval is not None
        now = self._clock()
        deadline = time.monotonic() + MAINTENANCE_SLICE_S
        if self._rollups is None and self._retention is None and now >= self._next_rollup:
            self._next_rollup = now + self._maintenance_interval
            self._rollups = RollupPass(now, using=self._using)
        rolled = self._rollups is not None
        if self._rollups is not None:
            try:
                self._connection()
                if self._rollups.run(max(deadline - time.monotonic(), 0.0)):
                    self._rollups = None
                    version = maintenance.retention_version(using=self._using)
                    if now >= self._next_retention or version != self._retention_version:
                        self._next_retention = now + maintenance.RETENTION_INTERVAL
                        self._retention = maintenance.retention_steps({}, now, using=self._using)
                        self._retention_version = version
            except Exception:
                self._rollups = None  # the next run computes its window again
                log.exception("storage maintenance failed; collection continues")
        worked = rolled or self._retention is not None
        # Retention starts in a call of its own: its first step (reading every
        # series) has no slice before it to tell how long it takes.
        if self._retention is not None and not rolled:
            steps = self._retention
            try:
                self._connection()
                # at least one step when it is the call's work; StopIteration at the end
                run_slices(lambda: next(steps), lambda: False,
                           max(deadline - time.monotonic(), 0.0))
            except StopIteration:
                self._retention = None
            except Exception:
                self._retention = None  # tried again at the next retention run
                log.exception("retention failed; collection continues")
        # Compaction in what is left of a call that ran rollups or retention (else it
        # stays due for a later call: its own slice would double the stall).
        left = deadline - time.monotonic() if worked else COMPACTION_SLICE_S
        if now >= self._next_compaction and compaction.enabled() and left >= COMPACTION_MIN_S:
            self._next_compaction = now + self._maintenance_interval
            try:
                progress = compaction.compact(
                    now, using=self._using, budget_s=min(left, COMPACTION_SLICE_S))
                if not progress.done and progress.horizon is not None:
                    self._next_compaction = now + COMPACTION_PAUSE_S
            except Exception:
                log.exception("compaction failed; collection continues")
        return True

    def _connection(self) -> Any:
        """This thread's connection, reconnected if it broke."""
        return usable_connection(self._using)

    def forget_series(self, device_id: int | None = None) -> None:
        """Drop cached series ids (of one device, or all)."""
        self._samples.forget(device_id)

    def close(self) -> None:
        """Close this thread's database connection."""
        close_connection(self._using)
