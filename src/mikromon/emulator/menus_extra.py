"""Menus the special-purpose profiles add or rebuild over the common ones
(the router adds them to :func:`mikromon.emulator.menus.menus_for`'s): the PPPoE concentrator
of :mod:`mikromon.emulator.profiles_isp` (package ``pppoe-server``) and the
CAPsMAN managers of :mod:`mikromon.emulator.menus_capsman` (``wifi-capsman``,
``capsman``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import mikromon.emulator.menus_capsman as capsman
import mikromon.emulator.profiles_isp as isp
import mikromon.emulator.reconstructed as reconstructed
from mikromon.emulator.generated import Moment
from mikromon.emulator.menus import Builder, Menu, RouterView
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import Row, Table

__all__ = ["ConcatTable", "extra_menus", "interface_names"]


class ConcatTable:
    """The rows of ``first`` then those of ``second`` (``/interface`` with the
    dynamic interfaces after the router's own)."""

    def __init__(self, first: Table, second: Table) -> None:
        self._first, self._second = first, second
        self._split = len(first)

    def __len__(self) -> int:
        return self._split + len(self._second)

    def get(self, index: int, key: str) -> str | None:
        if index < self._split:
            return self._first.get(index, key)
        return self._second.get(index - self._split, key)

    def row(self, index: int) -> Row:
        if index < self._split:
            return self._first.row(index)
        return self._second.row(index - self._split)


def _after_ports(base: Builder, extra: Callable[[Moment, int], Table]) -> Builder:
    def build(router: RouterView, m: Moment) -> Table:
        return ConcatTable(base(router, m), extra(m, len(router.ports) + 1))

    return build


def extra_menus(profile: Profile, present: Mapping[str, Menu]) -> dict[str, Menu]:
    """Return the menus ``profile``'s special packages add or replace, by path
    (``present``: the common menus the router has)."""
    out: dict[str, Menu] = {}

    def replace(path: str, build: Builder) -> None:
        old = present.get(path)
        out[path] = dataclasses.replace(old, build=build) if old else Menu(path, build)

    if "pppoe-server" in profile.packages:
        replace("/interface", _after_ports(present["/interface"].build, isp.pppoe_interfaces))
        replace("/ppp/active", isp.ppp_active)
        replace("/queue/simple", isp.simple_queues)
        replace("/ip/firewall/connection", isp.connections)
        replace("/interface/pppoe-server/server", isp.pppoe_servers)
    if "wifi-capsman" in profile.packages:
        replace("/interface", _after_ports(present["/interface"].build,
                                           capsman.interface_rows))
        replace("/interface/wifi", capsman.wifi)
        replace("/interface/wifi/registration-table", capsman.registration_table)
        replace("/interface/wifi/capsman", capsman.capsman_settings)
        replace("/interface/wifi/capsman/remote-cap", capsman.remote_caps)
    if "capsman" in profile.packages:
        replace("/interface", _after_ports(out.get("/interface", present["/interface"]).build,
                                           capsman.legacy_interface_rows))
        replace("/caps-man/remote-cap", capsman.legacy_remote_caps)
        replace("/caps-man/radio", capsman.legacy_radios)
        replace("/caps-man/configuration", capsman.legacy_configuration)
        replace("/caps-man/manager", capsman.legacy_manager)
    return out


def interface_names(profile: Profile) -> tuple[str, ...]:
    """Interface names a router has besides its ports (the CAP interfaces a CAPsMAN
    manager creates), kept as they are when rows name them."""
    names: tuple[str, ...] = ()
    if "capsman" in profile.packages:
        names += reconstructed.capsman_names()
    if "wifi-capsman" in profile.packages:
        names += capsman.cap_interfaces()
    return names
