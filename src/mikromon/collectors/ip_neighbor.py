"""``/ip/neighbor`` (extended): neighbors found by MNDP, CDP and LLDP.

Path: ``/ip/neighbor`` (v6 and v7; v7 adds ``discovered-by``), proplist: the
fields below. Example row (ip_neighbor.v7.json)::

    {".id": "*1", "interface": "ether1", "address": "192.0.2.1",
     "mac-address": "02:C8:1B:F0:A8:BA", "identity": "upstream-gw", "platform": "MikroTik",
     "version": "7.15 (stable) 2024-05-29 12:44:08", "age": "25s", "uptime": "1h12m38s",
     "board": "RB750Gr3", "interface-name": "bridge_lan/ether2",
     "discovered-by": "cdp,lldp,mndp", ...}

``interface`` is ``port,bridge`` when heard on a bridge port. ``age`` and
``uptime`` are seconds (float).

Bound: with discovery on the customer-facing interfaces every customer's
MikroTik (or LLDP-speaking) device is a neighbor, thousands on a wireless ISP's
router, so the table is read by
:class:`~mikromon.collectors.table_collectors.BoundedTableCollector`: ``count-only``
first, printed only with at most :data:`LIMIT` (20,000) rows; above that the
table is not read this poll and ``result.failures`` says so.

Produces: inventory table ``neighbors`` (key ``interface``, ``mac-address``).
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import ROW_LIMIT, BoundedTableCollector
from mikromon.collectors.table_view import TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.durations import parse_elapsed

PATH = "/ip/neighbor"
#: Most neighbors read (more are counted, not printed).
LIMIT: Final = ROW_LIMIT
FIELDS = (
    Field("interface"),
    Field("address"),
    Field("address4"),
    Field("address6"),
    Field("mac-address"),
    Field("identity"),
    Field("platform"),
    Field("version"),
    Field("board"),
    Field("software-id"),
    Field("interface-name"),
    Field("system-caps"),
    Field("system-caps-enabled"),
    Field("discovered-by"),
    flag("ipv6"),
    Field("age", parse_elapsed),
    Field("uptime", parse_elapsed),
)

VIEW = TableView("neighbors", "Neighbors", (PATH,),
                 ("interface", "identity", "address", "mac-address", "platform", "board",
                  "version", "discovered-by"), sort="interface", seconds=("uptime", "age"))

COLLECTOR = BoundedTableCollector(
    "ip_neighbor", Tier.EXTENDED, PATH, "neighbors", FIELDS, ("interface", "mac-address"),
    LIMIT, view=VIEW,
)
