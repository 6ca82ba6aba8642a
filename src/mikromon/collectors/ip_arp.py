"""``/ip/arp`` (long): the ARP table.

Path: ``/ip/arp`` (v6 and v7; v7 adds ``status``), proplist: the fields below.
Example row (ip_arp.v7.json)::

    {".id": "*2", "address": "10.88.0.11", "mac-address": "02:50:40:40:2A:C1",
     "interface": "bridge-lan", "published": "false", "invalid": "false", "DHCP": "true",
     "dynamic": "true", "complete": "true", "disabled": "false", "status": "reachable"}

Note the upper-case ``DHCP`` key. Incomplete entries have no ``mac-address``
(``None``); v6 rows have no ``status`` (``None``).

Bound: the table holds an entry for every host on the router's directly
connected networks, tens of thousands on an ISP's access router, so it is read
by :class:`~mikromon.collectors.table_collectors.BoundedTableCollector`: ``count-only``
first, printed only with at most :data:`LIMIT` (20,000) rows; above that the
table is not read this poll and ``result.failures`` says so (the rows stored
before stay).

Produces: inventory table ``arp`` (key ``address``, ``interface``).
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT, BoundedTableCollector
from mikromon.collectors.table_view import TableView
from mikromon.domain.tiers import Tier

PATH = "/ip/arp"
#: Most ARP entries read (more are counted, not printed).
LIMIT: Final = ROW_LIMIT
FIELDS = (
    Field("address"),
    Field("mac-address"),
    Field("interface"),
    Field("status"),
    flag("published"),
    flag("invalid"),
    flag("DHCP"),
    flag("dynamic"),
    flag("complete"),
    flag("disabled"),
    Field("comment"),
)

VIEW = TableView("arp", "ARP", (PATH,), ("address", "mac-address", "interface", "status"),
                 sort="address")

COLLECTOR = BoundedTableCollector(
    "ip_arp", Tier.LONG, PATH, "arp", FIELDS, ("address", "interface"), LIMIT, view=VIEW
)
