"""Reading a device's inventory tables: their rows, their row counts, which
tables the router lacks, and the dashboard tabs for them.

Which tables exist and how they are shown is :mod:`mikromon.web.monitor.tables`
(taken from the collectors' declarations).

A table is *absent* on a router when the collector reported one of its RouterOS
paths missing (the ``path`` of a ``path_absent`` event) since
the router's last RouterOS version change, and the table has no rows: the pages
then say "Not on this router" rather than "Nothing collected yet".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count

from mikromon.domain.events import EventKind
from mikromon.routeros.values.versions import version_hint
from mikromon.web.monitor.models import Device, Event, InventoryItem, InventorySync, LogEntry
from mikromon.web.monitor.tables import (
    DURATION_COLUMNS,
    HIDDEN_COLUMNS,
    LOGS,
    TABLES,
    TABS,
    TableInfo,
    collected_hint,
    table_info,
)

#: Most log lines returned (newest first).
MAX_LOG_ROWS = 1000


def is_blank_row(row: Mapping[str, Any]) -> bool:
    """Whether a row has no value: every field ``None``, ``''`` or ``False`` (a CHR's
    ``/system/routerboard`` answers ``routerboard=false`` and nothing else)."""
    return all(v is None or v == "" or v is False for v in row.values())


def table_exists(name: str) -> bool:
    """Whether ``name`` is a table the pages know or one stored for any device."""
    return name in TABLES or InventoryItem.objects.filter(table=name).exists()


def major_version(version: str) -> int | None:
    """Return the major number of a RouterOS version text (``"7.16.2 (stable)"`` -> 7),
    ``None`` when it names none (:func:`mikromon.routeros.values.versions.version_hint`)."""
    parts = version_hint(version)
    return parts[0] if parts else None


def absent_paths(device: Device) -> set[str]:
    """Return the RouterOS paths the collector reported missing on ``device`` since
    its last RouterOS version change (the ``path`` of its ``path_absent`` events)."""
    events = Event.objects.filter(device=device)
    since = (events.filter(kind=EventKind.VERSION_CHANGED.value).order_by("-ts")
             .values_list("ts", flat=True).first())
    absent = events.filter(kind=EventKind.PATH_ABSENT.value)
    if since is not None:
        absent = absent.filter(ts__gte=since)
    return set(absent.exclude(path="").order_by().values_list("path", flat=True).distinct())


def missing_path(info: TableInfo, absent: Collection[str], major: int | None) -> str | None:
    """Return the path that makes ``info`` absent on a router (``absent``: its absent
    paths; ``major``: its RouterOS major version or ``None``), else ``None``.
    A table of another major version is never absent: it is not asked."""
    if info.major is not None and major is not None and info.major != major:
        return None
    return next((p for p in info.paths if p in absent), None)


def absent_tables(device: Device) -> dict[str, str]:
    """Return table name -> missing path, for the tables ``device`` does not have."""
    paths = absent_paths(device)
    if not paths:
        return {}
    major = major_version(device.ros_version)
    out = {}
    for name, info in TABLES.items():
        path = missing_path(info, paths, major)
        if path is not None:
            out[name] = path
    return out


def row_counts(device: Device) -> dict[str, int]:
    """Return table name -> rows currently reported (gone rows excluded), logs included.

    A table whose only row is blank (:func:`is_blank_row`) is left out (one more query,
    reading just those rows); blank rows among others are dropped when read.
    """
    items = InventoryItem.objects.filter(device=device, gone=False)
    counts = dict(
        items.values_list("table").annotate(n=Count("id")).values_list("table", "n")
    )
    single = [table for table, n in counts.items() if n == 1]
    if single:
        for table, data in items.filter(table__in=single).values_list("table", "data"):
            if is_blank_row(data or {}):
                del counts[table]
    logs = LogEntry.objects.filter(device=device).count()
    if logs:
        counts[LOGS] = logs
    return counts


@dataclass(frozen=True, slots=True)
class TabView:
    """A tab as rendered: which table it shows and how many rows it has."""

    slug: str
    label: str
    table: str
    count: int
    hint: str
    absent: bool = False


def tabs_for(counts: Mapping[str, int], absent: Mapping[str, str] | None = None,
             major: int | None = None) -> list[TabView]:
    """Return the dashboard tabs for a device.

    Args:
        counts: table -> rows (:func:`row_counts`).
        absent: table -> missing path (:func:`absent_tables`).
        major: the router's RouterOS major version, if known.

    A tab shows its first table with rows, else its first table for the router's
    major version that is not absent, else its first table. It is *absent* ("Not on
    this router") when it has no rows and every table of it for that version is
    absent. Tables not in any tab (a collector added later) get a tab of their own.
    """
    absent = absent or {}
    out: list[TabView] = []
    known: set[str] = set()
    for tab in TABS:
        known.update(tab.tables)
        mine = [t for t in tab.tables
                if major is None or table_info(t).major in (None, major)] or list(tab.tables)
        table = next((t for t in tab.tables if counts.get(t)), None) or next(
            (t for t in mine if t not in absent), mine[0])
        count = counts.get(table, 0)
        gone = not count and all(t in absent for t in mine)
        if count or tab.always:
            info = table_info(table)
            out.append(TabView(tab.slug, tab.label, table, count, collected_hint(info), gone))
    for table, count in sorted(counts.items()):
        if table not in known and count:
            info = table_info(table)
            out.append(TabView(table, info.label, table, count, collected_hint(info)))
    return out


def ordered_columns(preferred: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the columns to show: ``preferred`` ones that occur, then the others in
    first-seen order (:data:`HIDDEN_COLUMNS` left out)."""
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    first = [c for c in preferred if c in seen]
    return first + [c for c in seen if c not in first and c not in HIDDEN_COLUMNS]


@dataclass(frozen=True, slots=True)
class TableRows:
    """Rows of one inventory table of one device.

    Attributes:
        table: table name.
        label: title.
        columns: column order.
        rows: the rows (field -> value as stored: str, int, float, bool, None).
        updated: when the table was last read, UTC (the newer of its
            :class:`InventorySync` time and its rows' ``last_seen``, logs: ``seen_at``),
            also when the router reported no rows; ``None``: never read.
        empty_text: what to show when there are no rows.
        absent: the router has no such table (see the module docstring).
        durations: the columns holding durations in seconds (:data:`DURATION_COLUMNS`).
    """

    table: str
    label: str
    columns: list[str]
    rows: list[dict[str, Any]]
    updated: datetime | None
    empty_text: str
    absent: bool = False
    durations: list[str] = field(default_factory=list)


def read_table(device: Device, table: str, *, include_gone: bool = False) -> TableRows:
    """Return the rows of ``table`` for ``device`` (logs: the newest
    :data:`MAX_LOG_ROWS` by the router's time, which the collector stores in UTC)."""
    info = table_info(table)
    hint = collected_hint(info)
    empty = "Nothing collected yet" + (f" ({hint})." if hint else ".")
    updated: datetime | None = None
    rows: list[dict[str, Any]]
    if table == LOGS:
        entries = list(
            # Router time order (UTC ISO text sorts as time), newest first; lines
            # kept from before times were converted (no zone) sort among them by date.
            LogEntry.objects.filter(device=device)
            .order_by("-time", "-seen_at", "-id")[:MAX_LOG_ROWS]
        )
        rows = []
        for e in entries:
            row: dict[str, Any] = {"time": e.time, "topics": e.topics, "message": e.message}
            for k, v in (e.data or {}).items():
                row.setdefault(k, v)
            rows.append(row)
        updated = entries[0].seen_at if entries else None
    else:
        qs = InventoryItem.objects.filter(device=device, table=table)
        if not include_gone:
            qs = qs.filter(gone=False)
        items = list(qs.order_by("key").values_list("data", "last_seen", "gone"))
        rows = []
        for data, last_seen, gone in items:
            row = dict(data or {})
            if is_blank_row(row):
                continue
            if include_gone:
                row["_gone"] = gone
            rows.append(row)
            if updated is None or last_seen > updated:
                updated = last_seen
    synced = (
        InventorySync.objects.filter(device=device, table=table)
        .values_list("synced_at", flat=True).first()
    )
    if synced is not None and (updated is None or synced > updated):
        updated = synced
    if updated is not None and not rows:
        empty = "None reported: the router's table was empty when last read."
    missing = None
    if not rows and info.paths:
        missing = missing_path(info, absent_paths(device), major_version(device.ros_version))
    if missing is not None:
        empty = (f"Not on this router: it has no {missing}. The collector asks again "
                 "after a RouterOS version change.")
    columns = ordered_columns(info.columns, rows)
    durations = [c for c in columns if c in DURATION_COLUMNS and any(
        isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool) for r in rows)]
    return TableRows(
        table=table, label=info.label, columns=columns, rows=rows, updated=updated,
        empty_text=empty, absent=missing is not None, durations=durations,
    )
