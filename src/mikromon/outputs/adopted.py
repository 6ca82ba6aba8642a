"""Queue folders of an output that no process holds any more, taken over by a
process that runs the output.

Each collector process of a machine queues an output in a folder of its own
(:mod:`~mikromon.outputs.queue_slot`). When the machine runs fewer processes
than before (``serve --collectors 3``, then 1), or one ends for good, the
folders of those that ended keep requests never sent, and no process starting
later comes to claim them. The worker of a process that runs the output looks
at the output's other folders (at start, then every ``look_s`` seconds: a
directory listing and a few ``stat`` calls) and takes over, by its ``flock``,
each one that holds a backlog and that no process held at two looks in a row
(so a process of the machine that is starting, or restarting, has the time to
claim its folder again: its backlog then goes with its own new requests, in
order). Finding a folder free means holding its lock for an instant: a process
claiming at that very instant takes the next folder instead, and the one it
missed is taken over like any other. Holding the lock, it sends the folder's
requests in order through its own sender (same retries, backoff and counters),
then, once the folder is empty, removes the queue's files and lets the folder
go (a ``member-N`` folder is removed:
:meth:`~mikromon.outputs.queue_slot.QueueSlot.retire` says why that is safe
against a process claiming it at that moment).

Order: while a folder is waiting for its second look or an adopted folder
still holds requests, the process's own queue waits. An adopted folder's
requests were all queued before this process took it: sending them first keeps
in time order the series of the devices this process polls now, which stores
such as Prometheus require (they refuse a sample older than the newest one of
its series). Only this process's own queue waits: a device of the process that
ended that another process of the machine polls now may reach the store before
its older requests here, and the store refuses those (counted as refused).
Adopted folders go one at a time, each in its own order.

Crash: a request is acknowledged (the folder's cursor moved) only after the
store accepted it, so a process killed while sending an adopted folder leaves it
free with its cursor: the next look (of this process started again, or of
another) takes it over and sends from there. Nothing is lost; the one request
in flight at the kill may be sent twice, as with a process's own queue. A kill
while an emptied folder is removed leaves its cursor without segments, or
nothing: either way no request is sent again
(:func:`~mikromon.outputs.disk_queue.remove_files`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from mikromon.outputs import disk_queue, queue_slot
from mikromon.outputs.disk_queue import DiskQueue
from mikromon.outputs.queue_slot import QueueSlot

log = logging.getLogger(__name__)

#: Seconds between two looks at an output's folders (the member ttl's default:
#: a process of the machine restarting claims its folder again within it).
LOOK_S: Final = 15.0


class AdoptedQueues:
    """The folders one worker took over (see the module). Not thread-safe for
    :meth:`look`, :meth:`peek` and :meth:`ack`: the worker's thread calls them;
    :meth:`status` and :meth:`close` may come from another thread.

    Args:
        name: the output's name (logs).
        root: the output's folder, ``<data>/outputs/<name>`` (its ``member-N``
            folders inside).
        own: the folder the worker queues in (never taken over).
        max_bytes: the disk bound given to each adopted queue, bytes.
        look_s: seconds between two looks (0: at every call of :meth:`look`).
        clock: monotonic seconds (``time.monotonic``).
    """

    def __init__(self, name: str, root: Path, own: Path, *, max_bytes: int,
                 look_s: float = LOOK_S, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._name, self._root, self._own = name, root, own
        self._max_bytes = max_bytes
        self._look_s = look_s
        self._clock = clock
        self._next_look = float("-inf")
        #: Folders free with a backlog at the last look: taken at the next.
        self._seen: set[Path] = set()
        #: Folders that could not be taken over -> why (logged once each, tried
        #: again at each look; they never hold the own queue back).
        self._failed: dict[Path, str] = {}
        self._queues: list[tuple[QueueSlot, DiskQueue]] = []
        self._lock = threading.Lock()
        #: Folders emptied and let go; payloads of theirs unreadable on disk.
        self.emptied = 0
        self._corrupt = 0

    # -- the worker's thread ------------------------------------------------------

    def look(self) -> None:
        """When a look is due: take over the folders free with a backlog at this
        look and the last one. A folder that cannot be opened (or read, once
        taken over) is logged once, let go and tried again at the next looks;
        the others, and the worker's own queue, go on."""
        now = self._clock()
        if now < self._next_look:
            return
        self._next_look = now + self._look_s
        with self._lock:
            held = {slot.folder for slot, _ in self._queues}
        seen: set[Path] = set()
        for folder in queue_slot.folders(self._root):
            if folder == self._own or folder in held or not disk_queue.has_backlog(folder):
                continue
            try:
                slot = queue_slot.hold(folder)
            except OSError as err:
                self._fail(folder, err)
                continue
            if slot is None:  # a process of the machine queues there
                continue
            if folder not in self._seen and folder not in self._failed:
                slot.release()  # free for the first time: wait for a claimer
                seen.add(folder)
                continue
            self._adopt(slot)
        self._seen = seen

    def _adopt(self, slot: QueueSlot) -> None:
        try:
            queue = DiskQueue(slot.folder, max_bytes=self._max_bytes)
        except (OSError, ValueError) as err:
            slot.release()
            self._fail(slot.folder, err)
            return
        self._failed.pop(slot.folder, None)
        log.info("output %s: sending the %d request(s) queued in %s, which no process "
                 "holds any more, before this process's own", self._name, len(queue),
                 slot.folder)
        with self._lock:
            self._queues.append((slot, queue))

    def _fail(self, folder: Path, err: Exception) -> None:
        if folder not in self._failed:
            log.error("output %s: cannot take over the queue folder %s: %s; its requests "
                      "wait there", self._name, folder, err)
        self._failed[folder] = str(err)

    def holding(self) -> bool:
        """Whether the worker's own queue must wait: a folder waits for its
        second look, or an adopted one still holds requests."""
        with self._lock:
            return bool(self._seen) or any(len(queue) for _, queue in self._queues)

    def peek(self) -> bytes | None:
        """The oldest unsent request of the first adopted folder; the folders
        found empty are let go first (their files and ``member-N`` folder
        removed). ``None`` when no adopted folder holds any."""
        with self._lock:
            while self._queues:
                slot, queue = self._queues[0]
                try:
                    payload = queue.peek()
                except OSError as err:  # its requests wait there; the rest goes on
                    del self._queues[0]
                    self._let_go(slot, queue, f"cannot read it any more: {err}")
                    continue
                if payload is not None:
                    return payload
                del self._queues[0]
                self._empty(slot, queue)
            return None

    def ack(self) -> None:
        """Acknowledge the request :meth:`peek` returned (sent, or refused for good)."""
        with self._lock:
            if self._queues:
                self._queues[0][1].ack()

    def _empty(self, slot: QueueSlot, queue: DiskQueue) -> None:
        self._corrupt += queue.corrupt
        self.emptied += 1
        try:
            queue.close()
            disk_queue.remove_files(slot.folder)
        except OSError as err:  # the files stay, all sent: the next look skips them
            log.warning("output %s: %s is sent but its files stay: %s",
                        self._name, slot.folder, err)
            slot.release()
            return
        log.info("output %s: sent everything %s held", self._name, slot.folder)
        slot.retire()

    def _let_go(self, slot: QueueSlot, queue: DiskQueue, why: str) -> None:
        self._corrupt += queue.corrupt
        with contextlib.suppress(OSError):
            queue.close()
        slot.release()
        self._fail(slot.folder, OSError(why))

    # -- any thread -----------------------------------------------------------------

    def close(self) -> None:
        """Close the adopted queues and let their folders go (what they hold stays
        on disk for the next look)."""
        with self._lock:
            queues, self._queues = self._queues, []
            for slot, queue in queues:
                try:
                    queue.close()
                finally:
                    slot.release()

    def status(self) -> dict[str, Any]:
        """``adopted_folders`` (folders taken over, named inside the output's
        folder: ``member-2``, or the output's name for its first folder),
        ``adopted_payloads`` and ``adopted_bytes`` (what they still hold),
        ``adopted_corrupt`` (their payloads unreadable on disk, skipped)."""
        with self._lock:
            return {
                "adopted_folders": [self._label(slot.folder) for slot, _ in self._queues],
                "adopted_payloads": sum(len(queue) for _, queue in self._queues),
                "adopted_bytes": sum(queue.disk_bytes for _, queue in self._queues),
                "adopted_corrupt": self._corrupt + sum(q.corrupt for _, q in self._queues),
            }

    def _label(self, folder: Path) -> str:
        return self._root.name if folder == self._root else folder.name
