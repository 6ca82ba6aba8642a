"""Syslog lines stored by any collector's receiver, read back by the collector
polling their device (:class:`mikromon.storage.protocols.PushedLogSource`).

With several collectors sharing the fleet one receiver per machine takes every
router's lines and stores them (:mod:`mikromon.syslog.intake`); each collector
reads the new ``LogEntry`` rows past its cursor (the highest id it has read,
the rows of every device: an index range on the primary key, usually a few
rows), keeps those received by syslog of the devices it polls, and hands them to
its ``log`` rules as pushed lines, about once a second.

Ids are taken in the order rows are inserted; a receiver writes in one thread,
so its rows commit in id order. With receivers on two hosts at once, a row
inserted by one before a row of the other but committed after it may be passed
over (stored, but no alert from it).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from django.db.models import Max

from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import LogEntry
from mikromon.web.monitor.storage_inventory import SYSLOG_SOURCE

__all__ = ["BATCH", "PushedLogs"]

#: Rows read at most per call (the rest at the next call).
BATCH: Final = 5000


class PushedLogs:
    """Reads the syslog rows stored since the last call (see the module).

    Args:
        using: database alias.
    """

    def __init__(self, *, using: str = "default") -> None:
        self._using = using
        self._cursor: int | None = None

    def pushed_logs(self, device_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """The syslog rows of ``device_ids`` stored since the previous call, by
        device id, oldest first; none at the first call (it marks the start).

        Raises:
            DatabaseError: the database failed (the cursor stays).
        """
        usable_connection(self._using)
        entries = LogEntry.objects.using(self._using)
        if self._cursor is None:
            self._cursor = entries.aggregate(last=Max("id"))["last"] or 0
            return {}
        wanted = device_ids if isinstance(device_ids, (set, frozenset)) else set(device_ids)
        rows = list(entries.filter(id__gt=self._cursor).order_by("id")
                    .values_list("id", "device_id", "data")[:BATCH])
        out: dict[int, list[dict[str, Any]]] = {}
        for _pk, device_id, data in rows:
            if (device_id in wanted and isinstance(data, dict)
                    and data.get("source") == SYSLOG_SOURCE):
                out.setdefault(device_id, []).append(data)
        if rows:
            self._cursor = rows[-1][0]
        return out
