"""The rules every installation starts with, on for every device.

Levels follow the usual defaults of the field (Zabbix's MikroTik template,
LibreNMS's default alert rules, The Dude's probes): CPU and memory above 90 %
for 5 minutes, temperature above 50/60 °C (the CPU sensor 70/75 °C), disk above
90 %, interface errors above 2/s for 5 minutes, a link down, a reboot,
unreachable for 3 minutes, refused login, BGP/OSPF down, a PSU or fan failed.

Each entry is the mapping :func:`mikromon.alerting.rule_parsing.rule_from_mapping`
reads (and the alerts app stores with ``is_default=True``).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DEFAULT_RULES", "EXAMPLE_LOG_RULES", "default_rules"]

_MIN5: Final = 300

DEFAULT_RULES: Final[tuple[dict[str, Any], ...]] = (
    {"name": "CPU load high", "kind": "threshold", "severity": "warning",
     "metric": "system.cpu.load_pct", "comparison": ">", "threshold": 90.0,
     "recovery": 87.0, "for_seconds": _MIN5},
    {"name": "Memory use high", "kind": "threshold", "severity": "warning",
     "metric": "system.memory.used_pct", "comparison": ">", "threshold": 90.0,
     "recovery": 87.0, "for_seconds": _MIN5},
    {"name": "Temperature above 50 °C", "kind": "threshold", "severity": "warning",
     "metric": "system.health.temperature", "comparison": ">", "threshold": 50.0,
     "recovery": 48.0, "for_seconds": 60},
    {"name": "Temperature above 60 °C", "kind": "threshold", "severity": "high",
     "metric": "system.health.temperature", "comparison": ">", "threshold": 60.0,
     "recovery": 58.0, "for_seconds": 60},
    {"name": "CPU temperature above 70 °C", "kind": "threshold", "severity": "warning",
     "metric": "system.health.cpu-temperature", "comparison": ">", "threshold": 70.0,
     "recovery": 68.0, "for_seconds": 60},
    {"name": "CPU temperature above 75 °C", "kind": "threshold", "severity": "high",
     "metric": "system.health.cpu-temperature", "comparison": ">", "threshold": 75.0,
     "recovery": 73.0, "for_seconds": 60},
    {"name": "Disk almost full", "kind": "threshold", "severity": "warning",
     "metric": "system.disk.used_pct", "comparison": ">", "threshold": 90.0,
     "recovery": 88.0, "for_seconds": 0},
    {"name": "Interface receive errors", "kind": "threshold", "severity": "warning",
     "metric": "iface.rx_errors_ps", "comparison": ">", "threshold": 2.0,
     "for_seconds": _MIN5},
    {"name": "Interface transmit errors", "kind": "threshold", "severity": "warning",
     "metric": "iface.tx_errors_ps", "comparison": ">", "threshold": 2.0,
     "for_seconds": _MIN5},
    {"name": "Interface link down", "kind": "link_down", "severity": "high"},
    {"name": "Router rebooted", "kind": "reboot", "severity": "warning"},
    {"name": "Device unreachable", "kind": "device_state", "severity": "critical",
     "for_seconds": 180, "params": {"states": ["down"]}},
    {"name": "Login refused", "kind": "device_state", "severity": "high",
     "params": {"states": ["auth_failed"]}},
    {"name": "BGP session down", "kind": "bgp_down", "severity": "high"},
    {"name": "OSPF neighbour lost", "kind": "ospf_down", "severity": "high"},
    {"name": "PSU or fan failed", "kind": "health_fail", "severity": "high"},
)


#: ``log`` rules installed switched off, as examples to turn on once routers send
#: their logs (docs/alerting.md "Router logs in real time"). RouterOS writes
#: ``login failure for user <name> from <address> via <service>`` (topics
#: ``system,error,critical``) and ``<interface> link down`` (``interface,info``).
EXAMPLE_LOG_RULES: Final[tuple[dict[str, Any], ...]] = (
    {"name": "Failed logins (router log)", "kind": "log", "severity": "high",
     "enabled": False,
     "params": {"pattern": "login failure for user", "topics": ["system"],
                "count": 3, "window_seconds": 300, "hold_seconds": 900}},
    {"name": "Link down (router log)", "kind": "log", "severity": "warning",
     "enabled": False,
     "params": {"pattern": r"link down", "hold_seconds": 600}},
)


def default_rules() -> list[dict[str, Any]]:
    """Return fresh copies of :data:`DEFAULT_RULES` (callers may change them)."""
    return [{**rule, "params": dict(rule.get("params", {}))} for rule in DEFAULT_RULES]
