"""Every collector, in the order it runs within its tier.

One readable list: to add a resource, write its module and add it here.
"""

from __future__ import annotations

from typing import Final

from mikromon.collectors import (
    caps_man,
    interface,
    interface_ethernet_monitor,
    interface_state,
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
    system_resource,
    system_resource_cpu,
    system_routerboard,
    user,
    user_active,
)
from mikromon.collectors.base import Collector
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
    ip_address.COLLECTOR,
    ip_arp.COLLECTOR,
    ip_route.IpRouteCollector(),
    ip_firewall.FILTER,
    ip_firewall.NAT,
    ip_firewall.MANGLE,
    # extended
    system_identity.SystemIdentityCollector(),
    system_routerboard.SystemRouterboardCollector(),
    routing_bgp.RoutingBgpCollector(),
    routing_ospf_neighbor.RoutingOspfNeighborCollector(),
    interface_wireless.InterfaceWirelessCollector(),
    interface_wifi.InterfaceWifiCollector(),
    caps_man.CapsManCollector(),
    user.COLLECTOR,
    user_active.COLLECTOR,
    ip_service.COLLECTOR,
    ip_neighbor.COLLECTOR,
    log.LogCollector(),
)


def collectors_for(tier: Tier) -> list[Collector]:
    """Return the collectors of ``tier`` in running order."""
    return [c for c in COLLECTORS if c.tier == tier]


def by_name(name: str) -> Collector:
    """Return the collector registered as ``name``.

    Raises:
        KeyError: no such collector.
    """
    for collector in COLLECTORS:
        if collector.name == name:
            return collector
    raise KeyError(f"no collector named {name!r}")
