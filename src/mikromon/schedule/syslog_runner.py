"""The syslog receiver as the collector service runs it: started in the service's
event loop while it holds the collector lock, messages matched to devices by
source address (the map rebuilt at every reload, identities learnt every
:data:`SYSLOG_IDENTITY_EVERY_S`), stored through the service's queue.

A receiver that cannot bind is logged and shown in the status; polling goes on
without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Final

from mikromon.domain.clock import Clock
from mikromon.domain.devices import DeviceConfig
from mikromon.schedule.deps import StorageQueue
from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.intake import SyslogIntake
from mikromon.syslog.receiver import SyslogReceiver
from mikromon.syslog.sources import DeviceAddresses, KnownDevice

__all__ = ["SYSLOG_IDENTITY_EVERY_S", "SyslogRunner"]

log = logging.getLogger("mikromon.schedule.service")

#: How often the syslog source map learns the devices' identities, seconds.
SYSLOG_IDENTITY_EVERY_S: Final = 2.0


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

    @property
    def port(self) -> int | None:
        """The port the receiver listens on (``None``: not listening)."""
        receiver = self._receiver
        return receiver.port if receiver is not None else None

    def status(self) -> dict[str, object]:
        """``listening``, ``error`` (why it does not listen, ``""``), the receiver's
        own stats, and ``stored`` / ``queue_dropped`` of the intake."""
        receiver, intake = self._receiver, self._intake
        out: dict[str, object] = {"listening": receiver is not None, "error": self._error}
        if receiver is not None:
            out.update(receiver.stats())
        if intake is not None:
            out.update(stored=intake.stored, queue_dropped=intake.dropped)
        return out

    async def start(self, queue: StorageQueue) -> None:
        """Start listening (no-op when it does); messages go to ``queue``."""
        if self._receiver is not None:
            return
        settings = self._settings
        intake = SyslogIntake(queue, max_pending=settings.max_pending)
        receiver = SyslogReceiver(settings, self._addresses, intake.deliver)
        try:
            await receiver.start()
        except OSError as err:
            self._error = (f"cannot listen on {settings.bind} port {settings.port}: "
                           f"{err.strerror or err}")
            log.error("syslog receiver not started: %s", self._error)
            return
        self._error = ""
        self._receiver, self._intake = receiver, intake

    async def stop(self, identities: Callable[[], dict[int, str]]) -> None:
        """Stop listening and store what was received."""
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

    async def update_devices(self, devices: Iterable[DeviceConfig]) -> None:
        """Rebuild the source address map from the service's devices."""
        await self._addresses.update(KnownDevice(c.id, c.name, c.host) for c in devices)
