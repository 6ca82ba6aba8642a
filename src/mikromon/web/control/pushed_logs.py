"""Syslog lines stored by any collector's receiver, read back by the collector
polling their device (:class:`mikromon.storage.protocols.PushedLogSource`).

With several collectors sharing the fleet one receiver per machine takes every
router's lines and stores them (:mod:`mikromon.syslog.intake`); each collector
reads the new ``LogEntry`` rows past its cursor (the highest id it has read,
the rows of every device: an index range on the primary key, usually a few
rows), keeps those received by syslog of the devices it polls, and hands them to
its ``log`` rules as pushed lines, about once a second.

Ids are taken when rows are inserted, and rows are seen when they commit: with
several writers (the receiver's lines, every member's rows read from ``/log``)
a row can commit after one with a higher id was read. The ids skipped over are
therefore kept waiting (up to :data:`MAX_WAITING` of them) and looked for again
at each call for :data:`WAIT_S` seconds, longer than a writer's transaction; an
id still missing then belongs to an insert rolled back, or to a sequence's gap,
and is given up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any, Final

from django.db.models import Max

from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import LogEntry
from mikromon.web.monitor.storage_inventory import SYSLOG_SOURCE

__all__ = ["BATCH", "MAX_WAITING", "WAIT_S", "PushedLogs"]

#: Rows read at most per call (the rest at the next call).
BATCH: Final = 5000
#: Seconds an id skipped over is looked for again (see the module).
WAIT_S: Final = 60.0
#: Ids skipped over kept waiting at most (the oldest given up first).
MAX_WAITING: Final = 1000


class PushedLogs:
    """Reads the syslog rows stored since the last call (see the module).

    Args:
        using: database alias.
    """

    def __init__(self, *, using: str = "default",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._using = using
        self._clock = clock
        self._cursor: int | None = None
        self._waiting: dict[int, float] = {}  # id skipped over -> when first missed

    @property
    def waiting_ids(self) -> set[int]:
        """The ids skipped over and still looked for (see the module)."""
        return set(self._waiting)

    def pushed_logs(self, device_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """The syslog rows of ``device_ids`` stored since the previous call, by
        device id, oldest first (a row committed late after the newer ones); none
        at the first call (it marks the start).

        Raises:
            DatabaseError: the database failed (the cursor stays).
        """
        usable_connection(self._using)
        entries = LogEntry.objects.using(self._using)
        if self._cursor is None:
            self._cursor = entries.aggregate(last=Max("id"))["last"] or 0
            return {}
        wanted = device_ids if isinstance(device_ids, (set, frozenset)) else set(device_ids)
        fields = ("id", "device_id", "data")
        late = list(entries.filter(id__in=list(self._waiting)).order_by("id")
                    .values_list(*fields)) if self._waiting else []
        rows = list(entries.filter(id__gt=self._cursor).order_by("id")
                    .values_list(*fields)[:BATCH])
        now = self._clock()
        for pk, _device, _data in late:
            del self._waiting[pk]
        self._waiting = {pk: since for pk, since in self._waiting.items()
                         if now - since < WAIT_S}
        expected = self._cursor + 1
        for pk, _device, _data in rows:
            for skipped in range(max(expected, pk - MAX_WAITING), pk):
                self._waiting[skipped] = now
            expected = pk + 1
        if len(self._waiting) > MAX_WAITING:
            self._waiting = dict(sorted(self._waiting.items())[-MAX_WAITING:])
        out: dict[int, list[dict[str, Any]]] = {}
        for _pk, device_id, data in late + rows:
            if (device_id in wanted and isinstance(data, dict)
                    and data.get("source") == SYSLOG_SOURCE):
                out.setdefault(device_id, []).append(data)
        if rows:
            self._cursor = rows[-1][0]
        return out
