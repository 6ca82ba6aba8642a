"""How an inventory table is shown: plain facts written once, beside the
collector that reads the table.

A collector that stores inventory tables lists them in its ``views``
attribute (a tuple of :class:`TableView`, empty for collectors of metrics
only). Everything the pages, the API and docs/api.md say about a table comes
from there (through :func:`mikromon.collectors.registry.table_views`): its
title, the RouterOS paths whose absence means the router has no such table,
the columns shown first, the units of its numbers, the column it is sorted by
when it loads and the dashboard tab it belongs to. The tier that reads it is
the collector's own.

No web framework here: mikromon.web turns these into its own records.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The units a column of numbers may be declared in (what the pages format).
UNITS = ("bytes", "bits/s", "seconds")


@dataclass(frozen=True, slots=True)
class Tab:
    """A dashboard tab: the tables that declare the same tab are alternatives of
    which a router has one (BGP ``bgp_sessions`` on v7, ``bgp_peers`` on v6), the
    first declared (in registry order) preferred.

    Attributes:
        slug: id of the tab in the page (``dhcp``).
        label: its title (``DHCP leases``).
        always: show the tab even when none of its tables has rows.
    """

    slug: str
    label: str
    always: bool = True


@dataclass(frozen=True, slots=True)
class TableView:
    """One inventory table as people see it.

    Attributes:
        table: the snapshot table name the collector stores (``arp``).
        title: human title (``ARP``).
        paths: the RouterOS paths read for it; a ``path_absent`` event for one of
            them means the router has no such table (its package is missing).
        columns: the columns shown first (RouterOS field names); the others
            follow in first-seen order.
        sort: the column the table is sorted by when it loads (``""``: the
            router's order, as for firewall rules, queues and logs).
        seconds: columns holding durations in seconds.
        bytes: columns holding byte counts (a split field by its base name:
            ``bytes`` covers ``bytes.tx``).
        bits_per_second: columns holding bit rates in bits/s.
        tab: the dashboard tab it belongs to; ``None``: a tab of its own, named
            like the table (slug ``table``, label ``title``).
        major: the RouterOS major version having the table (6 or 7), ``None``
            for both.

    Raises:
        ValueError: no paths, or ``sort`` is not one of ``columns``.
    """

    table: str
    title: str
    paths: tuple[str, ...]
    columns: tuple[str, ...] = ()
    sort: str = ""
    seconds: tuple[str, ...] = ()
    bytes: tuple[str, ...] = ()
    bits_per_second: tuple[str, ...] = ()
    tab: Tab | None = None
    major: int | None = None

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError(f"table {self.table}: no RouterOS path given")
        if self.sort and self.sort not in self.columns:
            raise ValueError(f"table {self.table}: sort column {self.sort!r} is not shown "
                             f"(columns {', '.join(self.columns)})")

    def shown_tab(self) -> Tab:
        """Return the tab the table is shown in (its own when none is declared)."""
        return self.tab or Tab(self.table, self.title)

    def units(self) -> dict[str, str]:
        """Return column -> unit (one of :data:`UNITS`) for its columns of numbers."""
        out = dict.fromkeys(self.seconds, "seconds")
        out.update(dict.fromkeys(self.bytes, "bytes"))
        out.update(dict.fromkeys(self.bits_per_second, "bits/s"))
        return out
