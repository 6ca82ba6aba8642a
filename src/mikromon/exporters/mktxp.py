"""mktxp's metric families, mapped from mikromon's metric catalog.

Operators' Grafana dashboards for MikroTik routers (dashboard 13679 on
grafana.com and its many copies) query the families of mktxp, the RouterOS
Prometheus exporter: ``mktxp_<name>`` with the labels ``routerboard_name`` (the
router's name in the exporter's configuration) and ``routerboard_address`` (its
address), ``name`` for an interface, queue or BGP peer, and ``_total`` on
counters. Source of the names, kinds and labels: mktxp's collector modules
(akpw/mktxp, ``mktxp/collector/*_collector.py``), read for the names only.

Each :class:`FamilySpec` names the catalog key (:mod:`mikromon.domain.catalog`)
it is built from and how the value is converted to mktxp's unit. What mikromon
does not read, or reads differently, is listed in docs/prometheus.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["gauge", "counter"]

#: Labels every mktxp family carries (mktxp's ``_add_id_labels``).
ROUTERBOARD_NAME: Final = "routerboard_name"
ROUTERBOARD_ADDRESS: Final = "routerboard_address"


@dataclass(frozen=True, slots=True)
class FamilySpec:
    """One mktxp family built from one catalog key.

    Attributes:
        name: the family name without ``mktxp_`` and without ``_total``
            (``interface_rx_byte``); a counter is exposed as ``<name>_total``.
        kind: ``gauge`` or ``counter`` (Prometheus type, as mktxp declares it).
        help: the family's help text.
        key: the mikromon catalog key whose latest values fill it.
        label: the catalog label (``interface``, ``queue``, ``peer``) exposed as
            mktxp's ``name`` label; ``""`` for device-wide families.
        scale: factor from the catalog unit to mktxp's unit (``1e-6``: Hz to
            MHz; ``1000``: seconds to milliseconds).
        system: carries the labels mktxp puts on /system/resource families
            (``version``, ``board_name``, ``cpu``, ``architecture_name``).
    """

    name: str
    kind: Kind
    help: str
    key: str
    label: str = ""
    scale: float = 1.0
    system: bool = False


def _iface(name: str, kind: Kind, help_: str, key: str) -> FamilySpec:
    return FamilySpec(name, kind, help_, key, label="interface")


def _system(name: str, help_: str, key: str, scale: float = 1.0) -> FamilySpec:
    return FamilySpec(name, "gauge", help_, key, scale=scale, system=True)


#: Families built from catalog keys, in exposition order.
FAMILIES: Final[tuple[FamilySpec, ...]] = (
    # /interface (mktxp interface_collector): the router's raw counters.
    _iface("interface_rx_byte", "counter", "Number of received bytes", "iface.rx_bytes"),
    _iface("interface_tx_byte", "counter", "Number of transmitted bytes", "iface.tx_bytes"),
    _iface("interface_rx_packet", "counter", "Number of packets received", "iface.rx_packets"),
    _iface("interface_tx_packet", "counter", "Number of transmitted packets",
           "iface.tx_packets"),
    _iface("interface_rx_error", "counter", "Number of packets received with an error",
           "iface.rx_errors"),
    _iface("interface_tx_error", "counter", "Number of packets transmitted with an error",
           "iface.tx_errors"),
    _iface("interface_rx_drop", "counter", "Number of received packets being dropped",
           "iface.rx_drops"),
    _iface("interface_tx_drop", "counter", "Number of transmitted packets being dropped",
           "iface.tx_drops"),
    _iface("interface_running", "gauge", "Current running status of the interface",
           "iface.running"),
    _iface("interface_disabled", "gauge", "Current disabled status of the interface",
           "iface.disabled"),
    # /interface/ethernet/monitor (mktxp monitor_collector: rate in Mbit/s).
    FamilySpec("interface_rate", "gauge", "Actual interface connection data rate (Mbit/s)",
               "iface.link_speed_bps", label="interface", scale=1e-6),
    # /system/resource (mktxp resource_collector).
    _system("system_uptime", "Time interval since boot-up", "system.uptime_seconds"),
    _system("system_free_memory", "Unused amount of RAM", "system.memory.free_bytes"),
    _system("system_total_memory", "Amount of installed RAM", "system.memory.total_bytes"),
    _system("system_free_hdd_space", "Free space on hard drive or NAND",
            "system.disk.free_bytes"),
    _system("system_total_hdd_space", "Size of the hard drive or NAND",
            "system.disk.total_bytes"),
    _system("system_cpu_load", "Percentage of used CPU resources", "system.cpu.load_pct"),
    _system("system_cpu_count", "Number of CPUs present on the system", "system.cpu.count"),
    _system("system_cpu_frequency", "Current CPU frequency (MHz)", "system.cpu.frequency_hz",
            scale=1e-6),
    # Counts (mktxp dhcp, connection, route, wlan collectors).
    FamilySpec("dhcp_lease_active_count", "gauge", "Number of active leases per DHCP server",
               "dhcp.active_leases"),
    FamilySpec("ip_connections_total", "gauge", "Number of IP connections",
               "firewall.connection_count"),
    FamilySpec("routes_total_routes", "gauge", "Overall number of routes in RIB",
               "routes.count"),
    FamilySpec("wlan_registered_clients", "gauge", "Number of registered clients",
               "wireless.clients", label="interface"),
    # /routing/bgp (mktxp bgp_collector: uptime in milliseconds).
    FamilySpec("bgp_established", "gauge", "BGP established", "bgp.established", label="peer"),
    FamilySpec("bgp_prefix_count", "gauge", "BGP prefix count", "bgp.prefix_count",
               label="peer"),
    FamilySpec("bgp_uptime", "gauge", "BGP uptime in milliseconds", "bgp.uptime_seconds",
               label="peer", scale=1000.0),
    # /queue/simple (mktxp queue_collector: the router's rate fields, bits/s).
    FamilySpec("queue_simple_rates_upload", "counter",
               "Average passing upload data rate in bits per second", "queue.upload_bps",
               label="queue"),
    FamilySpec("queue_simple_rates_download", "counter",
               "Average passing download data rate in bits per second", "queue.download_bps",
               label="queue"),
)

#: /system/health sensor name (RouterOS spelling) -> mktxp family (health_collector).
HEALTH_FAMILIES: Final[dict[str, tuple[str, str]]] = {
    "voltage": ("system_routerboard_voltage", "Supplied routerboard voltage"),
    "temperature": ("system_routerboard_temperature", "Routerboard current temperature"),
    "phy-temperature": ("system_phy_temperature", "Current PHY temperature"),
    "cpu-temperature": ("system_cpu_temperature", "Current CPU temperature"),
    "switch-temperature": ("system_switch_temperature", "Current switch temperature"),
    "board-temperature1": ("system_board_temperature1", "System board temperature 1"),
    "board-temperature2": ("system_board_temperature2", "System board temperature 2"),
    "fan1-speed": ("system_fan_one_speed", "System fan 1 current speed"),
    "fan2-speed": ("system_fan_two_speed", "System fan 2 current speed"),
    "fan3-speed": ("system_fan_three_speed", "System fan 3 current speed"),
    "fan4-speed": ("system_fan_four_speed", "System fan 4 current speed"),
    "power-consumption": ("system_power_consumption", "System Power Consumption"),
    "psu1-voltage": ("system_psu1_voltage", "System PSU1 voltage"),
    "psu2-voltage": ("system_psu2_voltage", "System PSU2 voltage"),
    "psu1-current": ("system_psu1_current", "System PSU1 current"),
    "psu2-current": ("system_psu2_current", "System PSU2 current"),
    "psu1-state": ("system_psu1_state", "System PSU1 state"),
    "psu2-state": ("system_psu2_state", "System PSU2 state"),
    "poe-out-consumption": ("system_poe_out_consumption", "System POE-out consumption"),
    "jack-voltage": ("system_jack_voltage", "System Jack Voltage"),
    "2pin-voltage": ("system_2pin_voltage", "System 2pin Voltage"),
    "poe-in-voltage": ("system_poe_in_voltage", "System POE-in Voltage"),
}
