"""Fleet search: find a MAC or IP address, a PPP user, a DHCP host name, a
hotspot user, an interface or a device across every router's stored inventory.

Read by the API (``/api/v1/search``) and the search page; neither builds SQL.
:func:`parse_query` classifies the text the person typed (:class:`Query`),
:func:`search` answers it (:class:`SearchResult`).

Which fields are searched, and as what, is :data:`FIELDS` (RouterOS field
names of the tables the collectors declare, :mod:`mikromon.web.monitor.tables`):
MACs as RouterOS prints them (``4C:5E:0C:11:22:33``; PPPoE ``caller-id`` is the
client's MAC), IPv4/IPv6 addresses with or without a prefix length
(``10.0.0.1/24`` in ``/ip/address``), names as text. Devices match on their name,
``/system/identity`` and host.

How it reads: one pass over the inventory rows, narrowed in SQL by a
case-insensitive substring of the stored JSON text (``LIKE``) and then of the
searched fields (:func:`candidate_rows`); each candidate row is checked field
by field here (so a partial octet or another spelling of a MAC is decided in
one place). The pass stops after ``limit + 1`` hits. Its cost grows with the
number of stored rows: about a second for 2.5 million rows on SQLite
(bench/search.py, bench/RESULTS.md), above the 200 ms wanted; the index that
would meet it is described there.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.tables import TABS, table_info

#: Shortest and longest query text accepted, characters (after trimming spaces).
MIN_LENGTH = 2
MAX_LENGTH = 100
#: Most hits returned by default, and the largest limit a caller may ask.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

#: Kind -> heading, in the order results are grouped.
KINDS: dict[str, str] = {
    "device": "Devices",
    "mac": "MAC addresses",
    "ip": "IP addresses",
    "ppp_user": "PPP users",
    "dhcp_host": "DHCP host names",
    "hotspot_user": "Hotspot users",
    "interface": "Interfaces",
}

_CLIENT_TABLES = ("wifi_clients", "wireless_clients", "capsman_clients")

#: (table, RouterOS field, kind) searched in the inventory.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("arp", "mac-address", "mac"),
    ("dhcp_leases", "mac-address", "mac"),
    ("dhcp_leases", "active-mac-address", "mac"),
    ("neighbors", "mac-address", "mac"),
    ("ppp_active", "caller-id", "mac"),
    ("hotspot_active", "mac-address", "mac"),
    ("interfaces", "mac-address", "mac"),
    *((t, "mac-address", "mac") for t in _CLIENT_TABLES),
    ("arp", "address", "ip"),
    ("dhcp_leases", "address", "ip"),
    ("dhcp_leases", "active-address", "ip"),
    ("ip_addresses", "address", "ip"),
    ("neighbors", "address", "ip"),
    ("neighbors", "address4", "ip"),
    ("neighbors", "address6", "ip"),
    ("ppp_active", "address", "ip"),
    ("hotspot_active", "address", "ip"),
    ("ppp_active", "name", "ppp_user"),
    ("dhcp_leases", "host-name", "dhcp_host"),
    ("hotspot_active", "user", "hotspot_user"),
    ("interfaces", "name", "interface"),
    ("interfaces", "comment", "interface"),
)

#: Kinds searched as text (case-insensitive substring).
TEXT_KINDS = ("ppp_user", "dhcp_host", "hotspot_user", "interface")

_HEX12 = re.compile(r"^[0-9A-F]{12}$")
_MAC_SEPARATED = re.compile(r"^[0-9A-F]{1,2}([:-])[0-9A-F]{1,2}(?:\1[0-9A-F]{1,2}){0,4}$")
_CISCO_MAC = re.compile(r"^[0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}$")
_IPV4_PARTIAL = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){0,2}\.?$")


@dataclass(frozen=True, slots=True)
class Query:
    """What a search text is taken to mean.

    Attributes:
        text: the text as given, spaces trimmed.
        mac: a whole MAC, normalised to ``AA:BB:CC:DD:EE:FF`` (any case, ``-``,
            ``:``, ``.`` or no separators given), or ``None``.
        mac_part: part of a MAC written with separators (``4c:5e:0c``),
            normalised the same way, or ``None``.
        ip: an address or network (``10.0.0.5``, ``10.0.0.0/24``, ``fe80::1``)
            as an :mod:`ipaddress` network, or ``None``.
        ip_prefix: the leading octets of an IPv4 address (``10.1`` or ``10.1.``
            -> ``"10.1."``: matches 10.1.x.x, not 10.10.x.x), or ``None``.
    """

    text: str
    mac: str | None = None
    mac_part: str | None = None
    ip: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    ip_prefix: str | None = None

    def kinds(self) -> tuple[str, ...]:
        """Return the kinds this query is searched as: a whole MAC as a MAC, a
        whole address or network as an IP (and both as a device); part of a MAC,
        leading octets and anything else also as text (``ab-12`` may be a name)."""
        if self.mac:
            return ("device", "mac")
        if self.ip is not None:
            return ("device", "ip")
        out = ["device"]
        if self.mac_part:
            out.append("mac")
        if self.ip_prefix:
            out.append("ip")
        return (*out, *TEXT_KINDS)


@dataclass(frozen=True, slots=True)
class Hit:
    """One place a query was seen.

    Attributes:
        kind: one of :data:`KINDS`.
        device_id, device_name: the router.
        table: inventory table name (``""`` for a device hit).
        table_label: the table's title (``DHCP leases``), ``Device`` for a device hit.
        path: the RouterOS path read (``/ip/dhcp-server/lease``), ``""`` for a device.
        field: the matching field (``mac-address``; for a device ``name``,
            ``identity`` or ``host``).
        value: the field's value.
        key: the row's identity (key fields joined by ``" / "``).
        last_seen: when the router last reported the row (the device's last
            reply for a device hit), UTC, ``None`` when never.
        gone: the router no longer reports the row (``gone_at``: since when).
        tab: the device dashboard's tab showing the table (``""`` for a device).
    """

    kind: str
    device_id: int
    device_name: str
    table: str
    table_label: str
    path: str
    field: str
    value: str
    key: str
    last_seen: datetime | None
    gone: bool = False
    gone_at: datetime | None = None
    tab: str = ""


@dataclass(slots=True)
class SearchResult:
    """Hits grouped by kind (:data:`KINDS` order), and whether there were more
    than ``limit`` (``more``: only the first ``limit`` found are listed)."""

    query: Query
    limit: int
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    more: bool = False

    @property
    def count(self) -> int:
        """Number of hits listed."""
        return sum(len(hits) for hits in self.groups.values())


def normalise_mac(text: str) -> str | None:
    """Return ``text`` as ``AA:BB:CC:DD:EE:FF`` when it is a whole MAC written
    with ``:``, ``-``, ``.`` (``4c5e.0c11.2233``) or no separators, any case;
    ``None`` otherwise."""
    upper = text.strip().upper()
    digits = None
    if _HEX12.match(upper) or _CISCO_MAC.match(upper):
        digits = upper.replace(".", "")
    elif _MAC_SEPARATED.match(upper) and len(re.split("[:-]", upper)) == 6:
        digits = "".join(part.zfill(2) for part in re.split("[:-]", upper))
    if digits is None:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def parse_query(text: str) -> Query:
    """Return what ``text`` (already length-checked) is searched as."""
    text = text.strip()
    mac = normalise_mac(text)
    mac_part = None
    if mac is None and _MAC_SEPARATED.match(text.upper()):
        parts = re.split("[:-]", text.upper())
        mac_part = ":".join(p.zfill(2) if 0 < i < len(parts) - 1 else p
                            for i, p in enumerate(parts))
    ip: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    ip_prefix = None
    try:
        ip = ipaddress.ip_network(text, strict=False)
        if not _ip_needle(ip):
            ip = None  # 1.0.0.0/7, ::/64: too wide to narrow, searched as text
    except ValueError:
        if _IPV4_PARTIAL.match(text) and all(int(o) <= 255 for o in text.rstrip(".").split(".")):
            ip_prefix = text.rstrip(".") + "."
    return Query(text, mac, mac_part, ip, ip_prefix)


def _mac_matches(query: Query, value: str) -> bool:
    if query.mac is not None:
        return normalise_mac(value) == query.mac
    return query.mac_part is not None and query.mac_part in value.upper().replace("-", ":")


def _ip_matches(query: Query, value: str) -> bool:
    if query.ip_prefix is not None:
        return value.startswith(query.ip_prefix)
    if query.ip is None:
        return False
    try:
        address = ipaddress.ip_interface(value.strip()).ip
    except ValueError:
        return False
    return address.version == query.ip.version and address in query.ip


def _matches(query: Query, kind: str, value: object) -> bool:
    """Whether ``value`` (a stored field) is a hit for ``query`` as ``kind``."""
    if not isinstance(value, str) or not value:
        return False
    if kind == "mac":
        return _mac_matches(query, value)
    if kind == "ip":
        return _ip_matches(query, value)
    return query.text.casefold() in value.casefold()


def _needles(query: Query) -> dict[str, str]:
    """Return kind -> the text every hit of that kind holds (for the SQL filter)."""
    out = {kind: query.text for kind in TEXT_KINDS}
    if query.mac or query.mac_part:
        out["mac"] = query.mac or query.mac_part or ""
    if query.ip_prefix:
        out["ip"] = query.ip_prefix
    elif query.ip is not None:
        out["ip"] = _ip_needle(query.ip)
    return out


def _ip_needle(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    """Return the text every address of ``network`` holds as RouterOS prints it:
    an IPv4 network its whole leading octets (``10.1.``), ``""`` below /8."""
    if network.version == 6:
        return _ipv6_needle(network)
    octets = network.prefixlen // 8
    whole = str(network.network_address).split(".")[:octets]
    return ".".join(whole) if octets == 4 else "".join(o + "." for o in whole)


def _ipv6_needle(network: ipaddress.IPv6Network) -> str:
    """Return the text every address of ``network`` starts with as RouterOS
    prints it (compressed, lower case): a whole address as it is; a network its
    leading whole hextets up to the first zero one (``2001:db8:``), ``""`` when
    none (then each row is checked)."""
    if network.prefixlen == 128:
        return network.network_address.compressed
    lead = []
    for hextet in network.network_address.exploded.split(":")[:network.prefixlen // 16]:
        if hextet == "0000":
            break
        lead.append(hextet.lstrip("0") + ":")
    return "".join(lead)


def _stored(text: str) -> str:
    """Return ``text`` as it appears inside the stored JSON text: SQLite keeps
    Django's ``json.dumps`` (non-ASCII as ``\\uXXXX``), PostgreSQL's ``jsonb``
    prints characters as they are; both escape quotes and backslashes."""
    return json.dumps(text, ensure_ascii=connection.vendor != "postgresql")[1:-1]


def candidate_rows(query: Query, kinds: Iterable[str]) -> QuerySet[InventoryItem] | None:
    """Return the inventory rows that may hold a hit (``None``: no table to search).

    The SQL keeps rows whose JSON text holds one of the query's needles
    (:func:`_needles`; a cheap ``LIKE`` on the whole text first) and, of those,
    the rows whose searched fields hold it (a needle in a field name, or in a
    field not searched, is no candidate: ``ad`` is in every row's ``address``
    key). :func:`_row_hits` then decides. The table is compared as an expression,
    not the column: with the column, SQLite answers the ``OR`` through the index
    on (table, gone) and fetches most rows one random page read at a time,
    several times slower than one pass.
    """
    needles = _needles(query)
    by_field = Q()
    texts = set()
    for table, name, kind in FIELDS:
        if kind in kinds and kind in needles:
            term = Q(table_name=table)
            if needles[kind]:
                term &= Q(**{f"data__{name}__icontains": needles[kind]})
            by_field |= term
            texts.add(needles[kind])
    if not texts:
        return None
    condition = Q()
    if "" not in texts:
        for needle in sorted(texts):
            condition |= Q(data_text__icontains=_stored(needle))
    return (InventoryItem.objects.alias(data_text=Cast("data", TextField()),
                                        table_name=Concat(F("table"), Value("")))
            .filter(condition).filter(by_field).order_by()
            .only("id", "device_id", "table", "key", "data", "last_seen", "gone", "gone_at"))


#: Table name -> the dashboard tab showing it.
_TAB_OF = {table: tab.slug for tab in TABS for table in tab.tables}


def _row_hits(query: Query, row: InventoryItem, kinds: Iterable[str]) -> Iterator[Hit]:
    data = row.data if isinstance(row.data, dict) else {}
    info = table_info(row.table)
    done: set[str] = set()  # one hit per row and kind (a lease's mac and active mac)
    for table, name, kind in FIELDS:
        if (table == row.table and kind in kinds and kind not in done
                and _matches(query, kind, data.get(name))):
            done.add(kind)
            yield Hit(kind, row.device_id, "", row.table, info.label,
                      info.paths[0] if info.paths else "", name, str(data[name]),
                      row.key.replace("\x1f", " / "), row.last_seen, row.gone, row.gone_at,
                      _TAB_OF.get(row.table, ""))


def _device_hits(query: Query) -> Iterator[Hit]:
    text = query.text
    devices = (Device.objects.filter(Q(name__icontains=text) | Q(identity__icontains=text)
                                     | Q(host__icontains=text))
               .order_by("name").only("id", "name", "identity", "host", "last_seen"))
    for device in devices.iterator():
        for name in ("name", "identity", "host"):
            value = getattr(device, name)
            if value and text.casefold() in value.casefold():
                yield Hit("device", device.pk, device.name, "", "Device", "", name, value,
                          device.name, device.last_seen)
                break


def _sort_key(hit: Hit) -> tuple[str, str, str, str]:
    return (hit.device_name.casefold(), hit.table, hit.key, hit.field)


def search(query: Query, limit: int = DEFAULT_LIMIT) -> SearchResult:
    """Return the hits of ``query``, at most ``limit`` (``more`` set when there
    were others), grouped by kind and sorted by device, table and key.

    Hits in gone rows are listed (with ``gone``): a MAC seen yesterday is an answer.
    """
    kinds = query.kinds()
    found: list[Hit] = []
    found.extend(_device_hits(query))
    more = len(found) > limit
    rows = None if more else candidate_rows(query, kinds)
    for row in rows.iterator(chunk_size=500) if rows is not None else ():
        found.extend(_row_hits(query, row, kinds))
        if len(found) > limit:
            more = True
            break
    found = found[:limit]
    names = dict(Device.objects.filter(pk__in={h.device_id for h in found})
                 .values_list("id", "name"))
    result = SearchResult(query, limit, more=more)
    for hit in found:
        if not hit.device_name:
            hit = _renamed(hit, names.get(hit.device_id, f"#{hit.device_id}"))
        result.groups.setdefault(hit.kind, []).append(hit)
    result.groups = {kind: sorted(result.groups[kind], key=_sort_key)
                     for kind in KINDS if kind in result.groups}
    return result


def _renamed(hit: Hit, device_name: str) -> Hit:
    return Hit(hit.kind, hit.device_id, device_name, hit.table, hit.table_label, hit.path,
               hit.field, hit.value, hit.key, hit.last_seen, hit.gone, hit.gone_at, hit.tab)
