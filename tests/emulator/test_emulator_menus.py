"""Menus rebuilt without a capture (mangle, clock, wireless and wifi interfaces),
radios in /interface, and comments in a Windows codepage."""

from __future__ import annotations

import calendar
import json
from pathlib import Path

import pytest

from mikromon.emulator import ManualClock, Router
from mikromon.emulator.codec import encode_word, raw_text
from mikromon.emulator.interfaces import LOCAL_COMMENTS
from mikromon.emulator.profiles import CHR, V6, V7, V7_EMPTY, profile_for
from mikromon.routeros.values.dates import parse_datetime
from mikromon.routeros.values.text import decode_text


def rows(router: Router, path: str) -> list[dict[str, str]]:
    table = router.table(path)
    return [table.row(i) for i in range(len(table))]


def test_mangle_rows_have_the_filter_key_set_and_growing_counters(captures: Path) -> None:
    clock = ManualClock()
    router = Router(V7, clock=clock)
    before = rows(router, "/ip/firewall/mangle")
    filter_rows = json.loads((captures / "ip_firewall_filter.v7.json").read_text("utf-8"))["rows"]
    common = set.intersection(*(set(r) for r in filter_rows))  # .id chain action ... log-prefix
    assert {r["action"] for r in before} >= {"mark-connection", "mark-routing", "change-mss"}
    for row in before:
        assert common <= row.keys()
        assert list(row)[-5:] == ["invalid", "dynamic", "disabled", "log", "log-prefix"]
        assert row["passthrough"] in ("true", "false")
        assert row["bytes"].isdigit()
        assert row["packets"].isdigit()
    assert len({r[".id"] for r in before}) == len(before)
    clock.advance(60)
    after = rows(router, "/ip/firewall/mangle")
    for old, new in zip(before, after, strict=True):
        if old["disabled"] == "true":
            assert new["bytes"] == new["packets"] == "0"
        else:
            assert int(new["bytes"]) > int(old["bytes"])
            assert int(new["packets"]) >= int(old["packets"])
    router.reboot()
    assert {r["bytes"] for r in rows(router, "/ip/firewall/mangle")} == {"0"}
    v6 = rows(Router(V6, clock=ManualClock()), "/ip/firewall/mangle")
    assert [r.keys() for r in v6] == [r.keys() for r in before]


def test_clock_follows_the_emulator_clock_in_the_version_date_format() -> None:
    wall = calendar.timegm((2026, 11, 30, 23, 59, 58))
    clock = ManualClock(wall=wall)
    v6, v7, old7 = (Router(p, clock=clock) for p in (V6, V7, V7.replace(version="7.9.2")))
    [row] = rows(v6, "/system/clock")
    assert row == {"time": "23:59:58", "date": "nov/30/2026", "time-zone-autodetect": "true",
                   "time-zone-name": "manual", "gmt-offset": "+00:00", "dst-active": "false"}
    assert rows(v7, "/system/clock")[0]["date"] == "2026-11-30"
    assert rows(old7, "/system/clock")[0]["date"] == "nov/30/2026"
    clock.advance(3)
    assert [rows(r, "/system/clock")[0]["date"] for r in (v6, v7)] == [
        "dec/01/2026", "2026-12-01"]
    assert rows(v7, "/system/clock")[0]["time"] == "00:00:01"
    assert parse_datetime(rows(v6, "/system/clock")[0]["date"]) == "2026-12-01"
    v6.reboot()  # a reboot restarts uptime, not the wall clock
    assert rows(v6, "/system/clock")[0]["time"] == "00:00:01"


def test_clock_time_zone_is_settable() -> None:
    wall = calendar.timegm((2026, 12, 6, 22, 30, 0))
    clock = ManualClock(wall=wall)
    v6 = Router(V6, clock=clock)
    v7 = Router(V7.replace(gmt_offset_s=-5 * 3600 - 1800, time_zone_name="manual"), clock=clock)
    assert rows(v7, "/system/clock")[0] == {
        "time": "17:00:00", "date": "2026-12-06", "time-zone-autodetect": "true",
        "time-zone-name": "manual", "gmt-offset": "-05:30", "dst-active": "false"}
    v6.set_time_zone(3 * 3600, "Europe/Moscow")
    assert rows(v6, "/system/clock")[0] == {
        "time": "01:30:00", "date": "dec/07/2026", "time-zone-autodetect": "true",
        "time-zone-name": "Europe/Moscow", "gmt-offset": "+03:00", "dst-active": "false"}
    v6.set_time_zone(3600, "Europe/Paris", dst=True)
    assert rows(v6, "/system/clock")[0]["dst-active"] == "true"
    for bad in (15 * 3600, 30):
        with pytest.raises(ValueError, match="gmt offset"):
            v6.set_time_zone(bad)
    with pytest.raises(ValueError, match="gmt_offset_s"):
        V7.replace(gmt_offset_s=-15 * 3600)


def test_clock_without_wall_time_is_anchored_to_now() -> None:
    class Monotonic:
        def monotonic(self) -> float:
            return 5.0

    [row] = rows(Router(V7, clock=Monotonic()), "/system/clock")
    assert row["date"][:4].isdigit()
    assert len(row["time"]) == 8


