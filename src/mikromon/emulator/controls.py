"""What a test or the ``simulate`` control lines set on an emulated router over
what it would otherwise report (CPU load, sensors, BGP and OSPF states); the
menus (:mod:`mikromon.emulator.menus`) apply them when they build a reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["StateControls"]


@dataclass(slots=True)
class StateControls:
    """What a test or the ``simulate`` control lines set on a router, over what it
    would otherwise report. ``None`` / missing: as the captures and dynamics say.

    Attributes:
        cpu_load: ``/system/resource`` ``cpu-load`` and every core's load, percent.
        temperatures: health sensor name -> °C (v6: the ``temperature`` field).
        health_states: state sensor name (``psu1-state``, ``fan-state``) -> the
            router's word (``ok``, ``fail``...).
        bgp: peer name -> established (v6 peer ``name``; v7 connection or session name).
        ospf: neighbour router-id or address -> state (``Full``, ``Down``...).
        unreachable: networks (``192.0.2.7/32``) whose addresses never answer
            ``/ping`` or ``/tool/traceroute``.
    """

    cpu_load: int | None = None
    temperatures: dict[str, int] = field(default_factory=dict)
    health_states: dict[str, str] = field(default_factory=dict)
    bgp: dict[str, bool] = field(default_factory=dict)
    ospf: dict[str, str] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
