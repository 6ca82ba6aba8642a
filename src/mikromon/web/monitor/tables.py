"""The inventory tables a device can have and how the pages name them, taken
from the collectors' declarations.

Each collector declares its tables (``views``:
:class:`~mikromon.collectors.table_view.TableView`); here they become the
records the pages and the API read: :data:`TABLES` (table name ->
:class:`TableInfo`), the dashboard's :data:`TABS` and the column units
(:data:`COLUMN_UNITS`). Nothing about a table is written here: a new table
appears by declaring it on its collector and registering the collector
(:mod:`mikromon.collectors.registry`).

Router log lines are stored apart (:class:`~mikromon.web.monitor.models.LogEntry`)
and read as the table :data:`LOGS`. A *tab* groups alternative tables of which a
router has one (BGP ``bgp_sessions`` on v7, ``bgp_peers`` on v6; ``wifi_clients``
on the v7 wifi package, ``wireless_clients`` on the legacy one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mikromon.collectors.registry import DeclaredTable, table_views
from mikromon.collectors.table_view import UNITS

#: The pseudo-table of router log lines (declared by the ``/log`` collector).
LOGS = "logs"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One inventory table as the pages show it.

    Attributes:
        name: snapshot table name.
        label: title for people.
        tier: tier that collects it (for the "collected every ..." hint).
        columns: preferred leading columns; other fields follow in first-seen order.
        paths: RouterOS paths whose absence (a ``path_absent`` event) means the
            router has no such table (its package is not installed).
        major: the RouterOS major version having the table (6 or 7), ``None`` for both.
        sort: the column the dashboard sorts the table by when it loads, ``""``
            for the router's order.
    """

    name: str
    label: str
    tier: str
    columns: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    major: int | None = None
    sort: str = ""


@dataclass(frozen=True, slots=True)
class Tab:
    """A dashboard tab: alternative tables, the first one with rows is shown.

    Attributes:
        slug: id of the tab in the page.
        label: title.
        tables: candidate table names, preferred first.
        always: show the tab even when none of its tables has rows.
    """

    slug: str
    label: str
    tables: tuple[str, ...]
    always: bool = True


def _info(declared: DeclaredTable) -> TableInfo:
    view = declared.view
    return TableInfo(view.table, view.title, declared.tier.value, view.columns, view.paths,
                     view.major, view.sort)


def _tabs(declared: Iterable[DeclaredTable]) -> tuple[Tab, ...]:
    """Group the tables by their tab, in the order the tabs first appear."""
    tabs: dict[str, Tab] = {}
    for d in declared:
        tab = d.view.shown_tab()
        known = tabs.get(tab.slug)
        tables = (*known.tables, d.view.table) if known else (d.view.table,)
        tabs[tab.slug] = Tab(tab.slug, tab.label, tables, tab.always)
    return tuple(tabs.values())


def _units(declared: Iterable[DeclaredTable]) -> dict[str, frozenset[str]]:
    """Return unit -> the column names declared in that unit by any table."""
    names: dict[str, set[str]] = {unit: set() for unit in UNITS}
    for d in declared:
        for column, unit in d.view.units().items():
            names[unit].add(column)
    return {unit: frozenset(columns) for unit, columns in names.items()}


_DECLARED = table_views()

#: Table name -> how it is shown, in dashboard order.
TABLES: dict[str, TableInfo] = {d.view.table: _info(d) for d in _DECLARED}
#: The dashboard's tabs, in order.
TABS: tuple[Tab, ...] = _tabs(_DECLARED)
#: Unit -> the columns of numbers in that unit (what the pages format). A field
#: split into parts by the collector (``bytes.upload``) is named by its base.
COLUMN_UNITS: dict[str, frozenset[str]] = _units(_DECLARED)
#: Fields that the collectors store as durations in seconds.
DURATION_COLUMNS = COLUMN_UNITS["seconds"]
#: Columns never shown: RouterOS's internal item id (the rows keep it).
HIDDEN_COLUMNS = frozenset({".id"})

TIER_WORDS = {
    "realtime": "every few seconds", "short": "every minute", "medium": "every 5 minutes",
    "long": "every hour", "extended": "once a day",
}


def column_unit(name: str) -> str:
    """Return the unit of the numbers in column ``name``: ``"bytes"``, ``"bits/s"``,
    ``"seconds"`` or ``''`` (plain). A split field (``max-limit.upload``) has the
    unit of its base (``max-limit``)."""
    base = name.split(".", 1)[0]
    for unit, names in COLUMN_UNITS.items():
        if name in names or base in names:
            return unit
    return ""


def table_info(name: str) -> TableInfo:
    """Return how ``name`` is shown (a generic entry for tables not declared)."""
    return TABLES.get(name) or TableInfo(name, name.replace("_", " ").capitalize(), "")


def default_sorts() -> dict[str, str]:
    """Return table -> the column the dashboard sorts it by when it loads (tables
    kept in the router's order are left out)."""
    return {name: info.sort for name, info in TABLES.items() if info.sort}


def collected_hint(info: TableInfo) -> str:
    """Return "collected once a day (extended tier)" or '' for unknown tables."""
    if not info.tier:
        return ""
    return f"collected {TIER_WORDS[info.tier]}, {info.tier} tier"
