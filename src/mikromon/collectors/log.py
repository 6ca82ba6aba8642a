"""``/log`` (extended): the last 100 entries of the router's memory log.

Path: ``/log``, proplist ``time,topics,message``. The memory log is a ring
buffer (``memory-lines`` of the ``memory`` action in ``/system/logging/action``,
1000 by default) and the API print has no row limit, so the collector reads it
once a day and keeps the last :data:`LIMIT` rows. The buffer can be set far
larger, so ``count-only`` comes first: with more than :data:`ROW_LIMIT`
(20,000) lines nothing is printed and ``result.failures`` says so.

Example rows::

    {"time": "2025-12-09 11:40:27", "topics": "interface,info", "message": "lo link up"}
    {"time": "jul/19 14:27:01", "topics": "script,info", "message": "Ping testA: ..."}

(log.v7.json, 7.10+, and log.v6.json). ``time`` is a router-local time,
stored as UTC ISO text (``2025-12-09T09:40:27+00:00``). v6 (and v7 < 7.10) print
three shapes: ``HH:MM:SS`` (today), ``mon/DD HH:MM:SS`` (this year, no year!)
and ``mon/DD/YYYY HH:MM:SS``; 7.10+ prints ``YYYY-MM-DD HH:MM:SS`` (and, for
lines of today, possibly just ``HH:MM:SS``). ``/system/clock`` is read once
per tier run when the log has lines (:func:`mikromon.collectors.clock.router_clock`):
its ``gmt-offset`` (and zone) convert the times to UTC, its ``date`` gives the
day of ``HH:MM:SS`` lines and the year of ``mon/DD`` lines (the clock's year, or
the year before when that would put the line in the future). Without a
readable clock the times stay router-local (no zone) and the collector's UTC
date stands in for the router's.

Produces: inventory table ``logs``, ``append_only=True``, key ``time``,
``topics``, ``message`` (``.id`` restarts at ``*0`` after a reboot, so it is no
identity; two identical lines in the same second count once).
"""

from __future__ import annotations

import re
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.clock import router_clock
from mikromon.collectors.support import (
    Field,
    Values,
    bounded_reply,
    count,
    proplist,
    read,
    snapshot,
)
from mikromon.collectors.table_collectors import ROW_LIMIT, over_limit_message
from mikromon.collectors.table_view import TableView
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.dates import parse_datetime

PATH = "/log"
LIMIT: Final = 100
FIELDS = (Field("time"), Field("topics"), Field("message"))
KEY = ("time", "topics", "message")
__all__ = ["LIMIT", "ROW_LIMIT", "LogCollector", "log_time"]  # ROW_LIMIT: most lines printed
_NO_YEAR: Final = re.compile(r"(?:[A-Za-z]{3}/\d{1,2}\s+)?\d{1,2}:\d{2}:\d{2}", re.ASCII)


def log_time(text: str, today: str) -> str:
    """Return a log ``time`` as ISO text.

    Args:
        text: the router's ``time`` (any of the three v6 shapes or v7 ISO).
        today: the router's local date, ISO (``2023-07-20``).

    Raises:
        ValueParseError: the text is none of the known shapes.
    """
    text = text.strip()
    if not _NO_YEAR.fullmatch(text):
        return parse_datetime(text)
    day, _, clock = text.rpartition(" ")
    if not day:
        return parse_datetime(f"{today} {clock}")
    year = int(today[:4])
    iso = parse_datetime(f"{day.strip()}/{year} {clock}")
    if iso[:10] > today:
        iso = parse_datetime(f"{day.strip()}/{year - 1} {clock}")
    return iso


class LogCollector:
    """Reads the tail of the memory log each extended poll."""

    name = "log"
    tier = Tier.EXTENDED
    views = (TableView("logs", "Logs", (PATH,), ("time", "topics", "message")),)

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the log; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        lines = await count(client, ctx, result, PATH)
        if lines is None:
            return result
        if lines > ROW_LIMIT:
            result.failures.append(over_limit_message(
                self.name, PATH, ROW_LIMIT,
                "not read (lower /system/logging/action memory-lines to read the log)"))
            return result
        rows = await read(client, ctx, result, PATH, proplist(FIELDS),
                          limit=bounded_reply(ROW_LIMIT))
        if rows is None:
            return result
        ts = ctx.clock()
        tail = rows[-LIMIT:]
        clock = await router_clock(client, ctx, result) if tail else None
        today = (clock.today if clock and clock.today else ts.date()).isoformat()
        converted: list[Row] = []
        for row in tail:
            text = row.get("time", "")
            try:
                when: str | None = log_time(text, today)
            except ValueParseError as err:
                when = None  # never the router's text in a time column
                Values(PATH, result).bad("time", text, str(err), row.get("message", ""))
            converted.append({**row, "time": clock.to_utc(when) if clock and when else when})
        result.inventory.append(snapshot("logs", converted, FIELDS, KEY, ts, append_only=True,
                                         reader=Values(PATH, result)))
        return result
