"""``/ip/firewall/filter``, ``/ip/firewall/nat``, ``/ip/firewall/mangle`` (long):
firewall rules with their byte and packet counters.

Paths: the three menus above (v6 and v7, same shape), proplist: :data:`FIELDS`.
``bytes``/``packets`` are part of every API print (no ``stats`` needed).
Example row (ip_firewall_filter.v7.json)::

    {".id": "*2", "chain": "input", "action": "drop", "connection-state": "invalid",
     "comment": "defconf: drop invalid", "bytes": "125943", "packets": "2434",
     "invalid": "false", "dynamic": "false", "disabled": "false", "log": "false",
     "log-prefix": ""}

The columns are the rule properties under their RouterOS names: the matchers
(``protocol``, ``dst-port``, ``src-address-list``, ``connection-state``,
``connection-mark``, ``packet-mark``, ``routing-mark``, ``tcp-flags``, ...) and
the action properties (``jump-target``, ``to-addresses``/``to-ports`` for NAT,
``new-connection-mark``, ``new-packet-mark``, ``new-routing-mark``, ``new-mss``,
``new-dscp``, ``passthrough`` for mangle; ip_firewall_filter.v7.json,
ip_firewall_nat.v7.json and the ip/firewall filter, nat and mangle pages of the
MikroTik CLI reference), so two mangle rules that differ only in their marks
are told apart in the stored rows. A router leaves out the properties a rule
does not set: their columns are ``None``. Values stay the router's text
(``new-mss`` may be ``clamp-to-pmtu``); negation stays in the value
(``in-interface-list: "!LAN"``); ``passthrough`` and ``hw-offload`` are bool
(``None`` when the rule does not have them). Rule counters are inventory, not
metrics (they reset on reboot and with reset-counters).

Bound: a configuration is usually tens of rules, but an ISP's router may hold
thousands (a rule per customer, dynamic hotspot rules), so each menu is read by
:class:`~mikromon.collectors.table_collectors.BoundedTableCollector`: ``count-only``
first, printed only with at most :data:`LIMIT` (5,000) rules; above that the
menu is not read this poll and ``result.failures`` says so.

Produces: inventory tables ``firewall_filter``, ``firewall_nat``,
``firewall_mangle`` (key ``.id``; rows keep the router's order, which is the
evaluation order).
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors.support import Field, flag
from mikromon.collectors.table_collectors import BoundedTableCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.numbers import parse_bool, parse_counter

#: Most rules read per menu (more are counted, not printed).
LIMIT: Final = 5_000

FIELDS = (
    Field(".id"),
    Field("chain"),
    Field("action"),
    # matchers
    Field("protocol"),
    Field("src-address"),
    Field("dst-address"),
    Field("src-address-list"),
    Field("dst-address-list"),
    Field("src-address-type"),
    Field("dst-address-type"),
    Field("src-port"),
    Field("dst-port"),
    Field("port"),
    Field("in-interface"),
    Field("out-interface"),
    Field("in-interface-list"),
    Field("out-interface-list"),
    Field("in-bridge-port"),
    Field("out-bridge-port"),
    Field("src-mac-address"),
    Field("connection-state"),
    Field("connection-nat-state"),
    Field("connection-type"),
    Field("connection-mark"),
    Field("packet-mark"),
    Field("routing-mark"),
    Field("tcp-flags"),
    Field("tcp-mss"),
    Field("icmp-options"),
    Field("dscp"),
    Field("packet-size"),
    Field("layer7-protocol"),
    Field("content"),
    Field("limit"),
    Field("dst-limit"),
    Field("connection-limit"),
    Field("connection-rate"),
    Field("ipsec-policy"),
    Field("hotspot"),
    # action properties
    Field("jump-target"),
    Field("reject-with"),
    Field("to-addresses"),
    Field("to-ports"),
    Field("address-list"),
    Field("address-list-timeout"),
    Field("new-connection-mark"),
    Field("new-packet-mark"),
    Field("new-routing-mark"),
    Field("new-mss"),
    Field("new-dscp"),
    Field("new-ttl"),
    Field("new-priority"),
    Field("passthrough", parse_bool),
    Field("hw-offload", parse_bool),
    # counters and state
    Field("comment"),
    Field("bytes", parse_counter),
    Field("packets", parse_counter),
    flag("invalid"),
    flag("dynamic"),
    flag("disabled"),
    flag("log"),
    Field("log-prefix"),
)


#: The columns shown first: what a rule matches and does, and its counters.
_MATCH = ("protocol", "src-address", "dst-address")


def _rules(menu: str, title: str, tab: Tab, shown: tuple[str, ...]) -> BoundedTableCollector:
    path = f"/ip/firewall/{menu}"
    table = f"firewall_{menu}"
    return BoundedTableCollector(
        f"ip_firewall_{menu}", Tier.LONG, path, table, FIELDS, (".id",), LIMIT,
        view=TableView(table, title, (path,), ("chain", "action", "bytes", "packets", *shown,
                                               "comment"), bytes=("bytes",), tab=tab),
    )


FILTER = _rules("filter", "Firewall filter", Tab("filter", "Firewall filter"),
                (*_MATCH, "in-interface", "out-interface"))
NAT = _rules("nat", "Firewall NAT", Tab("nat", "NAT"), (*_MATCH, "to-addresses", "to-ports"))
MANGLE = _rules("mangle", "Firewall mangle", Tab("mangle", "Mangle"),
                ("new-routing-mark", "new-connection-mark", "new-packet-mark"))
