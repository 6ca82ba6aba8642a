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

from django.db.models import Count, Max

from mikromon.domain.events import EventKind
from mikromon.routeros.values.versions import version_hint
from mikromon.web.monitor.inventory_pages import (
    LOG_COLUMNS,
    TableQuery,
    check_sort,
    item_columns,
    item_page,
    item_query,
    log_page,
)
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
    """Rows of one inventory table of one device (a page of them when asked).

    Attributes:
        table: table name.
        label: title.
        columns: column order (of all the table's rows, not only those answered).
        rows: the rows (field -> value as stored: str, int, float, bool, None).
        updated: when the table was last read, UTC (the newer of its
            :class:`InventorySync` time and its rows' ``last_seen``, logs: ``seen_at``),
            also when the router reported no rows; ``None``: never read.
        empty_text: what to show when there are no rows.
        absent: the router has no such table (see the module docstring).
        durations: the columns holding durations in seconds (:data:`DURATION_COLUMNS`).
        count: rows matching the query's filter (all rows without one).
        total: all rows of the table.
        sort: the sort applied (``-`` in front: descending; ``''``: the router's order).
    """

    table: str
    label: str
    columns: list[str]
    rows: list[dict[str, Any]]
    updated: datetime | None
    empty_text: str
    absent: bool = False
    durations: list[str] = field(default_factory=list)
    count: int = 0
    total: int = 0
    sort: str = ""


def _log_rows(device: Device, query: TableQuery) -> tuple[list[dict[str, Any]], list[str],
                                                          int, int, str, datetime | None]:
    """Log lines as rows: ``(rows, columns, count, total, sort, updated)``."""
    entries, count, sort = log_page(device.pk, query, MAX_LOG_ROWS)
    rows = []
    for e in entries:
        row: dict[str, Any] = {"time": e.time, "topics": e.topics, "message": e.message}
        for k, v in (e.data or {}).items():
            row.setdefault(k, v)
        rows.append(row)
    logs = LogEntry.objects.filter(device=device)
    total = logs.count() if query.q else count
    updated = logs.aggregate(t=Max("seen_at"))["t"] if total else None
    return rows, ordered_columns(LOG_COLUMNS, rows), count, total, sort, updated


def read_table(device: Device, table: str, *, include_gone: bool = False,
               query: TableQuery | None = None) -> TableRows:
    """Return the rows of ``table`` for ``device``: those ``query`` asks for
    (:class:`~.inventory_pages.TableQuery`: filter, sort, page), by default every
    row in the table's default order (logs: the newest :data:`MAX_LOG_ROWS` by the
    router's time, which the collector stores in UTC).

    Raises:
        ParamError: the query's ``sort`` names no column of the table.
    """
    query = query or TableQuery()
    info = table_info(table)
    hint = collected_hint(info)
    empty = "Nothing collected yet" + (f" ({hint})." if hint else ".")
    if table == LOGS:
        rows, columns, count, total, sort, updated = _log_rows(device, query)
    else:
        qs = item_query(device.pk, table, include_gone=include_gone)
        present = item_columns(qs)
        check_sort(query.sort, sorted(present | set(info.columns)))
        page, count, sort = item_page(qs, query, info.sort)
        # Declared columns first, then the first row's in its order, then the rest.
        columns = ordered_columns(info.columns, [*(d for d, _ in page[:1]),
                                                 dict.fromkeys(sorted(present))])
        rows = []
        for data, gone in page:
            if include_gone:
                data["_gone"] = gone
            rows.append(data)
        total = qs.count() if query.q else count
        updated = qs.aggregate(t=Max("last_seen"))["t"] if total else None
    synced = (
        InventorySync.objects.filter(device=device, table=table)
        .values_list("synced_at", flat=True).first()
    )
    if synced is not None and (updated is None or synced > updated):
        updated = synced
    if updated is not None and not total:
        empty = "None reported: the router's table was empty when last read."
    elif total and not count:
        empty = f"No row contains {query.q!r}."
    missing = None
    if not total and info.paths:
        missing = missing_path(info, absent_paths(device), major_version(device.ros_version))
    if missing is not None:
        empty = (f"Not on this router: it has no {missing}. The collector asks again "
                 "after a RouterOS version change.")
    durations = [c for c in columns if c in DURATION_COLUMNS]
    return TableRows(
        table=table, label=info.label, columns=columns, rows=rows, updated=updated,
        empty_text=empty, absent=missing is not None, durations=durations,
        count=count, total=total, sort=sort,
    )
