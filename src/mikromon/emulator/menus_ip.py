"""IPv4 service menus and queues: ``/ip/pool`` and ``/ip/pool/used``, ``/ip/dns``,
``/ip/cloud``, ``/ip/firewall/raw``, ``/ip/firewall/address-list``,
``/queue/tree`` and ``/queue/type``.

Key sets come from the reconstructed files in the emulator's data (ip_pool.v7,
ip_pool_used.v7, ip_dns.v6/.v7, ip_cloud.v6/.v7, ip_firewall_raw.v7,
ip_firewall_address_list.v7, queue_tree.v7, queue_type.v7; each names its
help.mikrotik.com page). Rows agree with the router: the DHCP pool spans the
addresses of the leases it serves and ``/ip/pool/used`` holds exactly those
leases; ``/ip/cloud`` names the router by its RouterBOARD serial number; the
address lists are those the mangle and raw rules name; the queue tree shapes the
``bulk`` packet mark the mangle rules set, its counters growing with uptime.
"""

from __future__ import annotations

from typing import Final

import mikromon.emulator.generated as generated
from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import counter, noise
from mikromon.emulator.generated import Moment
from mikromon.emulator.menu_base import Menu, RouterView, serial_number, static, static_rows
from mikromon.emulator.tables import FixedTable, GeneratedTable, Overrides, Table

__all__ = ["IP_MENUS", "LEASE_POOL"]

#: Name of the DHCP server's pool (the emulator's leases come from it).
LEASE_POOL: Final = "dhcp_pool0"
#: Keys of ``/ip/dns`` that RouterOS 6 has only since 6.47 (DNS over HTTPS).
_DOH_KEYS: Final = ("use-doh-server", "verify-doh-cert")
#: Noise channel of the queue tree's rates.
_QUEUE: Final = 22
#: Mean bytes/s through the tree's queues (download total, bulk) and packet size.
_QUEUE_RATES: Final = ((250_000.0, 900), (120_000.0, 1_100))


def _pool(router: RouterView, m: Moment) -> Table:
    """``/ip/pool``: the DHCP pool spans one /24 of ``10.100`` per 254 leases the
    profile serves (generated.dhcp_leases hands out ``10.100.<i // 254>.<i % 254 + 1>``)."""
    rows = [dict(r) for r in static_rows("ip_pool", router.profile)]
    nets = max(1, -(-router.profile.dhcp_leases // 254))
    for row in rows:
        if row["name"] == LEASE_POOL:
            row["ranges"] = f"10.100.0.1-10.100.{nets - 1}.254"
    return FixedTable(rows)


def _pool_used(router: RouterView, m: Moment) -> Table:
    """``/ip/pool/used``: one row per DHCP lease now (its address and MAC)."""
    leases = generated.dhcp_leases(m)
    template = capture("ip_pool_used.v7").rows[0]

    def own(i: int) -> Overrides:
        return {"pool": LEASE_POOL, "address": leases.get(i, "address"),
                "owner": leases.get(i, "mac-address"), "info": "dhcp1"}

    return GeneratedTable(len(leases), lambda i: template, own)


def _dns(router: RouterView, m: Moment) -> Table:
    p = router.profile
    row = dict(static_rows("ip_dns", p)[0])
    if p.major < 7 and p.version_tuple[:2] < (6, 47):
        for key in _DOH_KEYS:
            row.pop(key, None)
    return FixedTable([row])


def _cloud(router: RouterView, m: Moment) -> Table:
    """``/ip/cloud``: DDNS on, the name ``<serial>.sn.mynetname.net``."""
    row = dict(static_rows("ip_cloud", router.profile)[0])
    row["dns-name"] = f"{serial_number(router.seed).lower()}.sn.mynetname.net"
    return FixedTable([row])


def _queue_tree(router: RouterView, m: Moment) -> Table:
    """``/queue/tree``: counters ``rate * uptime`` (per-router rates within 0.5-1.5x
    of :data:`_QUEUE_RATES`), ``rate``/``packet-rate`` the current means."""
    rows = []
    for k, row in enumerate(static_rows("queue_tree", router.profile)):
        mean, size = _QUEUE_RATES[k % len(_QUEUE_RATES)]
        rate = mean * (0.5 + noise(m.seed, _QUEUE, k))
        sent = counter(0, rate, m.uptime)
        out = dict(row)
        out.update({"bytes": str(sent), "packets": str(sent // size),
                    "dropped": str(sent // 2_000_000), "rate": str(int(rate * 8)),
                    "packet-rate": str(int(rate // size))})
        rows.append(out)
    return FixedTable(rows)


IP_MENUS: Final[tuple[Menu, ...]] = (
    Menu("/ip/pool", _pool),
    Menu("/ip/pool/used", _pool_used),
    Menu("/ip/dns", _dns),
    Menu("/ip/cloud", _cloud),
    Menu("/ip/firewall/raw", static("ip_firewall_raw")),
    Menu("/ip/firewall/address-list", static("ip_firewall_address_list")),
    Menu("/queue/tree", _queue_tree),
    Menu("/queue/type", static("queue_type")),
)
