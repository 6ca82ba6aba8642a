"""The writer: one thread that takes what the collectors produced and hands it to
:class:`~mikromon.storage.protocols.Storage` in bulk.

Collectors never wait for the database: :meth:`StorageWriter.put_samples` and friends
only add to bounded in-memory queues. When the database stalls, polling goes on
and the queues grow; when the rows of the sample batches and log snapshots
waiting would pass ``max_rows``, the OLDEST sample batches are dropped (the oldest
log snapshots when no sample batch is left), counted, and logged (one summary
line per ``log_every_s``), so nothing is lost silently. Events have a queue of
their own, bounded by ``max_batches``, so they are dropped only if events alone
overflow it.

Two things are coalesced instead of queued twice, which bounds them by the
number of devices (and tables): a device's status (only the newest waits) and a
table's inventory snapshot (a newer snapshot of the same device and table
replaces the queued one: it describes the table completely). They are never
dropped. Append-only snapshots (logs) count with the samples.

Each cycle writes every queued sample batch first, then events and statuses,
then inventory snapshots for at most ``inventory_budget_s``, so a backlog of
inventory (a thousand routers' first runs) never holds back the time series.
:meth:`StorageWriter.stop` flushes everything.

Samples of one cycle are grouped per device (blocks made into their
samples here, unless the storage takes them as they are:
:func:`~mikromon.storage.protocols.takes_blocks`). When the storage has the optional
``write_samples_many`` (:class:`~mikromon.storage.protocols.BatchSampleStorage`), all
devices' samples go to it in one call (split into calls of at most
``samples_per_call`` samples), so a database storage can write a cycle in one
transaction. Otherwise there is one ``write_samples`` call per device.

Failures, by what the storage raises:

- :class:`~mikromon.domain.errors.StorageUnavailable` (the database is busy,
  locked, full or unreachable; nothing was stored): nothing is lost. The call's
  rows go back to the FRONT of their queues, the cycle ends, and the writer tries
  again after 0.5 s, then 1, 2, up to 5 s between attempts. Meanwhile the
  collectors keep polling and the queues grow up to their bound (the oldest
  sample batches are dropped beyond it, counted per device); when the database
  returns, the queues drain in order. Logged once when the stall starts and once
  when it ends; ``stats()`` shows ``unavailable_s`` (how long so far) and
  ``stalls``.
- :class:`~mikromon.domain.errors.PartialWrite`: the other devices' rows were
  stored; each failed device's rows are lost and counted against that device
  (``rows_failed`` per device, with its reason); devices left ``pending`` go
  back to the queue as above.
- Anything else: the call's rows are lost, counted against each device they
  belonged to.

A device's failure is logged once per kind of write and reason (again only
when the reason changes), and once more when that device's writes succeed again.

If the storage object has a ``close()`` method, the writer calls it from its own
thread when it stops (a Django storage closes that thread's connection there).
A ``stats()`` method (any thread, cheap, JSON-serialisable dict) is reported
under ``storage`` in :meth:`StorageWriter.stats`.

The queues are :class:`~mikromon.schedule.write_queue.WriteQueue`; one storage
call and its failure accounting, :class:`~mikromon.schedule.storage_calls.StorageCalls`.
"""


from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Final, cast

from mikromon.domain.errors import PartialWrite, StorageUnavailable
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import SampleItem, each_sample
from mikromon.schedule.storage_calls import (
    FAILED,
    DeviceCounts,
    DeviceWriteStats,
    StorageCalls,
    split_calls,
)
from mikromon.schedule.write_queue import Batch, WriteQueue
from mikromon.storage.protocols import Storage, takes_blocks

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_INVENTORY_BUDGET_S", "DEFAULT_LINGER_S", "DEFAULT_MAX_BATCHES",
    "DEFAULT_MAX_ROWS", "DEFAULT_SAMPLES_PER_CALL", "StorageWriter",
]

