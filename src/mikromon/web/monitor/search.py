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

How it reads: a few equality and prefix lookups on the index of the search
terms table (:class:`~mikromon.web.monitor.models.InventoryTerm`, kept by the
inventory writer, :mod:`~mikromon.web.monitor.search_terms`): a whole MAC or
address is one equality, part of a MAC, leading octets, a network and a name
prefixes (:func:`term_filter`). At most :data:`MAX_CANDIDATES` term rows are read;
their inventory rows are then fetched by primary key and each checked field by
field here (:func:`_row_hits`: so part of a MAC, an address inside a network
and text inside a name are decided in one place, as before the index). Names
match from a word start (``smith``, ``anna.smith`` and ``0666`` find
``Anna.Smith@isp`` and ``cust0666``; ``nna`` does not). Devices (a few thousand
rows) match on any part of their name, identity or host. Cost: independent of
the number of inventory rows (bench/search.py, bench/RESULTS.md).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Q

from mikromon.web.monitor.models import Device, InventoryItem, InventoryTerm
from mikromon.web.monitor.search_terms import (
    FIELDS,
    TERM_LENGTH,
    TEXT_KINDS,
    network_prefixes,
    normalise_mac,
)
from mikromon.web.monitor.tables import TABS, table_info

#: Shortest and longest query text accepted, characters (after trimming spaces).
MIN_LENGTH = 2
MAX_LENGTH = 100
#: Most hits returned by default, and the largest limit a caller may ask.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

#: Most term rows read for one search: a prefix held by more rows (``ho`` in
#: every ``host-...``) lists the hits among the first ones, with ``more`` set.
MAX_CANDIDATES = 5000
#: Inventory rows fetched by primary key at a time.
ROW_BATCH = 500

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

_MAC_SEPARATED = re.compile(r"^[0-9A-F]{1,2}([:-])[0-9A-F]{1,2}(?:\1[0-9A-F]{1,2}){0,4}$")
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
        if not _narrow_enough(ip):
            ip = None  # 1.0.0.0/7, ::/64: too wide, searched as text
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


