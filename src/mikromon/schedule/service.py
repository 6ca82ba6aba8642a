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

If the source, the lock or the storage has a ``close()`` method, it is called
from the thread that used the object when the service stops.

With an :class:`~mikromon.storage.protocols.AlertStore` (``alerts=``), alert rules are
evaluated as the collectors hand their data to the writer
(:mod:`mikromon.alerting.runner`); the rules are read at start and whenever the
configuration version changes, the stored open alerts once at start.

With :class:`~mikromon.syslog.config.SyslogSettings` (``syslog=``), the service
also runs the syslog receiver (:mod:`mikromon.syslog.receiver`) in its event loop
while it holds the collector lock: messages are matched to devices by source
address (rebuilt at every reload), stored with the device's logs and evaluated
by the ``log`` alert rules.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Final

from mikromon.alerting.runner import AlertRunner
from mikromon.config import time_scale as configured_time_scale
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.formatting import utc_iso
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import CollectorDeps, StorageQueue
from mikromon.schedule.device import Carry, DeviceCollector, Remembered
from mikromon.schedule.reload import describe_change, plan_reload, same_router
from mikromon.schedule.worker import HostWorker
from mikromon.schedule.writer import DEFAULT_MAX_BATCHES, StorageWriter
from mikromon.storage.protocols import AlertStore, CollectorLock, DeviceSource, Storage
from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.intake import SyslogIntake
from mikromon.syslog.receiver import SyslogReceiver
from mikromon.syslog.sources import DeviceAddresses, KnownDevice

log = logging.getLogger(__name__)

#: How often the syslog source map learns the devices' identities, seconds.
SYSLOG_IDENTITY_EVERY_S: Final = 2.0
#: Seconds between attempts to load the alert rules and open alerts when the first
#: load failed (alerting waits for it: nothing is evaluated before).
ALERT_RETRY_S: Final = 10.0
#: How often the configuration version token is read, seconds (not scaled: it is
#: how fast edits apply, promised "within 1 s").
CONFIG_POLL_S: Final = 0.5


class _NoLock:
    """The lock of a host that runs one collector by construction."""

    def acquire(self) -> bool:
        return True

    def refresh(self) -> bool:
        return True

    def release(self) -> None:
        return None


