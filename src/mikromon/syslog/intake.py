"""Syslog messages become the device's log rows.

A received message is stored as a row of the append-only ``logs`` inventory
table, like a line read from ``/log`` (:mod:`mikromon.collectors.log`): ``time``
(the router's time when the message carried one, else the receive time in
UTC), ``topics`` (``system,info,account``), ``message``, plus ``source`` =
``syslog``, ``severity`` and ``host``. The key is the same as for polled lines
(time, topics, message). The default format carries no time and the BSD
format no topics, so the copy read later from ``/log`` differs; the storage
skips a polled line already received by syslog (same message, compatible
topics, within a week:
:func:`mikromon.web.monitor.storage_inventory.received_by_syslog`), and the alert
engine never counts the same line twice (see
:meth:`mikromon.alerting.engine.AlertEngine.observe_logs`).

Rows are queued per device and handed to the storage queue in one snapshot per device
at each :meth:`SyslogIntake.flush` (the collector calls it twice a second), so
a burst of messages costs one database write per device, not one per line.

With several collectors sharing the fleet, the receiving collector gets the
lines of routers other collectors poll: they go to the store only (the writer),
not through its alert rules, and the collector polling each device reads them
back from the database for its ``log`` rules
(:class:`mikromon.storage.protocols.PushedLogSource`), so each device's alerts
stay with one engine and no line is counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from mikromon.collectors.log import KEY
from mikromon.domain.inventory import InventorySnapshot
from mikromon.syslog.parse import SyslogMessage

log = logging.getLogger(__name__)

__all__ = ["LOGS_TABLE", "SyslogIntake", "row_for"]

LOGS_TABLE: Final = "logs"


def row_for(msg: SyslogMessage, received: datetime) -> dict[str, Any]:
    """The ``logs`` row for ``msg`` received at ``received`` (UTC)."""
    when = msg.time or received.replace(tzinfo=None, microsecond=0).isoformat()
    return {"time": when, "topics": msg.topics_text, "message": msg.message,
            "source": "syslog", "severity": msg.severity, "host": msg.hostname}


class SyslogIntake:
    """Queues received messages and hands them to ``queue`` in batches.

    Args:
        queue: has ``put_inventory(device_id, snapshot)`` (the collector's storage
            queue: the writer, behind the alerting queue when alerts are on).
        max_pending: most rows queued between flushes; further messages are
            dropped until the next flush (counted in :attr:`dropped`).
        store_only: has ``put_inventory`` too (the writer itself): where the rows of
            devices not polled here go (``None``: everything goes to ``queue``).
        polled_here: whether this collector polls a device id (with ``store_only``).

    Attributes:
        stored: rows handed on; stored_only: of them, rows handed to
            ``store_only`` (devices not ``polled_here``); dropped: rows dropped at
            the ``max_pending`` bound.
    """

    def __init__(self, queue: Any, *, max_pending: int = 50_000, store_only: Any = None,
                 polled_here: Callable[[int], bool] | None = None) -> None:
        self._queue = queue
        self._store_only = store_only
        self._polled_here = polled_here
        self._max = max_pending
        self._pending: dict[int, list[dict[str, Any]]] = {}
        self._count = 0
        self.dropped = 0
        self.stored = 0
        self.stored_only = 0

    def deliver(self, device_id: int, msg: SyslogMessage, received: datetime) -> None:
        """Queue ``msg`` (a :data:`mikromon.syslog.receiver.Deliver`)."""
        if self._count >= self._max:
            self.dropped += 1
            return
        self._pending.setdefault(device_id, []).append(row_for(msg, received))
        self._count += 1

    def flush(self, now: datetime) -> int:
        """Hand the queued rows to the storage queue (one snapshot per device); return how many."""
        if not self._pending:
            return 0
        pending, self._pending, self._count = self._pending, {}, 0
        n = 0
        here, elsewhere = self._polled_here, self._store_only
        for device_id, rows in pending.items():
            if not rows:
                continue
            queue = self._queue
            if elsewhere is not None and here is not None and not here(device_id):
                queue = elsewhere
                self.stored_only += len(rows)
            queue.put_inventory(device_id, InventorySnapshot(
                table=LOGS_TABLE, rows=rows, key_fields=KEY, ts=now, append_only=True))
            n += len(rows)
        self.stored += n
        return n