def _narrow_enough(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """Whether ``network`` is searched as a network: IPv4 /8 or longer, IPv6 a
    whole address or /16 or longer with a non-zero first hextet. Wider ones
    (``0.0.0.0/0``, ``::/64``) hold most of the fleet: searched as text."""
    if network.version == 4:
        return network.prefixlen >= 8
    if network.prefixlen == network.max_prefixlen:
        return True
    return network.prefixlen >= 16 and int(network.network_address) >> 112 != 0


def _prefix(prefix: str) -> Q:
    """Terms starting with ``prefix``, as the index answers it: on PostgreSQL
    ``LIKE 'prefix%'`` (the index's pattern operator class: byte order whatever
    the collation), elsewhere a range (SQLite compares text byte by byte)."""
    if connection.vendor == "postgresql":
        return Q(term__startswith=prefix)
    return Q(term__gte=prefix, term__lt=prefix + "\U0010ffff")


def _mac_part_prefixes(part: str) -> list[str]:
    """Return the term prefixes of part of a MAC (``4C:5E:0C``): itself, or when
    its first byte has one digit (``C:5E``: the end of a byte) each byte ending so."""
    head = part.split(":", 1)[0]
    if len(head) == 2:
        return [part]
    return [f"{digit}{part}" for digit in "0123456789ABCDEF"]


def _prefix_network(prefix: str) -> ipaddress.IPv4Network:
    """The network of leading octets (``"10.1."`` -> 10.1.0.0/16)."""
    octets = prefix.rstrip(".").split(".")
    return ipaddress.IPv4Network(
        ".".join(octets + ["0"] * (4 - len(octets))) + f"/{8 * len(octets)}")


def _text_key(text: str) -> str:
    """The term prefix of a name query: case-folded, from its first letter or
    digit (``@isp`` is looked up as ``isp``; the row check keeps the ``@``)."""
    folded = text.casefold()
    start = next((i for i, char in enumerate(folded) if char.isalnum()), 0)
    return folded[start:][:TERM_LENGTH]


def term_filter(query: Query, kinds: Iterable[str]) -> Q | None:
    """Return the condition on :class:`InventoryTerm` selecting the terms that may
    be hits of ``query`` as ``kinds`` (equality and prefix lookups on the (kind,
    term, item) index only), ``None`` when no kind is searched in the inventory."""
    kinds = set(kinds)
    parts: list[Q] = []
    if "mac" in kinds and query.mac:
        parts.append(Q(kind="mac", term=query.mac))
    elif "mac" in kinds and query.mac_part:
        parts.extend(Q(kind="mac") & _prefix(p) for p in _mac_part_prefixes(query.mac_part))
    network = query.ip if query.ip is not None else (
        _prefix_network(query.ip_prefix) if query.ip_prefix else None)
    if "ip" in kinds and network is not None:
        if network.prefixlen == network.max_prefixlen:
            parts.append(Q(kind="ip", term=network_prefixes(network)[0]))
        else:
            parts.extend(Q(kind="ip") & _prefix(p) for p in network_prefixes(network))
    names = [kind for kind in TEXT_KINDS if kind in kinds]
    if names and _text_key(query.text):
        parts.append(Q(kind__in=names) & _prefix(_text_key(query.text)))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


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
            yield Hit(kind, row.device_id, row.device.name, row.table, info.label,
                      info.paths[0] if info.paths else "", name, str(data[name]),
                      row.key.replace("\x1f", " / "), row.last_seen, row.gone, row.gone_at,
                      _TAB_OF.get(row.table, ""))


def _device_hits(query: Query, limit: int) -> Iterator[Hit]:
    """Devices whose name, identity or host holds the text, by name, at most
    ``limit + 1`` (one plain query: no server-side cursor on PostgreSQL)."""
    text = query.text
    devices = (Device.objects.filter(Q(name__icontains=text) | Q(identity__icontains=text)
                                     | Q(host__icontains=text))
               .by_name().only("id", "name", "identity", "host", "last_seen"))
    for device in devices[:limit + 1]:
        for name in ("name", "identity", "host"):
            value = getattr(device, name)
            if value and text.casefold() in value.casefold():
                yield Hit("device", device.pk, device.name, "", "Device", "", name, value,
                          device.name, device.last_seen)
                break


def _sort_key(hit: Hit) -> tuple[str, str, str, str]:
    return (hit.device_name.casefold(), hit.table, hit.key, hit.field)


def _item_hits(query: Query, kinds: Iterable[str], limit: int) -> tuple[list[Hit], bool]:
    """Return up to ``limit + 1`` inventory hits, and whether the term rows read
    reached :data:`MAX_CANDIDATES` (then there may be more than listed).

    Reads twice as many term rows as hits wanted first (most candidates are hits);
    only when too few of them were hits, up to :data:`MAX_CANDIDATES`.
    """
    condition = term_filter(query, kinds)
    if condition is None:
        return [], False
    terms = InventoryTerm.objects.filter(condition).order_by().values_list("item_id", "kind")
    first = min(MAX_CANDIDATES, 2 * (limit + 1))
    pairs = list(terms[:first])
    found = _hits_of(query, pairs, limit)
    if len(found) <= limit and len(pairs) == first < MAX_CANDIDATES:
        pairs = list(terms[:MAX_CANDIDATES])
        found = _hits_of(query, pairs, limit)
    return found, len(found) > limit or len(pairs) >= MAX_CANDIDATES


def _hits_of(query: Query, pairs: list[tuple[int, str]], limit: int) -> list[Hit]:
    """Read the rows of ``pairs`` (row id, kind) by primary key, as many at a
    time as hits still wanted (at most :data:`ROW_BATCH`), and check them; stop
    past ``limit`` hits."""
    wanted: dict[int, set[str]] = {}
    for item_id, kind in pairs:
        wanted.setdefault(item_id, set()).add(kind)
    found: list[Hit] = []
    ids = list(wanted)
    start = 0
    while start < len(ids) and len(found) <= limit:
        size = min(ROW_BATCH, limit + 1 - len(found))
        rows = (InventoryItem.objects.filter(pk__in=ids[start:start + size]).order_by()
                .select_related("device")
                .only("id", "device_id", "device__name", "table", "key", "data", "last_seen",
                      "gone", "gone_at"))
        for row in rows:
            found.extend(_row_hits(query, row, wanted[row.pk]))
        start += size
    return found


def search(query: Query, limit: int = DEFAULT_LIMIT) -> SearchResult:
    """Return the hits of ``query``, at most ``limit`` (``more`` set when there
    were others, or may be: a prefix held by more than :data:`MAX_CANDIDATES`
    terms), grouped by kind and sorted by device, table and key.

    Hits in gone rows are listed (with ``gone``): a MAC seen yesterday is an answer.
    Reads the devices, the term index and the rows it names (never every row).
    """
    kinds = query.kinds()
    found: list[Hit] = list(_device_hits(query, limit))
    more = len(found) > limit
    if not more:
        rows, more = _item_hits(query, kinds, limit - len(found))
        found.extend(rows)
        more = more or len(found) > limit
    result = SearchResult(query, limit, more=more)
    for hit in found[:limit]:
        result.groups.setdefault(hit.kind, []).append(hit)
    result.groups = {kind: sorted(result.groups[kind], key=_sort_key)
                     for kind in KINDS if kind in result.groups}
    return result