#: Default bound of the event queue, in batches (one tier run's events is one batch).
DEFAULT_MAX_BATCHES: Final = 5000
#: Default bound of the sample and log rows waiting: about 190 MB at the 124 bytes
#: a queued sample holds, a minute of a 1,000-router fleet's 27,700 samples a second
#: (bench/RESULTS.md, "The writer's queue bounded in rows").
DEFAULT_MAX_ROWS: Final = 1_500_000
#: Seconds the writer waits after the first queued item for more, so that it
#: wakes (and takes the GIL from the collector loop) a few times a second rather
#: than once per poll.
DEFAULT_LINGER_S: Final = 0.1
#: Seconds per cycle spent writing inventory before samples get their turn again.
DEFAULT_INVENTORY_BUDGET_S: Final = 0.5
#: Most samples per ``write_samples_many`` call (bounds one transaction's size).
DEFAULT_SAMPLES_PER_CALL: Final = 50_000


def storage_from(given: Storage | Callable[[], Storage]) -> Storage:
    """``given`` when it is a storage (its ``write_samples`` is callable), else what
    calling it returns (a function or a class building one); TypeError for neither."""
    if isinstance(given, type) or not callable(getattr(given, "write_samples", None)):
        return cast("Callable[[], Storage]", given)()
    return cast("Storage", given)


class _Unavailable(Exception):
    """The database became unavailable during a cycle: what was not written is
    back in the queues."""


