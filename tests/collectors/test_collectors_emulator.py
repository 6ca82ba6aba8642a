"""Every collector through the real client against emulated routers (127.0.0.1,
port 0): v6 and v7 shapes, a CHR lacking packages, bit rates through the rate
pipeline, a reboot between polls, a refused login, a router that stops answering.

The emulator runs on a :class:`ManualClock` that the collector context shares,
so "two polls a known time apart" needs no sleeping.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from mikromon.collectors import CollectContext, detect_context, run_tier
from mikromon.collectors._wireless import CLIENT_COLUMNS
from mikromon.collectors.interface_ethernet_monitor import (
    COMMAND,
    InterfaceEthernetMonitorCollector,
)
from mikromon.domain.clock import ManualClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandFailed,
    CommandTimeout,
    DeviceUnreachable,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.emulator.profiles import PROFILES
from mikromon.emulator.server import RouterEmulator
from mikromon.emulator.testing import async_emulators
from mikromon.pipeline.rates import RateCalculator
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.client import connect


@dataclass
class Session:
    router: RouterEmulator
    client: RouterOSClient
    ctx: CollectContext
    clock: ManualClock


def config(router: RouterEmulator, **changes: object) -> DeviceConfig:
    values: dict[str, object] = {
        "id": 1, "name": router.router.identity, "host": router.host, "port": router.port,
        "username": router.username, "password": router.password,
        "connect_timeout": 5.0, "command_timeout": 5.0, **changes,
    }
    return DeviceConfig(**values)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def open_session(profile: str, **profile_changes: object) -> AsyncIterator[Session]:
    clock = ManualClock()
    chosen = PROFILES[profile].replace(**profile_changes) if profile_changes else profile
    async with async_emulators(count=1, profile=chosen, clock=clock) as (router,):
        client = await connect(config(router))
        try:
            ctx = await detect_context(client, router.router.identity)
            ctx.monotonic = clock.monotonic
            yield Session(router, client, ctx, clock)
        finally:
            await client.close()


@pytest.fixture(params=["v6", "v7"])
async def session(request: pytest.FixtureRequest) -> AsyncIterator[Session]:
    async with open_session(request.param) as s:
        yield s


async def run_all(s: Session) -> CollectResult:
    result = CollectResult()
    for tier in Tier:
        result.merge(await run_tier(s.client, tier, s.ctx))
    return result


async def test_all_collectors_against_the_emulator(session: Session) -> None:
    profile = session.router.profile
    assert session.ctx.major == profile.major
    result = await run_all(session)
    assert result.failures == []
    # the v7 profile runs the wifi package, the v6 one the legacy wireless package
    # (v6 has no wifi menu to ask): only the other package's menu is absent
    assert result.absent == (["/interface/wireless/registration-table",
                              "/caps-man/registration-table"] if profile.major >= 7 else [])
    gauges = {s.key: s.value for s in result.samples if not s.labels}
    assert gauges["system.cpu.count"] == profile.cpu_count
    assert gauges["system.memory.total_bytes"] == profile.total_memory
    assert gauges["system.disk.total_bytes"] == profile.total_hdd
    assert 0 <= gauges["system.cpu.load_pct"] <= 100
    assert gauges["routes.count"] == profile.routes
    assert 0 < gauges["ppp.active_sessions"] <= profile.ppp_sessions
    assert 0 < gauges["hotspot.active_users"] <= profile.hotspot_users
    assert 0 < gauges["dhcp.active_leases"] <= gauges["dhcp.total_leases"] <= profile.dhcp_leases
    assert gauges["firewall.connection_count"] > profile.connections * (1 - profile.churn) - 1
    assert any(s.key.startswith("system.health.") for s in result.samples)
    assert any(s.key == "wireless.clients" for s in result.samples)
    assert any(s.key == "bgp.established" for s in result.samples)
    names = {dict(c.labels)["interface"] for c in result.readings()}
    assert names == set(session.router.rates)
    assert result.facts is not None
    assert result.facts.identity == session.router.router.identity
    assert result.facts.version is not None
    assert result.facts.version.startswith(profile.version)
    tables = {snap.table: len(snap.rows) for snap in result.inventory}
    assert tables["interfaces"] == len(session.router.rates)
    assert tables["arp"] == profile.arp_entries
    assert tables["routes"] == profile.routes
    # the medium tier's tables agree with the short tier's counts (the clock stood still)
    assert tables["dhcp_leases"] == gauges["dhcp.total_leases"]
    assert tables["ppp_active"] == gauges["ppp.active_sessions"]
    assert tables["hotspot_active"] == gauges["hotspot.active_users"]
    assert tables["logs"] > 0
    (mangle,) = [snap for snap in result.inventory if snap.table == "firewall_mangle"]
    assert {r["new-routing-mark"] for r in mangle.rows} >= {"to-wan1", "to-wan2"}
    assert {r["passthrough"] for r in mangle.rows} == {True, False}
    assert tables["firewall_filter"] > 0


async def test_chr_lacks_hotspot_and_wireless() -> None:
    async with open_session("chr") as s:
        first = await run_all(s)
        assert first.failures == []
        missing = {"/ip/hotspot/active", "/interface/wireless/registration-table",
                   "/interface/wifi/registration-table", "/caps-man/registration-table"}
        assert missing <= set(first.absent)
        assert not [x for x in first.samples if x.key.startswith("system.health.")]
        s.ctx.absent.update(first.absent)
        second = await run_all(s)
        assert second.absent == []
        assert second.failures == []
        assert "hotspot.active_users" not in {x.key for x in second.samples}


async def test_realtime_rates_match_configured_traffic(session: Session) -> None:
    rates = RateCalculator()
    first = await run_tier(session.client, Tier.REALTIME, session.ctx)
    assert rates.update(first.counter_blocks, first.facts.uptime_s if first.facts else None) == []
    session.clock.advance(5.0)
    second = await run_tier(session.client, Tier.REALTIME, session.ctx)
    samples = rates.update(second.counter_blocks, second.facts.uptime_s if second.facts else None)
    got = {(s.key, s.label("interface")): s.value for s in samples}
    assert session.router.rates
    for name, configured in session.router.rates.items():
        assert got[("iface.rx_bps", name)] == pytest.approx(configured.rx_bps, rel=0.01)
        assert got[("iface.tx_bps", name)] == pytest.approx(configured.tx_bps, rel=0.01)
        assert got[("iface.rx_pps", name)] == pytest.approx(configured.rx_pps, rel=0.01)
        assert got[("iface.tx_pps", name)] == pytest.approx(configured.tx_pps, rel=0.01)


async def poll(s: Session, rates: RateCalculator) -> list[Sample]:
    """Read the realtime tier once and return the rates it gives."""
    result = await run_tier(s.client, Tier.REALTIME, s.ctx)
    assert result.facts is not None
    return rates.update(result.counter_blocks, result.facts.uptime_s)


async def test_reboot_between_polls_gives_no_negative_rate() -> None:
    async with open_session("v7") as s:
        rates = RateCalculator()
        await poll(s, rates)
        s.clock.advance(5.0)
        assert await poll(s, rates)  # rates flow
        s.clock.advance(5.0)
        s.router.reboot()
        s.clock.advance(1.0)
        after_reboot = await poll(s, rates)
        assert all(x.value >= 0 for x in after_reboot)
        assert not [x for x in after_reboot if x.key.endswith("_bps")]
        s.clock.advance(5.0)
        again = await poll(s, rates)
        configured = s.router.rates["ether1"].rx_bps
        got = {(x.key, x.label("interface")): x.value for x in again}
        assert got[("iface.rx_bps", "ether1")] == pytest.approx(configured, rel=0.01)


async def test_large_route_table_is_counted_not_downloaded() -> None:
    async with open_session("v7", routes=20_000) as s:
        result = await run_tier(s.client, Tier.LONG, s.ctx)
        assert result.failures == []
        assert {x.key: x.value for x in result.samples}["routes.count"] == 20_000
        routes = next(snap for snap in result.inventory if snap.table == "routes")
        assert 0 < len(routes.rows) < 100
        assert all(row["static"] or row["connect"] for row in routes.rows)


async def test_wrong_password_is_authentication_failed() -> None:
    async with async_emulators(count=1, profile="v7") as (router,):
        with pytest.raises(AuthenticationFailed):
            await connect(config(router, password="not-the-password"))


async def test_router_that_never_answers_times_out_within_bound() -> None:
    async with async_emulators(count=1, profile="v7") as (router,):
        client = await connect(config(router, command_timeout=0.5))
        try:
            ctx = await detect_context(client, "silent")
            router.set_fault(blackhole=True)
            started = time.monotonic()
            with pytest.raises((CommandTimeout, DeviceUnreachable)):
                await run_tier(client, Tier.REALTIME, ctx)
            assert time.monotonic() - started < 3.0
        finally:
            await client.close()
        started = time.monotonic()
        with pytest.raises(DeviceUnreachable):
            await connect(config(router, connect_timeout=0.5))
        assert time.monotonic() - started < 3.0


async def test_one_client_schema_over_the_protocol() -> None:
    """A v6 router with the legacy wireless package and the CAPsMAN manager on: both
    client tables have the same columns, signal in dBm under one name."""
    async with open_session("v6", packages=PROFILES["v6"].packages | {"capsman"}) as s:
        result = await run_tier(s.client, Tier.EXTENDED, s.ctx)
        assert result.failures == []
        tables = {snap.table: snap for snap in result.inventory}
        wireless, capsman = tables["wireless_clients"], tables["capsman_clients"]
        assert wireless.rows
        assert len(capsman.rows) == 3
        for row in [*wireless.rows, *capsman.rows]:
            assert list(row) == list(CLIENT_COLUMNS)
            assert isinstance(row["signal"], float)
            assert row["signal"] < 0
            assert isinstance(row["bytes.tx"], int)
        assert {r["interface"] for r in capsman.rows} == {"cap1", "cap2"}
        assert [r["current-registered-clients"] for r in tables["capsman_interfaces"].rows] == [
            2, 1]
        counts = {dict(x.labels)["interface"]: x.value for x in result.samples
                  if x.key == "wireless.clients"}
        assert (counts["cap1"], counts["cap2"]) == (2.0, 1.0)


async def test_link_rates_follow_the_emulated_ports() -> None:
    collector = InterfaceEthernetMonitorCollector()
    async with open_session("v6", link_rates={"ether2": "100Mbps"}) as s:
        first = await collector.collect(s.client, s.ctx)
        speeds = {x.label("interface"): x.value for x in first.samples}
        assert speeds == {"ether1": 1e9, "ether2": 100e6, "ether3": 1e9, "ether4": 1e9,
                          "ether5": 1e9}
        s.router.set_link("ether3", False)  # not running: not asked
        s.router.set_link_rate("ether1", "10Mbps")
        second = await collector.collect(s.client, s.ctx)
        assert {x.label("interface"): x.value for x in second.samples} == {
            "ether1": 10e6, "ether2": 100e6, "ether4": 1e9, "ether5": 1e9}
        assert second.bad_values == []
        assert second.failures == []
        # an item argument naming nothing: RouterOS's "no such item"
        with pytest.raises(CommandFailed, match="no such item"):
            await s.client.call(COMMAND, {"numbers": "ether99", "once": ""})
