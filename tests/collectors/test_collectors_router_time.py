"""Router-local times (link times, log, users, BGP) are stored in UTC, converted
with the router's ``/system/clock``; unit tests over fake rows and tests over the
emulator's real protocol with the router in another time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from collector_fakes import TS, FakeRouter, context, load
from test_collectors_emulator import open_session

from mikromon.collectors import run_tier, user, user_active
from mikromon.collectors.clock import RouterClock, clock_from_row, router_clock
from mikromon.collectors.interface import InterfaceInventoryCollector
from mikromon.collectors.log import LogCollector
from mikromon.collectors.routing_bgp import RoutingBgpCollector
from mikromon.domain.errors import ValueParseError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.values.dates import parse_gmt_offset, parse_optional_datetime

RIGA_V6 = {"time": "11:02:00", "date": "dec/06/2026", "time-zone-autodetect": "true",
           "time-zone-name": "manual", "gmt-offset": "+03:00", "dst-active": "false"}
RIGA_V7 = {**RIGA_V6, "date": "2026-12-06"}


# --- values ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "seconds"), [
    ("+00:00", 0), ("00:00", 0), ("+03:00", 10800), ("-05:30", -19800), ("+05:45", 20700),
    ("7200", 7200), ("-18000", -18000), (" +01:00 ", 3600),
])
def test_gmt_offset(text: str, seconds: int) -> None:
    assert parse_gmt_offset(text) == seconds


@pytest.mark.parametrize("text", ["", "UTC", "+3", "+03:60", "+15:00", "60000", "+0300",
                                  "++03:00", "3:00:00"])
def test_gmt_offset_rejects(text: str) -> None:
    with pytest.raises(ValueParseError, match="gmt-offset"):
        parse_gmt_offset(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("never", None), ("", None), ("Never", None),
    ("jun/10/2019 10:33:35", "2019-06-10T10:33:35"),
    ("2022-07-19 12:37:09", "2022-07-19T12:37:09"),
])
def test_optional_datetime(text: str, expected: str | None) -> None:
    assert parse_optional_datetime(text) == expected


def test_optional_datetime_rejects_garbage() -> None:
    with pytest.raises(ValueParseError, match="datetime"):
        parse_optional_datetime("yesterday")


# --- the clock -------------------------------------------------------------------------

@pytest.mark.parametrize("row", [RIGA_V6, RIGA_V7])
def test_clock_row_both_date_formats(row: dict[str, str]) -> None:
    clock = clock_from_row(row)
    assert clock.offset == timedelta(hours=3)
    assert clock.today == date(2026, 12, 6)
    assert clock.to_utc("2026-12-06T11:02:00") == "2026-12-06T08:02:00+00:00"
    assert clock.to_utc("2026-12-06") == "2026-12-06"  # a bare date has no zone to convert
    assert clock.to_utc("not a time") == "not a time"


def test_named_zone_converts_each_time_with_its_own_offset() -> None:
    # Riga: +02:00 in winter, +03:00 in summer (TZ database); the router says +02:00 now.
    clock = clock_from_row({**RIGA_V7, "time-zone-name": "Europe/Riga", "gmt-offset": "+02:00"})
    assert clock.to_utc("2026-12-06T12:00:00") == "2026-12-06T10:00:00+00:00"
    assert clock.to_utc("2026-07-01T12:00:00") == "2026-07-01T09:00:00+00:00"


def test_unknown_or_disagreeing_zone_name_uses_the_offset() -> None:
    odd = clock_from_row({**RIGA_V7, "time-zone-name": "Mars/Olympus", "gmt-offset": "+01:00"})
    assert odd.to_utc("2026-07-01T12:00:00") == "2026-07-01T11:00:00+00:00"
    wrong = clock_from_row({**RIGA_V7, "time-zone-name": "Europe/Riga", "gmt-offset": "+05:00"})
    assert wrong.to_utc("2026-07-01T12:00:00") == "2026-07-01T07:00:00+00:00"


def test_clock_row_with_bad_offset_is_refused() -> None:
    with pytest.raises(ValueParseError):
        clock_from_row({**RIGA_V7, "gmt-offset": "soon"})


async def test_clock_is_read_once_for_a_tier_run() -> None:
    router = FakeRouter({"/system/clock": [RIGA_V7]})
    ctx = context()
    first = await router_clock(router, ctx, CollectResult())
    second = await router_clock(router, ctx, CollectResult())
    assert isinstance(first, RouterClock)
    assert first is second
    assert router.asked() == ["/system/clock"]
    assert router.calls[0].proplist == ("time", "date", "time-zone-name", "gmt-offset",
                                         "dst-active")


async def test_malformed_clock_leaves_times_local() -> None:
    router = FakeRouter({
        "/system/clock": [{**RIGA_V7, "gmt-offset": "soon"}],
        "/interface": [{"name": "ether1", "last-link-up-time": "2026-12-06 10:00:00"}],
    })
    result = await InterfaceInventoryCollector().collect(router, context())
    assert result.failures == []
    assert result.inventory[0].rows[0]["last-link-up-time"] == "2026-12-06T10:00:00"


# --- collectors ------------------------------------------------------------------------

@pytest.mark.parametrize(("clock", "up", "down"), [
    (RIGA_V6, "jun/10/2019 10:33:35", "never"),
    (RIGA_V7, "2019-06-10 10:33:35", "never"),
])
async def test_interface_link_times_in_utc(
    clock: dict[str, str], up: str, down: str
) -> None:
    router = FakeRouter({
        "/system/clock": [clock],
        "/interface": [{"name": "ether1", "running": "true", "last-link-up-time": up,
                        "last-link-down-time": down},
                       {"name": "ether2", "running": "false"}],
    })
    (snap,) = (await InterfaceInventoryCollector().collect(router, context())).inventory
    assert [(r["name"], r["last-link-up-time"], r["last-link-down-time"]) for r in snap.rows] == [
        ("ether1", "2019-06-10T07:33:35+00:00", None),  # 'never' is no time
        ("ether2", None, None),
    ]


async def test_empty_interface_table_does_not_ask_the_clock() -> None:
    router = FakeRouter({"/interface": [], "/system/clock": [RIGA_V7]})
    await InterfaceInventoryCollector().collect(router, context())
    assert router.asked() == ["/interface"]


async def test_log_times_v6_shapes_in_utc(captures: Path) -> None:
    router = FakeRouter({"/log": load(captures, "log.v6"),
                         "/system/clock": [{**RIGA_V6, "date": "jul/20/2023"}]})
    (snap,) = (await LogCollector().collect(router, context(major=6))).inventory
    assert [r["time"] for r in snap.rows] == [
        "2023-07-19T11:27:01+00:00",  # 'jul/19 14:27:01': this year, 3 h east of UTC
        "2023-07-19T00:05:02+00:00",
        "2023-07-20T00:07:40+00:00",
        "2023-07-20T00:07:46+00:00",
        "2023-07-20T00:07:46+00:00",
        "2023-07-20T07:41:02+00:00",  # '10:41:02': the router's today
    ]


async def test_log_time_only_line_just_after_local_midnight() -> None:
    # 00:30 local on dec/07 is still dec/06 in UTC
    router = FakeRouter({"/log": [{"time": "00:30:00", "topics": "system,info", "message": "m"}],
                         "/system/clock": [{**RIGA_V7, "date": "2026-12-07",
                                            "time": "00:40:00"}]})
    (snap,) = (await LogCollector().collect(router, context())).inventory
    assert snap.rows[0]["time"] == "2026-12-06T21:30:00+00:00"


async def test_log_v7_iso_times_in_utc(captures: Path) -> None:
    router = FakeRouter({"/log": load(captures, "log.v7"), "/system/clock": [RIGA_V7]})
    (snap,) = (await LogCollector().collect(router, context())).inventory
    assert snap.rows[0]["time"] == "2025-12-09T08:40:26+00:00"  # '2025-12-09 11:40:26'


async def test_users_and_sessions_in_utc(captures: Path) -> None:
    router = FakeRouter({"/user": [*load(captures, "user.v7"),
                                   {"name": "new", "last-logged-in": "never"}],
                         "/user/active": load(captures, "user_active.v7"),
                         "/system/clock": [RIGA_V7]})
    ctx = context()
    (users,) = (await user.COLLECTOR.collect(router, ctx)).inventory
    assert [u["last-logged-in"] for u in users.rows] == [
        "2023-06-29T22:08:59+00:00", "2023-07-18T02:12:46+00:00", None]
    (sessions,) = (await user_active.COLLECTOR.collect(router, ctx)).inventory
    assert sessions.rows[0]["when"].endswith("+00:00")
    assert router.asked().count("/system/clock") == 1  # one read for both


async def test_bgp_last_started_in_utc(captures: Path) -> None:
    router = FakeRouter({
        "/routing/bgp/connection": load(captures, "routing_bgp_connection.v7"),
        "/routing/bgp/session": load(captures, "routing_bgp_session.v7"),
        "/system/clock": [RIGA_V7],
    })
    result = await RoutingBgpCollector().collect(router, context())
    sessions = next(s for s in result.inventory if s.table == "bgp_sessions")
    assert sessions.rows[0]["last-started"] == "2024-03-01T10:13:32+00:00"


# --- over the emulator's protocol ------------------------------------------------------

@pytest.mark.parametrize("profile", ["v6", "v7"])
async def test_emulated_router_in_another_zone(profile: str) -> None:
    async with open_session(profile) as s:
        s.router.set_time_zone(3 * 3600, "manual")
        ctx = s.ctx
        ctx.clock = lambda: TS
        medium = await run_tier(s.client, Tier.MEDIUM, ctx)
        assert medium.failures == []
        assert ctx.router_clock is not None
        assert ctx.router_clock.offset == timedelta(hours=3)
        (ifaces,) = [snap for snap in medium.inventory if snap.table == "interfaces"]
        times = [r["last-link-up-time"] for r in ifaces.rows if r["last-link-up-time"]]
        assert times
        assert all(str(t).endswith("+00:00") for t in times)
        extended = await run_tier(s.client, Tier.EXTENDED, ctx)
        assert extended.failures == []
        (logs,) = [snap for snap in extended.inventory if snap.table == "logs"]
        wall = s.clock.time()
        # the emulator's local clock is 3 h ahead of UTC; the stored times are UTC
        local_today = datetime.fromtimestamp(wall + 3 * 3600, UTC).date()
        assert all(str(r["time"]).endswith("+00:00") for r in logs.rows)
        if profile == "v6":  # '10:41:02' (today, local) becomes 07:41:02 UTC
            assert f"{local_today.isoformat()}T07:41:02+00:00" in [r["time"] for r in logs.rows]
        else:  # log.v7 '2025-12-09 11:40:26'
            assert "2025-12-09T08:40:26+00:00" in [r["time"] for r in logs.rows]
