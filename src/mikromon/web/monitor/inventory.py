"""The inventory tables a device can have, how the pages name them, and reading
their rows.

Table names are those the collectors give their snapshots (``interfaces``,
``arp``, ``routes``...; see mikromon.collectors). Router log lines are stored
apart (:class:`~mikromon.web.monitor.models.LogEntry`) and read here as the
table ``logs``. A *tab* groups alternative tables of which a router has one
(BGP ``bgp_sessions`` on v7, ``bgp_peers`` on v6; ``wifi_clients`` on the v7
wifi package, ``wireless_clients`` on the legacy one).

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

#: The pseudo-table of router log lines.
LOGS = "logs"
#: Most log lines returned (newest first).
MAX_LOG_ROWS = 1000
#: Fields that the collectors store as durations in seconds (``parse_duration`` in
#: mikromon.collectors: DHCP leases, PPP, hotspot, wireless, BGP, OSPF, neighbors).
DURATION_COLUMNS = frozenset({
    "uptime", "age", "expires-after", "last-seen", "idle-time", "idle-timeout",
    "session-time-left", "keepalive-timeout", "last-activity", "hold-time", "adjacency",
    "timeout",
})
#: Fields holding byte counts or limits (``parse_int`` of RouterOS byte fields: simple
#: queues, firewall rules, hotspot, PPP, wireless, BGP). A field split into parts by
#: the collector (``bytes.upload``, ``bytes.tx``) is named by its part before the dot.
BYTE_COLUMNS = frozenset({
    "bytes", "bytes-in", "bytes-out", "limit-bytes-in", "limit-bytes-out",
    "limit-bytes-total", "remote.bytes", "local.bytes",
})
#: Fields holding bit rates in bits/s (``parse_bitrate``: simple queue limits,
#: wireless and wifi client rates).
BITRATE_COLUMNS = frozenset({
    "max-limit", "limit-at", "tx-rate", "rx-rate", "tx-bits-per-second", "rx-bits-per-second",
})
#: Columns never shown: RouterOS's internal item id (the rows keep it).
HIDDEN_COLUMNS = frozenset({".id"})
#: Unit -> the columns of numbers in that unit (what the pages format).
COLUMN_UNITS: dict[str, frozenset[str]] = {
    "bytes": BYTE_COLUMNS, "bits/s": BITRATE_COLUMNS, "seconds": DURATION_COLUMNS,
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


def is_blank_row(row: Mapping[str, Any]) -> bool:
    """Whether a row has no value: every field ``None``, ``''`` or ``False`` (a CHR's
    ``/system/routerboard`` answers ``routerboard=false`` and nothing else)."""
    return all(v is None or v == "" or v is False for v in row.values())


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
    """

    name: str
    label: str
    tier: str
    columns: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    major: int | None = None


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


#: Paths of the legacy wireless and the v7 wifi packages (the registration table is
#: asked first and is the path reported absent when the package is missing).
_WIRELESS = ("/interface/wireless/registration-table", "/interface/wireless")
_WIFI = ("/interface/wifi/registration-table", "/interface/wifi",
         "/interface/wifiwave2/registration-table", "/interface/wifiwave2")
#: The columns shown first in every wireless client table: one schema whichever
#: package the router runs (mikromon.collectors._wireless.CLIENT_COLUMNS).
_CLIENT_COLUMNS = ("interface", "ap", "mac-address", "ssid", "signal", "tx-rate", "rx-rate",
                   "uptime")

