"""``/interface/vlan`` agrees with the router's own interfaces: one row per
``vlanN`` of ``/interface`` (same ``.id``, MAC, MTUs, state), VLAN id ``N``, on
the interface ``/interface/bridge/vlan`` tags it on."""

from __future__ import annotations

import pytest

from mikromon.emulator import PROFILES, ManualClock, Router
from mikromon.emulator.menu_base import rows_of


@pytest.mark.parametrize("name", ["v6", "v7", "isp-bras", "capsman", "v7-empty", "chr"])
def test_vlan_rows_are_the_router_s_vlan_interfaces(name: str) -> None:
    router = Router(PROFILES[name], clock=ManualClock())
    listed = {r["name"]: r for r in rows_of(router.table("/interface"))}
    vlans = rows_of(router.table("/interface/vlan"))
    assert [r["name"] for r in vlans] == [n for n, r in listed.items() if r["type"] == "vlan"]
    for row in vlans:
        own = listed[row["name"]]
        assert row["vlan-id"] == row["name"].removeprefix("vlan")
        assert row["interface"] in listed, row
        parent = listed[row["interface"]]
        assert row["mac-address"] == own["mac-address"] == parent["mac-address"]
        assert int(row["l2mtu"]) == int(parent["l2mtu"]) - 4
        for key in (".id", "mtu", "actual-mtu", "l2mtu", "running", "disabled"):
            assert row[key] == own[key], (row["name"], key)


def test_bridge_vlans_tag_the_vlan_interfaces_on_their_bridge() -> None:
    router = Router(PROFILES["v7"], clock=ManualClock())
    vlans = rows_of(router.table("/interface/vlan"))
    tagged = rows_of(router.table("/interface/bridge/vlan"))[1:]
    assert sorted(r["vlan-ids"] for r in tagged) == sorted(r["vlan-id"] for r in vlans)
    assert {r["bridge"] for r in tagged} == {r["interface"] for r in vlans} == {"bridge1"}


def test_a_concentrator_carries_its_vlans_on_an_sfp_trunk() -> None:
    router = Router(PROFILES["isp-bras"], clock=ManualClock())
    vlans = rows_of(router.table("/interface/vlan"))
    assert {r["interface"] for r in vlans} == {"sfp-sfpplus1"}
    servers = rows_of(router.table("/interface/pppoe-server/server"))
    assert {r["interface"] for r in servers} == {r["name"] for r in vlans}


def test_a_vlan_s_comment_is_the_same_in_both_menus() -> None:
    router = Router(PROFILES["v7"], clock=ManualClock())
    listed = {r["name"]: r for r in rows_of(router.table("/interface"))}
    vlans = rows_of(router.table("/interface/vlan"))
    assert [r.get("comment") for r in vlans] == ["management", "guests"]
    assert all(listed[r["name"]].get("comment") == r.get("comment") for r in vlans)
