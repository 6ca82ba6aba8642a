"""A bad value costs that value only: every collector over the real protocol,
with the emulator serving odd text in one field (``set_value``).

What is checked: the field becomes ``None`` (or no sample), is listed in
``CollectResult.bad_values`` with the router's raw text, and every other field,
row, collector and tier is read as usual. Also: impossible values (counters
near 2^64, percentages above 100, negative sizes, temperatures no board
survives, rates above 400 Gbit/s) are treated the same way, and the reply's
shape, not the version string, decides how ``/system/health``, BGP, OSPF,
routes and wifi are read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from test_collectors_emulator import Session, open_session, run_all

from mikromon.collectors import CollectContext, context_for, run_tier
from mikromon.domain.inventory import BadValue, CollectResult
from mikromon.domain.tiers import Tier


def bad(result: CollectResult) -> set[tuple[str, str, str]]:
    return {(b.path, b.field, b.raw) for b in result.bad_values}


def gauges(result: CollectResult) -> dict[str, float]:
    return {s.key: s.value for s in result.samples if not s.labels}


def table(result: CollectResult, name: str) -> list[dict]:
    (snap,) = [s for s in result.inventory if s.table == name]
    return [dict(r) for r in snap.rows]


@pytest.fixture(params=["v6", "v7"])
async def session(request: pytest.FixtureRequest) -> AsyncIterator[Session]:
    async with open_session(request.param) as s:
        yield s


async def test_unreadable_cpu_load_costs_only_cpu_load(session: Session) -> None:
    session.router.set_value("/system/resource", "cpu-load", "n/a")
    result = await run_tier(session.client, Tier.REALTIME, session.ctx)
    assert result.failures == []
    got = gauges(result)
    assert "system.cpu.load_pct" not in got
    profile = session.router.profile
    assert got["system.memory.total_bytes"] == profile.total_memory
    assert got["system.disk.total_bytes"] == profile.total_hdd
    assert 0 < got["system.memory.used_pct"] < 100
    assert got["system.uptime_seconds"] >= 0
    assert result.facts is not None
    assert result.facts.version is not None
    assert bad(result) == {("/system/resource", "cpu-load", "n/a")}
    # health and interface counters of the same tier are read too
    assert any(s.key.startswith("system.health.") for s in result.samples)
    assert result.readings()


async def test_one_empty_counter_costs_one_interface_one_counter(session: Session) -> None:
    names = sorted(session.router.rates)
    session.router.set_value("/interface", "rx-byte", "", row=1)
    result = await run_tier(session.client, Tier.REALTIME, session.ctx)
    assert result.failures == []
    have = {(c.key, dict(c.labels)["interface"]) for c in result.readings()}
    broken = [b for b in result.bad_values if b.field == "rx-byte"]
    assert len(broken) == 1
    assert broken[0].raw == ""
    assert broken[0].path == "/interface"
    victim = broken[0].row
    assert victim in names
    for name in names:
        assert ("iface.tx_bytes", name) in have
        assert (("iface.rx_bytes", name) in have) == (name != victim)


@pytest.mark.parametrize(("path", "field", "raw", "missing"), [
    ("/system/resource", "cpu-load", "150", "system.cpu.load_pct"),
    ("/system/resource", "cpu-load", "-3", "system.cpu.load_pct"),
    ("/system/resource", "free-memory", "-5", "system.memory.free_bytes"),
    ("/system/resource", "total-hdd-space", "18446744073709551615", "system.disk.total_bytes"),
    ("/system/resource", "uptime", "-5s", "system.uptime_seconds"),
    ("/system/resource", "cpu-frequency", "abc", "system.cpu.frequency_hz"),
])
async def test_impossible_resource_values_are_not_stored(
    path: str, field: str, raw: str, missing: str
) -> None:
    async with open_session("v7") as s:
        s.router.set_value(path, field, raw)
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        assert result.failures == []
        got = gauges(result)
        assert missing not in got
        assert (path, field, raw) in bad(result)
        assert len(got) >= 6  # the rest of the row is still read


async def test_counter_near_2_64_is_not_a_counter() -> None:
    async with open_session("v7") as s:
        s.router.set_value("/interface", "tx-byte", "18446744073709551615", row=0)
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        assert all(c.value < 2**63 for c in result.readings())
        assert ("/interface", "tx-byte", "18446744073709551615") in bad(result)
        assert len({dict(c.labels)["interface"] for c in result.readings()
                    if c.key == "iface.tx_bytes"}) == len(s.router.rates) - 1


@pytest.mark.parametrize("raw", ["900", "-300", "n/a", ""])
async def test_impossible_or_unreadable_temperature_v7(raw: str) -> None:
    async with open_session("v7") as s:
        s.router.set_value("/system/health", "value", raw, row=1)
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        assert result.failures == []
        health = {s.key: s.value for s in result.samples if s.key.startswith("system.health.")}
        assert all(-60 <= v <= 200 for k, v in health.items() if "temperature" in k)
        ((path, field, got),) = bad(result)
        assert (path, got) == ("/system/health", raw)
        assert f"system.health.{field}" not in health
        assert len(health) >= 1


async def test_impossible_temperature_v6_flat_row() -> None:
    async with open_session("v6") as s:
        s.router.set_value("/system/health", "temperature", "900")
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        health = {x.key for x in result.samples if x.key.startswith("system.health.")}
        assert "system.health.temperature" not in health
        assert "system.health.voltage" in health
        assert bad(result) == {("/system/health", "temperature", "900")}


async def test_inventory_columns_never_hold_raw_text() -> None:
    async with open_session("v7") as s:
        s.router.set_value("/interface", "actual-mtu", "n/a", row=0)
        s.router.set_value("/interface", "link-downs", "-1", row=2)
        s.router.set_value("/queue/simple", "bytes", "12/x", row=0)
        s.router.set_value("/queue/simple", "rate", "500G/1k", row=1)
        s.router.set_value("/ip/firewall/filter", "bytes", "18446744073709551615", row=0)
        s.router.set_value("/ppp/active", "uptime", "soon", row=0)
        result = await run_all(s)
        assert result.failures == []
        interfaces = table(result, "interfaces")
        assert interfaces[0]["actual-mtu"] is None
        assert interfaces[2]["link-downs"] is None
        assert all(isinstance(r["actual-mtu"], int) for r in interfaces[1:]
                   if r["actual-mtu"] is not None)
        queues = table(result, "simple_queues")
        assert queues[0]["bytes.upload"] == 12
        assert queues[0]["bytes.download"] is None
        assert all(isinstance(r["bytes.upload"], int) for r in queues[1:])
        rates = {(x.key, x.label("queue")) for x in result.samples if x.key.startswith("queue.")}
        q1 = queues[1]["name"]
        assert ("queue.upload_bps", q1) not in rates  # 500 Gbit/s: above any link
        assert ("queue.download_bps", q1) in rates
        assert table(result, "firewall_filter")[0]["bytes"] is None
        assert table(result, "ppp_active")[0]["uptime"] is None
        assert {("/interface", "actual-mtu", "n/a"), ("/interface", "link-downs", "-1"),
                ("/queue/simple", "bytes", "12/x"), ("/queue/simple", "rate", "500G/1k"),
                ("/ip/firewall/filter", "bytes", "18446744073709551615"),
                ("/ppp/active", "uptime", "soon")} <= bad(result)
        for value in result.bad_values:
            assert isinstance(value, BadValue)
            assert value.reason


# -- the reply's shape decides ------------------------------------------------------


def unknown_version(s: Session) -> None:
    """Forget what the version said: the collectors must go by the replies."""
    fresh = context_for(s.ctx.device, None)
    s.ctx.major, s.ctx.version = fresh.major, fresh.version


@pytest.mark.parametrize("claimed", [6, 7])
async def test_health_shape_decides_not_the_version(session: Session, claimed: int) -> None:
    """A v6 flat row read as if v7 (and v7 rows read as if v6) gives the same samples."""
    truthful = await run_tier(session.client, Tier.REALTIME, session.ctx)
    session.ctx.major, session.ctx.version = claimed, (claimed, 0, 0)
    result = await run_tier(session.client, Tier.REALTIME, session.ctx)
    assert result.failures == []
    health = {x.key for x in result.samples if x.key.startswith("system.health.")}
    assert len(health) >= 2
    assert health == {x.key for x in truthful.samples if x.key.startswith("system.health.")}
    assert not [b for b in result.bad_values if b.path == "/system/health"]


async def test_everything_read_without_a_version(session: Session) -> None:
    """Version unreadable: every tier still works on what the replies show."""
    unknown_version(session)
    result = await run_all(session)
    assert result.failures == []
    assert any(x.key == "bgp.established" for x in result.samples)
    assert any(x.key.startswith("system.health.") for x in result.samples)
    assert any(x.key == "wireless.clients" for x in result.samples)
    tables = {snap.table for snap in result.inventory}
    assert "ospf_neighbors" in tables
    assert "routes" in tables
    ospf = table(result, "ospf_neighbors")
    routes = table(result, "routes")
    if session.router.profile.major >= 7:
        assert "bgp_sessions" in tables
        assert any(r.get("routing-table") for r in routes)
        assert all("dr-address" not in r for r in ospf)
    else:
        assert "bgp_peers" in tables
        assert all("routing-table" not in r for r in routes)
        assert all("dr" not in r for r in ospf)


@pytest.mark.parametrize("version", [
    "7.19beta2", "7.16rc1 (testing)", "7.x (development)", "garbage", "", None,
])
async def test_odd_version_strings_v7(version: str | None) -> None:
    async with open_session("v7") as s:
        s.router.set_value("/system/resource", "version", version)
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        assert result.failures == []
        assert result.facts is not None
        assert result.facts.version == (version or None)
        ctx = context_for(s.ctx.device, result.facts.version)
        ctx.monotonic = s.clock.monotonic
        everything = await run_all(Session(s.router, s.client, ctx, s.clock))
        assert everything.failures == []
        assert any(x.key == "wireless.clients" for x in everything.samples)
        assert any(x.key == "bgp.established" for x in everything.samples)


@pytest.mark.parametrize("version", ["6.49.10 (long-term)", "6.x", "garbage"])
async def test_odd_version_strings_v6(version: str) -> None:
    async with open_session("v6") as s:
        s.router.set_value("/system/resource", "version", version)
        result = await run_tier(s.client, Tier.REALTIME, s.ctx)
        ctx = context_for(s.ctx.device, result.facts.version if result.facts else None)
        ctx.monotonic = s.clock.monotonic
        everything = await run_all(Session(s.router, s.client, ctx, s.clock))
        assert everything.failures == []
        assert any(x.key == "bgp.established" for x in everything.samples)
        assert any(x.key.startswith("system.health.") for x in everything.samples)


async def test_wifiwave2_found_by_asking_on_a_beta_router() -> None:
    """A 7.12 router reporting a version we cannot place still has its wifiwave2 read."""
    async with open_session("v7", version="7.12.1") as s:
        s.router.set_value("/system/resource", "version", "7.x (development)")
        ctx = CollectContext(device="r", monotonic=s.clock.monotonic)
        ctx.major, ctx.version = context_for("r", "7.x (development)").major, ()
        result = await run_tier(s.client, Tier.EXTENDED, ctx)
        assert result.failures == []
        assert any(x.key == "wireless.clients" for x in result.samples)
        assert "wifi_clients" in {snap.table for snap in result.inventory}
