"""Every collector, in the order it runs within its tier.

One readable list: to add a resource, write its module and add it here. The
inventory tables the collectors declare (their ``views``) are listed by
:func:`table_views`: the web pages, the API and docs/api.md take them from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

from mikromon.collectors import (
    caps_man,
    interface,
    interface_ethernet_monitor,
    interface_state,
    interface_vlan,
    interface_wifi,
    interface_wireless,
    ip_address,
    ip_arp,
    ip_dhcp_server_lease,
    ip_firewall,
    ip_firewall_connection,
    ip_hotspot_active,
    ip_neighbor,
    ip_route,
    ip_service,
    log,
    ppp_active,
    queue_simple,
    routing_bgp,
    routing_bgp_state,
    routing_ospf_neighbor,
    routing_ospf_state,
    system_health,
    system_identity,
    system_package,
    system_resource,
    system_resource_cpu,
    system_routerboard,
    user,
    user_active,
)
from mikromon.collectors.base import Collector
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.tiers import Tier

COLLECTORS: Final[tuple[Collector, ...]] = (
    # realtime: /system/resource first, its facts carry the uptime the rates need
    system_resource.SystemResourceCollector(),
    system_health.SystemHealthCollector(),
    interface.InterfaceCountersCollector(),
    # short
    system_resource_cpu.SystemResourceCpuCollector(),
    ip_dhcp_server_lease.DhcpServerLeaseCollector(),
    ppp_active.COLLECTOR,
    ip_hotspot_active.COLLECTOR,
    ip_firewall_connection.COLLECTOR,
    # short: link, BGP and OSPF state (a few fields each), what alert rules need in time
    interface_state.InterfaceStateCollector(),
    routing_bgp_state.RoutingBgpStateCollector(),
    routing_ospf_state.RoutingOspfStateCollector(),
    # medium
    interface.InterfaceInventoryCollector(),
    queue_simple.QueueSimpleCollector(),
    # medium: the negotiated ethernet link rate (the utilisation rule's divisor)
    interface_ethernet_monitor.InterfaceEthernetMonitorCollector(),
    # medium: tables that grow with the customers, each bounded by its own count
    ip_dhcp_server_lease.TABLE,
    ppp_active.TABLE,
    ip_hotspot_active.TABLE,
    # long
    ip_arp.COLLECTOR,
    ip_address.COLLECTOR,
    ip_route.IpRouteCollector(),
    ip_firewall.FILTER,
    ip_firewall.NAT,
    ip_firewall.MANGLE,
    # extended
    system_identity.SystemIdentityCollector(),
    routing_bgp.RoutingBgpCollector(),
    routing_ospf_neighbor.RoutingOspfNeighborCollector(),
    interface_vlan.COLLECTOR,
    # the wifi package's tables are preferred to the legacy wireless ones in their tabs
    interface_wifi.InterfaceWifiCollector(),
    interface_wireless.InterfaceWirelessCollector(),
    caps_man.CapsManCollector(),
    log.LogCollector(),
    user.COLLECTOR,
    user_active.COLLECTOR,
    ip_service.COLLECTOR,
    ip_neighbor.COLLECTOR,
    system_routerboard.SystemRouterboardCollector(),
    system_package.COLLECTOR,
)

#: The order of the tiers' tables on the dashboard and in docs/api.md: what
#: changes during the day first, configuration read once a day next, the fast
#: tiers' state tables last; within a tier, the order of :data:`COLLECTORS`.
DASHBOARD_TIERS: Final = (Tier.MEDIUM, Tier.LONG, Tier.EXTENDED, Tier.SHORT, Tier.REALTIME)


class DeclaredTable(NamedTuple):
    """An inventory table as declared by its collector.

    Attributes:
        view: how it is shown (:class:`~mikromon.collectors.table_view.TableView`).
        tier: the tier of the collector that reads it.
        collector: that collector's registry name.
    """

    view: TableView
    tier: Tier
    collector: str


def table_views(collectors: Sequence[Collector] = COLLECTORS) -> tuple[DeclaredTable, ...]:
    """Return every inventory table the collectors declare (their ``views``), in
    dashboard order (:data:`DASHBOARD_TIERS`, then registry order).

    Raises:
        ValueError: two collectors declare the same table, or two tables the
            same tab slug with a different label or ``always``.
    """
    out: list[DeclaredTable] = []
    seen: dict[str, str] = {}
    tabs: dict[str, Tab] = {}
    for tier in DASHBOARD_TIERS:
        for collector in collectors:
            if collector.tier != tier:
                continue
            for view in getattr(collector, "views", ()):
                if view.table in seen:
                    raise ValueError(f"table {view.table} declared by {seen[view.table]} "
                                     f"and {collector.name}")
                seen[view.table] = collector.name
                tab = view.shown_tab()
                if tabs.setdefault(tab.slug, tab) != tab:
                    raise ValueError(f"tab {tab.slug} declared as {tabs[tab.slug]} and {tab}")
                out.append(DeclaredTable(view, tier, collector.name))
    return tuple(out)


def collectors_for(tier: Tier) -> list[Collector]:
    """Return the collectors of ``tier`` in running order (a new list each call)."""
    return list(_BY_TIER[tier])


#: tier -> its collectors in running order (:data:`COLLECTORS` is fixed; a tier
#: runs every few seconds on every device).
_BY_TIER: Final = {tier: tuple(c for c in COLLECTORS if c.tier == tier) for tier in Tier}


def by_name(name: str) -> Collector:
    """Return the collector registered as ``name``.

    Raises:
        KeyError: no such collector.
    """
    for collector in COLLECTORS:
        if collector.name == name:
            return collector
    raise KeyError(f"no collector named {name!r}")
