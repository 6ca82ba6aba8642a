"""Short-tier state collectors: interface links, BGP peers, OSPF neighbours, read with
a few fields each so that alert rules know within a minute."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import FakeRouter, context, load

from mikromon.collectors.interface_state import InterfaceStateCollector
from mikromon.collectors.routing_bgp_state import RoutingBgpStateCollector
from mikromon.collectors.routing_ospf_state import RoutingOspfStateCollector


def values(result, label: str) -> dict[tuple[str, str | None], float]:
    return {(s.key, s.label(label)): s.value for s in result.samples}


async def test_interface_links_skip_dynamic_and_report_disabled(captures: Path) -> None:
    rows = load(captures, "interface.v6")
    rows[1] = {**rows[1], "running": "false"}
    rows[2] = {**rows[2], "disabled": "true", "running": "false"}
    # A PPPoE server interface (dynamic=true, as /interface prints it for session
    # interfaces; interface.v7's pppoe-out1 carries dynamic=false).
    rows.append({"name": "<pppoe-user1>", "type": "pppoe-in", "dynamic": "true",
                 "running": "true", "disabled": "false"})
    router = FakeRouter({"/interface": rows})
    result = await InterfaceStateCollector().collect(router, context(major=6))
    got = values(result, "interface")
    names = [r["name"] for r in rows]
    assert got[("iface.running", names[0])] == 1.0
    assert got[("iface.running", names[1])] == 0.0
    assert got[("iface.disabled", names[2])] == 1.0
    assert ("iface.running", names[2]) not in got
    dynamic = [r["name"] for r in rows if r.get("dynamic") == "true"]
    assert dynamic == ["<pppoe-user1>"]
    assert not any(name in dynamic for _, name in got)
    (call,) = router.calls
    assert set(call.proplist) == {"name", "running", "disabled", "dynamic"}


async def test_interface_bad_flag_costs_that_interface_only() -> None:
    router = FakeRouter({"/interface": [{"name": "ether1", "running": "maybe"},
                                        {"name": "ether2", "running": "true"},
                                        {"name": "ether3", "disabled": "perhaps"}]})
    result = await InterfaceStateCollector().collect(router, context())
    assert values(result, "interface") == {("iface.running", "ether2"): 1.0}
    assert [(b.path, b.field, b.raw, b.row) for b in result.bad_values] == [
        ("/interface", "running", "maybe", "ether1"),
        ("/interface", "disabled", "perhaps", "ether3")]


async def test_bgp_v6_peer_state_without_the_full_table(captures: Path) -> None:
    rows = load(captures, "routing_bgp_peer.v6")
    rows.append({"name": "off", "state": "idle", "disabled": "true"})
    router = FakeRouter({"/routing/bgp/peer": rows})
    result = await RoutingBgpStateCollector().collect(router, context(major=6))
    assert values(result, "peer") == {("bgp.established", "peer-a"): 1.0,
                                      ("bgp.established", "SRV-R1"): 1.0,
                                      ("bgp.established", "Hub01"): 0.0}
    (call,) = router.calls
    assert set(call.proplist) == {"name", "state", "established", "disabled"}


async def test_bgp_v7_sessions_paired_with_connections(captures: Path) -> None:
    router = FakeRouter({
        "/routing/bgp/connection": load(captures, "routing_bgp_connection.v7"),
        "/routing/bgp/session": load(captures, "routing_bgp_session.v7"),
    })
    result = await RoutingBgpStateCollector().collect(router, context())
    # the session belongs to no connection: its own name; the connection has no
    # session: down
    assert values(result, "peer") == {("bgp.established", "bogon-1"): 1.0,
                                      ("bgp.established", "c1"): 0.0}
    session = {**load(captures, "routing_bgp_session.v7")[0], "name": "c1-1"}
    router = FakeRouter({
        "/routing/bgp/connection": load(captures, "routing_bgp_connection.v7"),
        "/routing/bgp/session": [session],
    })
    result = await RoutingBgpStateCollector().collect(router, context())
    assert values(result, "peer") == {("bgp.established", "c1"): 1.0}
    assert all(len(c.proplist) == 3 for c in router.calls)


async def test_bgp_absent_package_is_reported() -> None:
    router = FakeRouter()
    result = await RoutingBgpStateCollector().collect(router, context())
    # neither menu: the version's is asked first, then the other (the reply decides)
    assert result.absent == ["/routing/bgp/connection", "/routing/bgp/peer"]
    assert result.samples == []


@pytest.mark.parametrize("major", [6, 7])
async def test_ospf_neighbour_states_and_counts(captures: Path, major: int) -> None:
    router = FakeRouter({"/routing/ospf/neighbor": load(captures,
                                                         f"routing_ospf_neighbor.v{major}")})
    result = await RoutingOspfStateCollector().collect(router, context(major=major))
    got = values(result, "neighbor")
    assert got[("ospf.neighbors", None)] == 3.0
    assert got[("ospf.neighbors_full", None)] == 2.0
    full = {name: v for (key, name), v in got.items() if key == "ospf.neighbor_full"}
    if major == 6:
        assert full == {"198.51.100.2": 1.0, "198.51.100.3": 1.0, "10.2.3.5": 0.0}
    else:  # one router-id over IPv4 and IPv6: told apart by address
        assert full == {"198.51.100.2": 1.0, "10.88.0.250 10.88.0.250": 1.0,
                        "10.88.0.250 fe80::2a4:ff:fe00:10%bridge": 0.0}
    (call,) = router.calls
    assert call.proplist == ("router-id", "address", "state")
