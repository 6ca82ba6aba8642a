"""``/ip/address`` (long): the router's IPv4 addresses.

Path: ``/ip/address`` (v6 and v7, same shape), proplist: the fields below.
Example row (ip_address.v7.json)::

    {".id": "*3", "address": "198.51.100.26/30", "network": "198.51.100.24",
     "interface": "vlan11", "actual-interface": "vlan11", "invalid": "false",
     "dynamic": "false", "disabled": "false", "comment": "INET Uplink"}

Bound: a PPP server adds a dynamic address for every session (the
``pppoe-out1`` row of ip_address.v7.json is the client side of one), so on an
ISP's concentrator the table grows with the customers. It is read by
:class:`~mikromon.collectors.table_collectors.BoundedTableCollector`: ``count-only``
first, printed only with at most :data:`LIMIT` (20,000) rows; above that the
table is not read this poll and ``result.failures`` says so.

Produces: inventory table ``ip_addresses`` (key ``address``, ``interface``).
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT, BoundedTableCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier

PATH = "/ip/address"
#: Most addresses read (more are counted, not printed).
LIMIT: Final = ROW_LIMIT
FIELDS = (
    Field("address"),
    Field("network"),
    Field("interface"),
    Field("actual-interface"),
    flag("invalid"),
    flag("dynamic"),
    flag("disabled"),
    Field("comment"),
)

VIEW = TableView("ip_addresses", "Addresses", (PATH,),
                 ("address", "network", "interface", "dynamic", "disabled"), sort="address",
                 tab=Tab("addresses", "Addresses"))

COLLECTOR = BoundedTableCollector(
    "ip_address", Tier.LONG, PATH, "ip_addresses", FIELDS, ("address", "interface"), LIMIT,
    view=VIEW,
)
