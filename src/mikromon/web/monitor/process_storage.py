"""ProcessStorage: :class:`~.storage.DjangoStorage` run in a child process.

The collector's event loop and its writer thread share one interpreter lock; at a
thousand routers the database work (SQL, building rows) no longer fits beside the
polling. :class:`ProcessStorage` forwards every storage call to a child process
that has Django set up with the parent's database settings, so that work runs on
another core while the writer thread waits for the reply (blocked in the pipe,
interpreter lock released).

Calls are synchronous, one at a time, over a ``multiprocessing`` pipe: the child
returns the result or its exception, which is raised here as
:class:`~mikromon.domain.errors.StorageProcessError` naming the method and the
child's message (the child's traceback is chained as the cause). The two errors
the writer acts on are passed on as they are:
:class:`~mikromon.domain.errors.StorageUnavailable` (the database takes no
writes now: keep the rows and retry) and :class:`~mikromon.domain.errors.PartialWrite`
(which devices failed, with their reasons, and which were stored). The child is
started (``spawn``, never ``fork``: the parent has threads) on the first call.

The child's side and the messages are in :mod:`.storage_child`.

Database maintenance (rollups, retention) runs in the child AFTER it replied to
a sample write, between requests, so it never delays that write's answer. While
it runs (however long: a first rollup of a large database can take minutes), the
child sends a heartbeat every few seconds; a call waiting behind it is not timed
out as long as heartbeats come, and its ``reply_timeout`` starts counting anew
from the last one. So maintenance always finishes and advances, as in the
writer thread.

When the child dies or gives no reply (nor heartbeat) within ``reply_timeout``
seconds, the call raises (the writer counts its rows as lost: the child replies
right after its transaction committed, so a call that fails this way was rolled
back, barring a kill in between), a hung child is killed, and the next call
starts a new child (counted in ``restarts``, logged once). When a child cannot
start, the calls fail fast with the same reason for 1 s, then 2, 4, ... up to
60 s before the next attempt (logged when the reason changes), so a broken
configuration does not spawn an interpreter per call.

The child exits when asked to (:meth:`ProcessStorage.close`) or when the pipe
closes (the parent died), closing its database connection. It ignores SIGINT
and SIGTERM: Ctrl-C in a terminal and a process-group SIGTERM (supervisors,
``kill -- -PGID``) reach it as well, and the parent decides when the child stops
(after the writer's last flush). :meth:`ProcessStorage.close` therefore ends it
by asking, then closing the pipe, then SIGKILL after ``stop_timeout``. When the
interpreter exits with a storage still open, the same close runs before
``multiprocessing`` terminates its children (it would wait forever for a child
that ignores SIGTERM), and no new child is started from then on.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import pickle
import re
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from mikromon.domain.errors import StorageProcessError
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import SampleItem
from mikromon.web.monitor.storage_child import (
    BUSY,
    STOP,
    ChildConfig,
    RemoteTraceback,
    child_config,
    child_main,
    pack,
    unwrap,
)

log = logging.getLogger(__name__)

#: Seconds a call may take before the child is considered hung (and killed).
DEFAULT_REPLY_TIMEOUT_S: Final = 120.0
#: Seconds the child may take to import and set Django up.
DEFAULT_START_TIMEOUT_S: Final = 60.0
#: Seconds :meth:`ProcessStorage.close` waits for the child to finish.
DEFAULT_STOP_TIMEOUT_S: Final = 10.0
#: Longest seconds between two heartbeats of a child running maintenance (a
#: quarter of ``reply_timeout`` when that is shorter).
HEARTBEAT_S: Final = 5.0
#: Seconds a failed start is remembered at first, and at most (doubling between).
START_BACKOFF_S: Final = (1.0, 60.0)

#: Set when this interpreter exits: a writer thread still running then must not
#: start a child.
_exiting = threading.Event()
#: Open storages, closed at exit before multiprocessing terminates its children.
_open: weakref.WeakSet[ProcessStorage] = weakref.WeakSet()


def _at_exit() -> None:
    _exiting.set()
    for store in list(_open):
        store._close_at_exit()


# multiprocessing's exit handler (registered with atexit when multiprocessing.util
# is imported, so it may run before or after an atexit handler of ours) first runs
# its finalizers of priority >= 0, highest first, and only then terminates and
# joins the child processes: a finalizer of the highest priority runs before that.
multiprocessing.util.Finalize(None, _at_exit, exitpriority=1_000_000)


@dataclass
class _Child:
    process: Any  # multiprocessing.context.SpawnProcess
    conn: Any  # multiprocessing.connection.Connection


@dataclass(frozen=True)
class _StartFailure:
    reason: str
    remote_traceback: str
    interval: float  # seconds until the next attempt
    retry_at: float  # monotonic seconds
    attempts: int  # failed starts in a row


class ProcessStorage:
    """A :class:`~mikromon.storage.protocols.BatchSampleStorage` that runs
    :class:`~.storage.DjangoStorage` in a child process.

    Django must be set up in this process; the child gets this process's
    ``DJANGO_SETTINGS_MODULE``, ``DATA_DIR``, the ``using`` database's connection
    settings (as resolved here, so a test database is used in tests) and
    :data:`~.storage_child.COPIED_SETTINGS`, and logs to stderr in the format of
    :func:`mikromon.logconfig.configure_logging` at this process's root level.

    Args:
        using: database alias.
        maintenance_interval: passed to the child's ``DjangoStorage`` (seconds
            between rollup runs; ``None``: none); the child runs it between calls.
        maintenance_member: passed to the child's ``DjangoStorage`` (a collector
            member's ``member_id``: maintenance only while it is that member's duty;
            ``None``: always).
        reply_timeout: seconds a call may take before the child is killed (time
            the child spends on maintenance, sending heartbeats, is not counted).
        start_timeout: seconds the child may take to start.
        stop_timeout: seconds :meth:`close` waits before killing the child.
        clock: monotonic seconds, for the start back-off (injectable for tests).
        why: why the writes run in a child process (shown by :meth:`stats`; see
            :func:`mikromon.web.collector_setup.choose_writer`).

    Every storage method raises :class:`StorageProcessError` when the child
    raised (its type and message in ``reason``), died, hung, or could not start;
    :class:`StorageUnavailable` and :class:`PartialWrite` raised in the child are
    raised here as they are.
    Not meant for concurrent calls (the writer makes one at a time); calls are
    serialised by a lock all the same.
    """

    def __init__(
        self,
        *,
        using: str = "default",
        maintenance_interval: float | None = 60.0,
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT_S,
        start_timeout: float = DEFAULT_START_TIMEOUT_S,
        stop_timeout: float = DEFAULT_STOP_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        maintenance_member: str | None = None,
        why: str = "",
    ) -> None:
        self._using = using
        self._clock = clock
        self.why = why
        self._failure: _StartFailure | None = None
        self._maintenance_interval = maintenance_interval
        self._maintenance_member = maintenance_member
        self._reply_timeout = reply_timeout
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._lost = False  # the last child died or hung: the next start is a restart
        #: Children started after one died, hung or could not start.
        self.restarts = 0
        _open.add(self)

    # -- the Storage protocol -------------------------------------------------------

    #: Blocks (raw counters, rates) go to the child's storage as they are
    #: (:func:`~mikromon.storage.protocols.takes_blocks`).
    takes_blocks = True

    def write_samples(self, device_id: int, samples: Sequence[SampleItem]) -> int:
        """Append points and upsert latest values (in the child); return the
        number of points written."""
        return int(self._call("write_samples", device_id, pack(samples)))

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[SampleItem]]]) -> int:
        """Write several devices' samples in one transaction (in the child); return
        the number of points written."""
        return int(self._call("write_samples_many", [(d, pack(s)) for d, s in batches]))

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Sync one inventory table (in the child)."""
        self._call("write_inventory", device_id, snapshot)

    def write_status(self, status: DeviceStatus) -> None:
        """Update the device's state (in the child)."""
        self._call("write_status", status)

    def write_events(self, events: Sequence[Event]) -> None:
        """Append events (in the child)."""
        self._call("write_events", list(events))

    # -- lifecycle ------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The running child's process id, ``None`` when none runs."""
        child = self._child
        return child.process.pid if child is not None else None

    def stats(self) -> dict[str, object]:
        """Return ``{"mode": "process", "why": str, "pid": int | None, "restarts":
        int}`` for status pages (no call to the child)."""
        return {"mode": "process", "why": self.why, "pid": self.pid,
                "restarts": self.restarts}

    def close(self) -> None:
        """Ask the child to stop (it finishes what it is doing, closes its database
        connection and exits), then close the pipe (the child exits on that too),
        wait until ``stop_timeout`` seconds have passed in all, then SIGKILL it
        (it ignores SIGTERM). Never raises; a later call starts a new child."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        deadline = time.monotonic() + self._stop_timeout
        try:
            child.conn.send_bytes(pickle.dumps((STOP, ())))
            while child.conn.poll(max(deadline - time.monotonic(), 0.0)):
                if child.conn.recv()[0] != BUSY:
                    break
        except (OSError, EOFError, ValueError):
            pass  # already gone
        try:
            child.conn.close()
        except OSError:
            pass
        child.process.join(max(deadline - time.monotonic(), 0.0))
        if child.process.is_alive():
            log.warning("storage process (pid %s) did not stop within %g s; killing it",
                        child.process.pid, self._stop_timeout)
        _discard(child)

    def _close_at_exit(self) -> None:
        """:meth:`close` when the interpreter exits; a writer's call in progress
        gets ``stop_timeout`` seconds to finish before the child is killed."""
        if self._lock.acquire(timeout=self._stop_timeout):
            try:
                self._close_locked()
            finally:
                self._lock.release()
            return
        child = self._child
        if child is not None:
            log.warning("exiting: storage process (pid %s) still busy after %g s; killing it",
                        child.process.pid, self._stop_timeout)
            _discard(child)

    # -- calls ----------------------------------------------------------------------

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                request = pickle.dumps((method, args), pickle.HIGHEST_PROTOCOL)
            except Exception as err:  # what cannot be pickled never reaches the child
                raise StorageProcessError(method, f"arguments cannot be sent: {err}") from err
            child = self._child or self._start(method)
            try:
                child.conn.send_bytes(request)
                reply = self._await_reply(child)
            except (OSError, EOFError):
                reason = self._death(child)  # before _forget() kills what is left
                self._forget(child)
                raise StorageProcessError(method, reason) from None
            if reply is None:
                self._forget(child)
                raise StorageProcessError(
                    method, f"no reply within {self._reply_timeout:g} s; the storage process "
                    f"(pid {child.process.pid}) was killed and starts anew with the next call"
                )
        return unwrap(method, reply)

    def _await_reply(self, child: _Child) -> tuple[Any, ...] | None:
        """Return the child's reply, or ``None`` after ``reply_timeout`` seconds
        without a reply or heartbeat (lock held)."""
        deadline = time.monotonic() + self._reply_timeout
        while True:
            if not child.conn.poll(max(deadline - time.monotonic(), 0.0)):
                return None
            reply: tuple[Any, ...] = child.conn.recv()
            if reply[0] != BUSY:
                return reply
            deadline = time.monotonic() + self._reply_timeout

    def _start(self, method: str) -> _Child:
        """Start a child and wait until Django is set up there (lock held); fail
        fast while a failed start is remembered."""
        if _exiting.is_set():
            raise StorageProcessError(method, "this process is exiting; no storage process "
                                      "is started")
        failure = self._failure
        if failure is not None:
            wait = failure.retry_at - self._clock()
            if wait > 0:
                raise StorageProcessError(
                    method, f"the storage process could not start: {failure.reason} "
                    f"(next attempt in {wait:.1f} s)"
                ) from (RemoteTraceback(failure.remote_traceback)
                        if failure.remote_traceback else None)
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe()
        process = ctx.Process(target=child_main, args=(theirs, self._config()),
                              name="mikromon-storage", daemon=True)
        process.start()
        theirs.close()
        child = _Child(process, ours)
        try:
            reply = ours.recv() if ours.poll(self._start_timeout) else None
        except (OSError, EOFError):
            reply = ("error", self._death(child), "")
        if reply is None:
            reply = ("error", f"not ready within {self._start_timeout:g} s", "")
        if reply[0] != "ready":
            _discard(child)
            self._lost = True
            self._remember_failure(str(reply[1]), str(reply[2]))
            raise StorageProcessError(method, f"the storage process could not start: {reply[1]}"
                                      ) from (RemoteTraceback(reply[2]) if reply[2] else None)
        failed, self._failure = self._failure, None
        if self._lost:
            self.restarts += 1
        if failed is not None:
            log.warning("storage process started (pid %s) after %d failed start(s)",
                        process.pid, failed.attempts)
        elif self._lost:
            log.warning("storage process restarted (pid %s, %d restart(s) so far)",
                        process.pid, self.restarts)
        else:
            log.info("storage process started (pid %s)", process.pid)
        self._lost = False
        self._child = child
        return child

    def _remember_failure(self, reason: str, remote_traceback: str) -> None:
        """Fail fast with ``reason`` for the next back-off interval (lock held)."""
        previous = self._failure
        first, most = START_BACKOFF_S
        interval = first if previous is None else min(previous.interval * 2, most)
        attempts = 1 if previous is None else previous.attempts + 1
        self._failure = _StartFailure(reason, remote_traceback, interval,
                                      self._clock() + interval, attempts)
        if previous is None or _pidless(previous.reason) != _pidless(reason):
            log.warning("the storage process could not start: %s; storage calls fail "
                        "until a later attempt succeeds (attempts 1 s apart at first, "
                        "then up to %g s)", reason, most)
        else:
            log.debug("the storage process still cannot start; next attempt in %g s",
                      interval)

    def _config(self) -> ChildConfig:
        return child_config(self._using, self._maintenance_interval,
                            min(HEARTBEAT_S, self._reply_timeout / 4),
                            maintenance_member=self._maintenance_member)

    def _forget(self, child: _Child) -> None:
        """Drop a dead or hung child (lock held); the next call starts a new one."""
        _discard(child)
        self._child = None
        self._lost = True

    @staticmethod
    def _death(child: _Child) -> str:
        child.process.join(1.0)
        code = child.process.exitcode
        how = f"exited with code {code}" if code is not None else "closed the pipe"
        return (f"the storage process (pid {child.process.pid}) {how}; "
                "a new one starts with the next call")


def _pidless(reason: str) -> str:
    return re.sub(r"pid \d+", "pid", reason)


def _discard(child: _Child) -> None:
    """Kill ``child`` if it still runs, reap it, close the pipe; never raises."""
    try:
        if child.process.is_alive():
            child.process.kill()
        child.process.join(5.0)
        child.conn.close()
    except (OSError, ValueError):
        pass
