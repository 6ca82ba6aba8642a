"""Served rows agree with the router: interfaces it has, networks that are the
address masked, per-row uptimes within the router's, percentages up to 100."""

from __future__ import annotations

import ipaddress

import pytest

from mikromon.emulator import ManualClock, Router
from mikromon.emulator.coherence import duration_seconds
from mikromon.emulator.profiles import PROFILES

INTERFACE_KEYS = ("interface", "actual-interface", "in-interface", "out-interface",
                  "vrf-interface")


def _all_rows(router: Router) -> dict[str, list[dict[str, str]]]:
    out = {}
    for path in router.menus:
        table = router.table(path)
        out[path] = [table.row(i) for i in range(min(len(table), 300))]
    return out


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_rows_name_only_the_routers_interfaces(name: str) -> None:
    router = Router(PROFILES[name], clock=ManualClock())
    # the ports, and the dynamic interfaces /interface lists (CAP interfaces of a
    # CAPsMAN manager, PPPoE sessions)
    interface = router.table("/interface")
    own = {p.name for p in router.ports} | {
        interface.get(i, "name") or "" for i in range(len(interface))}
    for path, rows in _all_rows(router).items():
        for row in rows:
            for key in INTERFACE_KEYS:
                for part in filter(None, row.get(key, "").split(",")):
                    assert part in own, (name, path, key, part, sorted(own))
            for key in ("gateway", "immediate-gw"):
                for part in filter(None, row.get(key, "").split(",")):
                    iface = part.partition("%")[2] or part
                    try:
                        ipaddress.ip_address(iface)
                    except ValueError:
                        assert iface in own, (name, path, key, part)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_address_networks_uptimes_and_percentages_agree(name: str) -> None:
    router = Router(PROFILES[name], clock=ManualClock())
    uptime = router.uptime()
    for path, rows in _all_rows(router).items():
        for row in rows:
            if "network" in row and "/" in row.get("address", ""):
                iface = ipaddress.ip_interface(row["address"])
                if iface.network.prefixlen < iface.max_prefixlen:  # else: the PtP peer
                    assert row["network"] == str(iface.network.network_address), (
                        name, path, row)
            if "uptime" in row:
                seconds = duration_seconds(row["uptime"])
                assert seconds is not None, (name, path, row)
                assert seconds <= uptime + 1, (name, path, row)
            for key in ("ccq", "tx-ccq", "rx-ccq"):
                if row.get(key, "").isdigit():
                    assert int(row[key]) <= 100, (name, path, row)


def test_queries_see_the_served_values() -> None:
    """A query filters on what print returns (get and row agree)."""
    router = Router(PROFILES["v7"], clock=ManualClock())
    table = router.table("/ip/address")
    for i in range(len(table)):
        row = table.row(i)
        for key, value in row.items():
            assert table.get(i, key) == value, (key, row)


def test_duration_seconds() -> None:
    assert duration_seconds("5d9m11s") == 5 * 86400 + 9 * 60 + 11
    assert duration_seconds("4s750ms") == 4.75
    assert duration_seconds("never") is None
