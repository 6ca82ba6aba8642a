"""BGP session state (short): whether each peer is established, within a minute.

Reads only what says so, with ``.proplist`` (the full tables stay on the extended
tier, :mod:`routing_bgp`):

* v6: ``/routing/bgp/peer`` ``name,state,established,disabled``
  (routing_bgp_peer.v6.json: ``"state": "established", "established": "true"``;
  a down peer ``"state": "idle"`` without ``established``);
* v7: ``/routing/bgp/connection`` ``name,remote.address,disabled`` and
  ``/routing/bgp/session`` ``name,remote.address,established``
  (routing_bgp_connection.v7.json, routing_bgp_session.v7.json), paired as
  :func:`routing_bgp.map_v7` pairs them: a connection without a session is down.

Disabled peers and connections are left out (switched off on purpose: not "down").
Which menu: the reply decides, not the version string (a v7 router has no
``/routing/bgp/peer``): the version's menu is asked first, the other one when
it is absent. A flag that cannot be read costs that peer only (``bad_values``).

Produces: bgp.established (1/0, label ``peer``), what the ``bgp_down`` alert rule
reads.
"""

from __future__ import annotations

from mikromon.collectors.base import CollectContext
from mikromon.collectors.routing_bgp import (
    V6_PATH,
    V7_CONNECTION_PATH,
    V7_SESSION_PATH,
    map_v6,
    map_v7,
    read_either,
)
from mikromon.collectors.support import Values, read
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.numbers import parse_bool

V6_PROPLIST = ("name", "state", "established", "disabled")
CONNECTION_PROPLIST = ("name", "remote.address", "disabled")
SESSION_PROPLIST = ("name", "remote.address", "established")
KEY = "bgp.established"


def _enabled(rows: list[Row], values: Values) -> list[Row]:
    """The rows not disabled (an unreadable ``disabled`` counts as enabled)."""
    return [r for r in rows
            if not (r.get("disabled")
                    and values.parse(r["disabled"], parse_bool, "disabled", r.get("name", "")))]


def _established(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.key == KEY]


async def _read_v6(client: RouterOSClient, ctx: CollectContext, result: CollectResult) -> bool:
    """Read v6 peers into ``result``; ``False`` when the router has no such menu."""
    peers = await read(client, ctx, result, V6_PATH, V6_PROPLIST)
    if peers is None:
        return False
    values = Values(V6_PATH, result)
    result.samples = _established(map_v6(_enabled(peers, values), ctx.clock(), values))
    return True


async def _read_v7(client: RouterOSClient, ctx: CollectContext, result: CollectResult) -> bool:
    """Read v7 connections and sessions into ``result``; ``False`` without them."""
    connections = await read(client, ctx, result, V7_CONNECTION_PATH, CONNECTION_PROPLIST)
    if connections is None:
        return False
    sessions = await read(client, ctx, result, V7_SESSION_PATH, SESSION_PROPLIST)
    enabled = _enabled(connections, Values(V7_CONNECTION_PATH, result))
    result.samples = _established(
        map_v7(enabled, sessions or [], ctx.clock(), Values(V7_SESSION_PATH, result)))
    return True


class RoutingBgpStateCollector:
    """Reads whether each BGP peer is established, each short poll."""

    name = "routing_bgp_state"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read BGP peer state (:func:`read_either`); see the module docstring."""
        return await read_either(client, ctx, _read_v6, _read_v7)