class CollectorService:
    """Polls every enabled device of a DeviceSource into a Storage.

    Args:
        source: device configuration (read from a worker thread).
        storage: where data goes (written from the writer thread).
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
        writer_max_batches: bound of the writer queue (batches).
        stop_timeout: seconds given to in-flight runs to unwind when stopping.
        alerts: where alert rules come from and alerts go (``None``: no alerting);
            called from the host worker thread.
        syslog: run the syslog receiver with these settings (``None``: off).

    Raises:
        ConfigError: ``MIKROMON_TIME_SCALE`` is not a positive number.
    """

    def __init__(
        self,
        source: DeviceSource,
        storage: Storage,
        lock: CollectorLock | None = None,
        *,
        deps: CollectorDeps | None = None,
        time_scale: float | None = None,
        config_poll_s: float = CONFIG_POLL_S,
        lock_retry_s: float = 5.0,
        lock_refresh_s: float | None = None,
        writer_max_batches: int = DEFAULT_MAX_BATCHES,
        stop_timeout: float = 3.0,
        alerts: AlertStore | None = None,
        syslog: SyslogSettings | None = None,
    ) -> None:
        scale = configured_time_scale() if time_scale is None else time_scale
        self._deps = dataclasses.replace(deps or CollectorDeps(), time_scale=scale)
        self._source = source
        self._storage = storage
        self._lock = lock if lock is not None else _NoLock()
        self._config_poll_s = config_poll_s
        self._lock_retry_s = lock_retry_s
        if lock_refresh_s is None:
            lock_refresh_s = float(getattr(lock, "refresh_interval", 10.0))
        self._lock_refresh_s = lock_refresh_s
        self._writer_max = writer_max_batches
        self._stop_timeout = stop_timeout
        self._control = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: StorageWriter | None = None
        self._host: HostWorker | None = None
        self._since: datetime | None = None
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._reload_requested = False
        self._lock_held = False
        self._token: str | None = None
        self._collectors: dict[int, DeviceCollector] = {}
        #: What is remembered of each device across its collectors (until deleted).
        self._remembered: dict[int, Remembered] = {}
        self._disabled: dict[int, tuple[DeviceConfig, datetime]] = {}
        self._reloads = 0
        self._waiting_logged = False
        self._alert_store = alerts
        self._alerting_retry_at = 0.0
        self._alerting: AlertRunner | None = None
        #: Where collectors put what they read: the writer, or the alerting queue
        #: in front of it.
        self._queue: StorageQueue | None = None
        self._syslog_settings = syslog
        self._syslog: SyslogReceiver | None = None
        self._syslog_intake: SyslogIntake | None = None
        self._syslog_addresses = DeviceAddresses()
        self._syslog_error = ""
        self._syslog_identities_due = 0.0

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
            if self._thread is not None:
                if self._thread.is_alive():
                    return
                self._thread = None
            self._stopping = False
            self._lock_held = False
            self._since = self._deps.clock.now()
            self._writer = StorageWriter(self._storage, max_batches=self._writer_max)
            self._writer.start()
            self._queue = self._writer
            if self._alert_store is not None:
                self._alerting = AlertRunner(self._alert_store)
                self._queue = self._alerting.queue(self._writer)
            ready = threading.Event()
            self._thread = threading.Thread(
                target=self._thread_main, args=(ready,), name="mikromon-collector", daemon=True
            )
            self._thread.start()
            if not ready.wait(10.0):
                raise RuntimeError("the collector thread did not start")
            log.info("collector started (time scale %g)", self.time_scale)

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop polling, flush the writer, close connections, end every thread.

        Args:
            timeout: seconds allowed in all.

        Returns:
            ``True`` when everything ended in time.
        """
        with self._control:
            thread, loop, writer = self._thread, self._loop, self._writer
            if thread is None:
                return True
            deadline = time.monotonic() + timeout
            self._stopping = True
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(self._wake_up)
                except RuntimeError:  # closed meanwhile
                    pass
            thread.join(max(0.0, deadline - time.monotonic()))
            ok = not thread.is_alive()
            if not ok:
                log.error("collector thread did not stop within %.1f s", timeout)
            if self._host is not None:
                ok = self._host.join(max(0.1, deadline - time.monotonic())) and ok
            if writer is not None:
                ok = writer.stop(max(0.1, deadline - time.monotonic())) and ok
            self._thread = None
            self._loop = None
            log.info("collector stopped")
            return ok

    def notify_config_changed(self) -> None:
        """Reload the devices now (hosts call this when they save a device)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._request_reload)
        except RuntimeError:
            pass

    def status(self, *, devices: bool = True) -> dict[str, object]:
        """Return the collector's state, JSON-serialisable.

        Args:
            devices: include the per-device list (the costly part with a big fleet:
                about N x 5 tiers of entries).

        Keys: running, since (ISO UTC or ``None``), lock_held, time_scale,
        config_version, reloads, device_count (polled), disabled_count,
        devices (list, sorted by name, of :meth:`DeviceCollector.status` dicts,
        each with the writer's counts for that device added: ``rows_dropped``
        (samples dropped at the queue bound, e.g. while the database stalled),
        ``rows_failed`` (rows the database refused) and ``write_error`` (the reason
        of its last failed write, ``""`` for none); disabled devices with state
        ``disabled`` and no tiers; omitted when ``devices`` is false), writer
        (:meth:`StorageWriter.stats`: queue, counters, ``unavailable_s`` while the
        database takes no writes).
        """
        out: dict[str, object] = {
            "running": self.running,
            "since": utc_iso(self._since) if self._since else None,
            "lock_held": self._lock_held,
            "time_scale": self.time_scale,
            "config_version": self._token,
            "reloads": self._reloads,
            "device_count": len(self._collectors),
            "disabled_count": len(self._disabled),
        }
        if devices:
            out["devices"] = self._device_status()
        writer = self._writer
        out["writer"] = writer.stats() if writer is not None else None
        alerting = self._alerting
        out["alerting"] = alerting.stats() if alerting is not None else None
        out["syslog"] = self._syslog_status()
        return out

    @property
    def syslog_port(self) -> int | None:
        """The port the syslog receiver listens on (``None``: not listening)."""
        receiver = self._syslog
        return receiver.port if receiver is not None else None

    def _syslog_status(self) -> dict[str, object] | None:
        if self._syslog_settings is None:
            return None
        receiver, intake = self._syslog, self._syslog_intake
        out: dict[str, object] = {"listening": receiver is not None, "error": self._syslog_error}
        if receiver is not None:
            out.update(receiver.stats())
        if intake is not None:
            out.update(stored=intake.stored, queue_dropped=intake.dropped)
        return out

    def _device_status(self) -> list[dict[str, object]]:
        # Read from the caller's thread without waiting for a busy loop: the
        # snapshots below are single C-level operations under the GIL, and a
        # collector's status reads only its own attributes.
        clock = self._deps.clock
        now = (clock.monotonic(), clock.now())
        out = [c.status(now) for c in list(self._collectors.values())]
        for config, loaded_at in list(self._disabled.values()):
            out.append({
                "id": config.id, "name": config.label, "state": DeviceState.DISABLED.value,
                "config_loaded_at": utc_iso(loaded_at), "last_error": "", "tiers": {},
            })
        writer = self._writer
        for entry in out:
            counts = (writer.device_stats(int(str(entry["id"]))) if writer is not None
                      else {"rows_dropped": 0, "rows_failed": 0, "last_error": ""})
            entry["rows_dropped"] = counts["rows_dropped"]
            entry["rows_failed"] = counts["rows_failed"]
            entry["write_error"] = counts["last_error"]
        out.sort(key=lambda d: (str(d["name"]), int(str(d["id"]))))
        return out

    # -- the loop thread ---------------------------------------------------------------

    def _thread_main(self, ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(ready))
        except Exception:
            log.exception("the collector stopped on an unexpected error")
        finally:
            self._stopping = True

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
                                closers=(self._source, self._lock, self._alert_store))
        ready.set()
        try:
            while not self._stopping:
                if not await self._acquire():
                    await self._sleep(self._lock_retry_s)
                    continue
                lost = await self._supervise()
                await self._stop_all()
                if not lost:
                    break
                self._lock_held = False
                log.warning("collector lock lost (another collector took over); polling "
                            "stopped, waiting to take it back")
        finally:
            await self._stop_all()
            if self._lock_held:
                try:
                    await self._host.call(self._lock.release, limit_s=5.0)
                except Exception:
                    log.exception("releasing the collector lock failed")
                self._lock_held = False
            if self._alerting is not None:
                self._step_alerting()
                if not self._alerting.flush(5.0):
                    log.warning("some alert transitions could not be stored before stopping")
            self._host.close()

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` or until woken (stop, reload request)."""
        assert self._wake is not None
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def _acquire(self) -> bool:
        assert self._host is not None
        try:
            got = bool(await self._host.call(self._lock.acquire, limit_s=30.0))
        except Exception:
            log.exception("taking the collector lock failed")
            got = False
        if got:
            self._lock_held = True
            log.info("collector lock acquired; polling starts")
        elif not self._waiting_logged:
            log.info("another collector is active on this database; waiting for its lock")
        self._waiting_logged = not got
        return got

    async def _supervise(self) -> bool:
        """Poll until stopped (return ``False``) or the lock is lost (``True``)."""
        assert self._host is not None
        await self._load_alerting()
        await self._reload(initial=True)
        await self._start_syslog()
        try:
            return await self._supervise_loop()
        finally:
            await self._stop_syslog()

    async def _supervise_loop(self) -> bool:
        assert self._host is not None
        next_refresh = time.monotonic() + self._lock_refresh_s
        while True:
            await self._sleep(self._config_poll_s)
            self._flush_syslog()
            if (self._alerting is not None and not self._alerting.restored
                    and time.monotonic() >= self._alerting_retry_at):
                await self._load_alerting()  # the first load failed: try again
            self._step_alerting()
            if self._stopping:
                return False
            if time.monotonic() >= next_refresh:
                next_refresh = time.monotonic() + self._lock_refresh_s
                try:
                    if not await self._host.call(self._lock.refresh, limit_s=30.0):
                        return True
                except Exception:
                    log.exception("renewing the collector lock failed; trying again")
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
        writer = self._queue
        now = self._deps.clock.now()
        plan = plan_reload(
            {i: c.config for i, c in self._collectors.items()},
            {i: cfg for i, (cfg, _) in self._disabled.items()},
            devices,
        )
        events: list[Event] = []
        stopping = [self._collectors.pop(i) for i in plan.stop]
        await asyncio.gather(*(c.stop(self._stop_timeout) for c in stopping))
        for device_id in plan.deleted:
            coll = next((c for c in stopping if c.device_id == device_id), None)
            cfg = coll.config if coll is not None else self._disabled[device_id][0]
            self._disabled.pop(device_id, None)
            self._remembered.pop(device_id, None)
            log.info("device %s deleted: polling stopped", cfg.label)
        for cfg in plan.disabled:
            self._disabled[cfg.id] = (cfg, now)
            if cfg.id in self._remembered:
                self._remembered[cfg.id].forget_outage()
            writer.put_status(DeviceStatus(device_id=cfg.id, state=DeviceState.DISABLED, ts=now))
            if any(c.device_id == cfg.id for c in stopping):
                log.info("device %s disabled: polling stopped", cfg.label)
                events.append(_event(cfg.id, now, "device disabled; polling stopped"))
        for cfg in plan.start:
            enabled_again = self._disabled.pop(cfg.id, None) is not None
            self._start_collector(cfg, now, None)
            if enabled_again:
                log.info("device %s enabled: polling starts", cfg.label)
                events.append(_event(cfg.id, now, "device enabled; polling starts"))
            elif not initial:
                log.info("device %s added: polling starts", cfg.label)
                events.append(_event(cfg.id, now, "device added; polling starts"))
        for old_cfg, cfg in plan.restart:
            change = describe_change(old_cfg, cfg)
            # The old collector stays listed (status) until its successor replaces it.
            carry = await self._collectors[cfg.id].stop(self._stop_timeout)
            if not same_router(old_cfg, cfg):
                carry = dataclasses.replace(carry, memory=DeviceMemory(), rates={},
                                            tier_errors={})
                # Another router perhaps: what was absent on the old one may not be.
                self._remembered.get(cfg.id, Remembered()).announced_absent.clear()
            self._start_collector(cfg, now, carry)
            log.info("device %s reconfigured (%s): polling it again with the new settings",
                     cfg.label, change)
            events.append(_event(cfg.id, now, f"configuration reloaded: {change}"))
        if events:
            writer.put_events(events)
        if self._syslog_settings is not None:
            await self._syslog_addresses.update(
                KnownDevice(c.id, c.name, c.host)
                for c in [*(coll.config for coll in self._collectors.values()),
                          *(cfg for cfg, _ in self._disabled.values())])
        if initial:
            log.info("polling %d device(s) (%d disabled)", len(self._collectors),
                     len(self._disabled))

    def _start_collector(self, cfg: DeviceConfig, now: datetime, carry: Carry | None) -> None:
        assert self._queue is not None
        remembered = self._remembered.setdefault(cfg.id, Remembered())
        coll = DeviceCollector(cfg, self._deps, self._queue, loaded_at=now, carry=carry,
                               remembered=remembered)
        self._collectors[cfg.id] = coll
        coll.start()

    async def _start_syslog(self) -> None:
        """Start the syslog receiver (when configured); a bind failure is logged and
        shown in the status, polling goes on without it."""
        settings = self._syslog_settings
        if settings is None or self._syslog is not None:
            return
        assert self._queue is not None
        intake = SyslogIntake(self._queue, max_pending=settings.max_pending)
        receiver = SyslogReceiver(settings, self._syslog_addresses, intake.deliver)
        try:
            await receiver.start()
        except OSError as err:
            self._syslog_error = (f"cannot listen on {settings.bind} port {settings.port}: "
                                  f"{err.strerror or err}")
            log.error("syslog receiver not started: %s", self._syslog_error)
            return
        self._syslog_error = ""
        self._syslog, self._syslog_intake = receiver, intake

    async def _stop_syslog(self) -> None:
        receiver, self._syslog = self._syslog, None
        if receiver is not None:
            await receiver.stop()
        self._flush_syslog()
        self._syslog_intake = None

    def _flush_syslog(self) -> None:
        intake = self._syslog_intake
        if intake is None:
            return
        try:
            intake.flush(self._deps.clock.now())
        except Exception:
            log.exception("storing received syslog messages failed; they are dropped")
        now = time.monotonic()
        if now >= self._syslog_identities_due:
            # Routers sharing an address are told apart by their identity.
            self._syslog_identities_due = now + SYSLOG_IDENTITY_EVERY_S
            self._syslog_addresses.set_identities({
                i: c.memory.facts.identity for i, c in list(self._collectors.items())
                if c.memory.facts.identity})

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
        colls = list(self._collectors.values())
        self._collectors.clear()
        self._disabled.clear()
        if colls:
            await asyncio.gather(*(c.stop(self._stop_timeout) for c in colls))


def _event(device_id: int, ts: datetime, message: str) -> Event:
    return Event(device_id=device_id, ts=ts, kind=EventKind.CONFIG_RELOADED, message=message)


# -- the process-wide service -------------------------------------------------------------

_factory: Callable[[], CollectorService] | None = None
_instance: CollectorService | None = None
_instance_lock = threading.Lock()


def configure(factory: Callable[[], CollectorService]) -> None:
    """Register how the process-wide collector is built (the host calls this once at
    start-up; the service itself is created on the first :func:`get_collector`)."""
    global _factory
    with _instance_lock:
        _factory = factory


def get_collector() -> CollectorService:
    """Return the process-wide collector, creating it from the registered factory.

    Raises:
        RuntimeError: no factory was registered with :func:`configure`.
    """
    global _instance
    with _instance_lock:
        if _instance is None:
            if _factory is None:
                raise RuntimeError(
                    "no collector configured: the host must call "
                    "mikromon.schedule.configure(factory) first"
                )
            _instance = _factory()
        return _instance


def reset_collector(timeout: float = 10.0) -> None:
    """Stop and forget the process-wide collector (and keep the factory)."""
    global _instance
    with _instance_lock:
        instance, _instance = _instance, None
    if instance is not None:
        instance.stop(timeout)
