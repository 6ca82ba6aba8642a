"""CAPsMAN controllers, both generations: the ``capsman`` profile (RouterOS 7.16,
the wifi package's manager, ``/interface/wifi/capsman/*``) and ``capsman-v6``
(RouterOS 6.49, the wireless package's manager, ``/caps-man/*``).

``capsman``: four CAPs (:data:`CAPS`) with two radios each; the manager
provisions a dynamic wifi interface per radio, ``cap-wifi1`` .. ``cap-wifi8``,
listed in ``/interface`` and ``/interface/wifi`` after the controller's own
radios. Clients connect to those interfaces and come and go (a new count per
interface every minute); ``/interface/wifi/registration-table`` lists the
controller's own clients (capture) then those of the CAPs, and every table reads
the same counts at one moment. Shapes are reconstructed from help.mikrotik.com
"WiFi" (CAPsMAN: ``/interface/wifi/capsman`` settings ``enabled``,
``interfaces``, ``upgrade-policy``...; ``remote-cap`` ``address``,
``identity``, ``board-name``, ``serial``, ``version``, ``base-mac``,
``common-name``, ``state``), client rows take the key set of capture
interface_wifi_registration_table.v7.

``capsman-v6``: the legacy manager of :mod:`mikromon.emulator.reconstructed`
(two CAP interfaces ``cap1``/``cap2`` and their three clients), with its
``/caps-man/remote-cap``, ``/caps-man/radio``, ``/caps-man/configuration`` and
``/caps-man/manager`` rows (wiki Manual:CAPsMAN key lists, reconstructed), one CAP
per CAP interface.

The menus exist on every router with the wireless (``/caps-man/*``) or wifi
(``/interface/wifi/capsman*``) package; the builders here are the ``variants`` of
those entries of :data:`mikromon.emulator.menus.MENU_TABLE` for the ``capsman`` and
``wifi-capsman`` profile packages, and the CAP interfaces are listed in its
:data:`~mikromon.emulator.menus.DYNAMIC_INTERFACES`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import mikromon.emulator.reconstructed as reconstructed
from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import counter, mix, noise, render_duration
from mikromon.emulator.generated import Moment
from mikromon.emulator.interfaces import mac_address
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import FixedTable, GeneratedTable, Overrides, Row, Table

if TYPE_CHECKING:
    from mikromon.emulator.menu_base import RouterView

__all__ = ["CAPS", "CAPSMAN", "CAPSMAN_V6", "cap_interfaces", "clients_per_interface"]

CAPSMAN: Final = Profile(
    name="capsman", version="7.16.2", board="hAP ax^2", vlans=1, dhcp_leases=40,
    hotspot_users=0, packages=frozenset({"wifi", "wifi-capsman", "health"}),
)
CAPSMAN_V6: Final = Profile(
    name="capsman-v6", version="6.49.15", channel="long-term", board="hAP ac^2",
    architecture="arm", cpu="ARMv7", cpu_count=4, cpu_frequency=716,
    total_memory=134217728, total_hdd=16777216, dhcp_leases=30, hotspot_users=0,
    packages=frozenset({"wireless", "capsman", "health"}),
)

#: The CAPs of the ``capsman`` profile: (identity, board-name, clients per radio
#: at most: 5 GHz, 2.4 GHz).
CAPS: Final = (("ap-lobby", "cAP ax", (9, 4)), ("ap-floor1", "cAP ax", (7, 3)),
               ("ap-floor2", "cAP ax", (6, 5)), ("ap-warehouse", "wAP ax", (3, 2)))
_BANDS: Final = ((("5ghz-ax", "5180/ax/Ceee"), ("2ghz-ax", "2412/ax/Ce")))
_CHANNEL: Final = 0xCA95


def cap_interfaces() -> tuple[str, ...]:
    """Names of the interfaces the manager provisions (``cap-wifi1`` ..)."""
    return tuple(f"cap-wifi{k + 1}" for k in range(2 * len(CAPS)))


def clients_per_interface(m: Moment) -> list[int]:
    """Clients on each of :func:`cap_interfaces` now: each interface's most, less
    up to a third, a new amount every minute."""
    step = math.floor(m.now / 60)
    out = []
    for k, (_, _, most) in enumerate(CAPS):
        for r, n in enumerate(most):
            out.append(n - int(noise(m.seed, _CHANNEL, 2 * k + r, step) * (n // 3 + 1)))
    return out


def _interface_row(m: Moment, k: int, first_id: int) -> Row:
    band, channel = _BANDS[k % 2]
    mac = mac_address(m.seed, 0x200 + k)
    return {".id": f"*{first_id + k:X}", "name": f"cap-wifi{k + 1}", "type": "wifi",
            "mtu": "1500", "actual-mtu": "1500", "l2mtu": "1560", "mac-address": mac,
            "running": "true", "dynamic": "true", "disabled": "false",
            "_band": band, "_channel": channel}


def interface_rows(m: Moment, first_id: int) -> FixedTable:
    """The provisioned interfaces as ``/interface`` lists them (dynamic wifi rows,
    counters growing with the clients' traffic)."""
    rows = []
    for k, clients in enumerate(clients_per_interface(m)):
        row = _interface_row(m, k, first_id)
        row.pop("_band"), row.pop("_channel")
        rate = 1_500_000 * max(clients, 0)
        rx, tx = counter(0, rate / 64, m.uptime), counter(0, rate / 8, m.uptime)
        row.update({"rx-byte": str(rx), "tx-byte": str(tx), "rx-packet": str(rx // 300),
                    "tx-packet": str(tx // 1100)})
        rows.append(row)
    return FixedTable(rows)


def wifi(router: RouterView, m: Moment) -> Table:
    """``/interface/wifi``: the controller's radios, then the provisioned ones."""
    own = reconstructed.wifi_interfaces(m, router.ports)
    rows = [own.row(i) for i in range(len(own))]
    first = len(router.ports) + 1
    for k in range(2 * len(CAPS)):
        base = _interface_row(m, k, first)
        rows.append({
            ".id": base[".id"], "name": base["name"], "l2mtu": "1560",
            "mac-address": base["mac-address"], "arp-timeout": "auto",
            "radio-mac": base["mac-address"], "configuration.mode": "ap",
            "configuration.ssid": "example-net", "configuration.manager": "capsman",
            "channel.band": base["_band"], "channel.frequency": base["_channel"].split("/")[0],
            "channel.width": "20/40/80mhz" if k % 2 == 0 else "20/40mhz",
            "security.authentication-types": "wpa2-psk,wpa3-psk",
            "master": "true", "bound": "true", "inactive": "false", "running": "true",
            "disabled": "false",
        })
    return FixedTable(rows)


def registration_table(router: RouterView, m: Moment) -> Table:
    """``/interface/wifi/registration-table``: the controller's own clients (the
    capture's rows), then each CAP interface's clients."""
    own = list(capture("interface_wifi_registration_table.v7").rows)
    template = own[0]
    cap = [(k, c) for k, n in enumerate(clients_per_interface(m)) for c in range(n)]
    head = len(own)

    def over(i: int) -> Overrides:
        k, c = cap[i - head]
        n = mix(m.seed, _CHANNEL, k, c)
        up = min(m.uptime, 60.0 + n % 20000)
        tx = counter(0, 20_000.0 + n % 90_000, up)
        rx = counter(0, 4_000.0 + n % 20_000, up)
        band = _BANDS[k % 2][0]
        return {".id": f"*{0x100 + i:X}", "interface": f"cap-wifi{k + 1}",
                "mac-address": mac_address(m.seed, 0x1000 + 32 * k + c),
                "uptime": render_duration(int(up)), "signal": str(-48 - n % 30),
                "band": band, "packets": f"{tx // 900},{rx // 300}", "bytes": f"{tx},{rx}",
                "tx-rate": "1200.9Mbps-80MHz/2S/MCS11" if k % 2 == 0 else "143.4Mbps-20MHz/2S",
                "last-activity": f"{n % 900}ms"}

    return GeneratedTable(head + len(cap), lambda i: template, over, head=own)


def capsman_settings(router: RouterView, m: Moment) -> Table:
    """``/interface/wifi/capsman``: the manager's settings, on with the
    ``wifi-capsman`` profile package, off (the default) otherwise."""
    on = "wifi-capsman" in router.profile.packages
    return FixedTable([{"enabled": "true" if on else "false", "interfaces": "all",
                        "upgrade-policy": "none",
                        "require-peer-certificate": "false", "certificate": "auto",
                        "ca-certificate": "auto", "package-path": ""}])


def _remote_caps(m: Moment, v6: bool, caps: list[tuple[str, str]]) -> Table:
    rows = []
    for k, (identity, board) in enumerate(caps):
        rows.append({
            ".id": f"*{k + 1:X}", "address": f"10.88.0.{20 + k}/{5246 + 7 * k}",
            "identity": identity, "board-name": board,
            "serial": f"HG{mix(m.seed, 0xCA9, k) % 16**10:010X}",
            "version": m.profile.version, "base-mac": mac_address(m.seed, 0x300 + k),
            "common-name": f"{mac_address(m.seed, 0x300 + k).replace(':', '')}",
            "state": "Run" if v6 else "Ok",
            **({"radios": "1"} if v6 else {}),
        })
    return FixedTable(rows)


def remote_caps(router: RouterView, m: Moment) -> Table:
    """``/interface/wifi/capsman/remote-cap``: one row per CAP of :data:`CAPS`."""
    return _remote_caps(m, False, [(ident, board) for ident, board, _ in CAPS])


def legacy_interface_rows(m: Moment, first_id: int) -> FixedTable:
    """The legacy manager's CAP interfaces as ``/interface`` lists them (type ``cap``,
    dynamic; counters growing with their clients' traffic)."""
    rows = []
    clients = reconstructed.capsman_clients(m, True)
    for k, name in enumerate(reconstructed.capsman_names()):
        tx = rx = 0
        for i in range(len(clients)):
            if clients.get(i, "interface") == name:
                out, into = (clients.get(i, "bytes") or "0,0").split(",")
                tx, rx = tx + int(out), rx + int(into)
        rows.append({".id": f"*{first_id + k:X}", "name": name, "type": "cap",
                     "mtu": "1500", "l2mtu": "1600", "mac-address": mac_address(m.seed, 40 + k),
                     "rx-byte": str(rx), "tx-byte": str(tx), "rx-packet": str(rx // 300),
                     "tx-packet": str(tx // 900), "running": "true", "dynamic": "true",
                     "disabled": "false"})
    return FixedTable(rows)


def legacy_remote_caps(router: RouterView, m: Moment) -> Table:
    """``/caps-man/remote-cap``: one CAP per legacy CAP interface."""
    names = reconstructed.capsman_names()
    return _remote_caps(m, True, [(f"ap-{name}", "cAP ac") for name in names])


def legacy_radios(router: RouterView, m: Moment) -> Table:
    """``/caps-man/radio``: each CAP's radio and the interface it is bound to."""
    rows = []
    for k, name in enumerate(reconstructed.capsman_names()):
        rows.append({".id": f"*{k + 1:X}", "radio-mac": mac_address(m.seed, 40 + k),
                     "remote-cap-name": f"ap-{name}", "remote-cap-identity": f"ap-{name}",
                     "interface": name, "provisioned": "true"})
    return FixedTable(rows)


def legacy_configuration(router: RouterView, m: Moment) -> Table:
    """``/caps-man/configuration``: the configuration the CAP interfaces use."""
    return FixedTable([{".id": "*1", "name": "cfg-example", "mode": "ap",
                        "ssid": "example-net", "country": "latvia",
                        "security": "sec-example", "datapath": "dp-example",
                        "channel": "ch-example"}])


def legacy_manager(router: RouterView, m: Moment) -> Table:
    """``/caps-man/manager``: the manager's settings, on with the ``capsman``
    profile package, off (the default) otherwise."""
    on = "capsman" in router.profile.packages
    return FixedTable([{"enabled": "true" if on else "false", "upgrade-policy": "none",
                        "require-peer-certificate": "false", "certificate": "none",
                        "ca-certificate": "none", "package-path": ""}])
