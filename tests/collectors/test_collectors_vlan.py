"""``/interface/vlan`` through the real client against emulated v6 and v7 routers
(one row per ``vlanN`` interface of the router, settings from the rows of
interface_vlan.v6/.v7.json in turn), and its VLAN id parser."""

from __future__ import annotations

import pytest

from mikromon.collectors import detect_context, run_tier
from mikromon.collectors.interface_vlan import COLLECTOR, VIEW, parse_vlan_id
from mikromon.collectors.registry import by_name, table_views
from mikromon.collectors.support import Values
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.emulator import PROFILES, Profile
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.client import connect

#: A v7 router with four VLAN interfaces: vlan12 takes the capture's service-tag row.
V7_VLANS = PROFILES["v7"].replace(vlans=4)


async def _collect(profile: str | Profile, *, whole_tier: bool = False,
                   disabled_row: int | None = None) -> CollectResult:
    async with async_emulators(count=1, profile=profile) as (router,):
        if disabled_row is not None:
            router.router.set_value("/interface/vlan", "disabled", "true", row=disabled_row)
            router.router.set_value("/interface/vlan", "running", "false", row=disabled_row)
        client = await connect(DeviceConfig(
            id=1, name="r", host=router.host, port=router.port, username=router.username,
            password=router.password, connect_timeout=5.0, command_timeout=5.0))
        try:
            ctx = await detect_context(client, "r")
            if whole_tier:
                return await run_tier(client, Tier.EXTENDED, ctx)
            return await COLLECTOR.collect(client, ctx)
        finally:
            await client.close()


async def test_v7_vlans_are_read_typed() -> None:
    result = await _collect(V7_VLANS, disabled_row=3)
    assert result.failures == []
    assert result.bad_values == []
    (snap,) = result.inventory
    assert snap.table == "vlans"
    assert snap.key_fields == ("name",)
    rows = {r["name"]: r for r in snap.rows}
    # The router's own VLAN interfaces, tagged on its bridge.
    assert sorted(rows) == ["vlan10", "vlan11", "vlan12", "vlan13"]
    v10 = rows["vlan10"]
    assert v10["vlan-id"] == 10
    assert v10["interface"] == "bridge1"
    assert v10["mtu"] == 1500
    assert v10["l2mtu"] == 1592
    assert v10["running"] is True
    assert v10["disabled"] is False
    assert v10["mvrp"] is False
    assert v10["use-service-tag"] is False
    assert v10["loop-protect-send-interval"] == 5.0
    assert v10["loop-protect-disable-time"] == 300.0
    assert v10["arp-timeout"] == "auto"
    assert rows["vlan11"]["arp"] == "reply-only"
    assert rows["vlan12"]["use-service-tag"] is True
    assert rows["vlan12"]["arp-timeout"] == "30s"
    assert rows["vlan13"]["disabled"] is True
    assert rows["vlan13"]["running"] is False


async def test_v6_vlans_have_no_mvrp() -> None:
    result = await _collect("v6")
    (snap,) = result.inventory
    assert {r["name"] for r in snap.rows} == {"vlan10", "vlan11"}
    assert all(r["mvrp"] is None for r in snap.rows)
    assert [r["vlan-id"] for r in snap.rows] == [10, 11]
    assert {r["interface"] for r in snap.rows} == {"bridge1"}


async def test_the_extended_tier_reads_the_vlans() -> None:
    """Registered: the extended tier stores the table beside the others."""
    result = await _collect("v7", whole_tier=True)
    assert "vlans" in [snap.table for snap in result.inventory]
    assert by_name("interface_vlan") is COLLECTOR


def test_the_table_is_declared_once_with_its_view() -> None:
    declared = {d.view.table: d for d in table_views()}
    assert declared["vlans"].view is VIEW
    assert declared["vlans"].tier is Tier.EXTENDED
    assert VIEW.sort == "vlan-id"
    assert VIEW.paths == ("/interface/vlan",)


@pytest.mark.parametrize("text", ["0", "4095", "-1", "ten", "", "1.5"])
def test_impossible_vlan_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueParseError):
        parse_vlan_id(text)
    result = CollectResult()
    assert Values("/interface/vlan", result).parse(text, parse_vlan_id, "vlan-id") is None
    assert [b.field for b in result.bad_values] == ["vlan-id"]


@pytest.mark.parametrize(("text", "vid"), [("1", 1), ("4094", 4094), ("0x64", 100)])
def test_vlan_ids(text: str, vid: int) -> None:
    assert parse_vlan_id(text) == vid
