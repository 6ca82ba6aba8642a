"""System-side menus: ``/system/package``, ``/system/logging``, ``/system/license``,
``/user/group``, ``/certificate``, ``/tool/netwatch`` and ``/routing/stats/process``.

Key sets come from the reconstructed files in the emulator's data (each names the
help.mikrotik.com page it follows: system_package.v6/.v7, system_logging,
system_license.v6/.v7/.v7-chr, user_group.v6/.v7, certificate.v7,
tool_netwatch.v6/.v7, routing_stats_process.v7). Values that must agree with the
router are computed: the package list follows the profile's version, architecture
and packages (a RouterOS 6 bundle part whose menus the profile lacks is listed
disabled, so ``/system/package`` and the ``no such command prefix`` traps tell the
same story); the licence carries the router's own id; the routing processes are
those of the protocols it runs.
"""

from __future__ import annotations

import time
from typing import Final

from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import mix
from mikromon.emulator.generated import Moment
from mikromon.emulator.menu_base import Menu, RouterView, has_package, static, static_rows
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.reconstructed import render_date
from mikromon.emulator.tables import FixedTable, Row, Table

__all__ = ["SYSTEM_MENUS", "package_rows"]

#: RouterOS 6 bundle parts in ``/system/package`` order (help.mikrotik.com
#: "Packages"), each with the profile packages that enable it (``()``: always on).
V6_PARTS: Final = (("system", ()), ("ipv6", ("ipv6",)), ("wireless", ("wireless",)),
                   ("hotspot", ("hotspot",)), ("mpls", ()), ("routing", ("bgp", "ospf")),
                   ("ppp", ()), ("dhcp", ()), ("security", ()), ("advanced-tools", ()))
#: ``architecture-name`` -> the name of the RouterOS 6 bundle (``routeros-<arch>``).
V6_BUNDLE_ARCH: Final = {"x86_64": "x86", "i386": "x86", "ppc": "powerpc"}
#: Alphabet of software ids (``4ZKV-M7QD``: no 0/O or 1/I, as on real licences).
_ID_CHARS: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def package_rows(profile: Profile, build_time: str) -> list[Row]:
    """``/system/package`` rows for ``profile`` (``build_time`` as ``/system/resource``
    prints it). RouterOS 6: the ``routeros-<arch>`` bundle, then its parts, a part
    none of whose profile packages is present ``disabled=true``. RouterOS 7: the
    ``routeros`` main package (IPv6, routing and hotspot inside), then the extra
    packages the radios need: ``wireless``, or ``wifi-qcom`` (``wifiwave2`` before
    7.13) for the ``wifi`` package."""
    names: list[tuple[str, bool]]
    if profile.major < 7:
        arch = V6_BUNDLE_ARCH.get(profile.architecture, profile.architecture)
        names = [(f"routeros-{arch}", False)]
        names += [(name, bool(needs) and not any(has_package(profile, n) for n in needs))
                  for name, needs in V6_PARTS]
    else:
        names = [("routeros", False)]
        if "wireless" in profile.packages:
            names.append(("wireless", False))
        if "wifi" in profile.packages:
            names.append(("wifi-qcom" if profile.version_tuple[:2] >= (7, 13) else "wifiwave2",
                          False))
    return [{".id": f"*{k:X}", "name": name, "version": profile.version,
             "build-time": build_time, "scheduled": "",
             "disabled": "true" if disabled else "false"}
            for k, (name, disabled) in enumerate(names)]


def _package(router: RouterView, m: Moment) -> Table:
    return FixedTable(package_rows(router.profile, router.resource_row(m)["build-time"]))


def _software_id(seed: int) -> str:
    h = mix(seed, 0x11C)
    chars = "".join(_ID_CHARS[(h >> (5 * k)) % 32] for k in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def _stamp(iso: bool, wall: float) -> str:
    t = time.gmtime(wall)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{render_date(iso, t.tm_year, t.tm_mon, t.tm_mday)} {clock}"


def _license(router: RouterView, m: Moment) -> Table:
    """``/system/license``: a RouterBOARD's (software id, level) or, on CHR/x86 7.x,
    a paid ``p1`` licence renewing within a month (help.mikrotik.com "Cloud Hosted
    Router, CHR")."""
    p = router.profile
    if p.major >= 7 and not p.routerboard:
        row = dict(capture("system_license.v7-chr").rows[0])
        row["system-id"] = _software_id(router.seed).replace("-", "") + "aR"
        row["next-renewal-at"] = _stamp(p.iso_dates, m.wall + 23 * 86400)
        row["deadline-at"] = _stamp(p.iso_dates, m.wall + 53 * 86400)
        return FixedTable([row])
    row = dict(static_rows("system_license", p)[0])
    row["software-id"] = _software_id(router.seed)
    return FixedTable([row])


#: Routing processes that run only with a protocol (``id`` -> profile package).
_PROTOCOL_PROCESSES: Final = {"ospf": "ospf", "bgp": "bgp"}


def _routing_processes(router: RouterView, m: Moment) -> Table:
    """``/routing/stats/process``: the routing tasks, with the OSPF and BGP
    processes only where the profile runs those protocols."""
    p = router.profile
    return FixedTable([
        row for row in static_rows("routing_stats_process", p)
        if _PROTOCOL_PROCESSES.get(row["id"], "") in ("", *p.packages)])


SYSTEM_MENUS: Final[tuple[Menu, ...]] = (
    Menu("/system/package", _package),
    Menu("/system/logging", static("system_logging")),
    Menu("/system/license", _license),
    Menu("/user/group", static("user_group")),
    Menu("/certificate", static("certificate")),
    Menu("/tool/netwatch", static("tool_netwatch")),
    Menu("/routing/stats/process", _routing_processes, major=7),
)
