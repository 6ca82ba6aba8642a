"""The writer: one thread that takes what the collectors produced and hands it to
:class:`~mikromon.sinks.base.Storage` in bulk.

Collectors never wait for the database: :meth:`Writer.put_samples` and friends
only append to a bounded in-memory queue. When the database stalls, polling goes
on and the queue grows; when it is full, the OLDEST sample batch is dropped
(then the oldest inventory batch; status and events only when nothing else is
left), counted, and logged (one summary line per ``log_every_s``) so that nothing
is lost silently. Statuses are coalesced per device: only the newest one waits.
:meth:`Writer.stop` flushes what is queued.

If the storage object has a ``close()`` method, the writer calls it from its own
thread when it stops (a Django storage closes that thread's connection there).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.sinks.base import Storage

log = logging.getLogger(__name__)

#: Default bound of the queue, in batches (one tier run's samples is one batch).
DEFAULT_MAX_BATCHES: Final = 5000
#: Seconds the writer waits after the first queued item for more, so that it
#: wakes (and takes the GIL from the collector loop) a few times a second rather
#: than once per poll.
DEFAULT_LINGER_S: Final = 0.1

Kind = Literal["samples", "inventory", "events"]


@dataclass(frozen=True, slots=True)
class _Batch:
    kind: Kind
    device_id: int
    payload: Any  # Sequence[Sample] | InventorySnapshot | Sequence[Event]
    rows: int


class Writer:
    """Batches rows and writes them to a Storage from one thread.

    Args:
        storage: where rows go; called from the writer thread only.
        max_batches: queue bound, batches of samples, inventory or events (>= 1).
        log_every_s: at most one "dropped" summary line per this many seconds.
        linger_s: seconds to wait for more rows once something is queued (0: write
            at once).
        name: the thread's name.

    Raises:
        ValueError: ``max_batches`` < 1.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        max_batches: int = DEFAULT_MAX_BATCHES,
        log_every_s: float = 10.0,
        linger_s: float = DEFAULT_LINGER_S,
        name: str = "mikromon-writer",
    ) -> None:
        if max_batches < 1:
            raise ValueError(f"max_batches must be at least 1, got {max_batches}")
        self._storage = storage
        self._max = max_batches
        self._log_every = log_every_s
        self._linger = linger_s
        self._idle = False
        self._name = name
        self._cond = threading.Condition()
        self._queue: deque[_Batch] = deque()
        self._statuses: dict[int, DeviceStatus] = {}
        self._closing = False
        self._thread: threading.Thread | None = None
        # Counters (read without the lock for status: ints are swapped atomically).
        self.rows_written = 0
        self.batches_written = 0
        self.batches_dropped = 0
        self.rows_dropped = 0
        self.write_errors = 0
        self.rows_failed = 0
        self.last_error = ""
        self._in_flight = 0
        self._write_started: float | None = None
        self._unlogged_drops = 0
        self._unlogged_rows = 0
        self._last_drop_log = 0.0
        self._failing = False

    # -- producer side (any thread) -------------------------------------------------

    def put_samples(self, device_id: int, samples: Sequence[Sample]) -> None:
        """Queue samples for ``device_id``; never blocks."""
        if samples:
            self._put(_Batch("samples", device_id, list(samples), len(samples)))

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue one inventory snapshot for ``device_id``; never blocks."""
        self._put(_Batch("inventory", device_id, snapshot, len(snapshot.rows)))

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue events; never blocks."""
        if events:
            self._put(_Batch("events", events[0].device_id, list(events), len(events)))

    def put_status(self, status: DeviceStatus) -> None:
        """Queue a device status; replaces a queued, not yet written status of the
        same device, keeping its ``last_seen`` and facts when the new one lacks them."""
        with self._cond:
            old = self._statuses.get(status.device_id)
            if old is not None:
                status = _merge_status(old, status)
            self._statuses[status.device_id] = status
            self._wake()

    def _put(self, batch: _Batch) -> None:
        with self._cond:
            if len(self._queue) >= self._max:
                self._drop_one()
            self._queue.append(batch)
            self._wake()

    def _wake(self) -> None:
        """Wake the writer if it waits for a first item, or the queue is half full
        (lock held)."""
        if self._idle or len(self._queue) >= self._max // 2:
            self._cond.notify()

    def _drop_one(self) -> None:
        """Drop the oldest samples batch, else inventory, else events (lock held)."""
        for kind in ("samples", "inventory", "events"):
            for i, batch in enumerate(self._queue):
                if batch.kind == kind:
                    del self._queue[i]
                    self.batches_dropped += 1
                    self.rows_dropped += batch.rows
                    self._unlogged_drops += 1
                    self._unlogged_rows += batch.rows
                    self._log_drops(force=kind != "samples")
                    return

    def _log_drops(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self._unlogged_drops:
            return
        due = not self._last_drop_log or now - self._last_drop_log >= self._log_every
        if not (force or due):
            return
        log.warning(
            "writer queue full (%d batches): dropped the oldest %d batch(es), %d row(s); "
            "%d batch(es) dropped in all; the database is slower than the collector",
            self._max, self._unlogged_drops, self._unlogged_rows, self.batches_dropped,
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
            daemon and ends when its write returns).
        """
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("writer did not finish within %.1f s: the storage is blocked; "
                      "%d batch(es) still queued", timeout, len(self._queue))
            return False
        return True

    @property
    def queue_depth(self) -> int:
        """Batches and statuses waiting to be written (not counting the write in progress)."""
        return len(self._queue) + len(self._statuses)

    def stats(self) -> dict[str, object]:
        """Return counters for status pages (JSON-serialisable).

        Keys: queue_depth (batches + statuses waiting), max_batches, in_flight (rows
        being written now), write_s (seconds the current write has taken, 0 when
        idle), rows_written, batches_written, batches_dropped, rows_dropped,
        write_errors (failed storage calls), rows_failed (rows those calls held),
        last_error.
        """
        started = self._write_started
        return {
            "queue_depth": self.queue_depth,
            "max_batches": self._max,
            "in_flight": self._in_flight,
            "write_s": round(time.monotonic() - started, 3) if started is not None else 0.0,
            "rows_written": self.rows_written,
            "batches_written": self.batches_written,
            "batches_dropped": self.batches_dropped,
            "rows_dropped": self.rows_dropped,
            "write_errors": self.write_errors,
            "rows_failed": self.rows_failed,
            "last_error": self.last_error,
        }

    # -- the writer thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._idle = True
                    while not self._queue and not self._statuses and not self._closing:
                        self._cond.wait()
                    self._idle = False
                    if not self._queue and not self._statuses:
                        self._log_drops(force=True)
                        return
                    deadline = time.monotonic() + self._linger
                    while not self._closing and len(self._queue) < self._max // 2:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)
                    self._log_drops()
                    batches = list(self._queue)
                    self._queue.clear()
                    statuses = list(self._statuses.values())
                    self._statuses.clear()
                    self._in_flight = sum(b.rows for b in batches) + len(statuses)
                self._write(batches, statuses)
                self._in_flight = 0
        finally:
            close = getattr(self._storage, "close", None)
            if callable(close):
                self._call("close", (), close)

    def _write(self, batches: list[_Batch], statuses: list[DeviceStatus]) -> None:
        samples: dict[int, list[Sample]] = {}
        events: list[Event] = []
        inventory: list[_Batch] = []
        for b in batches:
            if b.kind == "samples":
                samples.setdefault(b.device_id, []).extend(b.payload)
            elif b.kind == "events":
                events.extend(b.payload)
            else:
                inventory.append(b)
        storage = self._storage
        for device_id, rows in samples.items():
            written = self._call("write_samples", rows, storage.write_samples, device_id, rows)
            if written is not _FAILED:
                self.rows_written += len(rows) if written is None else int(written)
        for b in inventory:
            if self._call("write_inventory", b.payload.rows, storage.write_inventory,
                          b.device_id, b.payload) is not _FAILED:
                self.rows_written += b.rows
        if events and self._call("write_events", events, storage.write_events,
                                 events) is not _FAILED:
            self.rows_written += len(events)
        for status in statuses:
            if self._call("write_status", (status,), storage.write_status,
                          status) is not _FAILED:
                self.rows_written += 1
        self.batches_written += len(batches)

    def _call(self, what: str, rows: Sequence[object], fn: Any, *args: Any) -> Any:
        self._write_started = time.monotonic()
        try:
            result = fn(*args)
        except Exception as err:
            self.write_errors += 1
            self.rows_failed += len(rows)
            self.last_error = f"{what}: {type(err).__name__}: {err}"
            if not self._failing:
                log.exception("storage %s failed; its rows are lost (counted in "
                              "write_errors)", what)
                self._failing = True
            else:
                log.warning("storage %s failed again: %s", what, err)
            return _FAILED
        finally:
            self._write_started = None
        if self._failing:
            log.info("storage writes succeed again")
            self._failing = False
        return result


_FAILED: Final = object()


def _merge_status(old: DeviceStatus, new: DeviceStatus) -> DeviceStatus:
    """Return ``new`` with fields it leaves unset (``None``) taken from ``old``."""
    return DeviceStatus(
        device_id=new.device_id,
        state=new.state,
        ts=new.ts,
        last_seen=new.last_seen if new.last_seen is not None else old.last_seen,
        last_error=new.last_error,
        identity=new.identity if new.identity is not None else old.identity,
        board=new.board if new.board is not None else old.board,
        version=new.version if new.version is not None else old.version,
    )
