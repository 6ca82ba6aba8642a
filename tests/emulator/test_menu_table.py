"""The menu table is the one list of menus: a profile package (PPPoE server,
CAPsMAN) changes how a listed menu is built (``Menu.variants``), never which
menus exist; dynamic interfaces of several packages follow one another."""

from __future__ import annotations

from mikromon.emulator import PROFILES, ManualClock, Router
from mikromon.emulator.menu_base import Menu, empty, static
from mikromon.emulator.menus import menus_for


def test_a_variant_builds_the_menu_on_routers_with_its_package() -> None:
    plain, special = static("ip_address"), empty
    menu = Menu("/ip/address", plain, variants=(("pppoe-server", special),))
    assert menu.builder(PROFILES["v7"]) is plain
    assert menu.builder(PROFILES["isp-bras"]) is special
    assert menus_for(PROFILES["isp-bras"], (menu,))["/ip/address"].build is special


def test_the_router_serves_exactly_the_table_s_menus() -> None:
    for profile in PROFILES.values():
        router = Router(profile, clock=ManualClock())
        table = menus_for(profile)
        assert router.menus.keys() == table.keys(), profile.name
        assert all(router.menus[p].build is table[p].build for p in table), profile.name


def test_profile_packages_change_rows_not_menus() -> None:
    """A server or manager package switched on adds no menu to the table's."""
    for name, package in (("v7", "pppoe-server"), ("v7", "wifi-capsman"), ("v6", "capsman")):
        base = PROFILES[name]
        on = base.replace(packages=base.packages | {package})
        assert menus_for(on).keys() == menus_for(base).keys(), package


def test_managers_are_off_unless_the_profile_runs_them() -> None:
    def enabled(profile_name: str, path: str) -> str | None:
        return Router(PROFILES[profile_name], clock=ManualClock()).table(path).get(0, "enabled")

    assert enabled("v6", "/caps-man/manager") == "false"
    assert enabled("capsman-v6", "/caps-man/manager") == "true"
    assert enabled("v7", "/interface/wifi/capsman") == "false"
    assert enabled("capsman", "/interface/wifi/capsman") == "true"
    v7 = Router(PROFILES["v7"], clock=ManualClock())
    assert len(v7.table("/interface/pppoe-server/server")) == 0
    assert len(v7.table("/interface/wifi/capsman/remote-cap")) == 0


def test_dynamic_interfaces_of_two_packages_follow_one_another() -> None:
    base = PROFILES["capsman"]
    both = base.replace(packages=base.packages | {"pppoe-server"}, ppp_sessions=20)
    table = Router(both, clock=ManualClock()).table("/interface")
    rows = [table.row(i) for i in range(len(table))]
    names = [r["name"] for r in rows]
    assert any(n.startswith("<pppoe-") for n in names)
    assert "cap-wifi1" in names
    ids = [r[".id"] for r in rows]
    assert len(set(ids)) == len(ids)

