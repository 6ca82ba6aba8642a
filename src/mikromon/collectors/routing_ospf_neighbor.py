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

Which names: one print asks for both versions' fields (:data:`PROPLIST`; a
router leaves out what it lacks) and the reply decides: rows with any of the
v7-only fields (``area``, ``dr``, ``bdr``, ``timeout``) are read with
:data:`V7_FIELDS`, rows with ``dr-address``/``backup-dr-address`` with
:data:`V6_FIELDS`; an empty reply with the version's. A field that cannot be
read is ``None`` (listed in ``bad_values``).

Produces the inventory table (the neighbour counts and per-neighbour Full state
are read on the short tier by :mod:`routing_ospf_state`):
``ospf_neighbors`` (key ``instance``, ``router-id``, ``address``) with the
version's own field names.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, Values, VersionFields, snapshot
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.routeros.values.durations import parse_elapsed
from mikromon.routeros.values.numbers import parse_counter

PATH = "/routing/ospf/neighbor"
_HEAD = (Field("instance"), Field("router-id"), Field("address"), Field("interface"))
_TAIL = (
    Field("state"),
    Field("state-changes", parse_counter),
    Field("adjacency", parse_elapsed),
)
V6_FIELDS = (
    *_HEAD, Field("priority", parse_counter), Field("dr-address"), Field("backup-dr-address"),
    *_TAIL,
)
V7_FIELDS = (
    *_HEAD, Field("area"), Field("priority", parse_counter), Field("dr"), Field("bdr"), *_TAIL,
    Field("timeout", parse_elapsed),
)
KEY = ("instance", "router-id", "address")
FIELDS = VersionFields(V6_FIELDS, V7_FIELDS,
                       v6_only=frozenset({"dr-address", "backup-dr-address"}),
                       v7_only=frozenset({"area", "dr", "bdr", "timeout"}))
#: Both versions' fields in one print.
PROPLIST = FIELDS.proplist()


class RoutingOspfNeighborCollector(PrintCollector):
    """Reads the OSPF neighbors each extended poll."""

    name = "routing_ospf_neighbor"
    tier = Tier.EXTENDED
    views = (TableView("ospf_neighbors", "OSPF neighbors", (PATH,),
                       ("router-id", "address", "interface", "state", "adjacency"),
                       sort="router-id", seconds=("adjacency", "timeout"),
                       tab=Tab("ospf", "OSPF")),)

    path = PATH
    proplist = PROPLIST

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Keep the neighbors in the columns of the version the rows show."""
        result.inventory.append(snapshot("ospf_neighbors", rows, FIELDS.for_rows(rows, ctx.major),
                                         KEY, ctx.clock(), reader=Values(PATH, result)))
