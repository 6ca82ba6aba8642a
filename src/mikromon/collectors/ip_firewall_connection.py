"""``/ip/firewall/connection`` (short): size of the connection tracking table.

Path: ``/ip/firewall/connection``, ONLY with ``print =count-only=``: the table
can hold hundreds of thousands of rows, so it is never downloaded (no proplist
needed). Reply (ip_firewall_connection_count.v7.json): no ``!re``, just
``!done =ret=4187``.

Produces: firewall.connection_count (count).
"""

from __future__ import annotations

from mikromon.collectors.table_collectors import CountCollector
from mikromon.domain.tiers import Tier

PATH = "/ip/firewall/connection"

COLLECTOR = CountCollector(
    "ip_firewall_connection", Tier.SHORT, PATH, "firewall.connection_count"
)
