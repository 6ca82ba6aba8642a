"""The syslog receiver as the collector service runs it: started in the service's
event loop while it holds the collector lock, messages matched to devices by
source address (the map rebuilt at every reload and every
:data:`SYSLOG_FLEET_REFRESH_S`, identities learnt every
:data:`SYSLOG_IDENTITY_EVERY_S`), stored through the service's queue.

The map covers every device of the database when the device source can list
them (:class:`FleetAddresses`: the Django sources), not only the devices this
collector polls: with several collectors sharing the fleet, one receiver takes
every router's lines. The lines of devices polled here go through the alert
rules; the others' to the store only (:class:`mikromon.syslog.intake.SyslogIntake`).
With collectors sharing the fleet all go to the store only, and each collector
reads back those of its devices for its rules
(:class:`~mikromon.storage.protocols.PushedLogSource`).

A receiver that cannot bind is logged and shown in the status; polling goes on
without it.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Awaitable, Callable, Container, Iterable
from typing import Final, Protocol, runtime_checkable

from mikromon.alerting.runner import AlertRunner
from mikromon.domain.clock import Clock
from mikromon.domain.devices import DeviceConfig
from mikromon.schedule.deps import StorageQueue
from mikromon.schedule.worker import HostWorker
from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.intake import SyslogIntake
from mikromon.syslog.receiver import SyslogReceiver
from mikromon.syslog.sources import DeviceAddresses, KnownDevice

__all__ = ["SYSLOG_FLEET_REFRESH_S", "SYSLOG_IDENTITY_EVERY_S", "FleetAddresses",
           "SyslogRunner", "known_devices"]

log = logging.getLogger("mikromon.schedule.service")

#: How often the syslog source map learns the devices' identities, seconds.
SYSLOG_IDENTITY_EVERY_S: Final = 2.0
#: How often the source address map is read again from a :class:`FleetAddresses`
#: source besides the reloads, seconds (identities other collectors stored).
SYSLOG_FLEET_REFRESH_S: Final = 30.0


@runtime_checkable
class FleetAddresses(Protocol):
    """A device source that also lists every device of the fleet, whichever
    collector polls it (called from the service's host worker thread)."""

    def syslog_devices(self) -> list[KnownDevice]:
        """Every device (enabled or not): id, name, configured host and the
        identity last stored for it."""
        ...


def known_devices(devices: Iterable[DeviceConfig]) -> list[KnownDevice]:
    """``devices`` as the source address map takes them (no identity yet)."""
    return [KnownDevice(c.id, c.name, c.host) for c in devices]


class SyslogRunner:
    """The service's syslog receiver and intake.

    Args:
        settings: where to listen and how much to keep pending.
        clock: gives the time stored messages are flushed at.
    """

    def __init__(self, settings: SyslogSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._receiver: SyslogReceiver | None = None
        self._intake: SyslogIntake | None = None
        self._addresses = DeviceAddresses()
        self._error = ""
        self._identities_due = 0.0
        self._fleet_due = 0.0
        self._refreshing: asyncio.Task[None] | None = None
        self._again: Callable[[], Awaitable[Iterable[KnownDevice]]] | None = None

    @property
    def port(self) -> int | None:
        """The port the receiver listens on (``None``: not listening)."""
        receiver = self._receiver
        return receiver.port if receiver is not None else None

    def status(self) -> dict[str, object]:
        """``listening``, ``error`` (why it does not listen, ``""``), the receiver's
        own stats, and ``stored`` / ``stored_only`` (lines stored without going
        through this collector's alert rules) / ``queue_dropped`` of the intake."""
        receiver, intake = self._receiver, self._intake
        out: dict[str, object] = {"listening": receiver is not None, "error": self._error}
        if receiver is not None:
            out.update(receiver.stats())
        if intake is not None:
            out.update(stored=intake.stored, stored_only=intake.stored_only,
                       queue_dropped=intake.dropped)
        return out

    async def start(self, queue: StorageQueue, store_only: StorageQueue | None,
                    polled_here: Container[int], alerting: AlertRunner | None) -> None:
        """Start listening (no-op when it does) once the source map is built;
        the lines of devices in ``polled_here`` go to ``queue`` (the alert rules,
        then the writer), the others' to ``store_only`` (the writer; ``None``:
        ``queue``). When ``alerting`` reads the lines back from the store
        (:attr:`AlertRunner.reads_pushed_logs`: collectors sharing the fleet, each
        evaluating the lines of the devices it polls), all go to ``store_only``.
        See :class:`~mikromon.syslog.intake.SyslogIntake`."""
        if self._receiver is not None:
            return
        await self.refreshed()  # the source map before the first message
        settings = self._settings
        if alerting is not None and alerting.reads_pushed_logs:
            polled_here = ()
        intake = SyslogIntake(queue, max_pending=settings.max_pending, store_only=store_only,
                              polled_here=polled_here.__contains__)
        receiver = SyslogReceiver(settings, self._addresses, intake.deliver)
        try:
            await receiver.start()
        except OSError as err:
            self._error = (f"cannot listen on {settings.bind} port {settings.port}: "
                           f"{err.strerror or err}")
            if err.errno == errno.EADDRINUSE:
                self._error += (" (another program, or another mikromon collector of this "
                                "machine, receives syslog there: set MIKROMON_SYSLOG_PORT "
                                "for one collector per machine)")
            log.error("syslog receiver not started: %s; polling goes on", self._error)
            return
        self._error = ""
        self._receiver, self._intake = receiver, intake

    async def stop(self, identities: Callable[[], dict[int, str]]) -> None:
        """Stop listening and store what was received."""
        task, self._refreshing, self._again = self._refreshing, None, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            await receiver.stop()
        self.flush(identities)
        self._intake = None

    def flush(self, identities: Callable[[], dict[int, str]]) -> None:
        """Store the messages received so far; learn the devices' identities
        (``identities()``: device id -> identity) when due."""
        intake = self._intake
        if intake is None:
            return
        try:
            intake.flush(self._clock.now())
        except Exception:
            log.exception("storing received syslog messages failed; they are dropped")
        now = time.monotonic()
        if now >= self._identities_due:
            # Routers sharing an address are told apart by their identity.
            self._identities_due = now + SYSLOG_IDENTITY_EVERY_S
            self._addresses.set_identities(identities())

    def refresh(self, load: Callable[[], Awaitable[Iterable[KnownDevice]]]) -> None:
        """Rebuild the source address map, in a task of the running loop, from what
        ``load()`` returns: every device of the fleet when the source lists them
        (:class:`FleetAddresses`), else the service's own (:func:`known_devices`).
        Host names are resolved there (up to
        :data:`~mikromon.syslog.sources.RESOLVE_TIMEOUT_S` each) without holding up
        the service. A refresh asked while one runs follows it; a failing ``load``
        is logged and leaves the map as it was."""
        self._fleet_due = time.monotonic() + SYSLOG_FLEET_REFRESH_S
        if self._refreshing is not None and not self._refreshing.done():
            self._again = load
            return
        self._refreshing = asyncio.get_running_loop().create_task(self._refresh(load))

    async def refreshed(self) -> None:
        """Wait for the refresh in progress (none: return at once)."""
        while self._refreshing is not None and not self._refreshing.done():
            await asyncio.shield(self._refreshing)

    async def _refresh(self, load: Callable[[], Awaitable[Iterable[KnownDevice]]]) -> None:
        next_load: Callable[[], Awaitable[Iterable[KnownDevice]]] | None = load
        while next_load is not None:
            try:
                await self._addresses.update(await next_load())
            except Exception:
                log.exception("reading the devices for the syslog receiver failed; "
                              "matching with the devices read before")
            next_load, self._again = self._again, None

    def refresh_from(self, source: object, host: HostWorker | None,
                     own: Iterable[DeviceConfig]) -> None:
        """:meth:`refresh` from every device of ``source`` when it lists them
        (:class:`FleetAddresses`, read in ``host``'s thread), else from ``own``
        (the service's devices)."""
        if isinstance(source, FleetAddresses) and host is not None:
            fleet_wide, worker = source, host

            async def load() -> list[KnownDevice]:
                devices: list[KnownDevice] = await worker.call(fleet_wide.syslog_devices,
                                                                limit_s=60.0)
                return devices
        else:
            known = known_devices(own)

            async def load() -> list[KnownDevice]:
                return known
        self.refresh(load)

    def step(self, identities: Callable[[], dict[int, str]], source: object,
             host: HostWorker | None) -> None:
        """:meth:`flush`; every :data:`SYSLOG_FLEET_REFRESH_S` read the devices of a
        :class:`FleetAddresses` source again (identities other collectors stored)."""
        self.flush(identities)
        if time.monotonic() >= self._fleet_due and isinstance(source, FleetAddresses):
            self.refresh_from(source, host, ())
