"""One mikromon process: web server, in-process collector, status publisher.

:class:`Runtime` wires the pieces together the way ``mikromon serve
--single-process`` (and ``demo --single-process``) runs them, and the way the
collector child of ``mikromon serve`` runs them without a web server
(:mod:`mikromon.web.worker`, under :mod:`mikromon.web.supervisor`):

1. the collector service (:class:`mikromon.schedule.CollectorService`) is built
   over the Django device source, storage and lock, and registered as the
   process's collector (``mikromon.schedule.get_collector()``), so the web UI
   controls the same instance;
2. a publisher thread writes the service's ``status()`` to the database about
   once a second (:mod:`mikromon.web.control.state`) and applies start/stop
   requests made in other processes (``mikromon collector start|stop``);
3. the notification worker (:class:`mikromon.web.notify.worker.NotificationWorker`)
   routes alert events to the outbox and delivers it, in its own thread;
4. uvicorn serves the Django ASGI application on a socket bound beforehand
   (so a busy port is a clear error, and port 0 works);
5. SIGINT/SIGTERM stop the web server gracefully, then the publisher, the
   notification worker, then the collector (which flushes its writer), and
   :meth:`Runtime.run` returns 0.

The pieces live beside this module: :mod:`.collector_setup`,
:mod:`.status_publisher`, :mod:`.http_server`.

The web server is optional: ``mikromon collector start`` without a running
server runs only the collector and the publisher, in the foreground.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from mikromon.domain.formatting import utc_iso
from mikromon.schedule.gc_settle import freeze_after
from mikromon.web.collector_setup import build_collector
from mikromon.web.http_server import (
    GRACEFUL_TIMEOUT_S,
    UvicornServer,
    bind,
    on_stop_signals,
    restore_signals,
    url_of,
    web_config,
)
from mikromon.web.status_publisher import StatusPublisher, jsonable_status

log = logging.getLogger("mikromon.runtime")

__all__ = ["GRACEFUL_TIMEOUT_S", "Runtime"]

@dataclass(kw_only=True, eq=False)
class Runtime:
    """One mikromon process: optional web server, the collector, the status publisher.

    Args:
        host: address to serve HTTP on (``None``: no web server, collector only).
        port: TCP port (0: any free port).
        collector: ``"desired"`` starts the collector unless an operator stopped it
            (``mikromon collector stop``); ``"start"`` starts it and records that it
            should run; ``"never"`` leaves it stopped.
        on_ready: called with the URL (``""`` without a web server) once serving.
        on_stopping: called once when shutting down begins, before the collector stops.
        access_log: log one line per HTTP request.
        notifications: run the notification worker (routing and delivery).

    Raises:
        ValueError: ``collector`` is none of the three.
    """

    host: str | None = "127.0.0.1"
    port: int = 8000
    collector: str = "desired"
    on_ready: Callable[[str], None] | None = None
    on_stopping: Callable[[], None] | None = None
    access_log: bool = True
    notifications: bool = True
    #: The URL served (set once the socket is bound), the collector service and the
    #: notification worker (set while running).
    url: str = field(default="", init=False)
    service: Any = field(default=None, init=False)
    notifier: Any = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _server: UvicornServer | None = field(default=None, init=False)
    _serving: bool = field(default=False, init=False)
    _extra_signals: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.collector not in ("desired", "start", "never"):
            raise ValueError(
                f"collector must be desired, start or never, not {self.collector!r}")

    def request_stop(self) -> None:
        """Ask the process to stop (what SIGINT/SIGTERM do); safe from any thread."""
        self._stop.set()
        if self._server is not None:
            self._server.request_exit()

    def run(self) -> int:
        """Run until SIGINT/SIGTERM or :meth:`request_stop`; return the exit code
        (0, or 1 when the collector's writer could not flush in time).

        Raises:
            StartupError: the port is in use or the collector cannot be built.
        """
        sock = bind(self.host, self.port) if self.host is not None else None
        previous = self._install_signal_handlers()
        publisher: StatusPublisher | None = None
        settle: threading.Timer | None = None
        clean = True
        try:
            started_at = timezone.now()
            self.service = build_collector()
            applied_at = self._start_collector()
            if self.collector != "never":
                settle = freeze_after()  # the long-lived objects out of later collections
            publisher = StatusPublisher(self.service, started_at=started_at, applied_at=applied_at)
            publisher.start()
            if self.notifications:
                from mikromon.web.notify.worker import NotificationWorker

                self.notifier = NotificationWorker()
                self.notifier.start()
            if sock is None:
                self._ready("")
                self._stop.wait()
            else:
                self._serve(sock)
            log.info("shutting down")
        finally:
            if self.on_stopping is not None:
                try:
                    self.on_stopping()
                except Exception:
                    log.exception("a shutdown hook failed")
            if settle is not None:
                settle.cancel()
            if publisher is not None:
                publisher.stop()
            if self.notifier is not None and not self.notifier.stop():
                log.warning("the notification worker did not stop in time")
            if self.service is not None:
                clean = self._stop_collector()
            if publisher is not None:
                publisher.withdraw()
            if sock is not None:
                sock.close()
            restore_signals(previous)
            connection.close()
        log.info("stopped" if clean else "stopped, but the writer did not finish in time")
        return 0 if clean else 1

    def _stop_collector(self) -> bool:
        """Stop the collector (its writer flushes what is queued); ``True`` when clean."""
        service = self.service
        if service.running:
            log.info("stopping the collector")
        clean = bool(service.stop())
        writer = jsonable_status(service).get("writer") or {}
        if writer:
            log.info(
                "writer flushed: %s rows written, %s batches queued, %s dropped",
                writer.get("rows_written", "?"),
                writer.get("queue_depth", "?"),
                writer.get("batches_dropped", "?"),
            )
        return clean

    def _start_collector(self) -> datetime | None:
        from mikromon.web.control import state

        if self.collector == "never":
            return state.desired_state().changed_at
        if self.collector == "start":
            desired = state.request_state(True, by="startup")
        else:
            desired = state.desired_state()
        if desired.running:
            self.service.start()
        else:
            log.warning(
                "the collector is stopped (by %s at %s); `mikromon collector start` starts it",
                desired.changed_by or "an operator",
                utc_iso(desired.changed_at, whole_seconds=True),
            )
        return desired.changed_at

    def _serve(self, sock: socket.socket) -> None:
        self.url = url_of(sock)
        config = web_config(access_log=self.access_log)
        self._server = UvicornServer(config, on_ready=lambda: self._ready(self.url))
        if self._stop.is_set():
            return
        self._serving = True
        try:
            self._server.serve(sock)
        finally:
            self._serving = False

    def _ready(self, url: str) -> None:
        if url:
            log.info("serving on %s", url)
        if self.on_ready is not None:
            self.on_ready(url)

    def _install_signal_handlers(self) -> dict[int, Any]:
        def handle(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            if not self._stop.is_set():
                log.info("received %s, stopping", name)
            elif self._serving:
                log.info("received %s again, closing open connections", name)
            else:
                self._extra_signals += 1
                if self._extra_signals >= 2:
                    # The operator insists: leave without waiting for the writer.
                    os._exit(130)
                log.warning("received %s: already stopping (send it again to abort)", name)
            self.request_stop()

        return on_stop_signals(handle)
