"""OSPF neighbour state (short): which neighbours are Full, within a minute.

Path: ``/routing/ospf/neighbor`` (v6 and v7), ``.proplist router-id,address,state``
only (routing_ospf_neighbor.v6.json / .v7.json: ``"state": "Full"``; other states
Down, Attempt, Init, 2-Way, ExStart, Exchange, Loading). The full table stays on
the extended tier (:mod:`routing_ospf_neighbor`). RouterOS drops a dead neighbour
from the list, so the counts say when one vanished.

Produces: ospf.neighbors, ospf.neighbors_full (counts) and ospf.neighbor_full (1/0,
label ``neighbor``: the router-id, or ``<router-id> <address>`` when one router-id
has several adjacencies, e.g. over IPv4 and IPv6), what the ``ospf_down`` alert
rule reads.
"""

from __future__ import annotations

from collections import Counter

from mikromon.collectors.base import CollectContext
from mikromon.collectors.routing_ospf_neighbor import PATH
from mikromon.collectors.support import sample
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row

PROPLIST = ("router-id", "address", "state")


class RoutingOspfStateCollector(PrintCollector):
    """Reads the OSPF neighbours' states each short poll."""

    name = "routing_ospf_state"
    tier = Tier.SHORT

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Map the neighbours' states; see the module docstring."""
        ts = ctx.clock()
        ids = Counter(row.get("router-id", "") for row in rows)
        samples = []
        full = 0
        for row in rows:
            rid = row.get("router-id") or row.get("address", "")
            if not rid:
                continue
            name = f"{rid} {row.get('address', '')}".strip() if ids[rid] > 1 else rid
            up = row.get("state", "").lower() == "full"
            full += up
            samples.append(sample("ospf.neighbor_full", 1 if up else 0, ts, neighbor=name))
        result.samples = [sample("ospf.neighbors", len(rows), ts),
                          sample("ospf.neighbors_full", full, ts), *samples]
