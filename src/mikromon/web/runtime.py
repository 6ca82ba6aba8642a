"""The running mikromon process: web server, in-process collector, status publisher.

:class:`Runtime` wires the pieces together the way ``mikromon serve`` and
``mikromon demo`` run them:

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

The web server is optional: ``mikromon collector start`` without a running
server runs only the collector and the publisher, in the foreground.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db import close_old_connections, connection
from django.utils import timezone

from mikromon.domain.devices import endpoint
from mikromon.domain.formatting import utc_iso
from mikromon.logconfig import UTCFormatter, configure_logging
from mikromon.web.control.formats import tidy

log = logging.getLogger("mikromon.runtime")

__all__ = ["Runtime", "StartupError", "UTCFormatter", "configure_logging"]

#: Seconds between two status publications (and desired-state checks).
PUBLISH_INTERVAL_S = 1.0
#: Seconds the web server gets to finish open requests on shutdown.
GRACEFUL_TIMEOUT_S = 5


class StartupError(Exception):
    """The process cannot start (port in use, collector cannot be built)."""


#: Values of the ``MIKROMON_WRITER`` setting.
WRITER_MODES = ("process", "thread")


def writer_mode() -> str:
    """Return the ``MIKROMON_WRITER`` setting: ``"thread"`` (default) or ``"process"``.

    Raises:
        ConfigError: any other value.
    """
    from django.conf import settings

    from mikromon.domain.errors import ConfigError

    mode = getattr(settings, "MIKROMON_WRITER", "thread")
    if mode not in WRITER_MODES:
        raise ConfigError(f"MIKROMON_WRITER must be {' or '.join(WRITER_MODES)}, not {mode!r}")
    return str(mode)


def build_storage() -> Any:
    """Return the collector's storage for :func:`writer_mode`: a
    :class:`ProcessStorage` (database writes in a child process) for ``"process"``,
    a :class:`DjangoStorage` (in the writer thread) for ``"thread"``.

    Raises:
        ConfigError: ``MIKROMON_WRITER`` has an unknown value.
    """
    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.storage import DjangoStorage

    return ProcessStorage() if writer_mode() == "process" else DjangoStorage()


def build_collector() -> Any:
    """Register the Django-backed collector factory with :mod:`mikromon.schedule` and
    return the process-wide service (``mikromon.schedule.get_collector()``), not started.

    The service reads devices through :class:`DjangoDeviceSource`, writes through
    :func:`build_storage` (``MIKROMON_WRITER``: :class:`DjangoStorage` in the writer
    thread by default, or in a child process), evaluates alert rules with
    :class:`~mikromon.web.alerts.store.DjangoAlertStore`, and holds
    :class:`DjangoCollectorLock` (one active collector per database);
    ``MIKROMON_TIME_SCALE`` divides its intervals. With ``MIKROMON_SYSLOG_PORT``
    set it also runs the syslog receiver (settings ``MIKROMON_SYSLOG``).

    Raises:
        ConfigError: ``MIKROMON_WRITER`` has an unknown value.
    """
    from django.conf import settings

    from mikromon import schedule
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource

    writer_mode()  # an invalid MIKROMON_WRITER fails here, at start-up

    def factory() -> Any:
        return schedule.CollectorService(
            DjangoDeviceSource(), build_storage(), DjangoCollectorLock(),
            alerts=DjangoAlertStore(),
            syslog=getattr(settings, "MIKROMON_SYSLOG", None),
        )

    schedule.configure(factory)
    return schedule.get_collector()


def _jsonable_status(service: Any) -> dict[str, Any]:
    """The service's status, JSON-ready: times ISO 8601 UTC to the second with ``Z``,
    whole intervals as ints (:func:`mikromon.web.control.formats.tidy`)."""
    status = tidy(service.status())
    return status if isinstance(status, dict) else {"status": status}


class StatusPublisher:
    """A thread that publishes ``service.status()`` and applies desired-state changes.

    Args:
        service: the collector service (``start()``, ``stop()``, ``running``, ``status()``).
        started_at: process start, UTC.
        interval: seconds between publications.
        applied_at: ``changed_at`` of the desired state already applied at start-up;
            only later changes start or stop the collector.
    """

    def __init__(
        self,
        service: Any,
        *,
        started_at: datetime,
        interval: float = PUBLISH_INTERVAL_S,
        applied_at: datetime | None = None,
    ) -> None:
        from mikromon.web.control import state

        self._service = service
        self._started_at = started_at
        self._interval = interval
        self._applied_at = applied_at
        self._instance = state.instance_name(started_at)
        self._stop = threading.Event()
        self._failing = False
        self._thread = threading.Thread(target=self._run, name="mikromon-status", daemon=True)

    def start(self) -> None:
        """Publish once now (so ``collector status`` works at once), then every interval."""
        self._tick()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most a few seconds)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def withdraw(self) -> None:
        """Delete this process's published status (after the collector stopped)."""
        from mikromon.web.control import state

        with contextlib.suppress(Exception):
            state.withdraw(self._instance)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                # Drop a connection the database closed (restart, idle timeout).
                close_old_connections()
                if not self._tick():
                    with contextlib.suppress(Exception):
                        connection.close()
        finally:
            connection.close()

    def _tick(self) -> bool:
        """Apply a new desired state and publish the status once; ``False`` on failure."""
        from mikromon.web.control import state

        try:
            desired = state.desired_state()
            if self._applied_at is None or desired.changed_at > self._applied_at:
                self._applied_at = desired.changed_at
                self._apply(desired.running, desired.changed_by)
            state.publish(
                instance=self._instance,
                started_at=self._started_at,
                running=bool(self._service.running),
                status=_jsonable_status(self._service),
            )
        except Exception:
            # Edge-triggered: one error with its traceback, one line on recovery.
            if not self._failing:
                log.exception("cannot publish the collector status; retrying every second")
            self._failing = True
            return False
        if self._failing:
            log.info("collector status published again")
        self._failing = False
        return True

    def _apply(self, running: bool, by: str) -> None:
        who = f" (asked by {by})" if by else ""
        if running and not self._service.running:
            log.info("starting the collector%s", who)
            self._service.start()
        elif not running and self._service.running:
            log.info("stopping the collector%s", who)
            self._service.stop()


