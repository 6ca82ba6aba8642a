"""CollectorService: the collector as a background thread with its own asyncio loop.

It takes the database-wide collector lock, loads the devices, runs one
:class:`~mikromon.schedule.device.DeviceCollector` per enabled device, watches the
configuration (a cheap version token polled twice a second in a worker thread,
and :meth:`CollectorService.notify_config_changed` for changes made in this
process), and hands what is read to one writer thread. A host (the Django app,
an Odoo addon, a script) builds it from its own
:class:`~mikromon.storage.protocols.DeviceSource`, :class:`~mikromon.storage.protocols.Storage`
and :class:`~mikromon.storage.protocols.CollectorLock`::

    service = CollectorService(source, storage, lock)
    service.start()
    ...
    service.status()      # JSON-serialisable dict
    service.stop()

Its devices are a :class:`~mikromon.schedule.fleet.DeviceFleet`; the process-wide
instance is reached through :mod:`mikromon.schedule.instance`. If the source, the
lock or the storage has a ``close()`` method, it is called from the thread that
used the object when the service stops.

With an :class:`~mikromon.storage.protocols.AlertStore` (``alerts=``), alert rules are
evaluated as the collectors hand their data to the writer
(:mod:`mikromon.alerting.runner`); the rules are read at start and whenever the
configuration version changes, the stored open alerts once at start.

With ``outputs=`` (:mod:`mikromon.outputs`; an :class:`OutputSet` is rebuilt at
every reload), samples handed to the writer also go to each output. With
:class:`~mikromon.syslog.config.SyslogSettings` (``syslog=``), the service also
runs the syslog receiver (:mod:`mikromon.syslog.receiver`) in its event loop while
it holds the collector lock: messages are matched to devices by source address
(every device of the fleet), stored with the device's logs and evaluated by the
``log`` alert rules of the collector polling the device.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final

from mikromon.alerting.runner import AlertRunner
from mikromon.config import time_scale as configured_time_scale
from mikromon.domain.formatting import utc_iso
from mikromon.event_loop import loop_factory, loop_name
from mikromon.outputs.manager import OutputSet
from mikromon.outputs.tee import OutputsQueue, SampleOutput
from mikromon.schedule.deps import CollectorDeps, StorageQueue
from mikromon.schedule.fleet import DeviceFleet
from mikromon.schedule.lease import LockLease
from mikromon.schedule.syslog_runner import SyslogRunner
from mikromon.schedule.worker import HostWorker
from mikromon.schedule.writer import DEFAULT_MAX_ROWS, StorageWriter, storage_from
from mikromon.storage.protocols import AlertStore, CollectorLock, DeviceSource, Storage
from mikromon.syslog.config import SyslogSettings

__all__ = ["ALERT_RETRY_S", "CONFIG_POLL_S", "CollectorService"]

log = logging.getLogger(__name__)

#: Seconds between loads of the alert rules and open alerts after a failed first one.
ALERT_RETRY_S: Final = 10.0
#: How often the configuration version token is read, seconds (unscaled: edits apply in 1 s).
CONFIG_POLL_S: Final = 0.5


class CollectorService:
    """Polls every enabled device of a DeviceSource into a Storage.

    Args:
        source: device configuration (read from a worker thread).
        storage: where data goes (written from the writer thread), or a function
            returning it, called by each :meth:`start` (a new storage each start).
        lock: makes this the only active collector of the database (``None``: no
            lock, for hosts that cannot run two collectors).
        deps: client factory, tier runner, rate calculator, clock (defaults: the
            real ones from mikromon.routeros, mikromon.collectors, mikromon.pipeline).
        time_scale: factor applied to intervals and backoffs (default
            :func:`mikromon.config.time_scale`: ``serve --time-scale``, else
            ``MIKROMON_TIME_SCALE``, else 1); overrides ``deps.time_scale``.
        config_poll_s: seconds between config version checks.
        lock_retry_s: seconds between attempts to take the lock held by another
            collector.
        lock_refresh_s: seconds between lease renewals (default: the lock's
            ``refresh_interval`` attribute when it has one, else 10).
        writer_max_rows: bound of the writer's sample queue (rows).
        stop_timeout: seconds given to in-flight runs to unwind when stopping.
        alerts: where alert rules come from and alerts go (``None``: no alerting);
            called from the host worker thread.
        syslog: run the syslog receiver with these settings (``None``: off).

    Raises:
        ConfigError: ``MIKROMON_TIME_SCALE`` is not a positive number, or
            ``MIKROMON_EVENT_LOOP`` is unknown or names a loop not installed
            (:func:`mikromon.event_loop.loop_factory`: the loop thread's event loop).
    """

    def __init__(
        self,
        source: DeviceSource,
        storage: Storage | Callable[[], Storage],
        lock: CollectorLock | None = None,
        *,
        deps: CollectorDeps | None = None,
        time_scale: float | None = None,
        config_poll_s: float = CONFIG_POLL_S,
        lock_retry_s: float = 5.0,
        lock_refresh_s: float | None = None,
        writer_max_rows: int = DEFAULT_MAX_ROWS,
        stop_timeout: float = 3.0,
        alerts: AlertStore | None = None,
        syslog: SyslogSettings | None = None,
        outputs: Sequence[SampleOutput] = (),
    ) -> None:
        scale = configured_time_scale() if time_scale is None else time_scale
        self._deps = dataclasses.replace(deps or CollectorDeps(), time_scale=scale)
        self._loop_factory = loop_factory()
        self._source = source
        self._storage = storage
        self._lease = LockLease(lock, lock_refresh_s)
        self._config_poll_s, self._lock_retry_s = config_poll_s, lock_retry_s
        self._writer_max = writer_max_rows
        self._control = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: StorageWriter | None = None
        self._host: HostWorker | None = None
        self._since: datetime | None = None
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._reload_requested = False
        self._token: str | None = None
        self._fleet = DeviceFleet(self._deps, stop_timeout)
        self._reloads = 0
        self._alert_store = alerts
        self._alerting_retry_at = 0.0
        self._alerting: AlertRunner | None = None
        #: Where collectors put what they read: the writer, or the alerting queue
        #: in front of it.
        self._queue: StorageQueue | None = None
        self._syslog = SyslogRunner(syslog, self._deps.clock) if syslog is not None else None
        self._outputs = OutputSet.of(outputs)

    # -- control (any thread) --------------------------------------------------------

    @property
    def time_scale(self) -> float:
        """The factor applied to intervals and backoffs."""
        return self._deps.time_scale

    @property
    def running(self) -> bool:
        """Whether the service thread is running (started and not stopping)."""
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stopping

    def start(self) -> None:
        """Start the collector thread (and the writer); no-op when running.

        Raises:
            RuntimeError: the thread did not come up within 10 s.
        """
        with self._control:
            if self._thread is not None and self._thread.is_alive():
                if self._stopping:  # a stop ran out of time: this run has not ended yet
                    log.warning("collector not started: its last run is still ending")
                return
            self._end(10.0)  # what a loop thread that ended on an error left running
            self._stopping = False
            self._lease.held = False
            self._since = self._deps.clock.now()
            self._writer = StorageWriter(storage_from(self._storage), max_rows=self._writer_max)
            self._writer.start()
            self._queue = self._writer
            if self._alert_store is not None:
                self._alerting = AlertRunner(self._alert_store)
                self._queue = self._alerting.queue(self._writer)
            self._queue = OutputsQueue(self._queue, self._outputs, self._fleet.address_of)
            self._outputs.start()
            ready = threading.Event()
            self._thread = threading.Thread(target=self._thread_main, args=(ready,),
                                            name="mikromon-collector", daemon=True)
            self._thread.start()
            if not ready.wait(10.0):
                raise RuntimeError("the collector thread did not start")
            log.info("collector started (time scale %g, %s event loop)", self.time_scale,
                     loop_name(self._loop) if self._loop is not None else "no")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop polling, flush the writer, close connections, end every thread.

        Args:
            timeout: seconds allowed in all.

        Returns:
            ``True`` when everything ended in time.
        """
        with self._control:
            return self._end(timeout)

    def _end(self, timeout: float) -> bool:
        """:meth:`stop`, the control lock held."""
        thread, loop, writer = self._thread, self._loop, self._writer
        if thread is None:
            return True
        deadline = time.monotonic() + timeout
        self._stopping = True
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(self._wake_up)
        thread.join(max(0.0, deadline - time.monotonic()))
        ok = not thread.is_alive()
        if not ok:
            log.error("collector thread did not stop within %.1f s", timeout)
        if self._host is not None:
            ok = self._host.join(max(0.1, deadline - time.monotonic())) and ok
        if writer is not None:
            ok = writer.stop(max(0.1, deadline - time.monotonic())) and ok
        ok = self._outputs.stop(max(0.1, deadline - time.monotonic())) and ok
        if not thread.is_alive():  # else kept: no new run may start beside it
            self._thread = self._loop = None
        log.info("collector stopped")
        return ok

    def notify_config_changed(self) -> None:
        """Reload the devices now (hosts call this when they save a device)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(self._request_reload)

    def status(self, *, devices: bool = True) -> dict[str, object]:
        """Return the collector's state, JSON-serialisable.

        Args:
            devices: include the per-device list (the costly part with a big fleet:
                about N x 5 tiers of entries).

        Keys: running, since (ISO UTC or ``None``), lock_held, time_scale, event_loop
        (``"uvloop"``, ``"asyncio"``, ``None`` when stopped), config_version, reloads,
        device_count (polled), disabled_count, devices (list, sorted by name, of
        :meth:`DeviceCollector.status` dicts, each with the writer's counts for that
        device added: ``rows_dropped`` (samples dropped at the queue bound, e.g. while
        the database stalled), ``rows_failed`` (rows the database refused) and
        ``write_error`` (the reason of its last failed write, ``""`` for none); disabled
        devices with state ``disabled`` and no tiers; omitted when ``devices`` is false),
        writer (:meth:`StorageWriter.stats`: queue, counters, ``unavailable_s`` while
        the database takes no writes, the storage's own), outputs (their status).
        """
        out: dict[str, object] = {
            "running": self.running,
            "since": utc_iso(self._since) if self._since else None,
            "lock_held": self._lease.held,
            "time_scale": self.time_scale,
            "event_loop": loop_name(self._loop) if self._loop is not None else None,
            "config_version": self._token,
            "reloads": self._reloads,
            "device_count": len(self._fleet.collectors),
            "disabled_count": len(self._fleet.disabled),
        }
        if devices:
            out["devices"] = self._fleet.status(self._writer)
        writer = self._writer
        out["writer"] = writer.stats() if writer is not None else None
        alerting = self._alerting
        out["alerting"] = alerting.stats() if alerting is not None else None
        out["syslog"] = self._syslog.status() if self._syslog is not None else None
        out["outputs"] = [output.status() for output in self._outputs]
        return out

    @property
    def syslog_port(self) -> int | None:
        """The port the syslog receiver listens on (``None``: not listening)."""
        return self._syslog.port if self._syslog is not None else None

    # -- the loop thread ---------------------------------------------------------------

    def _thread_main(self, ready: threading.Event) -> None:
        try:
            with asyncio.Runner(loop_factory=self._loop_factory) as runner:
                runner.run(self._main(ready))
        except Exception:
            log.exception("the collector stopped on an unexpected error")
        finally:
            self._stopping, self._loop = True, None

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _request_reload(self) -> None:
        self._reload_requested = True
        self._wake_up()

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._host = HostWorker("mikromon-host",
                                closers=(self._source, self._lease.lock, self._alert_store))
        ready.set()
        try:
            while not self._stopping:
                if not await self._lease.acquire(self._host):
                    await self._sleep(self._lock_retry_s)
                    continue
                lost = await self._supervise()
                await self._stop_all()
                if not lost:
                    break
                self._lease.lost()
        finally:
            await self._stop_all()
            await self._lease.release(self._host)
            if self._alerting is not None:
                self._step_alerting()
                if not self._alerting.flush(5.0):
                    log.warning("some alert transitions could not be stored before stopping")
            self._host.close()

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` or until woken (stop, reload request)."""
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _supervise(self) -> bool:
        """Poll until stopped (return ``False``) or the lock is lost (``True``)."""
        assert self._host is not None
        await self._load_alerting()
        await self._reload(initial=True)
        if self._syslog is not None:
            assert self._queue is not None
            await self._syslog.start(self._queue, self._writer, self._fleet.collectors,
                                     self._alerting)
        try:
            return await self._supervise_loop()
        finally:
            if self._syslog is not None:
                await self._syslog.stop(self._fleet.identities)

    async def _supervise_loop(self) -> bool:
        assert self._host is not None
        while True:
            await self._sleep(self._config_poll_s)
            if self._syslog is not None:
                self._syslog.step(self._fleet.identities, self._source, self._host)
            if (self._alerting is not None and not self._alerting.restored
                    and time.monotonic() >= self._alerting_retry_at):
                await self._load_alerting()  # the first load failed: try again
            self._step_alerting()
            if self._stopping:
                return False
            if not await self._lease.keep(self._host):
                return True
            if self._reload_requested:
                self._reload_requested = False
                await self._reload()
                continue
            try:
                token = await self._host.call(self._source.config_version, limit_s=30.0)
            except Exception as err:
                log.warning("reading the configuration version failed: %s", err)
                continue
            if token != self._token:
                await self._reload()

    async def _reload(self, *, initial: bool = False) -> None:
        """Load the devices and start, stop or restart collectors to match."""
        assert self._host is not None
        assert self._queue is not None
        try:
            token = await self._host.call(self._source.config_version, limit_s=30.0)
            devices = await self._host.call(self._source.load_devices, limit_s=60.0)
        except Exception:
            log.exception("loading the devices failed; keeping the current ones")
            return
        if self._token is not None and token != self._token:
            await self._load_alerting()
        self._token = token
        self._reloads += 1
        await self._fleet.apply(devices, self._queue, initial=initial)
        self._host.submit(self._outputs.reload)  # in the host thread; logs its own errors
        if self._syslog is not None:
            self._syslog.refresh_from(self._source, self._host, self._fleet.configs())

    async def _load_alerting(self) -> None:
        """Read the alert rules (the first time also the stored open alerts) in the
        host worker and give them to the engine; a failure keeps the rules in force."""
        alerting = self._alerting
        if alerting is None:
            return
        assert self._host is not None
        try:
            rules, restored = await self._host.call(alerting.loaded, limit_s=60.0)
        except Exception:
            log.exception("loading the alert rules failed; keeping the current ones")
            self._alerting_retry_at = time.monotonic() + ALERT_RETRY_S
            return
        alerting.apply(rules, restored, self._deps.clock.now())

    def _step_alerting(self) -> None:
        """Advance the alert timers and hand new transitions to the store."""
        alerting = self._alerting
        if alerting is None or self._host is None:
            return
        try:
            alerting.step(self._deps.clock.now(), self._host.submit)
        except Exception:
            log.exception("alert evaluation step failed; trying again")

    async def _stop_all(self) -> None:
        await self._fleet.stop_all()
