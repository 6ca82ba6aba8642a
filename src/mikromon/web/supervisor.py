"""``mikromon serve`` as several processes: the supervisor that starts, watches and
stops them.

The process the operator starts (the supervisor) binds the listening socket
(a busy port is a clear error, port 0 works), then starts its children with
:mod:`mikromon.web.worker`:

- ``collector``: the collector service, its status publisher, the notification
  worker and (when configured) the syslog receiver; with ``collectors`` of 2 or
  more also ``collector-2`` ... ``collector-N``, collector services sharing the
  fleet as members (:mod:`mikromon.web.control.members`; the notification worker
  and the syslog receiver, which takes every router's lines, run in
  ``collector`` only);
- ``web-1`` ... ``web-N``: uvicorn serving the Django application, all accepting
  on the socket bound here; no collector runs in them (the pages read the status
  the collector publishes in the database).

A child that dies is logged with its exit code or signal and started again,
after 1 s, then 2, 4 ... at most :data:`MAX_BACKOFF_S` while it keeps dying
within :data:`STABLE_AFTER_S` of its start. SIGINT/SIGTERM stop the web workers
first (open requests finish), then the collector (its writer flushes); the exit
code is 0, or 1 when the collector did not stop cleanly (its writer did not
flush in time). A second signal while the web workers stop closes their open
connections; a second signal while the collector stops aborts at once (exit
130). The children leave by themselves when the supervisor dies, even by
SIGKILL (:func:`mikromon.web.worker.die_with_parent`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mikromon.web.http_server import (
    GRACEFUL_TIMEOUT_S,
    bind,
    on_stop_signals,
    restore_signals,
    url_of,
)

log = logging.getLogger("mikromon.runtime")

__all__ = ["Supervisor", "default_web_workers"]

#: First wait before a dead child is started again, seconds (doubled each time).
FIRST_BACKOFF_S = 1.0
#: Longest wait before a dead child is started again, seconds.
MAX_BACKOFF_S = 30.0
#: A child that ran this long (seconds) before dying is restarted after the first wait.
STABLE_AFTER_S = 30.0
#: Seconds the collector gets to stop (its writer flushes) before it is killed.
COLLECTOR_STOP_S = 60.0
#: Seconds the supervisor waits for every child before saying it is serving anyway.
READY_WAIT_S = 20.0
#: Most web workers on one machine.
MAX_WEB_WORKERS = 64


def default_web_workers() -> int:
    """The number of web workers when none is configured: the machine's cores, 1 to 4
    (``os.process_cpu_count`` where available, else ``os.cpu_count``)."""
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return max(1, min(4, count))


@dataclass(eq=False)
class Child:
    """One child process and what the supervisor knows of it."""

    role: str
    proc: subprocess.Popen[bytes] | None = None
    ready_fd: int = -1
    ready: bool = False
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@dataclass(kw_only=True, eq=False)
class Supervisor:
    """The parent of ``mikromon serve``'s processes (see the module's description).

    Django must be set up and migrated in this process before :meth:`run`: the
    children read the database settings from the environment it leaves.

    Args:
        host, port: where to serve HTTP (port 0: any free port).
        web_workers: number of web worker processes (at least 1).
        collectors: number of collector processes (1: one collector holding the
            database; more: members sharing the fleet).
        collector: ``"desired"`` (the collector starts unless an operator stopped
            it), ``"start"`` (recorded as wanted first, e.g. the demo) or ``"never"``.
        on_ready: called with the URL once the collector and the web workers run.
        on_stopping: called once when shutting down begins, before any child stops.
        access_log: web workers log one line per request.
        verbose: children log at DEBUG.

    Raises:
        ValueError: ``web_workers`` or ``collectors`` out of 1..:data:`MAX_WEB_WORKERS`,
            or an unknown ``collector`` mode.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    web_workers: int = 1
    collectors: int = 1
    collector: str = "desired"
    on_ready: Callable[[str], None] | None = None
    on_stopping: Callable[[], None] | None = None
    access_log: bool = False
    verbose: bool = False
    #: The URL served (set once the socket is bound).
    url: str = field(default="", init=False)
    children: list[Child] = field(default_factory=list, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _signals: int = field(default=0, init=False)
    _phase: str = field(default="running", init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.web_workers <= MAX_WEB_WORKERS:
            raise ValueError(f"web workers must be 1 to {MAX_WEB_WORKERS}, "
                             f"not {self.web_workers}")
        if not 1 <= self.collectors <= MAX_WEB_WORKERS:
            raise ValueError(f"collectors must be 1 to {MAX_WEB_WORKERS}, not {self.collectors}")
        if self.collector not in ("desired", "start", "never"):
            raise ValueError(
                f"collector must be desired, start or never, not {self.collector!r}")

    def request_stop(self) -> None:
        """Ask the supervisor to stop (what SIGINT/SIGTERM do); safe from any thread."""
        self._stop.set()

    def run(self) -> int:
        """Start the children, keep them running until SIGINT/SIGTERM or
        :meth:`request_stop`, stop them; return the exit code (0, or 1 when the
        collector did not stop cleanly).

        Raises:
            StartupError: the port is in use or the address invalid.
        """
        sock = bind(self.host, self.port)
        self.url = url_of(sock)
        previous = self._install_signal_handlers()
        clean = False
        try:
            self._prepare_database()
            collectors = [Child("collector" if i == 1 else f"collector-{i}")
                          for i in range(1, self.collectors + 1)]
            webs = [Child(f"web-{i}") for i in range(1, self.web_workers + 1)]
            self.children = [*collectors, *webs]
            for child in self.children:
                self._spawn(child, sock.fileno())
            self._watch(sock.fileno())
        finally:
            self._call_stopping()
            clean = self._shutdown()
            sock.close()
            restore_signals(previous)
        log.info("stopped" if clean else "stopped, but the writer did not finish in time")
        return 0 if clean else 1

    # Start-up ----------------------------------------------------------------

    def _prepare_database(self) -> None:
        """Record a ``"start"`` request once, here (a collector restarted later
        follows what operators asked since), close this process's connection and
        empty the web workers' shared cache."""
        from django.db import connection

        from mikromon.web.worker import shared_cache_dir

        if self.collector == "start":
            from mikromon.web.control import state

            state.request_state(True, by="startup")
        connection.close()
        # Sign-in failures counted by the previous run are forgotten (as a restart
        # of one process forgets them).
        shutil.rmtree(shared_cache_dir(), ignore_errors=True)

    def _child_env(self) -> dict[str, str]:
        from django.conf import settings

        from mikromon import config

        return config.child_environment(
            # The children import mikromon from where this process did.
            import_from=str(Path(__file__).resolve().parents[2]),
            MIKROMON_COLLECTORS=str(self.collectors),
            MIKROMON_DATA_DIR=str(settings.DATA_DIR),
            MIKROMON_TIME_SCALE=repr(config.time_scale()),
            PYTHONUNBUFFERED="1",
        )

    def _spawn(self, child: Child, sock_fd: int) -> None:
        read_fd, write_fd = os.pipe()
        argv = [sys.executable, "-m", "mikromon.web.worker", "--role", child.role,
                "--parent", str(os.getpid()), "--ready-fd", str(write_fd)]
        fds = [write_fd]
        if _is_collector(child):
            argv += ["--collector", "never" if self.collector == "never" else "desired"]
        else:
            argv += ["--socket-fd", str(sock_fd)]
            fds.append(sock_fd)
            if self.access_log:
                argv.append("--access-log")
        if self.verbose:
            argv.append("--verbose")
        try:
            # Its own process group: Ctrl-C in a terminal reaches the supervisor only,
            # which stops the children in order.
            child.proc = subprocess.Popen(argv, env=self._child_env(), pass_fds=fds,
                                          stdin=subprocess.DEVNULL, process_group=0)
        except OSError:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        child.ready_fd = read_fd
        child.ready = False
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("started %s (pid %d)", child.role, child.pid)

    # Watching ----------------------------------------------------------------

    def _watch(self, sock_fd: int) -> None:
        announced = False
        begun = time.monotonic()
        while not self._stop.is_set():
            self._read_ready(timeout=0.2)
            now = time.monotonic()
            for child in self.children:
                if child.proc is not None and child.proc.poll() is not None:
                    self._died(child, now)
                if child.restart_at is not None and now >= child.restart_at \
                        and not self._stop.is_set():
                    self._spawn(child, sock_fd)
            if not announced and self._all_ready(now - begun):
                announced = True
                log.info("serving on %s: collector %s, web workers pids %s", self.url,
                         _pids([c for c in self.children if _is_collector(c)]),
                         ", ".join(str(c.pid) for c in self.children if not _is_collector(c)))
                if self.on_ready is not None:
                    self.on_ready(self.url)

    def _all_ready(self, waited: float) -> bool:
        webs = [c for c in self.children if not _is_collector(c)]
        if not all(c.ready for c in self.children if _is_collector(c)) \
                or not any(w.ready for w in webs):
            return False
        return all(w.ready for w in webs) or waited >= READY_WAIT_S

    def _read_ready(self, timeout: float) -> None:
        fds = {c.ready_fd: c for c in self.children if c.ready_fd >= 0}
        if not fds:
            self._stop.wait(timeout)
            return
        try:
            readable, _, _ = select.select(list(fds), [], [], timeout)
        except InterruptedError:
            return
        for fd in readable:
            child = fds[fd]
            try:
                data = os.read(fd, 64)
            except OSError:
                data = b""
            if data and not child.ready:
                child.ready = True
                if child.quick_deaths:
                    log.info("%s (pid %d) is running again", child.role, child.pid)
            if not data:  # the child closed its end: it is gone or going
                os.close(fd)
                child.ready_fd = -1

    def _died(self, child: Child, now: float) -> None:
        assert child.proc is not None
        code = child.proc.returncode
        ran = now - child.started_at
        child.quick_deaths = child.quick_deaths + 1 if ran < STABLE_AFTER_S else 1
        delay = min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** (child.quick_deaths - 1))
        log.error("%s (pid %d) %s after %.0f s; starting it again in %g s",
                  child.role, child.pid, _how_it_ended(code), ran, delay)
        self._close_ready(child)
        child.proc = None
        child.ready = False
        child.restart_at = now + delay

    @staticmethod
    def _close_ready(child: Child) -> None:
        if child.ready_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(child.ready_fd)
            child.ready_fd = -1

    # Stopping ----------------------------------------------------------------

    def _call_stopping(self) -> None:
        if self.on_stopping is not None:
            try:
                self.on_stopping()
            except Exception:
                log.exception("a shutdown hook failed")

    def _shutdown(self) -> bool:
        """Stop the web workers, then the collector; ``True`` when the collector
        stopped cleanly (exit code 0)."""
        webs = [c for c in self.children if not _is_collector(c) and c.alive()]
        collectors = [c for c in self.children if _is_collector(c) and c.alive()]
        self._phase = "web"
        if webs:
            log.info("stopping %d web workers", len(webs))
            self._terminate(webs, GRACEFUL_TIMEOUT_S + 10)
        self._phase = "collector"
        clean = bool(collectors)
        if collectors:
            log.info("stopping the collector (%s)", _pids(collectors))
            self._terminate(collectors, COLLECTOR_STOP_S)
        for collector in collectors:
            assert collector.proc is not None
            code = collector.proc.returncode
            if code != 0:
                clean = False
                log.error("the %s %s", collector.role, _how_it_ended(code))
        for child in self.children:
            self._close_ready(child)
        return clean

    def _terminate(self, children: list[Child], timeout: float) -> None:
        for child in children:
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            assert child.proc is not None
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("%s (pid %d) did not stop within %g s; killing it",
                          child.role, child.pid, timeout)
                self._signal(child, signal.SIGKILL)
                child.proc.wait()

    @staticmethod
    def _signal(child: Child, signum: int) -> None:
        if child.alive():
            with contextlib.suppress(ProcessLookupError):
                assert child.proc is not None
                child.proc.send_signal(signum)

    def _install_signal_handlers(self) -> dict[int, Any]:
        def handle(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            self._signals += 1
            if self._signals == 1:
                log.info("received %s, stopping", name)
            elif self._phase == "web":
                log.info("received %s again, closing open connections", name)
                for child in self.children:
                    if not _is_collector(child):
                        self._signal(child, signal.SIGTERM)
            elif self._phase == "collector":
                log.warning("received %s again: aborting without waiting for the writer",
                            name)
                for child in self.children:
                    self._signal(child, signal.SIGKILL)
                os._exit(130)
            self.request_stop()

        return on_stop_signals(handle)


def _is_collector(child: Child) -> bool:
    return child.role == "collector" or child.role.startswith("collector-")


def _pids(children: list[Child]) -> str:
    """``pid 12`` for one child, ``pids 12, 13`` for several."""
    text = ", ".join(str(c.pid) for c in children)
    return f"pid {text}" if len(children) == 1 else f"pids {text}"


def _how_it_ended(code: int | None) -> str:
    """``exited with code 1`` / ``was killed by SIGKILL``, from a Popen return code."""
    if code is None:
        return "is still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"