class _Server:
    """A uvicorn server that lets :class:`Runtime` own the signals.

    uvicorn re-raises the signal that stopped it once it has shut down, which
    would kill the process before the collector flushes; this subclass stops
    gracefully and leaves the rest of the shutdown to the runtime.
    """

    def __init__(self, config: Any, on_ready: Callable[[], None]) -> None:
        import uvicorn

        runtime_ready = on_ready

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield  # Runtime installed its handlers already.

            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                await super().startup(sockets=sockets)
                if self.started and not self.should_exit:
                    runtime_ready()

        self.server = Server(config)

    def request_exit(self) -> None:
        if self.server.should_exit:
            self.server.force_exit = True
        self.server.should_exit = True

    def serve(self, sock: socket.socket) -> None:
        asyncio.run(self.server.serve(sockets=[sock]))


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket on ``host:port`` (IPv4 or IPv6; port 0 = any free port).

    Raises:
        StartupError: the address is invalid or already in use.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise StartupError(f"cannot listen on {endpoint(host, port)}: {err.strerror}") from err
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        hint = ""
        if err.errno == errno.EADDRINUSE:
            hint = " (is another mikromon or web server running there? choose another --port)"
        raise StartupError(
            f"cannot listen on {endpoint(host, port)}: {err.strerror or err}{hint}"
        ) from err
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """Return ``http://host:port/`` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    return f"http://{endpoint(host, port)}/"


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
    """

    def __init__(
        self,
        *,
        host: str | None = "127.0.0.1",
        port: int = 8000,
        collector: str = "desired",
        on_ready: Callable[[str], None] | None = None,
        on_stopping: Callable[[], None] | None = None,
        access_log: bool = True,
        notifications: bool = True,
    ) -> None:
        if collector not in ("desired", "start", "never"):
            raise ValueError(f"collector must be desired, start or never, not {collector!r}")
        self.host = host
        self.port = port
        self.collector_mode = collector
        self.on_ready = on_ready
        self.on_stopping = on_stopping
        self.access_log = access_log
        self.notifications = notifications
        self.notifier: Any = None
        self.url = ""
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._serving = False
        self._extra_signals = 0
        self.service: Any = None

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
        clean = True
        try:
            started_at = timezone.now()
            self.service = build_collector()
            applied_at = self._start_collector()
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
            self._restore_signal_handlers(previous)
            connection.close()
        log.info("stopped" if clean else "stopped, but the writer did not finish in time")
        return 0 if clean else 1

    def _stop_collector(self) -> bool:
        """Stop the collector (its writer flushes what is queued); ``True`` when clean."""
        service = self.service
        if service.running:
            log.info("stopping the collector")
        clean = bool(service.stop())
        writer = _jsonable_status(service).get("writer") or {}
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

        if self.collector_mode == "never":
            return state.desired_state().changed_at
        if self.collector_mode == "start":
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
        import uvicorn

        from mikromon.web.asgi import application

        self.url = url_of(sock)
        config = uvicorn.Config(
            application,
            log_config=None,
            access_log=self.access_log,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_TIMEOUT_S,
            server_header=False,
            # X-Forwarded-For/-Proto are believed only from FORWARDED_ALLOW_IPS
            # (uvicorn's default: 127.0.0.1), i.e. a reverse proxy on this machine.
            proxy_headers=True,
        )
        self._server = _Server(config, on_ready=lambda: self._ready(self.url))
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
        if threading.current_thread() is not threading.main_thread():
            return {}

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

        previous: dict[int, Any] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handle)
        return previous

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
