"""Long-tier collectors: ARP, addresses, routes (with the large-table rule),
firewall rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from collector_fakes import TS, FakeRouter, context, load

from mikromon.collectors import ip_address, ip_arp, ip_firewall
from mikromon.collectors.ip_route import INVENTORY_LIMIT, IpRouteCollector
from mikromon.collectors.support import proplist
from mikromon.emulator.reconstructed import MANGLE_RULES


async def test_arp_v6(captures: Path) -> None:
    router = FakeRouter({"/ip/arp": load(captures, "ip_arp.v6")})
    (snap,) = (await ip_arp.COLLECTOR.collect(router, context(major=6))).inventory
    assert (snap.table, snap.key_fields, snap.ts) == ("arp", ("address", "interface"), TS)
    common = {"status": None, "published": False, "invalid": False, "dynamic": True,
              "disabled": False}
    assert list(snap.rows) == [
        {**common, "address": "10.88.0.11", "mac-address": "02:00:00:00:00:01",
         "interface": "bridge", "DHCP": True, "complete": True, "comment": None},
        {**common, "address": "10.88.0.254", "mac-address": "02:00:27:CE:A3:7E",
         "interface": "ether1", "DHCP": False, "complete": True, "comment": ""},
        {**common, "address": "10.88.0.220", "mac-address": None, "interface": "ether1",
         "DHCP": False, "complete": False, "comment": None},
    ]
    assert "DHCP" in router.calls[1].proplist  # upper-case key as the router spells it


async def test_arp_v7_status(captures: Path) -> None:
    router = FakeRouter({"/ip/arp": load(captures, "ip_arp.v7")})
    (snap,) = (await ip_arp.COLLECTOR.collect(router, context())).inventory
    assert [(r["address"], r["status"], r["complete"]) for r in snap.rows] == [
        ("10.88.0.10", "stale", True), ("10.88.0.11", "reachable", True),
        ("10.88.0.12", "failed", False),
    ]


@pytest.mark.parametrize(
    ("capture", "expected"),
    [
        ("ip_address.v6", [("10.56.0.200/24", "10.56.0.0", "ether1", True, None)]),
        ("ip_address.v7", [
            ("10.88.0.1/24", "10.88.0.0", "bridge", False, "defconf"),
            ("198.51.100.26/30", "198.51.100.24", "vlan11", False, "INET Uplink"),
            ("10.64.247.75/32", "10.64.1.248", "pppoe-out1", True, None),
        ]),
    ],
)
async def test_ip_addresses(captures: Path, capture: str, expected: list[tuple]) -> None:
    router = FakeRouter({"/ip/address": load(captures, capture)})
    (snap,) = (await ip_address.COLLECTOR.collect(router, context())).inventory
    assert snap.table == "ip_addresses"
    assert [(r["address"], r["network"], r["interface"], r["dynamic"], r["comment"])
            for r in snap.rows] == expected
    assert all(r["invalid"] is False and r["disabled"] is False for r in snap.rows)


async def test_routes_v6(captures: Path) -> None:
    router = FakeRouter({"/ip/route": load(captures, "ip_route.v6")})
    result = await IpRouteCollector().collect(router, context(major=6))
    assert [(s.key, s.value) for s in result.samples] == [("routes.count", 5.0)]
    (snap,) = result.inventory
    rows = {r[".id"]: r for r in snap.rows}
    assert rows["*1"] == {
        ".id": "*1", "dst-address": "0.0.0.0/0", "gateway": "203.0.113.243",
        "pref-src": None, "distance": 10, "scope": 30, "target-scope": 10, "type": None,
        "check-gateway": None, "comment": None, "active": True, "dynamic": False,
        "static": True, "connect": False, "bgp": False, "ospf": False, "blackhole": False,
        "disabled": False, "routing-mark": None,
        "gateway-status": "203.0.113.243 reachable via  pppoe-out1",
    }
    # a BGP route that is not active simply lacks 'active'
    assert (rows["*2"]["bgp"], rows["*2"]["active"], rows["*2"]["distance"]) == (True, False, 20)
    assert (rows["*4"]["type"], rows["*4"]["routing-mark"], rows["*4"]["blackhole"]) == (
        "blackhole", "Free_Wi-Fi", True)
    assert rows["*3"]["pref-src"] == "198.51.100.127"
    assert rows["*3"]["connect"] is True
    assert rows["*5"]["check-gateway"] == "ping"
    assert [(c.kind, c.query) for c in router.calls] == [("count", ()), ("print", ())]


async def test_routes_v7(captures: Path) -> None:
    router = FakeRouter({"/ip/route": load(captures, "ip_route.v7")})
    result = await IpRouteCollector().collect(router, context(version=(7, 16, 2)))
    assert [(s.key, s.value) for s in result.samples] == [("routes.count", 5.0)]
    rows = {r[".id"]: r for r in result.inventory[0].rows}
    assert rows["*8000001B"] == {
        ".id": "*8000001B", "dst-address": "0.0.0.0/0", "gateway": "203.0.113.53",
        "pref-src": None, "distance": 1, "scope": None, "target-scope": None, "type": None,
        "check-gateway": "ping", "comment": "LB main WAN1", "active": False,
        "dynamic": False, "static": True, "connect": False, "bgp": False, "ospf": False,
        "blackhole": False, "disabled": False, "routing-table": "main", "immediate-gw": "",
        "local-address": None, "vrf-interface": None, "inactive": True, "ecmp": False,
        "dhcp": False,
    }
    assert rows["*80000001"]["immediate-gw"] == "10.17.0.1%ether1"
    assert rows["*80000001"]["dhcp"] is True
    assert rows["*80000001"]["vrf-interface"] == "ether1"
    assert rows["*20183040"]["local-address"] == "10.88.0.1%bridge"
    assert rows["*8000001F"]["routing-table"] == "isp2"
    assert rows["*8000001F"]["ecmp"] is True


async def test_routes_large_table_stores_count_and_configured_routes(captures: Path) -> None:
    """Above the limit the full table is never printed: static + connected only."""
    router = FakeRouter({"/ip/route": load(captures, "ip_route.v7")},
                        counts={"/ip/route": 950_000})
    result = await IpRouteCollector().collect(router, context())
    assert [(s.key, s.value) for s in result.samples] == [("routes.count", 950_000.0)]
    assert [r[".id"] for r in result.inventory[0].rows] == [
        "*8000001B", "*8000001C", "*8000001F", "*20183040"]
    assert [(c.kind, c.query) for c in router.calls] == [
        ("count", ()), ("print", ("?static=true",)), ("print", ("?connect=true",))]
    assert INVENTORY_LIMIT == 10_000


async def test_firewall_filter(captures: Path) -> None:
    router = FakeRouter({"/ip/firewall/filter": load(captures, "ip_firewall_filter.v7")})
    (snap,) = (await ip_firewall.FILTER.collect(router, context())).inventory
    assert (snap.table, snap.key_fields) == ("firewall_filter", (".id",))
    assert [(r[".id"], r["chain"], r["action"], r["bytes"], r["packets"]) for r in snap.rows] == [
        ("*fffffffe", "forward", "passthrough", 50507925242, 50048246),
        ("*1", "input", "accept", 1839922713, 2512044),
        ("*2", "input", "drop", 125943, 2434),
        ("*3", "input", "accept", 355048, 4813),
        ("*4", "input", "drop", 9912837, 148823),
        ("*7", "forward", "fasttrack-connection", 48911203112, 47803391),
        ("*9", "forward", "drop", 432270, 9719),
        ("*A", "forward", "drop", 0, 0),
    ]
    first, _, _, icmp, not_lan, *_, last = snap.rows
    assert first["dynamic"] is True
    assert first["comment"].startswith("special dummy rule")
    assert icmp["protocol"] == "icmp"
    assert icmp["connection-state"] is None
    assert not_lan["in-interface-list"] == "!LAN"
    assert last["connection-nat-state"] == "!dstnat"
    assert last["in-interface-list"] == "WAN"
    assert all(r["log"] is False and r["log-prefix"] == "" for r in snap.rows)


async def test_firewall_nat_and_empty_mangle(captures: Path) -> None:
    router = FakeRouter({"/ip/firewall/nat": load(captures, "ip_firewall_nat.v7"),
                         "/ip/firewall/mangle": []})
    (nat,) = (await ip_firewall.NAT.collect(router, context())).inventory
    assert [(r["chain"], r["action"], r["bytes"], r["packets"], r["disabled"])
            for r in nat.rows] == [
        ("srcnat", "masquerade", 1186433021, 9811203, False),
        ("dstnat", "dst-nat", 40213, 612, False),
        ("srcnat", "accept", 0, 0, True),
    ]
    dst = nat.rows[1]
    assert (dst["protocol"], dst["dst-port"], dst["in-interface"], dst["to-addresses"],
            dst["to-ports"]) == ("tcp", "8080", "ether1", "10.88.0.10", "80")
    assert nat.rows[0]["out-interface-list"] == "WAN"
    (mangle,) = (await ip_firewall.MANGLE.collect(router, context())).inventory
    assert (mangle.table, list(mangle.rows)) == ("firewall_mangle", [])


@pytest.mark.parametrize("capture", ["ip_firewall_filter.v7", "ip_firewall_nat.v7"])
def test_firewall_columns_cover_every_property_the_captures_show(
    captures: Path, capture: str
) -> None:
    names = set(proplist(ip_firewall.FIELDS))
    seen = {key for row in load(captures, capture) for key in row}
    assert seen - names == set()


def test_firewall_columns_have_the_mangle_and_matcher_properties() -> None:
    names = set(proplist(ip_firewall.FIELDS))
    assert {
        "connection-mark", "packet-mark", "routing-mark", "new-connection-mark",
        "new-packet-mark", "new-routing-mark", "passthrough", "new-mss", "new-dscp",
        "tcp-flags", "connection-state", "protocol", "dst-port", "src-address-list",
        "dst-address-list", "jump-target", "to-addresses", "to-ports",
    } <= names


async def test_mangle_rules_are_told_apart_by_their_marks() -> None:
    """The emulator's dual-WAN mangle set (rules that differ only in matchers and
    marks): every property is stored and no two rules look alike without .id."""
    rules = [dict(rule) for rule, _, _ in MANGLE_RULES]
    for n, rule in enumerate(rules):
        rule.update(bytes=str(1000 * n), packets=str(10 * n))
    router = FakeRouter({"/ip/firewall/mangle": rules})
    (snap,) = (await ip_firewall.MANGLE.collect(router, context())).inventory
    for rule, row in zip(rules, snap.rows, strict=True):
        for key, value in rule.items():
            if key not in ("passthrough", "disabled", "bytes", "packets"):
                assert row[key] == value, key
    assert [r["passthrough"] for r in snap.rows] == [True, False, False, True, False, True]
    assert [(r["connection-mark"], r["new-routing-mark"]) for r in snap.rows[:3]] == [
        (None, None), ("wan1-conn", "to-wan1"), (None, "to-wan2")]
    assert (snap.rows[3]["tcp-flags"], snap.rows[3]["new-mss"]) == ("syn", "clamp-to-pmtu")
    assert (snap.rows[4]["new-packet-mark"], snap.rows[5]["new-dscp"]) == ("bulk", "46")
    without_id = [tuple(sorted((k, str(v)) for k, v in r.items()
                               if k not in (".id", "bytes", "packets", "comment")))
                  for r in snap.rows]
    assert len(set(without_id)) == len(without_id)
