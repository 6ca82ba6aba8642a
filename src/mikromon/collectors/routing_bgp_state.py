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
)
from mikromon.collectors.support import read
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values import parse_bool

V6_PROPLIST = ("name", "state", "established", "disabled")
CONNECTION_PROPLIST = ("name", "remote.address", "disabled")
SESSION_PROPLIST = ("name", "remote.address", "established")
KEY = "bgp.established"


def _enabled(rows: list[Row]) -> list[Row]:
    return [r for r in rows if not (r.get("disabled") and parse_bool(r["disabled"]))]


class RoutingBgpStateCollector:
    """Reads whether each BGP peer is established, each short poll."""

    name = "routing_bgp_state"
    tier = Tier.SHORT

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read BGP peer state; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
            ValueParseError: a flag is malformed.
        """
        result = CollectResult()
        if ctx.major < 7:
            peers = await read(client, ctx, result, V6_PATH, V6_PROPLIST)
            if peers is not None:
                samples = map_v6(_enabled(peers), ctx.clock())
                result.samples = [s for s in samples if s.key == KEY]
            return result
        connections = await read(client, ctx, result, V7_CONNECTION_PATH, CONNECTION_PROPLIST)
        if connections is None:
            return result
        sessions = await read(client, ctx, result, V7_SESSION_PATH, SESSION_PROPLIST)
        samples = map_v7(_enabled(connections), sessions or [], ctx.clock())
        result.samples = [s for s in samples if s.key == KEY]
        return result
