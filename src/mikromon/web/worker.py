"""The child processes of ``mikromon serve``: the collector, and the web workers.

:class:`mikromon.web.supervisor.Supervisor` starts each child as
``python -m mikromon.web.worker --role ROLE --parent PID --ready-fd FD
[--socket-fd FD]``:

- ``--role collector``: the collector service, its status publisher and the
  notification worker (:class:`mikromon.web.runtime.Runtime` without a web
  server; ``--role collector-N``: a further collector sharing the fleet, without
  the notification worker and the syslog receiver). SIGTERM stops it the way it
  stops ``mikromon serve`` in one process: the writer flushes; the exit code is
  0, or 1 when the writer did not finish.
- ``--role web-N``: uvicorn serving the Django application on the listening
  socket the parent bound (inherited as ``--socket-fd``). No collector runs here:
  the pages read the status the collector child publishes in the database
  (:mod:`mikromon.web.control.collector`). SIGTERM lets open requests finish
  (at most :data:`~mikromon.web.runtime.GRACEFUL_TIMEOUT_S`); a second one closes
  them.

Each child writes one byte to ``--ready-fd`` once it serves (web) or once its
collector was started (collector), logs with its role in every line
(``... INFO    web-1: server: ...``), ignores SIGINT (the parent decides, and
Ctrl-C in a terminal reaches the parent's process group only) and leaves when
its parent dies: Linux delivers SIGTERM then (``PR_SET_PDEATHSIG``), and a
watchdog thread notices a new parent pid on any system.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("mikromon.runtime")

#: Seconds a child waits for its own graceful stop after its parent died, before
#: leaving at once.
ORPHAN_GRACE_S = 30.0
#: Seconds between two checks of the parent's pid.
WATCHDOG_INTERVAL_S = 0.5
#: ``prctl`` option that asks Linux for a signal when the parent dies.
PR_SET_PDEATHSIG = 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the child's command line (written by the supervisor, not by people).

    Raises:
        SystemExit: 2 for a command line the supervisor would never write.
    """
    parser = argparse.ArgumentParser(prog="mikromon.web.worker")
    parser.add_argument("--role", required=True, help="collector, or web-N")
    parser.add_argument("--parent", type=int, required=True, help="the supervisor's pid")
    parser.add_argument("--ready-fd", type=int, default=-1)
    parser.add_argument("--socket-fd", type=int, default=-1)
    parser.add_argument("--collector", default="desired", choices=("desired", "never"))
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if not (is_collector_role(args.role)
            or (args.role.startswith("web-") and args.socket_fd >= 0)):
        parser.error("--role must be collector, collector-N, or web-N with --socket-fd")
    return args


def is_collector_role(role: str) -> bool:
    """Whether ``role`` names a collector child: ``collector`` or ``collector-N``
    (N from 2: a further member sharing the fleet)."""
    number = role.removeprefix("collector-")
    return role == "collector" or (number != role and number.isdigit() and int(number) >= 2)


def main(argv: list[str] | None = None) -> int:
    """Run one child of ``mikromon serve``; return its exit code."""
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(args.parent)
    from mikromon.logconfig import configure_logging

    configure_logging(verbose=args.verbose, role=args.role)
    ready = _Ready(args.ready_fd)
    try:
        from mikromon.web import bootstrap

        bootstrap.setup()
        if is_collector_role(args.role):
            return _run_collector(args, ready)
        return _run_web(args, ready)
    except Exception:
        log.exception("%s failed", args.role)
        return 1
    finally:
        ready.close()


def die_with_parent(parent: int) -> None:
    """Leave when the process ``parent`` is gone: SIGTERM from Linux at once
    (``PR_SET_PDEATHSIG``), else from a watchdog thread within half a second; if
    the graceful stop has not ended :data:`ORPHAN_GRACE_S` later, exit at once
    (status 1). A parent gone already: exit now."""
    if os.getppid() != parent:
        os._exit(1)
    signalled = _parent_death_signal()
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_INTERVAL_S)
        log.warning("the supervisor (pid %d) is gone; stopping", parent)
        if not signalled:  # else Linux sent SIGTERM already
            with contextlib.suppress(OSError):
                os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(ORPHAN_GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="mikromon-parent-watch", daemon=True).start()


def _parent_death_signal() -> bool:
    """Ask Linux for SIGTERM when the parent dies; whether that was granted."""
    libc_name = ctypes.util.find_library("c")
    if not (sys.platform.startswith("linux") and libc_name):
        return False
    try:
        return int(ctypes.CDLL(libc_name, use_errno=True).prctl(
            PR_SET_PDEATHSIG, int(signal.SIGTERM))) == 0
    except (OSError, AttributeError):
        return False


class _Ready:
    """The pipe the child tells its parent through that it is ready (one byte)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __call__(self, _url: str = "") -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self._fd, b"r")

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def _run_collector(args: argparse.Namespace, ready: _Ready) -> int:
    from mikromon.web.runtime import Runtime

    if args.role != "collector":
        # A further member: the first collector child routes the notifications and
        # receives syslog for the server.
        from django.conf import settings

        settings.MIKROMON_SYSLOG = None
    return Runtime(host=None, collector=args.collector, on_ready=ready,
                   notifications=args.role == "collector").run()


#: The folder, in the data folder, of the cache the web workers share.
SHARED_CACHE = "web-cache"


def shared_cache_dir() -> Path:
    """The folder of the web workers' shared cache (Django set up)."""
    from django.conf import settings

    return Path(settings.DATA_DIR) / SHARED_CACHE


def share_failure_counts() -> None:
    """Make Django's default cache, where the sign-in and API-token failures are
    counted (:mod:`mikromon.web.ratelimit`), a folder every web worker shares
    (:func:`shared_cache_dir`), so that the limits hold for the server, not per
    worker. Before the first use of the cache; the supervisor empties the folder
    at start (a restart clears the counts, as with one process)."""
    from django.conf import settings

    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(shared_cache_dir()),
    }}


def _run_web(args: argparse.Namespace, ready: _Ready) -> int:
    """Serve HTTP on the inherited socket until SIGTERM; 0 once it stopped."""
    from django.db import connection

    from mikromon.web.http_server import UvicornServer, web_config

    share_failure_counts()
    sock = socket.socket(fileno=args.socket_fd)
    server = UvicornServer(web_config(access_log=args.access_log), on_ready=ready)
    stopping = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if stopping.is_set():
            log.info("received %s again, closing open connections",
                     signal.Signals(signum).name)
        stopping.set()
        server.request_exit()

    signal.signal(signal.SIGTERM, handle)
    try:
        server.serve(sock)
    finally:
        sock.close()
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
