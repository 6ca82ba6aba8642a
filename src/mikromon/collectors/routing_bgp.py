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

Which paths: the reply decides, not the version string. The version only
says which to ask first (v6 peer, else v7 connection); a path the router lacks
traps ``no such command prefix``, is reported absent once (and not asked
again until the version changes), and the other one is read. So a router whose
version cannot be read, or a beta, is read like any other.

Each field is read on its own: an unreadable or impossible ``prefix-count``,
``uptime`` or ``established`` costs that sample (listed in ``bad_values``),
not the peer or the others.

Peer label: v6 the peer ``name``. v7 the connection ``name``: a session belongs
to the connection whose name it extends (RouterOS names sessions
``<connection>-<n>``) or, failing that, whose ``remote.address`` it has; a
session without a connection is labelled with its own name. A connection
without a session is a down peer.

Produces (label ``peer``): bgp.prefix_count and bgp.uptime_seconds (while up).
Whether a peer is established (bgp.established) is read on the short tier by
:mod:`routing_bgp_state` (:func:`map_v6`/:func:`map_v7` produce it for both). Inventory: v6 table
``bgp_peers``; v7 tables ``bgp_connections`` and ``bgp_sessions`` (key ``name``).
Session ``last-started`` is a router-local time stored as UTC ISO text
(:mod:`mikromon.collectors.clock`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.clock import localize_snapshot, router_clock
from mikromon.collectors.support import (
    Field,
    Values,
    flag,
    proplist,
    read,
    sample,
    snapshot,
    switch,
)
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row
from mikromon.routeros.values.dates import parse_optional_datetime
from mikromon.routeros.values.durations import parse_elapsed, parse_optional_duration
from mikromon.routeros.values.numbers import parse_asn, parse_bool, parse_counter

V6_PATH = "/routing/bgp/peer"
V7_CONNECTION_PATH = "/routing/bgp/connection"
V7_SESSION_PATH = "/routing/bgp/session"

V6_FIELDS = (
    Field("name"),
    Field("instance"),
    Field("remote-address"),
    Field("remote-as", parse_asn),
    Field("remote-id"),
    Field("local-address"),
    Field("state"),
    flag("established"),
    flag("disabled"),
    Field("uptime", parse_elapsed),
    Field("prefix-count", parse_counter),
    Field("updates-sent", parse_counter),
    Field("updates-received", parse_counter),
    Field("withdrawn-sent", parse_counter),
    Field("withdrawn-received", parse_counter),
    Field("hold-time", parse_optional_duration),
    Field("in-filter"),
    Field("out-filter"),
)
CONNECTION_FIELDS = (
    Field("name"),
    Field("as", parse_asn),
    Field("router-id"),
    Field("routing-table"),
    Field("remote.address"),
    Field("remote.as", parse_asn),
    Field("local.address"),
    Field("local.role"),
    flag("disabled"),
)
SESSION_FIELDS = (
    Field("name"),
    Field("remote.address"),
    Field("remote.as", parse_asn),
    Field("remote.id"),
    Field("local.address"),
    Field("local.as", parse_asn),
    Field("local.id"),
    Field("remote.messages", parse_counter),
    Field("local.messages", parse_counter),
    Field("remote.bytes", parse_counter),
    Field("local.bytes", parse_counter),
    Field("prefix-count", parse_counter),
    Field("uptime", parse_elapsed),
    Field("last-started", parse_optional_datetime),
    Field("hold-time", parse_optional_duration),
    flag("established"),
    Field("ebgp", switch, False),
    Field("ibgp", switch, False),
    Field("stopped", switch, False),
)


def _up(row: Row, values: Values, peer: str) -> bool:
    text = row.get("established")
    if text:
        up = values.parse(text, parse_bool, "established", peer)
        if up is not None:
            return up
    return row.get("state", "").lower() == "established"


def _peer_samples(
    peer: str, row: Row | None, ts: datetime, values: Values
) -> list[Sample]:
    if row is None or not _up(row, values, peer):
        return [sample("bgp.established", 0, ts, peer=peer)]
    out = [sample("bgp.established", 1, ts, peer=peer)]
    if row.get("prefix-count"):
        count = values.get(row, "prefix-count", parse_counter, peer)
        if count is not None:
            out.append(sample("bgp.prefix_count", count, ts, peer=peer))
    if row.get("uptime"):
        uptime = values.get(row, "uptime", parse_elapsed, peer)
        if uptime is not None:
            out.append(sample("bgp.uptime_seconds", uptime, ts, peer=peer))
    return out


def _bare(address: str) -> str:
    return address.split("/", 1)[0].strip()


def map_v6(peers: Sequence[Row], ts: datetime, reader: Values | None = None) -> list[Sample]:
    """Map v6 peer rows to samples (a field that cannot be read costs its sample)."""
    values = reader if reader is not None else Values(V6_PATH, CollectResult())
    return [s for row in peers if row.get("name")
            for s in _peer_samples(row["name"], row, ts, values)]


def map_v7(
    connections: Sequence[Row], sessions: Sequence[Row], ts: datetime,
    reader: Values | None = None,
) -> list[Sample]:
    """Pair v7 sessions with their connections and map them to samples (a field
    that cannot be read costs its sample)."""
    values = reader if reader is not None else Values(V7_SESSION_PATH, CollectResult())
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
            out.extend(_peer_samples(peer, session, ts, values))
    for peer in names:
        out.extend(_peer_samples(peer, matched.get(peer), ts, values))
    return out


def _extended(samples: list[Sample]) -> list[Sample]:
    """Drop bgp.established: the short tier reports it (routing_bgp_state)."""
    return [s for s in samples if s.key != "bgp.established"]


_BGP_TAB = Tab("bgp", "BGP")


class RoutingBgpCollector:
    """Reads BGP peers (v6) or connections and sessions (v7) each extended poll."""

    name = "routing_bgp"
    tier = Tier.EXTENDED
    views = (
        TableView("bgp_sessions", "BGP sessions", (V7_SESSION_PATH,),
                  ("name", "remote.address", "remote.as", "established", "prefix-count",
                   "uptime"), sort="name", seconds=("uptime", "hold-time"),
                  bytes=("remote.bytes", "local.bytes"), tab=_BGP_TAB, major=7),
        TableView("bgp_peers", "BGP peers", (V6_PATH,),
                  ("name", "remote-address", "remote-as", "state", "prefix-count", "uptime"),
                  sort="name", seconds=("uptime", "hold-time"), tab=_BGP_TAB, major=6),
        TableView("bgp_connections", "BGP connections", (V7_CONNECTION_PATH,),
                  ("name", "as", "remote.address", "remote.as"), sort="name",
                  tab=Tab("bgp-conn", "BGP connections", always=False), major=7),
    )

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read BGP state (:func:`read_either`); see the module docstring."""
        return await read_either(client, ctx, _read_v6, _read_v7)


#: Reads one version's BGP menus into the result; ``False`` when they are absent.
MenuReader = Callable[[RouterOSClient, CollectContext, CollectResult], Awaitable[bool]]


async def read_either(client: RouterOSClient, ctx: CollectContext,
                      v6: MenuReader, v7: MenuReader) -> CollectResult:
    """Return what the version's reader reads, or the other one when its menus are
    absent: the reply decides, not the version string (a beta or odd build may
    report a version its menus do not match).

    Raises:
        DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
    """
    result = CollectResult()
    for attempt in ((v6, v7) if ctx.major < 7 else (v7, v6)):
        if await attempt(client, ctx, result):
            break
    return result


async def _read_v6(client: RouterOSClient, ctx: CollectContext, result: CollectResult) -> bool:
    """Read v6 peers into ``result``; ``False`` when the router has no such path."""
    peers = await read(client, ctx, result, V6_PATH, proplist(V6_FIELDS))
    if peers is None:
        return False
    ts = ctx.clock()
    values = Values(V6_PATH, result)
    result.samples = _extended(map_v6(peers, ts, values))
    result.inventory.append(
        snapshot("bgp_peers", peers, V6_FIELDS, ("name",), ts, reader=values))
    return True


async def _read_v7(client: RouterOSClient, ctx: CollectContext, result: CollectResult) -> bool:
    """Read v7 connections and sessions into ``result``; ``False`` when the router
    has no connection path."""
    connections = await read(
        client, ctx, result, V7_CONNECTION_PATH, proplist(CONNECTION_FIELDS)
    )
    if connections is None:
        return False
    sessions = await read(client, ctx, result, V7_SESSION_PATH, proplist(SESSION_FIELDS))
    ts = ctx.clock()
    values = Values(V7_SESSION_PATH, result)
    result.samples = _extended(map_v7(connections, sessions or [], ts, values))
    result.inventory.append(snapshot(
        "bgp_connections", connections, CONNECTION_FIELDS, ("name",), ts,
        reader=Values(V7_CONNECTION_PATH, result),
    ))
    if sessions is not None:
        snap = snapshot("bgp_sessions", sessions, SESSION_FIELDS, ("name",), ts, reader=values)
        if sessions:
            clock = await router_clock(client, ctx, result)
            snap = localize_snapshot(snap, ("last-started",), clock)
        result.inventory.append(snap)
    return True
