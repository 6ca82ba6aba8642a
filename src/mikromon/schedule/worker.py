"""HostWorker: one thread that runs the host's blocking calls (device source,
collector lock) for the event loop, so a slow database never blocks polling.

One dedicated thread rather than a pool: the host's objects are used from one
thread only (Django keeps one database connection per thread), and ``close()``
hooks run in that same thread at the end.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TypeVar, TypeVarTuple

log = logging.getLogger(__name__)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

#: A queued call: runs the callable and settles its future (never raises).
_Job = Callable[[], None]


class HostWorker:
    """Runs blocking callables one at a time in its own thread.

    Args:
        name: the thread's name.
        closers: objects whose ``close()`` method (when they have one) is called in
            the worker thread when it stops.
    """

    def __init__(self, name: str = "mikromon-host", closers: Iterable[object] = ()) -> None:
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()  # None: stop
        self._closers = list(closers)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[*Ts], T], *args: *Ts) -> Future[T]:
        """Queue ``fn(*args)``; return its future."""
        future: Future[T] = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args))
            except BaseException as err:
                future.set_exception(err)

        self._queue.put(job)
        return future

    async def call(self, fn: Callable[[*Ts], T], *args: *Ts, limit_s: float = 30.0) -> T:
        """Run ``fn(*args)`` in the worker thread and await its result.

        Raises:
            TimeoutError: no result within ``limit_s`` seconds (the call goes on).
            Exception: whatever ``fn`` raised.
        """
        future = self.submit(fn, *args)
        return await asyncio.wait_for(asyncio.wrap_future(future), limit_s)

    def close(self) -> None:
        """Ask the thread to run the ``close()`` hooks and end after queued calls."""
        self._queue.put(None)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; return whether it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                break
            job()
        for obj in self._closers:
            close = getattr(obj, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("closing %s failed", type(obj).__name__)
