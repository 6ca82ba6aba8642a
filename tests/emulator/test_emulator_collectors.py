"""Every collector tier, through the real client, against each named profile: no
failures, and ``absent`` holds exactly the menus the profile's packages leave out.

A recording client wraps the real one, so the test also checks that every menu the
collectors ask for was served with rows where the router has them."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from typing import Final

import pytest

from mikromon.collectors import detect_context, run_tier
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.emulator import PROFILES, ManualClock
from mikromon.emulator.menus_capsman import cap_interfaces
from mikromon.emulator.testing import async_emulators
from mikromon.routeros.base import ReplyLimit, RouterOSClient, Row
from mikromon.routeros.client import connect

#: Menus each profile lacks and the collectors ask for anyway. v6 has everything
#: its collectors ask (the wifi and v7 BGP menus are not asked on v6); 7.x lacks
#: the legacy wireless package; CHR has no radios and no hotspot; the 6.42 router
#: runs only the wireless package.
EXPECTED_ABSENT: Final = {
    "v6": set(),
    # without a BGP peer menu the v7 one is asked too, and without a wifi menu the
    # older wifiwave2 one: the router's answer decides, not its version (once each)
    "v6-legacy": {"/ip/hotspot/active", "/routing/bgp/peer", "/routing/bgp/connection",
                  "/routing/ospf/neighbor"},
    "v7": {"/interface/wireless/registration-table", "/caps-man/registration-table"},
    "v7-empty": {"/interface/wireless/registration-table", "/caps-man/registration-table"},
    "chr": {"/ip/hotspot/active", "/interface/wireless/registration-table",
            "/interface/wifi/registration-table", "/interface/wifiwave2/registration-table",
            "/caps-man/registration-table"},
    # a PPPoE concentrator: no radios, no hotspot
    "isp-bras": {"/ip/hotspot/active", "/interface/wireless/registration-table",
                 "/interface/wifi/registration-table",
                 "/interface/wifiwave2/registration-table", "/caps-man/registration-table"},
    # the wifi CAPsMAN controller (7.16) has no legacy wireless package, no hotspot,
    # BGP or OSPF
    "capsman": {"/ip/hotspot/active", "/interface/wireless/registration-table",
                "/caps-man/registration-table", "/routing/bgp/connection",
                "/routing/bgp/peer", "/routing/ospf/neighbor"},
    # the legacy controller (6.49) has no hotspot, BGP or OSPF package
    "capsman-v6": {"/ip/hotspot/active", "/routing/bgp/peer", "/routing/bgp/connection",
                   "/routing/ospf/neighbor"},
}
#: The legacy CAPsMAN menus of the wireless package, empty while the manager is off.
_CAPSMAN_OFF: Final = {"/caps-man/interface", "/caps-man/registration-table"}
#: Menus that exist but have no rows on a profile (no health sensors on CHR or
#: the hAP lite, no PPP server on the latter, no VLAN interface on those three;
#: v7-empty is a 7.18 hEX where every optional menu is empty, so its client meets
#: ``!empty`` replies).
EMPTY_MENUS: Final = {"chr": {"/system/health", "/interface/vlan"},
                      "v6": _CAPSMAN_OFF,
                      "v6-legacy": {"/system/health", "/ppp/active", "/interface/vlan",
                                    *_CAPSMAN_OFF},
                      "v7-empty": {"/interface/wifi", "/interface/wifi/registration-table",
                                   "/ip/dhcp-server/lease", "/ip/hotspot/active",
                                   "/ip/firewall/mangle", "/ppp/active", "/queue/simple",
                                   "/routing/bgp/session", "/routing/ospf/neighbor",
                                   "/interface/vlan"}}
#: The router's wall clock: another day than the test machine's, so a v6 log line
#: without a date can only get its date from /system/clock.
WALL: Final = calendar.timegm((2031, 3, 5, 8, 0, 0))


class RecordingClient:
    """Delegates to a real client and remembers how many rows each path gave."""

    def __init__(self, inner: RouterOSClient) -> None:
        self.inner = inner
        self.rows: dict[str, int] = {}

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[Row]:
        rows = await self.inner.print(path, proplist, query, args, limit=limit)
        self.rows[path] = len(rows)
        return rows

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        n = await self.inner.count(path, query)
        self.rows[path] = n
        return n

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[Row]:
        return await self.inner.call(command, args, limit=limit)

    async def close(self) -> None:
        await self.inner.close()


@pytest.mark.parametrize("name", sorted(EXPECTED_ABSENT))
async def test_every_tier_reads_real_rows(name: str) -> None:
    profile = PROFILES[name].replace(connections=200)
    if name == "isp-bras":  # enough customers to churn, few enough to read quickly
        profile = profile.replace(ppp_sessions=300)
    async with async_emulators(1, profile=profile, clock=ManualClock(wall=WALL)) as (router,):
        device = DeviceConfig(id=1, name=name, host=router.host, port=router.port,
                              username=router.username, password=router.password,
                              connect_timeout=5.0, command_timeout=5.0)
        client = RecordingClient(await connect(device))
        try:
            ctx = await detect_context(client, name)
            result = CollectResult()
            for tier in Tier:
                part = await run_tier(client, tier, ctx)
                ctx.absent.update(part.absent)  # as the service does: ask once
                result.merge(part)
        finally:
            await client.close()
    assert result.failures == []
    # rows as real routers send them are never unreadable values
    assert [(b.path, b.field, b.raw) for b in result.bad_values] == []
    assert set(result.absent) == EXPECTED_ABSENT[name]
    assert len(result.absent) == len(set(result.absent))  # each reported once
    served = set(client.rows) - set(result.absent)
    empty = {path for path in served if client.rows[path] == 0}
    assert empty == EMPTY_MENUS.get(name, set())
    assert served <= router.router.menus.keys()
    assert {"/ip/firewall/mangle", "/interface"} <= served
    tables = {snap.table: snap for snap in result.inventory}
    mangle_rules = 0 if "/ip/firewall/mangle" in profile.empty_menus else 6
    assert len(tables["firewall_mangle"].rows) == mangle_rules
    assert all(isinstance(r["bytes"], int) for r in tables["firewall_mangle"].rows)
    radios = {"wlan": "wireless_interfaces", "wifi": "wifi_interfaces"}
    for kind, table in radios.items():
        if profile.radio_kind == kind:
            got = [r["name"] for r in tables[table].rows]
            # a wifi CAPsMAN controller lists its CAPs' interfaces after its own radios
            caps = list(cap_interfaces()) if "wifi-capsman" in profile.packages else []
            assert got == profile.radio_names + caps
            assert all(r["running"] is True and r["disabled"] is False
                       for r in tables[table].rows)
            assert all(r["mac-address"] for r in tables[table].rows)
        else:  # no such radios: the menu is absent, or present and empty
            assert table not in tables or tables[table].rows == []
    if tables.get("wifi_interfaces") and tables["wifi_interfaces"].rows:
        first = tables["wifi_interfaces"].rows[0]
        assert (first["configuration.ssid"], first["channel.band"]) == ("example-net", "5ghz-ax")
        assert first["channel.frequency"] == "5180"
    if "wireless_interfaces" in tables:
        first = tables["wireless_interfaces"].rows[0]
        assert (first["ssid"], first["band"], first["frequency"]) == (
            "example-net", "2ghz-b/g/n", "2412")
    logs = [str(r["time"]) for r in tables["logs"].rows]
    if profile.major < 7:  # 'HH:MM:SS' and 'jul/19 ...' lines dated by /system/clock
        assert "/system/clock" in client.rows
        assert "2031-03-05T10:41:02+00:00" in logs  # the emulator's clock is UTC
        assert "2030-07-19T14:27:01+00:00" in logs
    assert all(t[:4].isdigit() and t[4] == "-" and t.endswith("+00:00") for t in logs)
