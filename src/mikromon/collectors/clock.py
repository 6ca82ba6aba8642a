"""The router's own clock: reading ``/system/clock`` and turning the times the
router reports on its clock into UTC.

Which values are router-local times: ``last-link-up-time`` and
``last-link-down-time`` (``/interface``), ``time`` (``/log``),
``last-logged-in`` (``/user``), ``when`` (``/user/active``) and
``last-started`` (v7 ``/routing/bgp/session``). They carry no zone; the router
prints them in its local time (help.mikrotik.com "Clock": ``date`` and ``time``
"show current local time on the router"). DHCP ``expires-after``/``last-seen``
and neighbor ``age`` are durations, not clock times: they need no zone.

``/system/clock`` (one row; emulator :func:`mikromon.emulator.reconstructed.clock`,
help.mikrotik.com "Clock")::

    {"time": "11:02:00", "date": "jul/20/2023", "time-zone-autodetect": "true",
     "time-zone-name": "Europe/Riga", "gmt-offset": "+03:00", "dst-active": "true"}

``date`` is ``jul/20/2023`` on v6 and v7 < 7.10, ``2023-07-20`` on 7.10+.
``gmt-offset`` is the offset in use now, daylight saving included (``+03:00``;
some builds print seconds, ``10800``; both are read, see
:func:`mikromon.routeros.values.dates.parse_gmt_offset`). ``time-zone-name`` is
``manual`` or a TZ database name: when Python's zone database knows the name and
agrees with ``gmt-offset`` now, times are converted with that zone (a log line
from before a daylight-saving change gets the offset it had then); otherwise with
the fixed ``gmt-offset``.

The clock is read at most once per :data:`REFRESH_S` (the collectors of one tier
run share one read) and only by collectors that have such times to convert; it
is kept in :attr:`CollectContext.router_clock`. A router whose clock cannot be
read (path absent, an odd value) keeps its times as the router's local text
without a zone, as before: a value without ``+00:00`` is router-local.
"""

from __future__ import annotations

import dataclasses
import logging
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import read
from mikromon.collectors.table_collectors import TableCollector
from mikromon.domain.errors import PathAbsent, ValueParseError
from mikromon.domain.inventory import CollectResult, InventoryRow, InventorySnapshot
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.dates import parse_datetime, parse_gmt_offset
from mikromon.routeros.values.numbers import parse_bool

log = logging.getLogger(__name__)

PATH: Final = "/system/clock"
PROPLIST: Final = ("time", "date", "time-zone-name", "gmt-offset", "dst-active")
#: Seconds a clock reading is reused before ``/system/clock`` is asked again.
REFRESH_S: Final = 60.0

__all__ = ["PATH", "PROPLIST", "REFRESH_S", "LocalTimeTableCollector", "RouterClock",
           "clock_from_row", "localize", "localize_snapshot", "router_clock"]


