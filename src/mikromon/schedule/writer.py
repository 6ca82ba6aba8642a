"""The writer: one thread that takes what the collectors produced and hands it to
:class:`~mikromon.storage.protocols.Storage` in bulk.

Collectors never wait for the database: :meth:`StorageWriter.put_samples` and friends
only add to bounded in-memory queues. When the database stalls, polling goes on
and the queues grow; when ``max_batches`` sample batches and log snapshots are
waiting, the OLDEST sample batch is dropped (the oldest log snapshot when no
sample batch is left), counted, and logged (one summary line per
``log_every_s``), so nothing is lost silently. Events have a queue of their own
with the same bound, so they are dropped only if events alone overflow it.

Two things are coalesced instead of queued twice, which bounds them by the
number of devices (and tables): a device's status (only the newest waits) and a
table's inventory snapshot (a newer snapshot of the same device and table
replaces the queued one: it describes the table completely). They are never
dropped. Append-only snapshots (logs) count with the samples.

Each cycle writes every queued sample batch first, then events and statuses,
then inventory snapshots for at most ``inventory_budget_s``, so a backlog of
inventory (a thousand routers' first runs) never holds back the time series.
:meth:`StorageWriter.stop` flushes everything.

Samples of one cycle are grouped per device. When the storage has the optional
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
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypedDict, TypeVar, TypeVarTuple

from mikromon.domain.errors import PartialWrite, StorageUnavailable
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.storage.protocols import Storage

log = logging.getLogger(__name__)

#: Default bound of the queues, in batches (one tier run's samples is one batch).
DEFAULT_MAX_BATCHES: Final = 5000
#: Seconds the writer waits after the first queued item for more, so that it
#: wakes (and takes the GIL from the collector loop) a few times a second rather
#: than once per poll.
DEFAULT_LINGER_S: Final = 0.1
#: Seconds per cycle spent writing inventory before samples get their turn again.
DEFAULT_INVENTORY_BUDGET_S: Final = 0.5
#: Most samples per ``write_samples_many`` call (bounds one transaction's size).
DEFAULT_SAMPLES_PER_CALL: Final = 50_000
#: Seconds before the first retry of an unavailable database, and at most
#: (doubling in between).
RETRY_S: Final = (0.5, 5.0)


_P = TypeVar("_P", covariant=True)
_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


@dataclass(frozen=True, slots=True)
class _Batch(Generic[_P]):
    device_id: int
    payload: _P  # list[Sample] | InventorySnapshot | list[Event]
    rows: int


#: A queued inventory snapshot's key: (device id, table) for a replaceable one,
#: ("append", sequence number) for an append-only one.
_InventoryKey = tuple[int, str] | tuple[str, int]


class _Failed(enum.Enum):
    """What :meth:`StorageWriter._call` returns for a call that failed (counted)."""

    FAILED = "failed"


@dataclass(slots=True)
class _DeviceCounts:
    rows_dropped: int = 0
    rows_failed: int = 0
    last_error: str = ""

    def as_dict(self) -> DeviceWriteStats:
        return {"rows_dropped": self.rows_dropped, "rows_failed": self.rows_failed,
                "last_error": self.last_error}


class DeviceWriteStats(TypedDict):
    """One device's writer counts (see :meth:`StorageWriter.device_stats`)."""

    rows_dropped: int
    rows_failed: int
    last_error: str


class _Unavailable(Exception):
    """The database became unavailable during a cycle: what was not written is
    back in the queues."""