TABLES: dict[str, TableInfo] = {
    t.name: t
    for t in (
        TableInfo("interfaces", "Interfaces", "medium",
                  ("name", "type", "running", "disabled", "mac-address", "mtu", "comment"),
                  paths=("/interface",)),
        TableInfo("simple_queues", "Queues", "medium",
                  ("name", "target", "max-limit", "limit-at", "bytes", "packets", "dropped"),
                  paths=("/queue/simple",)),
        TableInfo("dhcp_leases", "DHCP leases", "medium",
                  ("address", "mac-address", "host-name", "status", "server", "expires-after"),
                  paths=("/ip/dhcp-server/lease",)),
        TableInfo("ppp_active", "PPP sessions", "medium",
                  ("name", "service", "caller-id", "address", "uptime"),
                  paths=("/ppp/active",)),
        TableInfo("hotspot_active", "Hotspot users", "medium",
                  ("user", "address", "mac-address", "uptime", "bytes-in", "bytes-out"),
                  paths=("/ip/hotspot/active",)),
        TableInfo("arp", "ARP", "long", ("address", "mac-address", "interface", "status"),
                  paths=("/ip/arp",)),
        TableInfo("ip_addresses", "Addresses", "long",
                  ("address", "network", "interface", "dynamic", "disabled"),
                  paths=("/ip/address",)),
        TableInfo("routes", "Routes", "long",
                  ("dst-address", "gateway", "distance", "routing-table", "active"),
                  paths=("/ip/route",)),
        TableInfo("firewall_filter", "Firewall filter", "long",
                  ("chain", "action", "bytes", "packets", "protocol", "src-address",
                   "dst-address", "in-interface", "out-interface", "comment"),
                  paths=("/ip/firewall/filter",)),
        TableInfo("firewall_nat", "Firewall NAT", "long",
                  ("chain", "action", "bytes", "packets", "protocol", "src-address",
                   "dst-address", "to-addresses", "to-ports", "comment"),
                  paths=("/ip/firewall/nat",)),
        TableInfo("firewall_mangle", "Firewall mangle", "long",
                  ("chain", "action", "bytes", "packets", "new-routing-mark",
                   "new-connection-mark", "new-packet-mark", "comment"),
                  paths=("/ip/firewall/mangle",)),
        TableInfo("bgp_sessions", "BGP sessions", "extended",
                  ("name", "remote.address", "remote.as", "established", "prefix-count",
                   "uptime"), paths=("/routing/bgp/session",), major=7),
        TableInfo("bgp_peers", "BGP peers", "extended",
                  ("name", "remote-address", "remote-as", "state", "prefix-count", "uptime"),
                  paths=("/routing/bgp/peer",), major=6),
        TableInfo("bgp_connections", "BGP connections", "extended",
                  ("name", "as", "remote.address", "remote.as"),
                  paths=("/routing/bgp/connection",), major=7),
        TableInfo("ospf_neighbors", "OSPF neighbors", "extended",
                  ("router-id", "address", "interface", "state", "adjacency"),
                  paths=("/routing/ospf/neighbor",)),
        TableInfo("wireless_clients", "Wireless clients", "extended", _CLIENT_COLUMNS,
                  paths=_WIRELESS),
        TableInfo("wifi_clients", "Wireless clients", "extended", _CLIENT_COLUMNS,
                  paths=_WIFI, major=7),
        TableInfo("capsman_clients", "CAPsMAN clients", "extended", _CLIENT_COLUMNS,
                  paths=("/caps-man/registration-table",)),
        TableInfo("capsman_interfaces", "CAPsMAN interfaces", "extended",
                  ("name", "mac-address", "current-state", "current-channel",
                   "current-registered-clients", "disabled"),
                  paths=("/caps-man/registration-table",)),
        TableInfo("wireless_interfaces", "Wireless interfaces", "extended",
                  ("name", "ssid", "mode", "band", "frequency", "running"), paths=_WIRELESS),
        TableInfo("wifi_interfaces", "Wireless interfaces", "extended",
                  ("name", "configuration.ssid", "configuration.mode", "channel.band",
                   "running"), paths=_WIFI, major=7),
        TableInfo(LOGS, "Logs", "extended", ("time", "topics", "message"), paths=("/log",)),
        TableInfo("users", "Users", "extended",
                  ("name", "group", "address", "last-logged-in", "disabled"), paths=("/user",)),
        TableInfo("user_sessions", "User sessions", "extended",
                  ("name", "when", "address", "via", "group"), paths=("/user/active",)),
        TableInfo("ip_services", "Services", "extended",
                  ("name", "port", "address", "disabled", "certificate"),
                  paths=("/ip/service",)),
        TableInfo("neighbors", "Neighbors", "extended",
                  ("interface", "identity", "address", "mac-address", "platform", "board",
                   "version", "discovered-by"), paths=("/ip/neighbor",)),
        TableInfo("health_states", "Health states", "realtime", ("name", "state"),
                  paths=("/system/health",)),
        TableInfo("routerboard", "Routerboard", "extended",
                  ("model", "serial-number", "current-firmware", "upgrade-firmware"),
                  paths=("/system/routerboard",)),
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
    Tab("capsman", "CAPsMAN clients", ("capsman_clients",), always=False),
    Tab("caps", "CAPsMAN interfaces", ("capsman_interfaces",), always=False),
    Tab("wlan", "Wireless interfaces", ("wifi_interfaces", "wireless_interfaces"),
        always=False),
    Tab("logs", "Logs", (LOGS,)),
    Tab("users", "Users", ("users",)),
    Tab("sessions", "User sessions", ("user_sessions",), always=False),
    Tab("services", "Services", ("ip_services",)),
    Tab("neighbors", "Neighbors", ("neighbors",)),
    Tab("routerboard", "Routerboard", ("routerboard",), always=False),
    Tab("health", "Health states", ("health_states",), always=False),
)

TIER_WORDS = {
    "realtime": "every few seconds", "short": "every minute", "medium": "every 5 minutes",
    "long": "every hour", "extended": "once a day",
}


def table_info(name: str) -> TableInfo:
    """Return how ``name`` is shown (a generic entry for tables not listed here)."""
    return TABLES.get(name) or TableInfo(name, name.replace("_", " ").capitalize(), "")


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


def collected_hint(info: TableInfo) -> str:
    """Return "collected once a day (extended tier)" or '' for unknown tables."""
    if not info.tier:
        return ""
    return f"collected {TIER_WORDS[info.tier]}, {info.tier} tier"


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