@dataclass(frozen=True, slots=True)
class RouterClock:
    """What ``/system/clock`` said.

    Attributes:
        offset: ``gmt-offset``, the router's offset from UTC now (DST included);
            ``None`` when the row lacks it (then times cannot be converted, but
            :attr:`today` still dates the log).
        zone: ``time-zone-name`` (``manual`` or a TZ database name).
        dst: ``dst-active``.
        today: the router's local date (``date``); ``None`` when not sent.
        now: the router's local date and time (naive); ``None`` without ``time``.
    """

    offset: timedelta | None
    zone: str = "manual"
    dst: bool = False
    today: date | None = None
    now: datetime | None = None

    def tz(self) -> tzinfo | None:
        """Return the zone to convert with: the named zone when Python knows it and
        it has :attr:`offset` now, else the fixed offset; ``None`` without an offset."""
        if self.offset is None:
            return None
        if self.zone and self.zone != "manual":
            try:
                named = zoneinfo.ZoneInfo(self.zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                named = None
            if named is not None:
                probe = self.now or datetime.now(UTC).replace(tzinfo=None)
                if probe.replace(tzinfo=named).utcoffset() == self.offset:
                    return named
        return timezone(self.offset)

    def to_utc(self, local: str) -> str:
        """Return the router-local ISO text ``local`` (``2023-07-09T07:18:33``, as
        :func:`~mikromon.routeros.values.dates.parse_datetime` gives it) as UTC ISO text
        (``2023-07-09T04:18:33+00:00``). A bare date or text that is not such a
        time is returned unchanged.

        Raises:
            ValueParseError: never; odd text passes through.
        """
        if len(local) < 19 or "T" not in local:
            return local
        try:
            naive = datetime.fromisoformat(local)
        except ValueError:
            return local
        zone = self.tz()
        if naive.tzinfo is not None or zone is None:
            return local
        return naive.replace(tzinfo=zone).astimezone(UTC).isoformat()


def clock_from_row(row: Row) -> RouterClock:
    """Return the :class:`RouterClock` of a ``/system/clock`` row.

    Raises:
        ValueParseError: ``gmt-offset``, ``date`` or ``time`` present but malformed.
    """
    raw_offset = row.get("gmt-offset")
    offset = None if raw_offset is None else timedelta(seconds=parse_gmt_offset(raw_offset))
    today: date | None = None
    now: datetime | None = None
    if row.get("date"):
        today = date.fromisoformat(parse_datetime(row["date"])[:10])
        if row.get("time"):
            now = datetime.fromisoformat(parse_datetime(f"{row['date']} {row['time']}"))
    dst = row.get("dst-active", "")
    return RouterClock(
        offset=offset, zone=row.get("time-zone-name", "") or "manual",
        dst=parse_bool(dst) if dst else False, today=today, now=now,
    )


async def router_clock(
    client: RouterOSClient, ctx: CollectContext, result: CollectResult
) -> RouterClock | None:
    """Return the router's clock, reading ``/system/clock`` when the context has
    no reading younger than :data:`REFRESH_S` (monotonic seconds).

    The reading (or ``None`` when the path is absent or the row is malformed) is
    kept in ``ctx.router_clock`` / ``ctx.router_clock_mono``; a newly absent path
    goes to ``result.absent``.

    Raises:
        DeviceError: any other failure of the client.
    """
    mono = ctx.monotonic()
    if ctx.router_clock_mono is not None and mono - ctx.router_clock_mono < REFRESH_S:
        return ctx.router_clock
    clock: RouterClock | None = None
    try:
        rows = await read(client, ctx, result, PATH, PROPLIST)
    except PathAbsent:  # pragma: no cover - read() reports it in result.absent
        rows = None
    if rows:
        try:
            clock = clock_from_row(rows[0])
        except ValueParseError as err:
            log.debug("%s: /system/clock not understood: %s", ctx.device, err)
    ctx.router_clock = clock
    ctx.router_clock_mono = mono
    return clock


def localize(
    rows: Iterable[InventoryRow], columns: Sequence[str], clock: RouterClock | None
) -> list[InventoryRow]:
    """Return ``rows`` with the router-local ISO text in ``columns`` converted to UTC.

    ``None``, bare dates and text that is no time stay as they are; without a
    clock nothing changes (the values stay router-local, without a zone).
    """
    if clock is None:
        return list(rows)
    out: list[InventoryRow] = []
    for row in rows:
        changed = {c: clock.to_utc(v) for c in columns if isinstance(v := row.get(c), str)}
        out.append({**row, **changed} if changed else row)
    return out


def localize_snapshot(snap: InventorySnapshot, columns: Sequence[str],
                      clock: RouterClock | None) -> InventorySnapshot:
    """Return ``snap`` with :func:`localize` applied to its rows."""
    if clock is None:
        return snap
    return dataclasses.replace(snap, rows=localize(snap.rows, columns, clock))


class LocalTimeTableCollector(TableCollector):
    """A :class:`~mikromon.collectors.table_collectors.TableCollector` whose ``local_times``
    columns are router-local times, stored in UTC (:func:`localize`).

    ``/system/clock`` is read only when the table has rows.
    """

    def __init__(self, *args: object, local_times: Sequence[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.local_times = tuple(local_times)

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Print the table, then convert its local times.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = await super().collect(client, ctx)
        if any(snap.rows for snap in result.inventory):
            clock = await router_clock(client, ctx, result)
            result.inventory = [localize_snapshot(snap, self.local_times, clock)
                                for snap in result.inventory]
        return result
