"""``/ip/route`` (long): the route count and the routing table (bounded).

Path: ``/ip/route``. Shapes (ip_route.v6.json / ip_route.v7.json):

* v6: ``routing-mark``, ``gateway-status`` text, flags (``active``, ``static``,
  ``connect``, ``bgp``, ``ospf``, ``blackhole``) present only when set.
* v7: ``routing-table``, ``immediate-gw`` (``addr%iface``, comma-joined for
  ECMP), ``local-address``; an inactive route has ``inactive=true`` and no
  ``active``.

Example row (v7)::

    {".id": "*80000001", "dst-address": "0.0.0.0/0", "routing-table": "main",
     "gateway": "10.17.0.1", "immediate-gw": "10.17.0.1%ether1", "distance": "1",
     "scope": "30", "target-scope": "10", "dynamic": "true", "active": "true",
     "inactive": "false", "dhcp": "true", "disabled": "false"}

The rule for large tables: the route count is always read with ``count-only``
and stored as the metric ``routes.count``. When it is at most
:data:`INVENTORY_LIMIT` (10,000) the whole table is printed (proplist: the
fields of :data:`V6_FIELDS` / :data:`V7_FIELDS`). Above it (a full BGP feed is
~1 million routes) only the static and connected routes are printed
(``?static=true``, then ``?connect=true``), so the inventory stays small and
the router is not asked for the full table.

Which shape: one print asks for both versions' fields (:data:`PROPLIST`; a
router leaves out what it lacks) and the rows decide: any v7-only field
(``routing-table``, ``immediate-gw``, ``inactive``...) means :data:`V7_FIELDS`,
v6 ``routing-mark``/``gateway-status`` mean :data:`V6_FIELDS`; rows showing
neither are read with the version's. A field that cannot be read is ``None``
(listed in ``bad_values``).

Produces: routes.count; inventory table ``routes`` (key ``.id``).
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import (
    Field,
    Values,
    VersionFields,
    count,
    flag,
    read,
    sample,
    snapshot,
)
from mikromon.collectors.table_view import TableView
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.routeros.values.numbers import parse_counter

PATH = "/ip/route"
INVENTORY_LIMIT: Final = 10_000
#: Reply limit of each print (proplisted: about 300 bytes a row): the whole table
#: is printed only when counted at most :data:`INVENTORY_LIMIT`; above it the
#: static and connected routes, which stay far below 50,000 rows even with
#: blackhole lists. The full BGP table (~1M routes) is only ever counted.
REPLY_LIMIT: Final = ReplyLimit.for_rows(50_000)
#: Queries used above the limit: the routes an operator configured.
BOUNDED_QUERIES: Final = (("?static=true",), ("?connect=true",))

_COMMON = (
    Field(".id"),
    Field("dst-address"),
    Field("gateway"),
    Field("pref-src"),
    Field("distance", parse_counter),
    Field("scope", parse_counter),
    Field("target-scope", parse_counter),
    Field("type"),
    Field("check-gateway"),
    Field("comment"),
    flag("active"),
    flag("dynamic"),
    flag("static"),
    flag("connect"),
    flag("bgp"),
    flag("ospf"),
    flag("blackhole"),
    flag("disabled"),
)
V6_FIELDS = (*_COMMON, Field("routing-mark"), Field("gateway-status"))
V7_FIELDS = (
    *_COMMON,
    Field("routing-table"),
    Field("immediate-gw"),
    Field("local-address"),
    Field("vrf-interface"),
    flag("inactive"),
    flag("ecmp"),
    flag("dhcp"),
)
FIELDS = VersionFields(
    V6_FIELDS, V7_FIELDS, v6_only=frozenset({"routing-mark", "gateway-status"}),
    v7_only=frozenset({"routing-table", "immediate-gw", "local-address", "vrf-interface",
                       "inactive", "ecmp"}),
)
#: Both versions' fields in one print.
PROPLIST = FIELDS.proplist()


class IpRouteCollector:
    """Counts the routes and inventories them (bounded) each long poll."""

    name = "ip_route"
    tier = Tier.LONG
    views = (TableView("routes", "Routes", (PATH,),
                       ("dst-address", "gateway", "distance", "routing-table", "active"),
                       sort="dst-address"),)

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Count, then print all or the bounded subset; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        total = await count(client, ctx, result, PATH)
        if total is None:
            return result
        result.samples.append(sample("routes.count", total, ctx.clock()))
        queries = BOUNDED_QUERIES if total > INVENTORY_LIMIT else ((),)
        rows: list[Row] = []
        seen: set[str] = set()
        for query in queries:
            part = await read(client, ctx, result, PATH, PROPLIST, query,
                              limit=REPLY_LIMIT)
            for row in part or ():
                route_id = row.get(".id")
                if route_id is None or route_id not in seen:
                    seen.add(route_id or "")
                    rows.append(row)
        result.inventory.append(snapshot(
            "routes", rows, FIELDS.for_rows(rows, ctx.major), (".id",), ctx.clock(),
            reader=Values(PATH, result),
        ))
        return result
