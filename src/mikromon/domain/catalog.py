"""The metric catalog: every metric key mikromon produces, with its unit, meaning,
tier and kind.

Keys keep the names of DESIGN.md (``system.cpu.load_pct``, ``iface.rx_bps``...):
dotted, lower case, the unit as a suffix where the unit is fixed (``_pct``,
``_bytes``, ``_bps``, ``_seconds``). Labels are not part of the key: an
interface's bit rate is ``iface.rx_bps`` with the label ``interface``.

Kinds:

* ``gauge``: a value read as it is (CPU load, free memory, a count).
* ``counter``: a monotonically increasing router counter, delivered as a
  :class:`~mikromon.domain.samples.CounterReading` to the rate pipeline; only its
  latest value is stored (:func:`keeps_history`), its history is the rate.
* ``rate``: a per-second value the rate pipeline derives from a counter. The
  pipeline maps counter suffixes to rate suffixes: ``_bytes`` -> ``_bps``
  (bits/s, so bytes x 8), ``_packets`` -> ``_pps``, ``_errors`` -> ``_errors_ps``,
  ``_drops`` -> ``_drops_ps``.

``system.health.<name>`` is one entry for every sensor: ``<name>`` is the
RouterOS sensor name verbatim (``cpu-temperature``, ``fan1-speed``,
``psu1-state``), identical on v6 (field name of the flat row) and v7 (``name``
of the sensor row). :func:`lookup` derives the unit from the name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal

from mikromon.domain.tiers import Tier

Kind = Literal["gauge", "counter", "rate"]

#: Units, spelled once.
PERCENT: Final = "percent"
BYTES: Final = "bytes"
SECONDS: Final = "seconds"
BITS_PER_SECOND: Final = "bits/s"
PACKETS_PER_SECOND: Final = "packets/s"
PER_SECOND: Final = "1/s"
PACKETS: Final = "packets"
COUNT: Final = "count"
HERTZ: Final = "hertz"
CELSIUS: Final = "celsius"
VOLTS: Final = "volts"
AMPERES: Final = "amperes"
WATTS: Final = "watts"
RPM: Final = "rpm"
#: 1 = ok / up / established, 0 = failed / down.
STATE: Final = "state"
#: Health readings whose unit the name does not reveal.
UNKNOWN: Final = ""

#: The key prefix of the health pattern entry.
HEALTH_PREFIX: Final = "system.health."
#: The inventory table of health state sensors (``psu1-state``, ``fan-state``),
#: rows ``{"name", "state"}`` with the router's word (collectors.system_health).
HEALTH_STATES_TABLE: Final = "health_states"
#: The state words that mean healthy (system_health.v7.json: ``ok``/``fail``);
#: any other word the router uses counts as failing.
HEALTHY_WORDS: Final = frozenset({"ok"})


def is_failing(word: str) -> bool:
    """Whether a health state word means the sensor is not healthy (anything but
    ``ok``, compared without case)."""
    return word.strip().lower() not in HEALTHY_WORDS


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One catalog entry.

    Attributes:
        key: metric key (``system.memory.used_pct``); the pattern entry is
            ``system.health.<name>``.
        unit: unit of the value (one of this module's unit constants).
        description: one sentence for operators.
        tier: the tier whose collectors produce it.
        kind: ``gauge``, ``counter`` (raw router counter) or ``rate`` (derived).
        labels: label names that identify a series (``("interface",)``).
    """

    key: str
    unit: str
    description: str
    tier: Tier
    kind: Kind = "gauge"
    labels: tuple[str, ...] = ()


def _spec(
    key: str, unit: str, description: str, tier: Tier, kind: Kind = "gauge",
    labels: tuple[str, ...] = (),
) -> MetricSpec:
    return MetricSpec(key, unit, description, tier, kind, labels)


_RT, _SH, _MD, _LG, _EX = Tier.REALTIME, Tier.SHORT, Tier.MEDIUM, Tier.LONG, Tier.EXTENDED
_IF = ("interface",)
_Q = ("queue",)

