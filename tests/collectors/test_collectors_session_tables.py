"""The customer tables (medium tier): DHCP leases, PPP sessions, hotspot users.

Expected rows are written out by hand from the captures; the bound rule
(count-only first, skip above the limit) is checked against a fake router and
against emulated v6 and v7 routers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collector_fakes import TS, FakeRouter, context, load

from mikromon.collectors import (
    detect_context,
    ip_dhcp_server_lease,
    ip_hotspot_active,
    ppp_active,
    run_tier,
)
from mikromon.collectors.registry import by_name, collectors_for
from mikromon.collectors.support import proplist
from mikromon.collectors.table_collectors import ROW_LIMIT, BoundedTableCollector
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.tiers import Tier
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.profiles import PROFILES
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.routeros.client import connect

DHCP = "/ip/dhcp-server/lease"
PPP = "/ppp/active"
HOTSPOT = "/ip/hotspot/active"

TABLES = (ip_dhcp_server_lease.TABLE, ppp_active.TABLE, ip_hotspot_active.TABLE)

#: A lease row with every column at its "router left it out" value.
_LEASE = {
    "client-id": None, "age": None, "class-id": None, "expires-after": None,
    "active-address": None, "active-mac-address": None, "active-client-id": None,
    "active-server": None, "comment": None, "dynamic": False, "disabled": False,
    "blocked": False, "radius": False, "always-broadcast": False,
}


def rows_by_id(snap: InventorySnapshot) -> dict[str, dict[str, object]]:
    return {str(row[".id"]): dict(row) for row in snap.rows}


async def test_dhcp_lease_table_v6(captures: Path) -> None:
    router = FakeRouter({DHCP: load(captures, "ip_dhcp_server_lease.v6")})
    result = await ip_dhcp_server_lease.TABLE.collect(router, context(major=6))
    assert result.failures == []
    assert result.samples == []
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields, snap.ts, snap.append_only) == (
        "dhcp_leases", (".id",), TS, False)
    rows = rows_by_id(snap)
    assert list(rows) == ["*1", "*2", "*3"]
    assert rows["*1"] == {
        **_LEASE, ".id": "*1", "address": "10.124.3.199", "mac-address": "02:83:C2:36:5A:6E",
        "client-id": "1:2:83:c2:36:5a:6e", "host-name": "ap-1", "server": "dhcp1",
        "status": "bound", "expires-after": 411.0, "last-seen": 189.0,
        "active-address": "10.124.3.199", "active-mac-address": "02:83:C2:36:5A:6E",
        "active-client-id": "1:2:83:c2:36:5a:6e", "active-server": "dhcp1",
        "address-lists": "", "dhcp-option": "unifi", "comment": "AP1",
    }
    assert rows["*2"] == {
        **_LEASE, ".id": "*2", "address": "10.124.3.252", "mac-address": "02:50:56:88:80:EE",
        "client-id": "1:2:50:56:88:80:ee", "host-name": "client-vm-1", "server": "dhcp1",
        "status": "bound", "expires-after": 378.0, "last-seen": 222.0,
        "active-address": "10.124.3.252", "active-mac-address": "02:50:56:88:80:EE",
        "active-client-id": "1:2:50:56:88:80:ee", "active-server": "dhcp1",
        "address-lists": "", "dhcp-option": "", "always-broadcast": True, "comment": "PC",
    }
    # no client-id of its own, but the active one the client sent
    assert rows["*3"] == {
        **_LEASE, ".id": "*3", "address": "10.124.3.222", "mac-address": "02:0A:CB:BC:65:C8",
        "host-name": "SPA122", "server": "dhcp1", "status": "bound",
        "expires-after": 356.0, "last-seen": 244.0, "active-address": "10.124.3.222",
        "active-mac-address": "02:0A:CB:BC:65:C8", "active-client-id": "1:2:a:cb:bc:65:c8",
        "active-server": "dhcp1", "address-lists": "", "dhcp-option": "", "comment": "SPA",
    }


async def test_dhcp_lease_table_v7(captures: Path) -> None:
    router = FakeRouter({DHCP: load(captures, "ip_dhcp_server_lease.v7")})
    result = await ip_dhcp_server_lease.TABLE.collect(router, context())
    rows = rows_by_id(result.inventory[0])
    assert list(rows) == ["*1578", "*18E1", "*2667", "*2668"]
    assert rows["*1578"] == {
        **_LEASE, ".id": "*1578", "address": "10.88.0.186", "mac-address": "02:48:E6:8C:F1:E1",
        "host-name": "vacuum-v2_mibt0001", "server": "defconf", "status": "bound",
        "expires-after": 158.0, "last-seen": 142.0, "active-address": "10.88.0.186",
        "active-mac-address": "02:48:E6:8C:F1:E1", "active-server": "defconf",
        "address-lists": "", "dhcp-option": "", "comment": "Vacuum",
    }
    assert rows["*18E1"]["client-id"] == "1:2:2f:74:db:39:94"
    assert (rows["*18E1"]["expires-after"], rows["*18E1"]["last-seen"]) == (178.0, 122.0)
    assert rows["*2667"] == {
        **_LEASE, ".id": "*2667", "address": "10.88.0.129", "mac-address": "02:15:5D:58:FE:0B",
        "client-id": "ff:12:2a:4f:5c:0:2:0:0:1:2:3:4:5:6:7:8:9:a", "host-name": "vm-host",
        "server": "defconf", "status": "bound", "expires-after": 1019.0, "last-seen": 781.0,
        "age": 781.0, "active-address": "10.88.0.129", "active-mac-address": "02:15:5D:58:FE:0B",
        "active-client-id": "ff:12:2a:4f:5c:0:2:0:0:1:2:3:4:5:6:7:8:9:a",
        "active-server": "defconf", "class-id": "udhcp 1.37.0", "address-lists": "",
        "dhcp-option": "", "dynamic": True,
    }
    # an offline static lease: waiting, never seen, nothing active
    assert rows["*2668"] == {
        **_LEASE, ".id": "*2668", "address": "10.88.0.61", "mac-address": "02:00:00:00:61:01",
        "host-name": None, "server": "defconf", "status": "waiting", "last-seen": None,
        "address-lists": "", "dhcp-option": "", "comment": "printer (offline)",
    }


async def test_ppp_session_table(captures: Path) -> None:
    router = FakeRouter({PPP: load(captures, "ppp_active.v7")})
    result = await ppp_active.TABLE.collect(router, context())
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields) == ("ppp_active", (".id",))
    assert rows_by_id(snap) == {
        "*80000002": {
            ".id": "*80000002", "name": "site-office", "service": "sstp",
            "caller-id": "203.0.113.45", "address": "10.1.1.111", "uptime": 11944.0,
            "encoding": "AES256-CBC", "session-id": "0x8120002A", "limit-bytes-in": 0,
            "limit-bytes-out": 0, "radius": False,
        },
        "*80000005": {
            ".id": "*80000005", "name": "cust-0042", "service": "pppoe",
            "caller-id": "02:D4:01:C3:1C:3B", "address": "10.99.0.2", "uptime": 187913.0,
            "encoding": "", "session-id": "0x81A00005", "limit-bytes-in": 0,
            "limit-bytes-out": 0, "radius": True,
        },
    }


async def test_hotspot_user_table(captures: Path) -> None:
    router = FakeRouter({HOTSPOT: load(captures, "ip_hotspot_active.v7")})
    result = await ip_hotspot_active.TABLE.collect(router, context())
    (snap,) = result.inventory
    assert (snap.table, snap.key_fields) == ("hotspot_active", (".id",))
    assert rows_by_id(snap) == {
        "*3": {
            ".id": "*3", "server": "hotspot1", "user": "voucher-7K2Q", "domain": "",
            "address": "10.5.50.23", "mac-address": "02:5C:77:9A:10:3B",
            "login-by": "http-chap", "uptime": 3737.0, "idle-time": 3.0,
            "session-time-left": 82663.0, "idle-timeout": 300.0, "keepalive-timeout": 120.0,
            "bytes-in": 48211933, "bytes-out": 913376504, "packets-in": 274118,
            "packets-out": 655930, "limit-bytes-in": None, "limit-bytes-out": None,
            "limit-bytes-total": 1073741824, "radius": False, "blocked": False,
        },
        # logged in by MAC: no limits, so no session-time-left / idle-timeout
        "*4": {
            ".id": "*4", "server": "hotspot1", "user": "02:7A:11:20:33:44", "domain": "",
            "address": "10.5.50.40", "mac-address": "02:7A:11:20:33:44", "login-by": "mac",
            "uptime": 842.0, "idle-time": 0.0, "session-time-left": None,
            "idle-timeout": None, "keepalive-timeout": 120.0, "bytes-in": 2311120,
            "bytes-out": 40118832, "packets-in": 20411, "packets-out": 33210,
            "limit-bytes-in": None, "limit-bytes-out": None, "limit-bytes-total": None,
            "radius": True, "blocked": False,
        },
    }


@pytest.mark.parametrize(
    ("collector", "path", "captures_read"),
    [
        (ip_dhcp_server_lease.TABLE, DHCP,
         ("ip_dhcp_server_lease.v6", "ip_dhcp_server_lease.v7")),
        (ppp_active.TABLE, PPP, ("ppp_active.v7",)),
        (ip_hotspot_active.TABLE, HOTSPOT, ("ip_hotspot_active.v7",)),
    ],
    ids=["dhcp", "ppp", "hotspot"],
)
async def test_counted_then_printed_with_every_captured_field(
    captures: Path, collector: BoundedTableCollector, path: str, captures_read: tuple[str, ...]
) -> None:
    for name in captures_read:
        rows = load(captures, name)
        router = FakeRouter({path: rows})
        await collector.collect(router, context())
        assert [(c.kind, c.path, c.query) for c in router.calls] == [
            ("count", path, ()), ("print", path, ())]
        sent = router.calls[1].proplist
        assert sent == proplist(collector.fields)
        missing = {key for row in rows for key in row} - set(sent)
        assert not missing, f"{name}: fields the router sends but the proplist lacks: {missing}"


def test_registered_in_the_medium_tier_with_the_counts_in_the_short_tier() -> None:
    medium = [c.name for c in collectors_for(Tier.MEDIUM)]
    short = [c.name for c in collectors_for(Tier.SHORT)]
    for table, count in (("ip_dhcp_server_lease_table", "ip_dhcp_server_lease"),
                         ("ppp_active_table", "ppp_active"),
                         ("ip_hotspot_active_table", "ip_hotspot_active")):
        assert table in medium
        assert count in short
        collector = by_name(table)
        assert isinstance(collector, BoundedTableCollector)
        assert collector.limit == ROW_LIMIT == 20_000
    assert [c.table for c in TABLES] == ["dhcp_leases", "ppp_active", "hotspot_active"]


# --- the bound rule ---------------------------------------------------------

def small(collector: BoundedTableCollector, limit: int) -> BoundedTableCollector:
    """The same table with another row limit."""
    return BoundedTableCollector(collector.name, collector.tier, collector.path,
                                 collector.table, collector.fields, collector.key_fields,
                                 limit=limit, counted=collector.counted)


async def test_at_the_limit_the_table_is_read(captures: Path) -> None:
    router = FakeRouter({PPP: load(captures, "ppp_active.v7")})
    result = await small(ppp_active.TABLE, 2).collect(router, context())
    assert result.failures == []
    assert len(result.inventory[0].rows) == 2


async def test_over_the_limit_only_the_count_is_asked(captures: Path) -> None:
    router = FakeRouter({PPP: load(captures, "ppp_active.v7")})
    result = await small(ppp_active.TABLE, 1).collect(router, context())
    assert result.inventory == []
    assert result.failures == [
        "ppp_active_table: /ppp/active has more than 1 rows; inventory table ppp_active "
        "not read (its count is still collected)"]
    assert [c.kind for c in router.calls] == ["count"]


async def test_twenty_thousand_and_one_leases_are_counted_not_downloaded(
    captures: Path,
) -> None:
    rows = load(captures, "ip_dhcp_server_lease.v7")
    router = FakeRouter({DHCP: rows, PPP: load(captures, "ppp_active.v7")},
                        counts={DHCP: 20_001})
    ctx = context()
    medium = await run_tier(router, Tier.MEDIUM, ctx)
    assert medium.failures == [
        "ip_dhcp_server_lease_table: /ip/dhcp-server/lease has more than 20000 rows; "
        "inventory table dhcp_leases not read (its count is still collected)"]
    assert ("print", DHCP) not in {(c.kind, c.path) for c in router.calls}
    # the other tables of the tier are still read; the router has no hotspot
    assert [s.table for s in medium.inventory if s.table != "interfaces"] == ["ppp_active"]
    assert medium.absent == ["/interface", "/queue/simple", "/interface/ethernet", HOTSPOT]
    # the short tier still reports the count
    short = await run_tier(router, Tier.SHORT, ctx)
    counts = {s.key: s.value for s in short.samples}
    assert counts["dhcp.total_leases"] == 20_001


async def test_exactly_the_limit_is_read(captures: Path) -> None:
    rows = load(captures, "ip_dhcp_server_lease.v7")
    router = FakeRouter({DHCP: rows}, counts={DHCP: ROW_LIMIT})
    result = await ip_dhcp_server_lease.TABLE.collect(router, context())
    assert result.failures == []
    assert len(result.inventory[0].rows) == len(rows)


async def test_absent_path_is_reported_not_failed() -> None:
    router = FakeRouter()
    result = await ip_hotspot_active.TABLE.collect(router, context())
    assert (result.absent, result.failures, result.inventory) == ([HOTSPOT], [], [])
    known = await ip_hotspot_active.TABLE.collect(router, context(absent={HOTSPOT}))
    assert (known.absent, known.failures, known.inventory) == ([], [], [])
    assert len(router.calls) == 1  # the known-absent path is not asked again


async def test_empty_table_is_an_empty_snapshot() -> None:
    result = await ppp_active.TABLE.collect(FakeRouter({PPP: []}), context())
    assert [(s.table, list(s.rows)) for s in result.inventory] == [("ppp_active", [])]


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="row limit must be >= 0"):
        small(ppp_active.TABLE, -1)


# --- emulated routers ---------------------------------------------------------

#: Sizes that show tables, not a couple of rows; churn 0 so the row counts are
#: exactly the profile's.
SIZES = {"dhcp_leases": 250, "ppp_sessions": 40, "hotspot_users": 30, "churn": 0.0}


def device(router: EmulatorHandle) -> DeviceConfig:
    return DeviceConfig(id=1, name=router.identity, host=router.host, port=router.port,
                        username=router.username, password=router.password,
                        connect_timeout=5.0, command_timeout=10.0)


@pytest.fixture(params=["v6", "v7"])
def emulated(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    profile = PROFILES[request.param].replace(**SIZES)
    with running_emulators(count=1, profile=profile) as (router,):
        yield router


async def test_emulated_tables_have_the_profiles_row_counts(emulated: EmulatorHandle) -> None:
    profile: Profile = emulated.profile
    client = await connect(device(emulated))
    try:
        ctx = await detect_context(client, emulated.identity)
        assert ctx.major == profile.major
        medium = await run_tier(client, Tier.MEDIUM, ctx)
        short = await run_tier(client, Tier.SHORT, ctx)
    finally:
        await client.close()
    assert medium.failures == []
    assert short.failures == []
    snaps = {s.table: s for s in medium.inventory}
    expected = {"dhcp_leases": profile.dhcp_leases, "ppp_active": profile.ppp_sessions,
                "hotspot_active": profile.hotspot_users}
    assert {t: len(snaps[t].rows) for t in expected} == expected
    counts = {s.key: s.value for s in short.samples}
    assert counts["dhcp.total_leases"] == profile.dhcp_leases
    assert counts["ppp.active_sessions"] == profile.ppp_sessions
    assert counts["hotspot.active_users"] == profile.hotspot_users
    for table in expected:
        snap = snaps[table]
        assert len({snap.row_key(row) for row in snap.rows}) == len(snap.rows), table
    leases = snaps["dhcp_leases"].rows
    assert all(row["status"] in ("bound", "waiting") and row["mac-address"] for row in leases)
    assert all(isinstance(row["dynamic"], bool) for row in leases)
    assert all(isinstance(row["last-seen"], float | None) for row in leases)
    sessions = snaps["ppp_active"].rows
    assert all(isinstance(row["uptime"], float) and row["name"] for row in sessions)
    users = snaps["hotspot_active"].rows
    assert all(isinstance(row["bytes-in"], int) and isinstance(row["uptime"], float)
               for row in users)


async def test_emulated_router_over_the_limit_skips_the_table() -> None:
    profile = PROFILES["v7"].replace(dhcp_leases=ROW_LIMIT + 1, churn=0.0)
    with running_emulators(count=1, profile=profile) as (router,):
        client = await connect(device(router))
        try:
            ctx = await detect_context(client, router.identity)
            result = await ip_dhcp_server_lease.TABLE.collect(client, ctx)
        finally:
            await client.close()
    assert result.inventory == []
    assert result.failures == [ip_dhcp_server_lease.TABLE.over_limit()]