def test_wireless_menus_follow_packages_and_versions() -> None:
    v6, v7, empty, chr_ = (Router(p, clock=ManualClock()) for p in (V6, V7, V7_EMPTY, CHR))
    assert {"/interface/wireless", "/interface/wireless/registration-table"} <= v6.menus.keys()
    assert not {"/interface/wifi", "/interface/wifiwave2"} & v6.menus.keys()
    assert v6.resolve("/interface/wifi/print").kind == "no-prefix"
    for router in (v7, empty):
        assert {"/interface/wifi", "/interface/wifi/registration-table"} <= router.menus.keys()
        assert router.resolve("/interface/wireless/print").kind == "no-prefix"
    for path in ("/interface/wifi", "/interface/wireless"):
        assert chr_.resolve(f"{path}/print").kind == "no-prefix"
    assert not [p for p in chr_.ports if p.kind not in ("ether", "loopback", "pppoe-out")]
    wave2 = Router(V7.replace(version="7.12.1"), clock=ManualClock())
    assert "/interface/wifiwave2" in wave2.menus
    assert "/interface/wifi" not in wave2.menus
    assert [r["type"] for r in rows(wave2, "/interface") if r["name"].startswith("wifi")] == [
        "wifiwave2", "wifiwave2"]


def test_wireless_rows_match_the_interface_list() -> None:
    router = Router(V6, clock=ManualClock())
    listed = {r["name"]: r for r in rows(router, "/interface")}
    wlans = rows(router, "/interface/wireless")
    assert [r["name"] for r in wlans] == ["wlan1", "wlan2"]
    for row in wlans:
        assert listed[row["name"]]["type"] == "wlan"
        assert (row[".id"], row["mac-address"]) == (listed[row["name"]][".id"],
                                                    listed[row["name"]]["mac-address"])
        assert row["frequency"].isdigit()
        assert row["running"] == "true"
        assert row["disabled"] == "false"
        assert row["interface-type"]
    assert [r["band"] for r in wlans] == ["2ghz-b/g/n", "5ghz-a/n/ac"]
    assert wlans[0]["channel-width"] == "20/40mhz-XX"
    clients = rows(router, "/interface/wireless/registration-table")
    assert {c["interface"] for c in clients} <= set(listed)


def test_wifi_rows_carry_dotted_configuration_keys() -> None:
    router = Router(V7, clock=ManualClock())
    listed = {r["name"]: r for r in rows(router, "/interface")}
    wifi = rows(router, "/interface/wifi")
    assert [r["name"] for r in wifi] == ["wifi1", "wifi2"]
    for row in wifi:
        assert listed[row["name"]]["type"] == "wifi"
        assert row[".id"] == listed[row["name"]][".id"]
        assert row["mac-address"] == listed[row["name"]]["mac-address"]
        for key in ("configuration.ssid", "configuration.mode", "channel.band",
                    "channel.frequency", "running", "disabled"):
            assert row[key], key
    assert [r["channel.band"] for r in wifi] == ["5ghz-ax", "2ghz-ax"]
    clients = rows(router, "/interface/wifi/registration-table")
    assert {c["interface"] for c in clients} == {"wifi1", "wifi2"}


def test_legacy_radios_on_a_v7_board_leave_the_wifi_menu_empty() -> None:
    both = V7.replace(packages=frozenset({"wireless", "wifi"}), radios=1)
    router = Router(both, clock=ManualClock())
    assert rows(router, "/interface/wifi") == []
    assert [r["name"] for r in rows(router, "/interface/wireless")] == ["wlan1"]
    none = Router(V7.replace(radios=0), clock=ManualClock())
    assert rows(none, "/interface/wifi") == []
    assert none.profile.interface_count == V7.ethernet + V7.vlans + V7.bridges


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_local_comments_are_raw_bytes_of_the_codepage(encoding: str) -> None:
    router = Router(V7.replace(comment_encoding=encoding), clock=ManualClock())
    comments = {r["name"]: r.get("comment") for r in rows(router, "/interface")}
    assert comments["ether1"] == "WAN"
    assert comments["bridge1"] is None
    texts = {name: c.encode("utf-8", "surrogateescape").decode(encoding)
             for name, c in comments.items() if c and name != "ether1"}
    assert set(texts) >= {"ether2", "wifi1", "vlan10"}
    assert set(texts.values()) <= set(LOCAL_COMMENTS)
    leases = [r.get("comment") for r in rows(router, "/ip/dhcp-server/lease")]
    local = [c.encode("utf-8", "surrogateescape").decode(encoding) for c in leases[1::3]]
    assert local
    assert set(local) <= set(LOCAL_COMMENTS)
    plain = Router(V7, clock=ManualClock())
    assert all(r.get("comment", "").isascii() for r in rows(plain, "/interface"))


def test_codepage_words_are_byte_counted_and_not_utf8() -> None:
    for text in LOCAL_COMMENTS:
        raw = text.encode("cp1251")
        word = encode_word("=comment=" + raw_text(text, "cp1251"))
        assert word == bytes([len(raw) + 9]) + b"=comment=" + raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert decode_text(raw, "cp1251") == text
    assert raw_text("Склад", "utf-8") == "Склад"


def test_mixed_fleet_order() -> None:
    assert [profile_for("mixed", i).name for i in range(4)] == ["v6", "v7", "v7-empty", "chr"]