CATALOG: Final[tuple[MetricSpec, ...]] = (
    # /system/resource (system_resource.py)
    _spec("system.cpu.load_pct", PERCENT, "CPU load averaged over all cores", _RT),
    _spec("system.cpu.count", COUNT, "Number of CPU cores", _RT),
    _spec("system.cpu.frequency_hz", HERTZ, "CPU clock frequency", _RT),
    _spec("system.memory.used_pct", PERCENT, "Share of RAM in use", _RT),
    _spec("system.memory.free_bytes", BYTES, "Free RAM", _RT),
    _spec("system.memory.total_bytes", BYTES, "Installed RAM", _RT),
    _spec("system.disk.used_pct", PERCENT, "Share of the system disk in use", _RT),
    _spec("system.disk.free_bytes", BYTES, "Free space on the system disk", _RT),
    _spec("system.disk.total_bytes", BYTES, "Size of the system disk", _RT),
    _spec("system.uptime_seconds", SECONDS, "Time since the router booted", _RT),
    # /system/health (system_health.py); the unit depends on the sensor name.
    _spec("system.health.<name>", UNKNOWN,
          "Health sensor reading (temperature, voltage, fan speed, PSU state...)", _RT),
    # /interface counters (interface.py) and the rates derived from them
    _spec("iface.rx_bytes", BYTES, "Bytes received (router counter)", _RT, "counter", _IF),
    _spec("iface.tx_bytes", BYTES, "Bytes sent (router counter)", _RT, "counter", _IF),
    _spec("iface.rx_packets", PACKETS, "Packets received (router counter)", _RT, "counter", _IF),
    _spec("iface.tx_packets", PACKETS, "Packets sent (router counter)", _RT, "counter", _IF),
    _spec("iface.rx_errors", PACKETS, "Receive errors (router counter)", _RT, "counter", _IF),
    _spec("iface.tx_errors", PACKETS, "Transmit errors (router counter)", _RT, "counter", _IF),
    _spec("iface.rx_drops", PACKETS, "Received packets dropped (router counter)", _RT,
          "counter", _IF),
    _spec("iface.tx_drops", PACKETS, "Packets dropped before sending (router counter)", _RT,
          "counter", _IF),
    _spec("iface.rx_bps", BITS_PER_SECOND, "Receive bit rate", _RT, "rate", _IF),
    _spec("iface.tx_bps", BITS_PER_SECOND, "Transmit bit rate", _RT, "rate", _IF),
    _spec("iface.rx_pps", PACKETS_PER_SECOND, "Receive packet rate", _RT, "rate", _IF),
    _spec("iface.tx_pps", PACKETS_PER_SECOND, "Transmit packet rate", _RT, "rate", _IF),
    _spec("iface.rx_errors_ps", PER_SECOND, "Receive errors per second", _RT, "rate", _IF),
    _spec("iface.tx_errors_ps", PER_SECOND, "Transmit errors per second", _RT, "rate", _IF),
    _spec("iface.rx_drops_ps", PER_SECOND, "Received packets dropped per second", _RT,
          "rate", _IF),
    _spec("iface.tx_drops_ps", PER_SECOND, "Outgoing packets dropped per second", _RT,
          "rate", _IF),
    # short tier
    _spec("system.cpu.core_load_pct", PERCENT, "Load of one CPU core (/system/resource/cpu)",
          _SH, labels=("cpu",)),
    _spec("dhcp.active_leases", COUNT, "DHCP leases in status bound", _SH),
    _spec("dhcp.total_leases", COUNT, "DHCP leases of every status", _SH),
    _spec("ppp.active_sessions", COUNT, "Active PPP sessions (PPPoE, L2TP, SSTP...)", _SH),
    _spec("firewall.connection_count", COUNT, "Connections in the connection tracking table",
          _SH),
    _spec("hotspot.active_users", COUNT, "Users logged in to the hotspot", _SH),
    # short: link and routing state (interface_state, routing_bgp_state, routing_ospf_state)
    _spec("iface.running", STATE, "1 when the interface runs (link up), 0 when not; "
          "enabled, non-dynamic interfaces", _SH, labels=_IF),
    _spec("iface.disabled", STATE, "1 for a disabled interface", _SH, labels=_IF),
    _spec("bgp.established", STATE, "1 when the BGP session is established, else 0", _SH,
          labels=("peer",)),
    _spec("ospf.neighbors", COUNT, "OSPF neighbors known (every state)", _SH),
    _spec("ospf.neighbors_full", COUNT, "OSPF neighbors in state Full", _SH),
    _spec("ospf.neighbor_full", STATE, "1 when the OSPF neighbor is Full, else 0", _SH,
          labels=("neighbor",)),
    # /interface/ethernet/monitor (interface_ethernet_monitor.py)
    _spec("iface.link_speed_bps", BITS_PER_SECOND, "Negotiated ethernet link rate "
          "(running ports with link only)", _MD, labels=_IF),
    # /queue/simple (queue_simple.py); upload = from the target, download = to it
    _spec("queue.upload_bps", BITS_PER_SECOND, "Simple queue upload rate (router's rate)",
          _MD, labels=_Q),
    _spec("queue.download_bps", BITS_PER_SECOND, "Simple queue download rate (router's rate)",
          _MD, labels=_Q),
    _spec("queue.upload_pps", PACKETS_PER_SECOND, "Simple queue upload packet rate", _MD,
          labels=_Q),
    _spec("queue.download_pps", PACKETS_PER_SECOND, "Simple queue download packet rate", _MD,
          labels=_Q),
    _spec("queue.upload_max_limit_bps", BITS_PER_SECOND,
          "Simple queue upload max-limit (0 = unlimited)", _MD, labels=_Q),
    _spec("queue.download_max_limit_bps", BITS_PER_SECOND,
          "Simple queue download max-limit (0 = unlimited)", _MD, labels=_Q),
    # long tier
    _spec("routes.count", COUNT, "Routes in /ip/route (every routing table)", _LG),
    # extended tier
    _spec("bgp.prefix_count", COUNT, "Prefixes received from the BGP peer", _EX,
          labels=("peer",)),
    _spec("bgp.uptime_seconds", SECONDS, "Time since the BGP session was established", _EX,
          labels=("peer",)),
    _spec("wireless.clients", COUNT, "Clients registered on a wireless interface", _EX,
          labels=_IF),
)

