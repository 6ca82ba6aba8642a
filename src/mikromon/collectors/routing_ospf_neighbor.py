"""``/routing/ospf/neighbor`` (extended): OSPF adjacencies.

Path: ``/routing/ospf/neighbor`` on v6 and v7, with renamed fields:

* v6 (routing_ospf_neighbor.v6.json): ``instance, router-id, address, interface,
  priority, dr-address, backup-dr-address, state, state-changes, adjacency``.
* v7 (routing_ospf_neighbor.v7.json): adds ``area`` and ``timeout``, renames
  ``dr-address`` -> ``dr`` and ``backup-dr-address`` -> ``bdr``; priority/dr/bdr
  only on broadcast networks.

Example row (v7)::

    {".id": "*80000002", "instance": "default-v2", "area": "backbone-v2",
     "interface": "bridge", "address": "10.88.0.250", "priority": "1",
     "router-id": "10.88.0.250", "dr": "10.88.0.1", "bdr": "10.88.0.250",
     "state": "Full", "state-changes": "5", "adjacency": "2d3h11m4s", "timeout": "33s"}

``adjacency`` is missing unless the neighbor is Full (``None``); durations are
seconds (float). States: Down, Attempt, Init, 2-Way, ExStart, Exchange,
Loading, Full.

Produces the inventory table (the neighbour counts and per-neighbour Full state
are read on the short tier by :mod:`routing_ospf_state`):
``ospf_neighbors`` (key ``instance``, ``router-id``, ``address``) with the
version's own field names.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, proplist, read, snapshot
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values import parse_duration, parse_int

PATH = "/routing/ospf/neighbor"
_HEAD = (Field("instance"), Field("router-id"), Field("address"), Field("interface"))
_TAIL = (
    Field("state"),
    Field("state-changes", parse_int),
    Field("adjacency", parse_duration),
)
V6_FIELDS = (
    *_HEAD, Field("priority", parse_int), Field("dr-address"), Field("backup-dr-address"),
    *_TAIL,
)
V7_FIELDS = (
    *_HEAD, Field("area"), Field("priority", parse_int), Field("dr"), Field("bdr"), *_TAIL,
    Field("timeout", parse_duration),
)
KEY = ("instance", "router-id", "address")


class RoutingOspfNeighborCollector:
    """Reads the OSPF neighbors each extended poll."""

    name = "routing_ospf_neighbor"
    tier = Tier.EXTENDED

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read the neighbors; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        fields = V6_FIELDS if ctx.major < 7 else V7_FIELDS
        rows = await read(client, ctx, result, PATH, proplist(fields))
        if rows is None:
            return result
        ts = ctx.clock()
        result.inventory.append(snapshot("ospf_neighbors", rows, fields, KEY, ts))
        return result
