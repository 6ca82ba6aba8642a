"""``/ip/address`` (long): the router's IPv4 addresses.

Path: ``/ip/address`` (v6 and v7, same shape), proplist: the fields below.
Example row (ip_address.v7.json)::

    {".id": "*3", "address": "198.51.100.26/30", "network": "198.51.100.24",
     "interface": "vlan11", "actual-interface": "vlan11", "invalid": "false",
     "dynamic": "false", "disabled": "false", "comment": "INET Uplink"}

Produces: inventory table ``ip_addresses`` (key ``address``, ``interface``).
"""

from __future__ import annotations

from mikromon.collectors.support import Field, TableCollector, flag
from mikromon.domain.tiers import Tier

PATH = "/ip/address"
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

COLLECTOR = TableCollector(
    "ip_address", Tier.LONG, PATH, "ip_addresses", FIELDS, ("address", "interface")
)
