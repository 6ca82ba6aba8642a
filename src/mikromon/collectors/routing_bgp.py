"""BGP (extended): peers on v6, sessions and connections on v7.

Paths:

* v6: ``/routing/bgp/peer`` (configuration and state in one row; traps ``no
  such command prefix`` on v7). Example row (routing_bgp_peer.v6.json)::

      {".id": "*1", "name": "SRV-R1", "instance": "default", "remote-address": "192.0.2.4",
       "remote-as": "64512", "uptime": "7w6d1h49m36s", "prefix-count": "1836",
       "state": "established", "established": "true", "disabled": "false", ...}

  Down peers lack ``uptime``/``prefix-count``/``remote-id``.
* v7: ``/routing/bgp/connection`` (configuration, routing_bgp_connection.v7.json:
  ``{"name": "c1", "remote.address": "10.10.10.1", "remote.as": "65001",
  "local.role": "ebgp", ...}``) and ``/routing/bgp/session`` (runtime,
  routing_bgp_session.v7.json: ``{"name": "bogon-1", "remote.address":
  "10.10.100.56", "remote.as": "65533", "uptime": "53m10s720ms",
  "prefix-count": "0", "established": "true", "ebgp": "", ...}``). Dotted keys
  stay as they are; switch flags (``ebgp``, ``remote.eor``) arrive empty when
  set and are absent when not: ``True``/``False``.

Peer label: v6 the peer ``name``. v7 the connection ``name``: a session belongs
to the connection whose name it extends (RouterOS names sessions
``<connection>-<n>``) or, failing that, whose ``remote.address`` it has; a
session without a connection is labelled with its own name. A connection
without a session is a down peer.

Produces (label ``peer``): bgp.prefix_count and bgp.uptime_seconds (while up).
Whether a peer is established (bgp.established) is read on the short tier by
:mod:`routing_bgp_state` (:func:`map_v6`/:func:`map_v7` produce it for both). Inventory: v6 table
``bgp_peers``; v7 tables ``bgp_connections`` and ``bgp_sessions`` (key ``name``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import (
    Field,
    flag,
    proplist,
    read,
    sample,
    snapshot,
    switch,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values import (
    parse_bool,
    parse_datetime,
    parse_duration,
    parse_int,
    parse_optional_duration,
)

V6_PATH = "/routing/bgp/peer"
V7_CONNECTION_PATH = "/routing/bgp/connection"
V7_SESSION_PATH = "/routing/bgp/session"

V6_FIELDS = (
    Field("name"),
    Field("instance"),
    Field("remote-address"),
    Field("remote-as", parse_int),
    Field("remote-id"),
    Field("local-address"),
    Field("state"),
    flag("established"),
    flag("disabled"),
    Field("uptime", parse_duration),
    Field("prefix-count", parse_int),
    Field("updates-sent", parse_int),
    Field("updates-received", parse_int),
    Field("withdrawn-sent", parse_int),
    Field("withdrawn-received", parse_int),
    Field("hold-time", parse_optional_duration),
    Field("in-filter"),
    Field("out-filter"),
)
CONNECTION_FIELDS = (
    Field("name"),
    Field("as", parse_int),
    Field("router-id"),
    Field("routing-table"),
    Field("remote.address"),
    Field("remote.as", parse_int),
    Field("local.address"),
    Field("local.role"),
    flag("disabled"),
)
SESSION_FIELDS = (
    Field("name"),
    Field("remote.address"),
    Field("remote.as", parse_int),
    Field("remote.id"),
    Field("local.address"),
    Field("local.as", parse_int),
    Field("local.id"),
    Field("remote.messages", parse_int),
    Field("local.messages", parse_int),
    Field("remote.bytes", parse_int),
    Field("local.bytes", parse_int),
    Field("prefix-count", parse_int),
    Field("uptime", parse_duration),
    Field("last-started", parse_datetime),
    Field("hold-time", parse_optional_duration),
    flag("established"),
    Field("ebgp", switch, False),
    Field("ibgp", switch, False),
    Field("stopped", switch, False),
)


def _up(row: Row) -> bool:
    text = row.get("established")
    return parse_bool(text) if text else row.get("state", "").lower() == "established"


def _peer_samples(peer: str, row: Row | None, ts: datetime) -> list[Sample]:
    if row is None or not _up(row):
        return [sample("bgp.established", 0, ts, peer=peer)]
    out = [sample("bgp.established", 1, ts, peer=peer)]
    if row.get("prefix-count"):
        out.append(sample("bgp.prefix_count", parse_int(row["prefix-count"]), ts, peer=peer))
    if row.get("uptime"):
        out.append(sample("bgp.uptime_seconds", parse_duration(row["uptime"]), ts, peer=peer))
    return out


def _bare(address: str) -> str:
    return address.split("/", 1)[0].strip()


def map_v6(peers: Sequence[Row], ts: datetime) -> list[Sample]:
    """Map v6 peer rows to samples.

    Raises:
        ValueParseError: a count or uptime is malformed.
    """
    return [s for row in peers if row.get("name") for s in _peer_samples(row["name"], row, ts)]


def map_v7(connections: Sequence[Row], sessions: Sequence[Row], ts: datetime) -> list[Sample]:
    """Pair v7 sessions with their connections and map them to samples.

    Raises:
        ValueParseError: a count or uptime is malformed.
    """
    names = [row["name"] for row in connections if row.get("name")]
    by_address = {
        _bare(row["remote.address"]): row["name"]
        for row in connections if row.get("name") and row.get("remote.address")
    }
    matched: dict[str, Row] = {}
    out: list[Sample] = []
    for session in sessions:
        name = session.get("name", "")
        peer = next((n for n in names if name.startswith(n + "-")), None)
        if peer is None:
            peer = by_address.get(_bare(session.get("remote.address", "")), name)
        if not peer:
            continue
        if peer in names:
            matched[peer] = session
        else:
            out.extend(_peer_samples(peer, session, ts))
    for peer in names:
        out.extend(_peer_samples(peer, matched.get(peer), ts))
    return out


def _extended(samples: list[Sample]) -> list[Sample]:
    """Drop bgp.established: the short tier reports it (routing_bgp_state)."""
    return [s for s in samples if s.key != "bgp.established"]


class RoutingBgpCollector:
    """Reads BGP peers (v6) or connections and sessions (v7) each extended poll."""

    name = "routing_bgp"
    tier = Tier.EXTENDED

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read BGP state; see the module docstring.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
            ValueParseError: a count or uptime is malformed.
        """
        result = CollectResult()
        if ctx.major < 7:
            peers = await read(client, ctx, result, V6_PATH, proplist(V6_FIELDS))
            if peers is not None:
                ts = ctx.clock()
                result.samples = _extended(map_v6(peers, ts))
                result.inventory.append(snapshot("bgp_peers", peers, V6_FIELDS, ("name",), ts))
            return result
        connections = await read(
            client, ctx, result, V7_CONNECTION_PATH, proplist(CONNECTION_FIELDS)
        )
        if connections is None:
            return result  # no routing package / no BGP: sessions cannot exist either
        sessions = await read(client, ctx, result, V7_SESSION_PATH, proplist(SESSION_FIELDS))
        ts = ctx.clock()
        result.samples = _extended(map_v7(connections, sessions or [], ts))
        result.inventory.append(
            snapshot("bgp_connections", connections, CONNECTION_FIELDS, ("name",), ts)
        )
        if sessions is not None:
            result.inventory.append(
                snapshot("bgp_sessions", sessions, SESSION_FIELDS, ("name",), ts)
            )
        return result