_BY_KEY: Final[dict[str, MetricSpec]] = {spec.key: spec for spec in CATALOG}

#: (fragment of a health sensor name, unit), first match wins.
_HEALTH_UNITS: Final[tuple[tuple[str, str], ...]] = (
    ("state", STATE),
    ("temperature", CELSIUS),
    ("voltage", VOLTS),
    ("current", AMPERES),
    ("consumption", WATTS),
    ("power", WATTS),
    ("speed", RPM),
)


def health_unit(name: str) -> str:
    """Return the unit of the health sensor ``name`` judged from its name.

    Args:
        name: RouterOS sensor name (``cpu-temperature``, ``fan1-speed``).

    Returns:
        A unit constant (``celsius``, ``volts``, ``rpm``...), ``""`` when unknown.
        Source: sensor names in system_health.v6.json / system_health.v7.json notes.
    """
    for fragment, unit in _HEALTH_UNITS:
        if fragment in name:
            return unit
    return UNKNOWN


def lookup(key: str) -> MetricSpec:
    """Return the catalog entry of ``key``.

    ``system.health.<name>`` keys match the health pattern entry; the returned
    spec carries the full key and the unit judged from the sensor name.

    Raises:
        KeyError: ``key`` is not in the catalog.
    """
    spec = _BY_KEY.get(key)
    if spec is not None:
        return spec
    if key.startswith(HEALTH_PREFIX) and len(key) > len(HEALTH_PREFIX):
        pattern = _BY_KEY[HEALTH_PREFIX + "<name>"]
        return replace(pattern, key=key, unit=health_unit(key[len(HEALTH_PREFIX):]))
    raise KeyError(f"unknown metric key {key!r}")


def keeps_history(key: str) -> bool:
    """Whether the samples of ``key`` are stored as history (points, rollups) as well
    as the latest value.

    Every key keeps history except raw router counters (kind ``counter``: the
    interfaces' ``rx-byte``...): their history is the rates derived from them, and
    only their latest value is kept, for exporters that want the router's own
    counters (Prometheus ``/metrics``, mktxp's ``_total`` families). Unknown keys
    keep history.
    """
    try:
        return lookup(key).kind != "counter"
    except KeyError:
        return True
