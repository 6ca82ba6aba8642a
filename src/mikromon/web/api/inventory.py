"""The inventory tables a device can have, how the pages name them, and reading
their rows.

Table names are those the collectors give their snapshots (``interfaces``,
``arp``, ``routes``...; see mikromon.collectors). Router log lines are stored
apart (:class:`~mikromon.web.monitor.models.LogEntry`) and read here as the
table ``logs``. A *tab* groups alternative tables of which a router has one
(BGP ``bgp_sessions`` on v7, ``bgp_peers`` on v6; ``wifi_clients`` on the v7
wifi package, ``wireless_clients`` on the legacy one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count

from mikromon.web.monitor.models import Device, InventoryItem, LogEntry

#: The pseudo-table of router log lines.
LOGS = "logs"
#: Most log lines returned (newest first).
MAX_LOG_ROWS = 1000


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One inventory table as the pages show it.

    Attributes:
        name: snapshot table name.
        label: title for people.
        tier: tier that collects it (for the "collected every ..." hint).
        columns: preferred leading columns; other fields follow in first-seen order.
    """

    name: str
    label: str
    tier: str
    columns: tuple[str, ...] = ()


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


TABLES: dict[str, TableInfo] = {
    t.name: t
    for t in (
        TableInfo("interfaces", "Interfaces", "medium",
                  ("name", "type", "running", "disabled", "mac-address", "mtu", "comment")),
        TableInfo("simple_queues", "Queues", "medium",
                  ("name", "target", "max-limit", "limit-at", "bytes", "packets", "dropped")),
        TableInfo("dhcp_leases", "DHCP leases", "medium",
                  ("address", "mac-address", "host-name", "status", "server", "expires-after")),
        TableInfo("ppp_active", "PPP sessions", "medium",
                  ("name", "service", "caller-id", "address", "uptime")),
        TableInfo("hotspot_active", "Hotspot users", "medium",
                  ("user", "address", "mac-address", "uptime", "bytes-in", "bytes-out")),
        TableInfo("arp", "ARP", "long", ("address", "mac-address", "interface", "status")),
        TableInfo("ip_addresses", "Addresses", "long",
                  ("address", "network", "interface", "dynamic", "disabled")),
        TableInfo("routes", "Routes", "long",
                  ("dst-address", "gateway", "distance", "routing-table", "active")),
        TableInfo("firewall_filter", "Firewall filter", "long",
                  ("chain", "action", "bytes", "packets", "protocol", "src-address",
                   "dst-address", "in-interface", "out-interface", "comment")),
        TableInfo("firewall_nat", "Firewall NAT", "long",
                  ("chain", "action", "bytes", "packets", "protocol", "src-address",
                   "dst-address", "to-addresses", "to-ports", "comment")),
        TableInfo("firewall_mangle", "Firewall mangle", "long",
                  ("chain", "action", "bytes", "packets", "new-routing-mark",
                   "new-connection-mark", "new-packet-mark", "comment")),
        TableInfo("bgp_sessions", "BGP sessions", "extended",
                  ("name", "remote.address", "remote.as", "established", "prefix-count",
                   "uptime")),
        TableInfo("bgp_peers", "BGP peers", "extended", ("name", "remote-address", "remote-as",
                                                         "state", "prefix-count", "uptime")),
        TableInfo("bgp_connections", "BGP connections", "extended",
                  ("name", "as", "remote.address", "remote.as")),
        TableInfo("ospf_neighbors", "OSPF neighbors", "extended",
                  ("router-id", "address", "interface", "state", "adjacency")),
        TableInfo("wireless_clients", "Wireless clients", "extended",
                  ("interface", "mac-address", "last-ip", "signal-strength", "tx-rate",
                   "rx-rate", "uptime")),
        TableInfo("wifi_clients", "Wireless clients", "extended",
                  ("interface", "mac-address", "ssid", "signal", "tx-rate", "rx-rate",
                   "uptime")),
        TableInfo("wireless_interfaces", "Wireless interfaces", "extended",
                  ("name", "ssid", "mode", "band", "frequency", "running")),
        TableInfo("wifi_interfaces", "Wireless interfaces", "extended",
                  ("name", "configuration.ssid", "configuration.mode", "channel.band",
                   "running")),
        TableInfo(LOGS, "Logs", "extended", ("time", "topics", "message")),
        TableInfo("users", "Users", "extended",
                  ("name", "group", "address", "last-logged-in", "disabled")),
        TableInfo("user_sessions", "User sessions", "extended",
                  ("name", "when", "address", "via", "group")),
        TableInfo("ip_services", "Services", "extended",
                  ("name", "port", "address", "disabled", "certificate")),
        TableInfo("neighbors", "Neighbors", "extended",
                  ("interface", "identity", "address", "mac-address", "platform", "board",
                   "version", "discovered-by")),
        TableInfo("routerboard", "Routerboard", "extended",
                  ("model", "serial-number", "current-firmware", "upgrade-firmware")),
    )
}

