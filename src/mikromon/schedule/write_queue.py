"""The writer's bounded in-memory queues: what the collectors hand over waits
here until the writer thread (:class:`~mikromon.schedule.writer.StorageWriter`)
takes it.

Sample batches and append-only snapshots (logs) share one bound in ROWS
(``max_rows``: what their memory grows with; a batch is one tier run, from one
sample to thousands, so a bound in batches would hold seconds of a large fleet
and hours of a small one); when a new batch would pass it, the OLDEST sample
batches are dropped (the oldest log snapshots when no sample batch is left) until
it fits, counted in all and per device, and logged (the first at once, then one
summary line per ``log_every_s``). A batch larger than the bound waits alone.
Events have a queue of their own, bounded in batches (``max_batches``). A
device's status and a table's replaceable inventory snapshot are coalesced (the
newest waits), so they are bounded by the number of devices and tables and never
dropped.

Every method takes the queues' lock itself unless it says "lock held".
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import SampleItem, sample_count

__all__ = ["Batch", "InventoryKey", "Taken", "WriteQueue"]

#: The writer's one log, whichever of its parts writes the line.
log = logging.getLogger("mikromon.schedule.writer")


_P = TypeVar("_P", covariant=True)

#: A queued inventory snapshot's key: (device id, table) for a replaceable one,
#: ("append", sequence number) for an append-only one.
InventoryKey = tuple[int, str] | tuple[str, int]


@dataclass(frozen=True, slots=True)
class Batch(Generic[_P]):
    """One queued item: a device's samples, events or one inventory snapshot.

    Attributes:
        device_id: the device (of the first event, for an event batch).
        payload: ``list[SampleItem]`` (samples and blocks of samples),
            ``list[Event]`` or an ``InventorySnapshot``.
        rows: the rows it holds (what drops and writes count).
    """

    device_id: int
    payload: _P
    rows: int


@dataclass(frozen=True, slots=True)
class Taken:
    """What one writer cycle took from the queues (inventory is taken one
    snapshot at a time: :meth:`WriteQueue.next_snapshot`)."""

    samples: list[Batch[list[SampleItem]]]
    events: list[Batch[list[Event]]]
    statuses: list[DeviceStatus]


def _is_append(key: InventoryKey) -> bool:
    """Whether an inventory queue key is an append-only snapshot's."""
    return key[0] == "append"


