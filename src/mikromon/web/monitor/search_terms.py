"""Search terms of inventory rows: what fleet search looks up instead of reading rows.

Each searched field of a row (:data:`FIELDS`: RouterOS field names of the tables
the collectors declare, :mod:`mikromon.web.monitor.tables`) gives one or more
terms, normalised as the search compares them, stored in
:class:`~mikromon.web.monitor.models.InventoryTerm` (kind, term, field, row) with
a B-tree on (kind, term, row). A search is then a few equality or prefix lookups on
that index (:mod:`mikromon.web.monitor.search`), whatever the number of rows.

Terms per kind (:func:`terms_of`):

- ``mac``: the MAC as ``AA:BB:CC:DD:EE:FF`` (any spelling stored is normalised;
  a value that is no MAC, such as an L2TP ``caller-id`` address, gives none), and
  its tails from each later byte down to two bytes (``0C:11:22:33``), so part of
  a MAC written from any byte is a prefix lookup: 5 terms.
- ``ip``: the address without its prefix length as its version and the number
  in fixed-width hex (``10.1.0.20/24`` -> ``4:0a010014``; IPv6 ``6:`` and 32
  digits), so a whole address is an equality lookup and a network or leading
  octets a prefix of the hex (:func:`network_prefixes`).
- names (``ppp_user``, ``dhcp_host``, ``hotspot_user``, ``interface``): the value
  case-folded from each word start (:func:`word_starts`: after a character that
  is no letter or digit, between letters and digits, before a capital after a
  small letter), so ``smith``, ``anna.smith`` and ``0666`` find
  ``Anna.Smith@isp`` and ``cust0666-250``; text inside a word (``nna``) is not
  found. At most :data:`MAX_WORDS` starts, each cut to :data:`TERM_LENGTH`.

The inventory writer (:mod:`~mikromon.web.monitor.storage_inventory`) keeps them
in the same transaction as the rows: :func:`add_terms` for new rows and rows
whose searched values changed (:func:`searched_values` tells), after
:func:`drop_terms`. Deleting a row (device deletion, pruning of gone rows)
deletes its terms (``on_delete=CASCADE``). :func:`rebuild_terms` writes them for
rows stored before (migration 0009).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

from mikromon.web.monitor.storage_sql import chunks, insert_rows

#: (table, RouterOS field, kind) searched in the inventory, in the order a row's
#: fields are tried (the first matching field of a kind names the hit).
_CLIENT_TABLES = ("wifi_clients", "wireless_clients", "capsman_clients")
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

#: Kinds searched as names (case-insensitive, from a word start).
TEXT_KINDS = ("ppp_user", "dhcp_host", "hotspot_user", "interface")

#: Table -> its searched (field, kind) pairs, in :data:`FIELDS` order.
SEARCHED: dict[str, tuple[tuple[str, str], ...]] = {}
for _table, _field, _kind in FIELDS:
    SEARCHED[_table] = (*SEARCHED.get(_table, ()), (_field, _kind))

#: Longest term stored, characters (the longest query: a prefix of a longer
#: value is still a prefix of its first ``TERM_LENGTH`` characters).
TERM_LENGTH = 100
#: Most word starts of one name stored as terms.
MAX_WORDS = 16
#: Rows read per batch by :func:`rebuild_terms`.
REBUILD_BATCH = 2000

_HEX12 = re.compile(r"^[0-9A-F]{12}$")
_MAC_SEPARATED = re.compile(r"^[0-9A-F]{1,2}([:-])[0-9A-F]{1,2}(?:\1[0-9A-F]{1,2}){0,4}$")
_CISCO_MAC = re.compile(r"^[0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}$")
_CANONICAL_MAC = re.compile(r"^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$")
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/(3[0-2]|[12]?[0-9]))?$")


def normalise_mac(text: str) -> str | None:
    """Return ``text`` as ``AA:BB:CC:DD:EE:FF`` when it is a whole MAC written
    with ``:``, ``-``, ``.`` (``4c5e.0c11.2233``) or no separators, any case;
    ``None`` otherwise."""
    upper = text.strip().upper()
    if _CANONICAL_MAC.match(upper):  # as RouterOS prints it: most values
        return upper
    digits = None
    if _HEX12.match(upper) or _CISCO_MAC.match(upper):
        digits = upper.replace(".", "")
    elif _MAC_SEPARATED.match(upper) and len(re.split("[:-]", upper)) == 6:
        digits = "".join(part.zfill(2) for part in re.split("[:-]", upper))
    if digits is None:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def ip_term(value: str) -> str | None:
    """Return the term of an address as RouterOS prints it (``10.1.0.20``,
    ``10.1.0.1/24``, ``2001:db8::7``): ``4:`` or ``6:`` and the address in hex
    (8 or 32 digits, lower case); ``None`` when ``value`` is no address."""
    plain = _IPV4.match(value.strip())
    if plain:  # the common case, without building an ipaddress object
        a, b, c, d = (int(octet) for octet in plain.groups()[:4])
        return f"4:{a:02x}{b:02x}{c:02x}{d:02x}"
    try:
        address = ipaddress.ip_interface(value.strip()).ip
    except ValueError:
        return None
    return f"{address.version}:{int(address):0{address.max_prefixlen // 4}x}"


def network_prefixes(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    """Return the term prefixes whose union is ``network``: its leading hex
    digits, and when the prefix length is no multiple of 4 each value of the
    next digit allowed (at most 8 prefixes). A single address gives its whole term."""
    digits = network.max_prefixlen // 4
    text = f"{int(network.network_address):0{digits}x}"
    whole, rest = divmod(network.prefixlen, 4)
    head = f"{network.version}:{text[:whole]}"
    if rest == 0:
        return [head]
    first = int(text[whole], 16)
    return [f"{head}{d:x}" for d in range(first, first + (1 << (4 - rest)))]


def word_starts(value: str) -> list[int]:
    """Return where words start in ``value`` (0 always; then a letter or digit
    after another character, a digit after a letter and back, a capital after a
    small letter), at most :data:`MAX_WORDS`."""
    out = [0]
    for i in range(1, len(value)):
        prev, char = value[i - 1], value[i]
        if not char.isalnum():
            continue
        if (not prev.isalnum() or prev.isdigit() != char.isdigit()
                or (prev.islower() and char.isupper())):
            out.append(i)
            if len(out) == MAX_WORDS:
                break
    return out


def text_terms(value: str) -> list[str]:
    """Return the name terms of ``value``: from each word start, case-folded, cut
    to :data:`TERM_LENGTH`, without repeats."""
    out: dict[str, None] = {}
    for start in word_starts(value):
        out.setdefault(value[start:].casefold()[:TERM_LENGTH], None)
    return [term for term in out if term]


def _mac_terms(value: str) -> list[str]:
    mac = normalise_mac(value)
    return [mac[i:] for i in range(0, 13, 3)] if mac else []


def _field_terms(kind: str, value: str) -> list[str]:
    if kind == "mac":
        return _mac_terms(value)
    if kind == "ip":
        term = ip_term(value)
        return [term] if term else []
    return text_terms(value)


def terms_of(table: str, data: Any) -> list[tuple[str, str, str]]:
    """Return the (kind, term, field) of one row of ``table`` with ``data`` (the
    stored JSON object). A term a row already has from an earlier field of the
    same kind is left out (the hit names the first field)."""
    fields = SEARCHED.get(table)
    if not fields or not isinstance(data, dict):
        return []
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    done: set[tuple[str, str]] = set()  # (kind, value): a lease's MAC twice, read once
    for name, kind in fields:
        value = data.get(name)
        if not isinstance(value, str) or not value or (kind, value) in done:
            continue
        done.add((kind, value))
        for term in _field_terms(kind, value):
            if (kind, term) not in seen:
                seen.add((kind, term))
                out.append((kind, term, name))
    return out


def searched_values(table: str, data: Any) -> tuple[Any, ...] | None:
    """Return the values of the searched fields of a row (``None`` for a table
    not searched): rows whose values are equal have the same terms, so the
    writer compares these rather than the terms."""
    fields = SEARCHED.get(table)
    if not fields:
        return None
    if not isinstance(data, dict):
        return ()
    return tuple(data.get(name) for name, _kind in fields)


def add_terms(term_model: type[Model], rows: Iterable[tuple[int, str, Any]], *,
              using: str) -> int:
    """Store the terms of ``rows`` of (item pk, table, data); return how many.

    One prepared ``INSERT`` (SQLite) or multi-row ones (PostgreSQL,
    :func:`~.storage_sql.insert_rows`): no model objects, so a router's first
    read of thousands of leases stays cheap. ``term_model`` is the model or a
    migration's historical one.
    """
    values = [(pk, kind, term, name)
              for pk, table, data in rows for kind, term, name in terms_of(table, data)]
    conn = connections[using]
    qn = conn.ops.quote_name
    columns = ", ".join(qn(c) for c in ("item_id", "kind", "term", "field"))
    insert_rows(conn, f"INSERT INTO {qn(term_model._meta.db_table)} ({columns})", "", values)
    return len(values)


def drop_terms(term_model: type[Model], item_ids: Sequence[int], *, using: str) -> None:
    """Delete the terms of the rows ``item_ids``."""
    manager = term_model._default_manager.using(using)
    for chunk in chunks(item_ids):
        manager.filter(item_id__in=chunk).delete()  # no relations: one DELETE each


def rebuild_terms(items: QuerySet[Any], term_model: type[Model], *, using: str) -> int:
    """Write the terms of every row of ``items`` (an InventoryItem queryset, the
    rows having none yet), :data:`REBUILD_BATCH` rows at a time in primary-key
    order, only rows of searched tables read; return how many terms."""
    items = items.using(using).filter(table__in=list(SEARCHED)).order_by("pk")
    last = 0
    written = 0
    while True:
        batch = list(items.filter(pk__gt=last).values_list("pk", "table", "data")
                     [:REBUILD_BATCH])
        if not batch:
            return written
        written += add_terms(term_model, batch, using=using)
        last = batch[-1][0]