class StorageWriter:
    """Batches rows and writes them to a Storage from one thread.

    Args:
        storage: where rows go; called from the writer thread only.
        max_batches: bound of sample batches and log snapshots together, and of
            event batches (>= 1); statuses and inventory snapshots are bounded by
            the number of devices and tables.
        log_every_s: at most one "dropped" summary line per this many seconds.
        linger_s: seconds to wait for more rows once something is queued (0: write
            at once).
        inventory_budget_s: seconds per cycle for inventory snapshots.
        samples_per_call: most samples per ``write_samples_many`` call (>= 1; a
            device's samples of one cycle are never split, so one device with more
            gets a call of its own).
        name: the thread's name.

    Raises:
        ValueError: ``max_batches`` or ``samples_per_call`` < 1.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        max_batches: int = DEFAULT_MAX_BATCHES,
        log_every_s: float = 10.0,
        linger_s: float = DEFAULT_LINGER_S,
        inventory_budget_s: float = DEFAULT_INVENTORY_BUDGET_S,
        samples_per_call: int = DEFAULT_SAMPLES_PER_CALL,
        name: str = "mikromon-writer",
    ) -> None:
        if max_batches < 1:
            raise ValueError(f"max_batches must be at least 1, got {max_batches}")
        if samples_per_call < 1:
            raise ValueError(f"samples_per_call must be at least 1, got {samples_per_call}")
        self._per_call = samples_per_call
        self._storage = storage
        self._max = max_batches
        self._log_every = log_every_s
        self._linger = linger_s
        self._budget = inventory_budget_s
        self._name = name
        self._cond = threading.Condition()
        self._samples: deque[_Batch[list[Sample]]] = deque()
        self._events: deque[_Batch[list[Event]]] = deque()
        #: Snapshots in arrival order; key (device, table) for replaceable ones,
        #: a unique key for append-only ones.
        self._inventory: dict[_InventoryKey, _Batch[InventorySnapshot]] = {}
        self._appends = 0  # append-only snapshots in _inventory
        self._statuses: dict[int, DeviceStatus] = {}
        self._seq = itertools.count()
        self._closing = False
        self._idle = False
        self._thread: threading.Thread | None = None
        # Counters (read without the lock for status: ints are swapped atomically).
        self.rows_written = 0
        self.batches_written = 0
        self.batches_dropped = 0
        self.rows_dropped = 0
        self.snapshots_replaced = 0
        self.write_errors = 0
        self.rows_failed = 0
        self.last_error = ""
        self._in_flight = 0
        self._write_started: float | None = None
        self._unlogged_drops = 0
        self._unlogged_rows = 0
        self._last_drop_log = 0.0
        #: Per device: rows dropped at the bound, rows lost to failed writes.
        self._devices: dict[int, _DeviceCounts] = {}
        #: (device id, what) -> the reason last logged, until a write succeeds.
        self._logged: dict[tuple[int, str], str] = {}
        #: monotonic seconds when the database became unavailable, or None.
        self._unavailable_since: float | None = None
        self._retry_s = RETRY_S[0]
        self.stalls = 0

    # -- producer side (any thread) -------------------------------------------------

    def put_samples(self, device_id: int, samples: Sequence[Sample]) -> None:
        """Queue samples for ``device_id``; never blocks."""
        if samples:
            with self._cond:
                self._make_room()
                self._samples.append(_Batch(device_id, list(samples), len(samples)))
                self._wake()

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue one inventory snapshot for ``device_id`` (replacing a queued one of the
        same table unless append-only); never blocks."""
        batch = _Batch(device_id, snapshot, len(snapshot.rows))
        with self._cond:
            if snapshot.append_only:
                self._make_room()
                self._inventory[("append", next(self._seq))] = batch
                self._appends += 1
            else:
                key = (device_id, snapshot.table)
                if key in self._inventory:
                    self.snapshots_replaced += 1
                self._inventory[key] = batch
            self._wake()

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue events; never blocks."""
        if events:
            with self._cond:
                if len(self._events) >= self._max:
                    self._drop(self._events.popleft())
                self._events.append(_Batch(events[0].device_id, list(events), len(events)))
                self._wake()

    def put_status(self, status: DeviceStatus) -> None:
        """Queue a device status; replaces a queued, not yet written status of the
        same device, keeping its ``last_seen`` and facts when the new one lacks them."""
        with self._cond:
            old = self._statuses.get(status.device_id)
            if old is not None:
                status = status.over(old)
            self._statuses[status.device_id] = status
            self._wake()

    def _data(self) -> int:
        """Sample batches and log snapshots waiting (what ``max_batches`` bounds)."""
        return len(self._samples) + self._appends

    def _make_room(self) -> None:
        """Drop the oldest sample batch, else the oldest log snapshot, when
        ``max_batches`` of them wait (lock held)."""
        if self._data() < self._max:
            return
        if self._samples:
            self._drop(self._samples.popleft())
            return
        key = next(k for k in self._inventory if k[0] == "append")
        self._appends -= 1
        self._drop(self._inventory.pop(key))

    def _counts(self, device_id: int) -> _DeviceCounts:
        counts = self._devices.get(device_id)
        if counts is None:
            counts = self._devices[device_id] = _DeviceCounts()
        return counts

    def _drop(self, batch: _Batch[object]) -> None:
        """Count (in all and per device) and log a dropped batch (lock held)."""
        self.batches_dropped += 1
        self.rows_dropped += batch.rows
        payload = batch.payload
        events = ([e for e in payload if isinstance(e, Event)]
                  if isinstance(payload, list) else [])
        if events:
            for e in events:
                self._counts(e.device_id).rows_dropped += 1
        else:
            self._counts(batch.device_id).rows_dropped += batch.rows
        self._unlogged_drops += 1
        self._unlogged_rows += batch.rows
        self._log_drops()

    def _wake(self) -> None:
        """Wake the writer if it waits for a first item, or the queues are half full
        (lock held)."""
        if self._idle or self._data() >= self._max // 2:
            self._cond.notify()

    def _log_drops(self, *, force: bool = False) -> None:
        """Log dropped batches: at once for the first, then one summary per
        ``log_every_s`` (and at the end) (lock held)."""
        if not self._unlogged_drops:
            return
        now = time.monotonic()
        due = not self._last_drop_log or now - self._last_drop_log >= self._log_every
        if not (force or due):
            return
        log.warning(
            "writer queue full (%d batches): dropped the oldest %d batch(es), %d row(s) "
            "since the last report; %d batch(es) dropped in all; %s", self._max,
            self._unlogged_drops, self._unlogged_rows, self.batches_dropped,
            "the database takes no writes" if self._unavailable_since is not None
            else "the database is slower than the collector",
        )
        self._unlogged_drops = self._unlogged_rows = 0
        self._last_drop_log = now

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        """Start the writer thread.

        Raises:
            RuntimeError: already started.
        """
        if self._thread is not None:
            raise RuntimeError("writer already started")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
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
        with self._cond:
            self._closing = True
            self._cond.notify_all()
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
        return (len(self._samples) + len(self._inventory) + len(self._events)
                + len(self._statuses))

    def stats(self) -> dict[str, object]:
        """Return counters for status pages (JSON-serialisable).

        Keys: queue_depth (all waiting items), queued (per kind: samples,
        inventory, events, statuses), max_batches, in_flight (rows being written
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
        started = self._write_started
        storage_stats = getattr(self._storage, "stats", None)
        return {
            "queue_depth": self.queue_depth,
            "queued": {"samples": len(self._samples), "inventory": len(self._inventory),
                       "events": len(self._events), "statuses": len(self._statuses)},
            "max_batches": self._max,
            "in_flight": self._in_flight,
            "write_s": round(time.monotonic() - started, 3) if started is not None else 0.0,
            "rows_written": self.rows_written,
            "batches_written": self.batches_written,
            "batches_dropped": self.batches_dropped,
            "rows_dropped": self.rows_dropped,
            "snapshots_replaced": self.snapshots_replaced,
            "write_errors": self.write_errors,
            "rows_failed": self.rows_failed,
            "last_error": self.last_error,
            "unavailable_s": self._unavailable_for(),
            "stalls": self.stalls,
            "devices": {str(d): c.as_dict() for d, c in sorted(dict(self._devices).items())},
            "storage": storage_stats() if callable(storage_stats) else None,
        }

    def device_stats(self, device_id: int) -> DeviceWriteStats:
        """Return ``{"rows_dropped": int, "rows_failed": int, "last_error": str}``
        for one device: its rows dropped at the queue bound, its rows lost to
        failed writes, and the reason of its last failed write (all since start)."""
        counts = self._devices.get(device_id)
        return counts.as_dict() if counts is not None else _DeviceCounts().as_dict()

    def _unavailable_for(self) -> float:
        since = self._unavailable_since
        return round(max(time.monotonic() - since, 0.001), 3) if since is not None else 0.0

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._cycle():
                pass
        finally:
            with self._cond:
                self._log_drops(force=True)
            close = getattr(self._storage, "close", None)
            if callable(close):
                self._call("close", {}, close)

    def _cycle(self) -> bool:
        """Wait for work and write one round; return ``False`` when closed and empty."""
        with self._cond:
            if not self.queue_depth:
                if self._closing:
                    return False
                self._idle = True
                while not self.queue_depth and not self._closing:
                    self._cond.wait()
                self._idle = False
                deadline = time.monotonic() + self._linger
                while not self._closing and self._data() < self._max // 2:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            self._log_drops()
            samples = list(self._samples)
            self._samples.clear()
            events = list(self._events)
            self._events.clear()
            statuses = list(self._statuses.values())
            self._statuses.clear()
            self._in_flight = sum(b.rows for b in samples) + len(statuses)
        try:
            try:
                self._write_samples(samples)
            except _Unavailable:
                self._requeue(events=events, statuses=statuses)
                raise
            try:
                self._write_events(events)
            except _Unavailable:
                self._requeue(statuses=statuses)
                raise
            self._write_statuses(statuses)
            self._write_inventory(time.monotonic() + self._budget)
        except _Unavailable:
            self._in_flight = 0
            self._pause()
            return True
        self._in_flight = 0
        return True

    # -- one kind at a time (each raises _Unavailable after putting back what it
    # did not write) -------------------------------------------------------------------

    def _write_samples(self, batches: list[_Batch[list[Sample]]]) -> None:
        by_device: dict[int, list[Sample]] = {}
        for b in batches:
            by_device.setdefault(b.device_id, []).extend(b.payload)
        many = getattr(self._storage, "write_samples_many", None)
        if callable(many):
            calls = _calls(by_device, self._per_call)
        else:
            calls = [[(d, rows)] for d, rows in by_device.items()]
        for index, call in enumerate(calls):
            rows = {d: len(device_rows) for d, device_rows in call}
            try:
                if callable(many):
                    written = self._call("write_samples_many", rows, many, call)
                else:
                    (device_id, device_rows), = call
                    written = self._call("write_samples", rows, self._storage.write_samples,
                                         device_id, device_rows)
            except StorageUnavailable:
                later = {d for c in calls[index:] for d, _ in c}
                self._requeue(samples=[b for b in batches if b.device_id in later])
                raise _Unavailable from None
            if isinstance(written, PartialWrite):
                self.rows_written += written.written
                if written.pending:
                    later = set(written.pending) | {d for c in calls[index + 1:] for d, _ in c}
                    self._requeue(samples=[b for b in batches if b.device_id in later])
                    raise _Unavailable
            elif written is not _FAILED:
                self.rows_written += sum(rows.values()) if written is None else int(written)
        self.batches_written += len(batches)

    def _write_events(self, batches: list[_Batch[list[Event]]]) -> None:
        events = [e for b in batches for e in b.payload]
        if not events:
            return
        rows: dict[int, int] = {}
        for e in events:
            rows[e.device_id] = rows.get(e.device_id, 0) + 1
        try:
            result = self._call("write_events", rows, self._storage.write_events, events)
        except StorageUnavailable:
            self._requeue(events=batches)
            raise _Unavailable from None
        if isinstance(result, PartialWrite):
            self.rows_written += result.written
            if result.pending:
                pending = set(result.pending)
                left = [e for e in events if e.device_id in pending]
                self._requeue(events=[_Batch(left[0].device_id, left, len(left))])
                raise _Unavailable
        elif result is not _FAILED:
            self.rows_written += len(events)
        self.batches_written += len(batches)

    def _write_statuses(self, statuses: list[DeviceStatus]) -> None:
        for index, status in enumerate(statuses):
            try:
                result = self._call("write_status", {status.device_id: 1},
                                    self._storage.write_status, status)
            except StorageUnavailable:
                self._requeue(statuses=statuses[index:])
                raise _Unavailable from None
            if result is not _FAILED and not isinstance(result, PartialWrite):
                self.rows_written += 1

    def _write_inventory(self, until: float) -> None:
        """Write queued snapshots, oldest first, until the queue is empty or the time
        is up (everything when closing)."""
        while True:
            with self._cond:
                if not self._inventory or (time.monotonic() >= until and not self._closing):
                    return
                key = next(iter(self._inventory))
                batch = self._inventory.pop(key)
                if key[0] == "append":
                    self._appends -= 1
                self._in_flight = batch.rows
            try:
                result = self._call("write_inventory", {batch.device_id: batch.rows},
                                    self._storage.write_inventory, batch.device_id,
                                    batch.payload)
            except StorageUnavailable:
                self._requeue(inventory=(key, batch))
                raise _Unavailable from None
            if result is not _FAILED and not isinstance(result, PartialWrite):
                self.rows_written += batch.rows
            self.batches_written += 1

    def _requeue(self, *, samples: Sequence[_Batch[list[Sample]]] = (),
                 events: Sequence[_Batch[list[Event]]] = (),
                 statuses: Sequence[DeviceStatus] = (),
                 inventory: tuple[_InventoryKey, _Batch[InventorySnapshot]] | None = None,
                 ) -> None:
        """Put what was not written back at the front of its queue, in its order
        (a newer status or replaceable snapshot that arrived meanwhile wins), then
        drop the oldest beyond the bound."""
        with self._cond:
            self._samples.extendleft(reversed(samples))
            self._events.extendleft(reversed(events))
            for status in statuses:
                newer = self._statuses.get(status.device_id)
                self._statuses[status.device_id] = (
                    newer.over(status) if newer is not None else status
                )
            if inventory is not None:
                key, batch = inventory
                if key not in self._inventory:
                    self._inventory = {key: batch, **self._inventory}
                    if key[0] == "append":
                        self._appends += 1
            while self._data() > self._max:
                if self._samples:
                    self._drop(self._samples.popleft())
                else:
                    self._make_room()
            while len(self._events) > self._max:
                self._drop(self._events.popleft())

    def _pause(self) -> None:
        """Wait before the next attempt on an unavailable database (0.5 s, then
        doubling up to 5 s); new rows keep queueing meanwhile."""
        wait = self._retry_s
        self._retry_s = min(self._retry_s * 2, RETRY_S[1])
        deadline = time.monotonic() + wait
        with self._cond:
            while (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)

    # -- one storage call -------------------------------------------------------------

    def _call(self, what: str, rows: Mapping[int, int], fn: Callable[[*_Ts], _T],
              *args: *_Ts) -> _T | PartialWrite | _Failed:
        """Call the storage; ``rows``: the call's rows per device.

        Returns the result; a :class:`PartialWrite` (its failed devices counted);
        or ``_FAILED`` when the call failed otherwise (all its rows counted as
        failed, per device).

        Raises:
            StorageUnavailable: passed on (recorded: the stall starts).
        """
        self._write_started = time.monotonic()
        try:
            result = fn(*args)
        except StorageUnavailable as err:
            self._stalled(what, err)
            raise
        except PartialWrite as err:
            self._available()
            self.write_errors += 1
            self.last_error = f"{what}: {err}"
            for device_id, reason in err.failed.items():
                self._device_failed(what, device_id, rows.get(device_id, 0), reason)
            self._succeeded(what, set(rows) - set(err.failed) - set(err.pending))
            return err
        except Exception as err:
            self.write_errors += 1
            reason = f"{type(err).__name__}: {err}"
            self.last_error = f"{what}: {reason}"
            first = not any((d, what) in self._logged for d in rows)
            for device_id, count in rows.items():
                self._device_failed(what, device_id, count, reason)
            if first:
                log.debug("storage %s failed", what, exc_info=True)
            return _FAILED
        finally:
            self._write_started = None
        self._available()
        self._succeeded(what, rows)
        return result

    def _device_failed(self, what: str, device_id: int, rows: int, reason: str) -> None:
        """Count a device's lost rows; log once per (device, kind) and reason."""
        counts = self._counts(device_id)
        counts.rows_failed += rows
        counts.last_error = f"{what}: {reason}"
        self.rows_failed += rows
        key = (device_id, what)
        if self._logged.get(key) != reason:
            self._logged[key] = reason
            log.warning("storage %s failed for device id %s; its %d row(s) are lost "
                        "(counted per device; logged again only if the reason changes): %s",
                        what, device_id, rows, reason)

    def _succeeded(self, what: str, devices: Iterable[int]) -> None:
        if not self._logged:
            return
        for device_id in devices:
            if self._logged.pop((device_id, what), None) is not None:
                log.info("storage %s: writes succeed again for device id %s", what, device_id)

    def _stalled(self, what: str, err: StorageUnavailable) -> None:
        self.last_error = f"{what}: {err}"
        if self._unavailable_since is None:
            self._unavailable_since = time.monotonic()
            self.stalls += 1
            log.warning("%s; %s and everything queued is kept and retried (polling goes "
                        "on; beyond %d queued batches the oldest samples are dropped, "
                        "counted per device)", err, what, self._max)

    def _available(self) -> None:
        since = self._unavailable_since
        if since is None:
            return
        self._unavailable_since = None
        self._retry_s = RETRY_S[0]
        log.warning("database available again after %.1f s; writing what is queued "
                    "(%d item(s) waiting)", time.monotonic() - since, self.queue_depth)


_FAILED: Final = _Failed.FAILED


def _calls(by_device: dict[int, list[Sample]], limit: int
           ) -> list[list[tuple[int, list[Sample]]]]:
    """Split per-device sample lists into calls of at most ``limit`` samples each
    (a device's samples stay in one call; a device with more than ``limit`` gets a
    call of its own)."""
    calls: list[list[tuple[int, list[Sample]]]] = []
    current: list[tuple[int, list[Sample]]] = []
    size = 0
    for device_id, rows in by_device.items():
        if current and size + len(rows) > limit:
            calls.append(current)
            current, size = [], 0
        current.append((device_id, rows))
        size += len(rows)
    if current:
        calls.append(current)
    return calls