TABS: tuple[Tab, ...] = (
    Tab("interfaces", "Interfaces", ("interfaces",)),
    Tab("queues", "Queues", ("simple_queues",)),
    Tab("dhcp", "DHCP leases", ("dhcp_leases",)),
    Tab("ppp", "PPP sessions", ("ppp_active",)),
    Tab("hotspot", "Hotspot users", ("hotspot_active",)),
    Tab("arp", "ARP", ("arp",)),
    Tab("addresses", "Addresses", ("ip_addresses",)),
    Tab("routes", "Routes", ("routes",)),
    Tab("filter", "Firewall filter", ("firewall_filter",)),
    Tab("nat", "NAT", ("firewall_nat",)),
    Tab("mangle", "Mangle", ("firewall_mangle",)),
    Tab("bgp", "BGP", ("bgp_sessions", "bgp_peers")),
    Tab("bgp-conn", "BGP connections", ("bgp_connections",), always=False),
    Tab("ospf", "OSPF", ("ospf_neighbors",)),
    Tab("wireless", "Wireless clients", ("wifi_clients", "wireless_clients")),
    Tab("wlan", "Wireless interfaces", ("wifi_interfaces", "wireless_interfaces"),
        always=False),
    Tab("logs", "Logs", (LOGS,)),
    Tab("users", "Users", ("users",)),
    Tab("sessions", "User sessions", ("user_sessions",), always=False),
    Tab("services", "Services", ("ip_services",)),
    Tab("neighbors", "Neighbors", ("neighbors",)),
    Tab("routerboard", "Routerboard", ("routerboard",), always=False),
)

TIER_WORDS = {
    "realtime": "every few seconds", "short": "every minute", "medium": "every 5 minutes",
    "long": "every hour", "extended": "once a day",
}


def table_info(name: str) -> TableInfo:
    """Return how ``name`` is shown (a generic entry for tables not listed here)."""
    return TABLES.get(name) or TableInfo(name, name.replace("_", " ").capitalize(), "")


def row_counts(device: Device) -> dict[str, int]:
    """Return table name -> rows currently reported (gone rows excluded), logs included."""
    counts = dict(
        InventoryItem.objects.filter(device=device, gone=False)
        .values_list("table")
        .annotate(n=Count("id"))
        .values_list("table", "n")
    )
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


def tabs_for(counts: Mapping[str, int]) -> list[TabView]:
    """Return the dashboard tabs for a device with these row counts.

    Tables not in any tab (a collector added later) get a tab of their own.
    """
    out: list[TabView] = []
    known: set[str] = set()
    for tab in TABS:
        known.update(tab.tables)
        table = next((t for t in tab.tables if counts.get(t)), tab.tables[0])
        count = counts.get(table, 0)
        if count or tab.always:
            info = table_info(table)
            out.append(TabView(tab.slug, tab.label, table, count, collected_hint(info)))
    for table, count in sorted(counts.items()):
        if table not in known and count:
            info = table_info(table)
            out.append(TabView(table, info.label, table, count, collected_hint(info)))
    return out


def collected_hint(info: TableInfo) -> str:
    """Return "collected once a day (extended tier)" or '' for unknown tables."""
    if not info.tier:
        return ""
    return f"collected {TIER_WORDS[info.tier]}, {info.tier} tier"


def ordered_columns(preferred: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the columns to show: ``preferred`` ones that occur, then the others in
    first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for name in row:
            seen.setdefault(name, None)
    first = [c for c in preferred if c in seen]
    return first + [c for c in seen if c not in first]


@dataclass(frozen=True, slots=True)
class TableRows:
    """Rows of one inventory table of one device.

    Attributes:
        table: table name.
        label: title.
        columns: column order.
        rows: the rows (field -> value as stored: str, int, float, bool, None).
        updated: newest ``last_seen`` (logs: ``seen_at``) of the rows, UTC, or ``None``.
        empty_text: what to show when there are no rows.
    """

    table: str
    label: str
    columns: list[str]
    rows: list[dict[str, Any]]
    updated: datetime | None
    empty_text: str


def read_table(device: Device, table: str, *, include_gone: bool = False) -> TableRows:
    """Return the rows of ``table`` for ``device`` (logs: newest :data:`MAX_LOG_ROWS`)."""
    info = table_info(table)
    hint = collected_hint(info)
    empty = "Nothing collected yet" + (f" ({hint})." if hint else ".")
    updated: datetime | None = None
    rows: list[dict[str, Any]]
    if table == LOGS:
        entries = list(
            LogEntry.objects.filter(device=device).order_by("-seen_at", "-id")[:MAX_LOG_ROWS]
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
            if include_gone:
                row["_gone"] = gone
            rows.append(row)
            if updated is None or last_seen > updated:
                updated = last_seen
    return TableRows(
        table=table, label=info.label, columns=ordered_columns(info.columns, rows), rows=rows,
        updated=updated, empty_text=empty,
    )
