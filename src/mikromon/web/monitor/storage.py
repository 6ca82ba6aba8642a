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
seconds (see :mod:`.maintenance`; with collector members, in one member's
storage only: :mod:`mikromon.web.control.maintainer`), and compaction (:mod:`.compaction`) in
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
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from mikromon.domain.errors import StorageUnavailable
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import SampleItem
from mikromon.web.monitor.dbutil import (
    close_connection,
    sqlite_busy_timeout,
    usable_connection,
)
from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.sample_cells import Cells, cells
from mikromon.web.monitor.storage_events import write_events
from mikromon.web.monitor.storage_inventory import append_log, record_sync, sync_inventory
from mikromon.web.monitor.storage_maintenance import StorageMaintenance
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
#: Seconds (storage clock) a status write leaves after a write that ran the
#: maintenance before it runs it again: a writer round writes its statuses one
#: after the other, and a slice each while a pass is under way would run the
#: whole pass back to back while the queued rows wait.
STATUS_MAINTENANCE_GAP_S = 1.0
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
        maintenance_member: ``None``: this storage runs the maintenance (a
            single collector). A collector member's ``member_id``: it runs the
            maintenance only while that member is the one elected for it
            (:class:`mikromon.web.control.maintainer.MaintenanceDuty`).
        why: why the collector's writes run in its writer thread, with this
            storage (shown by :meth:`stats`; see
            :func:`mikromon.web.collector_setup.choose_writer`).

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
        maintenance_member: str | None = None,
        why: str = "",
    ) -> None:
        self._using = using
        self.why = why
        self._busy_timeout_ms = busy_timeout_ms
        self._defer_maintenance = defer_maintenance
        self._samples = SampleWriter(using)
        duty = None
        if maintenance_member is not None:
            from mikromon.web.control.maintainer import MaintenanceDuty

            duty = MaintenanceDuty(maintenance_member, using=using)
        self._maintenance = StorageMaintenance(maintenance_interval, clock, using, duty)
        self._clock = clock
        self._maintained_at: float | None = None  # clock seconds a write last ran it
        self._tally = WriteTally(clock)

    # -- samples -----------------------------------------------------------------

    #: Blocks (raw counters, rates) are written as they are (:func:`.sample_cells.cells`).
    takes_blocks = True

    def write_samples(self, device_id: int, samples: Sequence[SampleItem]) -> int:
        """Append points and upsert latest values (of a block's samples too).

        Samples with a non-finite value are skipped; a second sample for the same
        series and second is ignored. Timestamps are stored as whole Unix seconds.

        Returns:
            The number of points stored (0 when the device no longer exists).
        """
        return self.write_samples_many(((device_id, samples),))

    @_short_wait
    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[SampleItem]]]) -> int:
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
        by_device: dict[int, Cells] = {}
        for device_id, samples in batches:
            finite = cells(samples)
            if finite:
                by_device.setdefault(device_id, Cells()).extend(finite)
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
        self._tally.add(c.keys for c in by_device.values())
        self._tally.flush_due(using=self._using)
        if not self._defer_maintenance:
            self._maintained_at = self._clock()
            self.maintain()
        return written

    def _write_one(self, device_id: int, samples: Cells) -> int:
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
        :func:`~.storage_text.bounded`. Runs the maintenance when due (as a
        sample write does), unless deferred or a write ran it less than
        :data:`STATUS_MAINTENANCE_GAP_S` ago.

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
        # Statuses are written whether routers answer or not (each failed
        # connection attempt, each change, a refresh every 30 s): a writer whose
        # routers all stopped answering (no sample writes) still runs the
        # maintenance when due, which with collector members is everyone's; at
        # most one slice a STATUS_MAINTENANCE_GAP_S (see there).
        if self._defer_maintenance:
            return
        now, last = self._clock(), self._maintained_at
        if last is not None and 0 <= now - last < STATUS_MAINTENANCE_GAP_S:
            return
        if self._maintenance.due():
            self._maintained_at = now
            self.maintain()

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
        """Whether :meth:`maintain` would run anything now
        (:meth:`.StorageMaintenance.due`)."""
        return self._maintenance.due()

    def maintain(self) -> bool:
        """Run the maintenance that is due (:meth:`.StorageMaintenance.run`): rollups,
        retention and compaction in slices of about a quarter second a call. Never
        raises for a database error; returns whether anything was due."""
        return self._maintenance.run()

    def _connection(self) -> Any:
        """This thread's connection, reconnected if it broke."""
        return usable_connection(self._using)

    def forget_series(self, device_id: int | None = None) -> None:
        """Drop cached series ids (of one device, or all)."""
        self._samples.forget(device_id)

    def stats(self) -> dict[str, object]:
        """Return ``{"mode": "thread", "why": str}`` for status pages: as the
        collector's storage, this one writes from the collector's writer thread."""
        return {"mode": "thread", "why": self.why}

    def close(self) -> None:
        """Close this thread's database connection."""
        close_connection(self._using)
