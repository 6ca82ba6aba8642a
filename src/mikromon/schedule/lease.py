"""The collector service's hold on the database-wide collector lock: taken
before polling starts, renewed every ``refresh_s`` while polling, given up when
the service stops. Every lock call runs in the host worker thread (the lock
talks to the database).
"""

from __future__ import annotations

import logging
import time

from mikromon.schedule.worker import HostWorker
from mikromon.storage.protocols import CollectorLock

__all__ = ["LockLease", "NoLock"]

log = logging.getLogger("mikromon.schedule.service")


class NoLock:
    """The lock of a host that runs one collector by construction."""

    def acquire(self) -> bool:
        """Always taken."""
        return True

    def refresh(self) -> bool:
        """Never lost."""
        return True

    def release(self) -> None:
        """Nothing to give up."""
        return None


class LockLease:
    """Takes, renews and gives up one :class:`CollectorLock`.

    Args:
        lock: the lock (``None``: :class:`NoLock`).
        refresh_s: seconds between renewals (``None``: the lock's
            ``refresh_interval`` attribute when it has one, else 10).

    Attributes:
        lock: the lock (its ``close()``, if any, is the host worker's to call).
        held: whether this service holds it now.
    """

    def __init__(self, lock: CollectorLock | None, refresh_s: float | None) -> None:
        self.lock: CollectorLock = lock if lock is not None else NoLock()
        if refresh_s is None:
            refresh_s = float(getattr(lock, "refresh_interval", 10.0))
        self._refresh_s = refresh_s
        self.held = False
        self._waiting_logged = False
        self._next_refresh = 0.0

    async def acquire(self, host: HostWorker) -> bool:
        """Try to take the lock; logs once while another collector holds it."""
        try:
            got = bool(await host.call(self.lock.acquire, limit_s=30.0))
        except Exception:
            log.exception("taking the collector lock failed")
            got = False
        if got:
            self.held = True
            self._next_refresh = time.monotonic() + self._refresh_s
            log.info("collector lock acquired; polling starts")
        elif not self._waiting_logged:
            log.info("another collector is active on this database; waiting for its lock")
        self._waiting_logged = not got
        return got

    async def keep(self, host: HostWorker) -> bool:
        """Renew the lock when due; return ``False`` when it was lost (a failed
        renewal is logged and tried again at the next renewal)."""
        if time.monotonic() < self._next_refresh:
            return True
        self._next_refresh = time.monotonic() + self._refresh_s
        try:
            if not await host.call(self.lock.refresh, limit_s=30.0):
                return False
        except Exception:
            log.exception("renewing the collector lock failed; trying again")
        return True

    def lost(self) -> None:
        """Note that another collector took the lock over."""
        self.held = False
        log.warning("collector lock lost (another collector took over); polling "
                    "stopped, waiting to take it back")

    async def release(self, host: HostWorker) -> None:
        """Give the lock up when held; never raises."""
        if not self.held:
            return
        try:
            await host.call(self.lock.release, limit_s=5.0)
        except Exception:
            log.exception("releasing the collector lock failed")
        self.held = False
