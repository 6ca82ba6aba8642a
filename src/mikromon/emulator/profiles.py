"""What an emulated router is: version, board, table sizes, traffic rates, packages.

A :class:`Profile` is a frozen value shared by every router built from it; the
per-router differences (identity, pseudo-random CPU load, lease churn) come from
the router's seed. Named profiles: ``v6``, ``v6-legacy`` (6.42, MD5 challenge
login), ``v7``, ``v7-empty``, ``chr``, ``isp-bras`` (a PPPoE concentrator with
thousands of customers: :mod:`mikromon.emulator.profiles_isp`), ``capsman`` (a
RouterOS 7 wifi CAPsMAN controller) and ``capsman-v6`` (the legacy wireless
CAPsMAN: :mod:`mikromon.emulator.menus_capsman`), and ``mixed`` (which cycles
through ``v6``, ``v7``, ``v7-empty`` and ``chr`` by router index; the special
profiles are chosen by name).

RouterOS facts behind the defaults: shared/ROUTEROS-API.md §9 (v6/v7 path
differences, health shapes) and the capture files named in each comment. A data
table: the :class:`~mikromon.emulator.profile_model.Profile` type is in
:mod:`mikromon.emulator.profile_model`, the boards in :mod:`mikromon.emulator.boards`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from mikromon.emulator.menus_capsman import CAPSMAN, CAPSMAN_V6
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.profiles_isp import ISP_BRAS

__all__ = ["CAPSMAN", "CAPSMAN_V6", "CHR", "ISP_BRAS", "PROFILES", "PROFILE_NAMES", "V6",
           "V6_LEGACY", "V7", "V7_EMPTY", "profile_for"]

V6: Final = Profile(
    name="v6", version="6.49.15", channel="long-term", board="hAP ac^2",
    architecture="arm", cpu="ARMv7", cpu_count=4, cpu_frequency=716,
    total_memory=134217728, total_hdd=16777216,
    packages=frozenset({"wireless", "hotspot", "bgp", "ospf", "health", "ipv6"}),
)
V6_LEGACY: Final = Profile(
    name="v6-legacy", version="6.42.12", channel="long-term", board="hAP lite",
    architecture="smips", cpu="MIPS 24Kc V7.4", cpu_count=1, cpu_frequency=650,
    total_memory=33554432, total_hdd=16777216, ethernet=4, vlans=0, radios=1,
    dhcp_leases=12, ppp_sessions=0, hotspot_users=0, arp_entries=12, routes=3,
    connections=312, packages=frozenset({"wireless"}),
)
V7: Final = Profile(
    name="v7", version="7.16.2",
    packages=frozenset({"wifi", "hotspot", "bgp", "ospf", "health"}),
)
#: A 7.18+ router (``!empty`` replies) whose optional menus are empty: a hEX
#: (no radios, so ``/interface/wifi`` and its registration table are empty, as on
#: any 7.13+ router without wifi hardware) with a hotspot, BGP and OSPF configured
#: but nobody connected, no DHCP leases, PPP sessions, queues or mangle rules.
V7_EMPTY: Final = Profile(
    name="v7-empty", version="7.18.2", board="hEX", architecture="mmips",
    cpu="MIPS 1004Kc V2.15", cpu_count=4, cpu_frequency=880, total_memory=268435456,
    total_hdd=16777216, ethernet=5, vlans=0, radios=0, dhcp_leases=0, ppp_sessions=0,
    hotspot_users=0, arp_entries=3, routes=4, connections=57,
    packages=frozenset({"wifi", "hotspot", "bgp", "ospf", "health"}),
    empty_menus=frozenset({"/interface/wifi/registration-table", "/routing/bgp/session",
                           "/routing/ospf/neighbor", "/queue/simple",
                           "/ip/firewall/mangle"}),
)
CHR: Final = Profile(
    name="chr", version="7.16.2", board="CHR QEMU Standard PC (i440FX + PIIX, 1996)",
    architecture="x86_64", cpu="Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", cpu_count=2,
    cpu_frequency=2400, total_memory=1073741824, total_hdd=1073741824, routerboard=False,
    ethernet=3, vlans=0, bridges=0, hotspot_users=0,
    packages=frozenset({"bgp", "ospf"}),
)

#: The named profiles (``mixed`` is resolved per index by :func:`profile_for`).
PROFILES: Final[Mapping[str, Profile]] = {
    p.name: p for p in (V6, V6_LEGACY, V7, V7_EMPTY, CHR, ISP_BRAS, CAPSMAN, CAPSMAN_V6)}
#: Names accepted by :func:`profile_for` and ``simulate --profile``.
PROFILE_NAMES: Final = (*PROFILES, "mixed")
_MIXED_ORDER: Final = ("v6", "v7", "v7-empty", "chr")


def profile_for(name: str | Profile, index: int = 0) -> Profile:
    """Return the profile for router number ``index`` (0-based).

    Args:
        name: a :data:`PROFILE_NAMES` entry (``v6``, ``v6-legacy``, ``v7``,
            ``v7-empty``, ``chr``, ``isp-bras``, ``capsman``, ``capsman-v6``,
            ``mixed``) or a :class:`Profile` (returned as is).
        index: the router's position in its fleet; ``mixed`` picks
            ``v6, v7, v7-empty, chr`` by ``index % 4``.

    Raises:
        ValueError: unknown profile name (the message lists the known ones).
    """
    if isinstance(name, Profile):
        return name
    if name == "mixed":
        return PROFILES[_MIXED_ORDER[index % len(_MIXED_ORDER)]]
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown emulator profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}"
        ) from None