class StorageWriter:
    """Batches rows and writes them to a Storage from one thread.

    Args:
        storage: where rows go; called from the writer thread only.
        max_rows: bound of the rows of sample batches and log snapshots
            together (>= 1); statuses and inventory snapshots are bounded by
            the number of devices and tables.
        max_batches: bound of event batches (>= 1).
        log_every_s: at most one "dropped" summary line per this many seconds.
        linger_s: seconds to wait for more rows once something is queued (0: write
            at once).
        inventory_budget_s: seconds per cycle for inventory snapshots.
        samples_per_call: most samples per ``write_samples_many`` call (>= 1; a
            device's samples of one cycle are never split, so one device with more
            gets a call of its own).
        name: the thread's name.

    Raises:
        ValueError: ``max_rows``, ``max_batches`` or ``samples_per_call`` < 1.
    """

    def __init__(
        self, storage: Storage, *, max_rows: int = DEFAULT_MAX_ROWS,
        max_batches: int = DEFAULT_MAX_BATCHES, log_every_s: float = 10.0,
        linger_s: float = DEFAULT_LINGER_S, inventory_budget_s: float = DEFAULT_INVENTORY_BUDGET_S,
        samples_per_call: int = DEFAULT_SAMPLES_PER_CALL, name: str = "mikromon-writer",
    ) -> None:
        for what, bound in (("max_rows", max_rows), ("max_batches", max_batches),
                            ("samples_per_call", samples_per_call)):
            if bound < 1:
                raise ValueError(f"{what} must be at least 1, got {bound}")
        self._storage = storage
        self._per_call, self._linger, self._budget = samples_per_call, linger_s, inventory_budget_s
        self._calls = StorageCalls(max_rows, lambda: self.queue_depth)
        self._queue = WriteQueue(max_rows, max_batches, log_every_s, self._calls.count_drop,
                                 lambda: self._calls.stalled)
        self._thread: threading.Thread | None = None
        self._thread_name = name
        # Counters (read without the lock for status: ints are swapped atomically).
        self.rows_written = 0
        self.batches_written = 0
        self._in_flight = 0

    # -- producer side (any thread) -------------------------------------------------

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None:
        """Queue samples (and blocks of them) for ``device_id``; never blocks."""
        self._queue.put_samples(device_id, samples)

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue one inventory snapshot for ``device_id`` (replacing a queued one of the
        same table unless append-only); never blocks."""
        self._queue.put_inventory(device_id, snapshot)

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue events; never blocks."""
        self._queue.put_events(events)

    def put_status(self, status: DeviceStatus) -> None:
        """Queue a device status; replaces a queued, not yet written status of the
        same device, keeping its ``last_seen`` and facts when the new one lacks them."""
        self._queue.put_status(status)

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread.

        Raises:
            RuntimeError: already started.
        """
        if self._thread is not None:
            raise RuntimeError("writer already started")
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Write what is queued, then end the thread.

        Args:
            timeout: seconds to wait for the flush.

        Returns:
            ``True`` when everything was flushed and the thread ended; ``False``
            when the storage is still busy after ``timeout`` (the thread is a
            daemon and ends when its writes return).
        """
        self._queue.close()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("writer did not finish within %.1f s: the storage is blocked; "
                      "%d item(s) still queued", timeout, self.queue_depth)
            return False
        return True

    @property
    def queue_depth(self) -> int:
        """Batches, snapshots and statuses waiting to be written (not counting the
        write in progress)."""
        return self._queue.depth

    def stats(self) -> dict[str, object]:
        """Return counters for status pages (JSON-serialisable).

        Keys: queue_depth (all waiting items), queued (per kind: samples,
        inventory, events, statuses), queued_rows (rows of the sample batches and
        log snapshots waiting), max_rows (their bound), max_batches (the event
        queue's bound), in_flight (rows being written
        now), write_s (seconds the current write has taken, 0 when idle),
        rows_written, batches_written, batches_dropped, rows_dropped,
        snapshots_replaced (queued snapshots superseded by newer ones), write_errors
        (failed storage calls, partly failed ones included), rows_failed (rows
        lost to them), last_error (the last failure or unavailability, with the
        call), unavailable_s (seconds the database has been unavailable, 0 when it
        is not), stalls (times it became unavailable), devices (``{"<device id>":
        {"rows_dropped", "rows_failed", "last_error"}}`` for devices with drops or
        failures; see :meth:`device_stats`), and storage: the storage's own
        ``stats()`` when it has one (e.g. the process id of a storage running in
        a child process), else ``None``.
        """
        calls, queue = self._calls, self._queue
        started = calls.write_started
        storage_stats = getattr(self._storage, "stats", None)
        return {
            "queue_depth": self.queue_depth,
            "queued": queue.queued(),
            "queued_rows": queue.data(),
            "max_rows": queue.max_rows,
            "max_batches": queue.max,
            "in_flight": self._in_flight,
            "write_s": round(time.monotonic() - started, 3) if started is not None else 0.0,
            "rows_written": self.rows_written,
            "batches_written": self.batches_written,
            "batches_dropped": queue.batches_dropped,
            "rows_dropped": queue.rows_dropped,
            "snapshots_replaced": queue.snapshots_replaced,
            "write_errors": calls.write_errors,
            "rows_failed": calls.rows_failed,
            "last_error": calls.last_error,
            "unavailable_s": calls.unavailable_for(),
            "stalls": calls.stalls,
            "devices": {str(d): c.as_dict() for d, c in sorted(dict(calls.devices).items())},
            "storage": storage_stats() if callable(storage_stats) else None,
        }

    def device_stats(self, device_id: int) -> DeviceWriteStats:
        """Return ``{"rows_dropped": int, "rows_failed": int, "last_error": str}``
        for one device: its rows dropped at the queue bound, its rows lost to
        failed writes, and the reason of its last failed write (all since start)."""
        counts = self._calls.devices.get(device_id)
        return counts.as_dict() if counts is not None else DeviceCounts().as_dict()

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._cycle():
                pass
        finally:
            with self._queue.cond:
                self._queue.log_drops(force=True)
            close = getattr(self._storage, "close", None)
            if callable(close):
                self._calls.call("close", {}, close)

    def _cycle(self) -> bool:
        """Wait for work and write one round; return ``False`` when closed and empty."""
        taken = self._queue.wait_and_take(self._linger)
        if taken is None:
            return False
        samples, events, statuses = taken.samples, taken.events, taken.statuses
        self._in_flight = sum(b.rows for b in samples) + len(statuses)
        try:
            try:
                self._write_samples(samples)
            except _Unavailable:
                self._queue.requeue(events=events, statuses=statuses)
                raise
            try:
                self._write_events(events)
            except _Unavailable:
                self._queue.requeue(statuses=statuses)
                raise
            self._write_statuses(statuses)
            self._write_inventory(time.monotonic() + self._budget)
        except _Unavailable:
            self._in_flight = 0
            self._queue.wait(self._calls.next_wait())
            return True
        self._in_flight = 0
        return True

    # -- one kind at a time (each raises _Unavailable after putting back what it
    # did not write) -------------------------------------------------------------------

    def _write_samples(self, batches: list[Batch[list[SampleItem]]]) -> None:
        by_device: dict[int, list[SampleItem]] = {}
        counts: dict[int, int] = {}
        blocks = takes_blocks(self._storage)
        for b in batches:
            by_device.setdefault(b.device_id, []).extend(
                b.payload if blocks else each_sample(b.payload))
            counts[b.device_id] = counts.get(b.device_id, 0) + b.rows
        # samples only, unless the storage takes blocks (each_sample above)
        write_one = cast("Callable[[int, list[SampleItem]], int]", self._storage.write_samples)
        many = getattr(self._storage, "write_samples_many", None)
        if callable(many):
            calls = split_calls(by_device, counts, self._per_call)
        else:
            calls = [[(d, rows)] for d, rows in by_device.items()]
        for index, call in enumerate(calls):
            rows = {d: counts[d] for d, _ in call}
            try:
                if callable(many):
                    written = self._calls.call("write_samples_many", rows, many, call)
                else:
                    (device_id, device_rows), = call
                    written = self._calls.call("write_samples", rows, write_one, device_id,
                                               device_rows)
            except StorageUnavailable:
                later = {d for c in calls[index:] for d, _ in c}
                self._queue.requeue(samples=[b for b in batches if b.device_id in later])
                raise _Unavailable from None
            if isinstance(written, PartialWrite):
                self.rows_written += written.written
                if written.pending:
                    later = set(written.pending) | {d for c in calls[index + 1:] for d, _ in c}
                    self._queue.requeue(samples=[b for b in batches if b.device_id in later])
                    raise _Unavailable
            elif written is not FAILED:
                self.rows_written += sum(rows.values()) if written is None else int(written)
        self.batches_written += len(batches)

    def _write_events(self, batches: list[Batch[list[Event]]]) -> None:
        events = [e for b in batches for e in b.payload]
        if not events:
            return
        rows: dict[int, int] = {}
        for e in events:
            rows[e.device_id] = rows.get(e.device_id, 0) + 1
        try:
            result = self._calls.call("write_events", rows, self._storage.write_events, events)
        except StorageUnavailable:
            self._queue.requeue(events=batches)
            raise _Unavailable from None
        if isinstance(result, PartialWrite):
            self.rows_written += result.written
            if result.pending:
                pending = set(result.pending)
                left = [e for e in events if e.device_id in pending]
                self._queue.requeue(events=[Batch(left[0].device_id, left, len(left))])
                raise _Unavailable
        elif result is not FAILED:
            self.rows_written += len(events)
        self.batches_written += len(batches)

    def _write_statuses(self, statuses: list[DeviceStatus]) -> None:
        for index, status in enumerate(statuses):
            try:
                result = self._calls.call("write_status", {status.device_id: 1},
                                          self._storage.write_status, status)
            except StorageUnavailable:
                self._queue.requeue(statuses=statuses[index:])
                raise _Unavailable from None
            if result is not FAILED and not isinstance(result, PartialWrite):
                self.rows_written += 1

    def _write_inventory(self, until: float) -> None:
        """Write queued snapshots, oldest first, until the queue is empty or the time
        is up (everything when closing)."""
        while (item := self._queue.next_snapshot(until)) is not None:
            key, batch = item
            self._in_flight = batch.rows
            try:
                result = self._calls.call("write_inventory", {batch.device_id: batch.rows},
                                          self._storage.write_inventory, batch.device_id,
                                          batch.payload)
            except StorageUnavailable:
                self._queue.requeue(inventory=(key, batch))
                raise _Unavailable from None
            if result is not FAILED and not isinstance(result, PartialWrite):
                self.rows_written += batch.rows
            self.batches_written += 1

