"""``/ip/firewall/filter``, ``/ip/firewall/nat``, ``/ip/firewall/mangle`` (long):
firewall rules with their byte and packet counters.

Paths: the three menus above (v6 and v7, same shape), proplist: the fields
below. ``bytes``/``packets`` are part of every API print (no ``stats``
needed). Example row (ip_firewall_filter.v7.json)::

    {".id": "*2", "chain": "input", "action": "drop", "connection-state": "invalid",
     "comment": "defconf: drop invalid", "bytes": "125943", "packets": "2434",
     "invalid": "false", "dynamic": "false", "disabled": "false", "log": "false",
     "log-prefix": ""}

Negation stays in the value (``in-interface-list: "!LAN"``). Rule counters are
inventory, not metrics (they reset on reboot and with reset-counters).

Produces: inventory tables ``firewall_filter``, ``firewall_nat``,
``firewall_mangle`` (key ``.id``; rows keep the router's order, which is the
evaluation order).
"""

from __future__ import annotations

from mikromon.collectors.support import Field, TableCollector, flag
from mikromon.domain.tiers import Tier
from mikromon.routeros.values import parse_int

FIELDS = (
    Field(".id"),
    Field("chain"),
    Field("action"),
    Field("protocol"),
    Field("src-address"),
    Field("dst-address"),
    Field("src-address-list"),
    Field("dst-address-list"),
    Field("src-port"),
    Field("dst-port"),
    Field("in-interface"),
    Field("out-interface"),
    Field("in-interface-list"),
    Field("out-interface-list"),
    Field("connection-state"),
    Field("connection-nat-state"),
    Field("to-addresses"),
    Field("to-ports"),
    Field("new-routing-mark"),
    Field("new-connection-mark"),
    Field("new-packet-mark"),
    Field("comment"),
    Field("bytes", parse_int),
    Field("packets", parse_int),
    flag("invalid"),
    flag("dynamic"),
    flag("disabled"),
    flag("log"),
    Field("log-prefix"),
)

FILTER = TableCollector(
    "ip_firewall_filter", Tier.LONG, "/ip/firewall/filter", "firewall_filter", FIELDS, (".id",)
)
NAT = TableCollector(
    "ip_firewall_nat", Tier.LONG, "/ip/firewall/nat", "firewall_nat", FIELDS, (".id",)
)
MANGLE = TableCollector(
    "ip_firewall_mangle", Tier.LONG, "/ip/firewall/mangle", "firewall_mangle", FIELDS, (".id",)
)