class WriteQueue:
    """The bounded queues of one writer.

    Args:
        max_rows: bound of the rows of sample batches and log snapshots together
            (>= 1, checked by the writer).
        max_batches: bound of event batches (>= 1, checked by the writer).
        log_every_s: at most one "dropped" summary line per this many seconds.
        count_drop: called with ``(device id, rows)`` for each device's dropped rows.
        stalled: whether the database takes no writes now (for the drop message).
    """

    def __init__(self, max_rows: int, max_batches: int, log_every_s: float,
                 count_drop: Callable[[int, int], None], stalled: Callable[[], bool]) -> None:
        self.max_rows = max_rows
        self.max = max_batches
        self.cond = threading.Condition()
        self.closing = False
        self.batches_dropped = 0
        self.rows_dropped = 0
        self.snapshots_replaced = 0
        self._log_every = log_every_s
        self._count_drop = count_drop
        self._stalled = stalled
        self._samples: deque[Batch[list[SampleItem]]] = deque()
        self._events: deque[Batch[list[Event]]] = deque()
        #: Snapshots in arrival order; key (device, table) for replaceable ones,
        #: a unique key for append-only ones.
        self._inventory: dict[InventoryKey, Batch[InventorySnapshot]] = {}
        self._appends = 0  # append-only snapshots in _inventory
        self._rows = 0  # rows of _samples and of the append-only snapshots
        self._statuses: dict[int, DeviceStatus] = {}
        self._seq = itertools.count()
        self._idle = False
        self._unlogged_drops = 0
        self._unlogged_rows = 0
        self._last_drop_log = 0.0

    # -- producer side (any thread) -------------------------------------------------

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None:
        """Queue samples (and blocks of them, a row per sample) for
        ``device_id``; never blocks."""
        if samples:
            rows = sample_count(samples)
            with self.cond:
                self._make_room(rows)
                self._samples.append(Batch(device_id, list(samples), rows))
                self._rows += rows
                self._wake()

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Queue one inventory snapshot for ``device_id`` (replacing a queued one of the
        same table unless append-only); never blocks."""
        batch = Batch(device_id, snapshot, len(snapshot.rows))
        with self.cond:
            if snapshot.append_only:
                self._make_room(batch.rows)
                self._inventory[("append", next(self._seq))] = batch
                self._appends += 1
                self._rows += batch.rows
            else:
                key = (device_id, snapshot.table)
                if key in self._inventory:
                    self.snapshots_replaced += 1
                self._inventory[key] = batch
            self._wake()

    def put_events(self, events: Sequence[Event]) -> None:
        """Queue events; never blocks."""
        if events:
            with self.cond:
                if len(self._events) >= self.max:
                    self._drop(self._events.popleft())
                self._events.append(Batch(events[0].device_id, list(events), len(events)))
                self._wake()

    def put_status(self, status: DeviceStatus) -> None:
        """Queue a device status; replaces a queued, not yet written status of the
        same device, keeping its ``last_seen`` and facts when the new one lacks them."""
        with self.cond:
            old = self._statuses.get(status.device_id)
            if old is not None:
                status = status.over(old)
            self._statuses[status.device_id] = status
            self._wake()

    # -- sizes --------------------------------------------------------------------------

    def data(self) -> int:
        """Rows of the sample batches and log snapshots waiting (what ``max_rows``
        bounds)."""
        return self._rows

    @property
    def depth(self) -> int:
        """Batches, snapshots and statuses waiting (not counting a write in progress)."""
        return (len(self._samples) + len(self._inventory) + len(self._events)
                + len(self._statuses))

    def queued(self) -> dict[str, int]:
        """Items waiting per kind: samples, inventory, events, statuses."""
        return {"samples": len(self._samples), "inventory": len(self._inventory),
                "events": len(self._events), "statuses": len(self._statuses)}

    # -- consumer side (the writer thread) ------------------------------------------

    def close(self) -> None:
        """Mark the queues closing and wake the writer."""
        with self.cond:
            self.closing = True
            self.cond.notify_all()

    def wait_and_take(self, linger_s: float) -> Taken | None:
        """Wait for work (then ``linger_s`` more for the queues to fill to half),
        log pending drops and take every queued sample batch, event batch and status.

        Returns:
            What was taken, or ``None`` when the queues are closing and empty.
        """
        with self.cond:
            if not self.depth:
                if self.closing:
                    return None
                self._idle = True
                while not self.depth and not self.closing:
                    self.cond.wait()
                self._idle = False
                deadline = time.monotonic() + linger_s
                while not self.closing and self.data() < self.max_rows // 2:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self.cond.wait(remaining)
            self.log_drops()
            taken = Taken(list(self._samples), list(self._events),
                          list(self._statuses.values()))
            self._rows -= sum(b.rows for b in self._samples)
            self._samples.clear()
            self._events.clear()
            self._statuses.clear()
            return taken

    def next_snapshot(self, until: float
                      ) -> tuple[InventoryKey, Batch[InventorySnapshot]] | None:
        """Take the oldest queued snapshot, or ``None`` when none waits or the
        time ``until`` (monotonic seconds) is up and the queues are not closing."""
        with self.cond:
            if not self._inventory or (time.monotonic() >= until and not self.closing):
                return None
            key = next(iter(self._inventory))
            batch = self._inventory.pop(key)
            if _is_append(key):
                self._appends -= 1
                self._rows -= batch.rows
            return key, batch

    def requeue(self, *, samples: Sequence[Batch[list[SampleItem]]] = (),
                events: Sequence[Batch[list[Event]]] = (),
                statuses: Sequence[DeviceStatus] = (),
                inventory: tuple[InventoryKey, Batch[InventorySnapshot]] | None = None,
                ) -> None:
        """Put what was not written back at the front of its queue, in its order
        (a newer status or replaceable snapshot that arrived meanwhile wins), then
        drop the oldest beyond the bound."""
        with self.cond:
            self._samples.extendleft(reversed(samples))
            self._rows += sum(b.rows for b in samples)
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
                    if _is_append(key):
                        self._appends += 1
                        self._rows += batch.rows
            self._make_room(0)
            while len(self._events) > self.max:
                self._drop(self._events.popleft())

    def wait(self, seconds: float) -> None:
        """Wait ``seconds`` (new rows keep queueing meanwhile)."""
        deadline = time.monotonic() + seconds
        with self.cond:
            while (remaining := deadline - time.monotonic()) > 0:
                self.cond.wait(remaining)

    # -- drops (lock held) --------------------------------------------------------------

    def _make_room(self, rows: int) -> None:
        """Drop the oldest sample batches, else the oldest log snapshots, until
        ``rows`` more fit within ``max_rows`` (``rows`` 0: until the queued rows
        fit, one batch left at least) (lock held)."""
        keep = 0 if rows else 1
        while self._rows + rows > self.max_rows and len(self._samples) + self._appends > keep:
            if self._samples:
                batch: Batch[object] = self._samples.popleft()
            else:
                key = next(k for k in self._inventory if _is_append(k))
                self._appends -= 1
                batch = self._inventory.pop(key)
            self._rows -= batch.rows
            self._drop(batch)

    def _drop(self, batch: Batch[object]) -> None:
        """Count (in all and per device) and log a dropped batch (lock held)."""
        self.batches_dropped += 1
        self.rows_dropped += batch.rows
        payload = batch.payload
        events = ([e for e in payload if isinstance(e, Event)]
                  if isinstance(payload, list) else [])
        if events:
            for e in events:
                self._count_drop(e.device_id, 1)
        else:
            self._count_drop(batch.device_id, batch.rows)
        self._unlogged_drops += 1
        self._unlogged_rows += batch.rows
        self.log_drops()

    def _wake(self) -> None:
        """Wake the writer if it waits for a first item (once: the puts until it
        runs again notify nobody), or the queues are half full (lock held)."""
        if self._idle or self.data() >= self.max_rows // 2:
            self._idle = False
            self.cond.notify()

    def log_drops(self, *, force: bool = False) -> None:
        """Log dropped batches: at once for the first, then one summary per
        ``log_every_s`` (and at the end) (lock held)."""
        if not self._unlogged_drops:
            return
        now = time.monotonic()
        due = not self._last_drop_log or now - self._last_drop_log >= self._log_every
        if not (force or due):
            return
        log.warning(
            "writer queue full (%d rows): dropped the oldest %d batch(es), %d row(s) "
            "since the last report; %d batch(es) dropped in all; %s", self.max_rows,
            self._unlogged_drops, self._unlogged_rows, self.batches_dropped,
            "the database takes no writes" if self._stalled()
            else "the database is slower than the collector",
        )
        self._unlogged_drops = self._unlogged_rows = 0
        self._last_drop_log = now
