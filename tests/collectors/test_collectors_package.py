"""``/system/package`` through the real client against emulated v6 and v7 routers:
the packages the emulator lists for the profile's version and radios."""

from __future__ import annotations

from mikromon.collectors import detect_context
from mikromon.collectors.registry import by_name, table_views
from mikromon.collectors.system_package import COLLECTOR
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.client import connect


async def _collect(profile: str) -> CollectResult:
    async with async_emulators(count=1, profile=profile) as (router,):
        client = await connect(DeviceConfig(
            id=1, name="r", host=router.host, port=router.port, username=router.username,
            password=router.password, connect_timeout=5.0, command_timeout=5.0))
        try:
            return await COLLECTOR.collect(client, await detect_context(client, "r"))
        finally:
            await client.close()


async def test_v7_packages_are_the_main_package_and_the_radio_driver() -> None:
    result = await _collect("v7")
    assert result.failures == []
    assert result.bad_values == []
    (snap,) = result.inventory
    assert snap.table == "packages"
    assert snap.key_fields == ("name",)
    rows = {r["name"]: r for r in snap.rows}
    assert "routeros" in rows
    main = rows["routeros"]
    assert main["version"] == "7.16.2"
    assert main["disabled"] is False
    assert isinstance(main["build-time"], str)
    assert main["build-time"]


async def test_v6_bundle_parts_keep_their_disabled_flag() -> None:
    result = await _collect("v6")
    assert result.failures == []
    (snap,) = result.inventory
    rows = {r["name"]: r for r in snap.rows}
    assert any(name.startswith("routeros-") for name in rows)
    assert {"system", "dhcp", "ppp"} <= set(rows)
    assert all(isinstance(r["disabled"], bool) for r in rows.values())
    assert {r["version"] for r in rows.values()} == {rows["system"]["version"]}


def test_declared_once_in_the_extended_tier() -> None:
    assert by_name("system_package") is COLLECTOR
    assert COLLECTOR.tier == Tier.EXTENDED
    (declared,) = [t for t in table_views() if t.view.table == "packages"]
    assert declared.tier == Tier.EXTENDED
    assert declared.view.sort == "name"
