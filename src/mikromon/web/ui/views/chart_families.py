"""The charts a device's dashboard offers beyond CPU, memory and interface traffic:
one per family of stored series (per-core CPU, disk, DHCP, PPP, hotspot,
connections, routing, wireless, health sensors by unit, each simple queue).

Families are found from the device's series with a latest value (what its
collectors store), so a chart is offered as soon as a collector stored its
series; the page fetches the data from the series API. Metric keys and units:
:mod:`mikromon.domain.catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mikromon.domain.catalog import HEALTH_PREFIX, lookup

#: Fixed families: id -> (title, unit, metric keys with their line names, label of
#: the lines when a key has several series, e.g. one per core).
_FIXED: tuple[tuple[str, str, str, tuple[tuple[str, str], ...], str], ...] = (
    ("cores", "CPU load per core", "percent", (("system.cpu.core_load_pct", "cpu"),), "cpu"),
    ("disk", "Disk used", "percent", (("system.disk.used_pct", "used"),), ""),
    ("dhcp", "DHCP leases", "count",
     (("dhcp.active_leases", "bound"), ("dhcp.total_leases", "all")), ""),
    ("ppp", "PPP sessions", "count", (("ppp.active_sessions", "active"),), ""),
    ("hotspot", "Hotspot users", "count", (("hotspot.active_users", "logged in"),), ""),
    ("connections", "Tracked connections", "count",
     (("firewall.connection_count", "connections"),), ""),
    ("routes", "Routes", "count", (("routes.count", "routes"),), ""),
    ("ospf", "OSPF neighbors", "count",
     (("ospf.neighbors", "known"), ("ospf.neighbors_full", "full")), ""),
    ("bgp-prefixes", "BGP prefixes received", "count", (("bgp.prefix_count", "peer"),), "peer"),
    ("bgp-sessions", "BGP sessions established", "state",
     (("bgp.established", "peer"),), "peer"),
    ("wireless", "Wireless clients", "count", (("wireless.clients", "interface"),), "interface"),
)
#: Health sensor families by unit: unit -> (id, title).
_HEALTH: dict[str, tuple[str, str]] = {
    "celsius": ("health-temperature", "Temperatures"),
    "volts": ("health-voltage", "Voltages"),
    "amperes": ("health-current", "Currents"),
    "watts": ("health-power", "Power"),
    "rpm": ("health-fans", "Fan speeds"),
    "state": ("health-states", "Health states"),
    "": ("health-other", "Other sensors"),
}
#: Most simple queues offered as charts (the first by name).
MAX_QUEUES = 200


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a chart: a metric key and the exact labels of its series
    (``["cpu=cpu0"]``, API ``label=`` filters), named ``name`` in the legend."""

    metric: str
    labels: tuple[str, ...]
    name: str

    def as_dict(self) -> dict[str, Any]:
        """``{"metric", "labels", "name"}`` for the page's JSON config."""
        return {"metric": self.metric, "labels": list(self.labels), "name": self.name}


@dataclass(slots=True)
class Family:
    """A chart the dashboard can show: ``id`` (in ``?charts=``), title, unit (a
    catalog unit), its lines, whether it is shown without being asked for, and the
    group its toggle is listed under."""

    id: str
    title: str
    unit: str
    group: str
    default: bool = True
    lines: list[Line] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The family for the page's JSON config."""
        return {"id": self.id, "title": self.title, "unit": self.unit, "group": self.group,
                "lines": [line.as_dict() for line in self.lines]}


def _label_text(labels: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{k}={v}" for k, v in sorted(labels.items()))


def families_of(series: Iterable[tuple[str, dict[str, Any]]]) -> list[Family]:
    """Return the chart families of a device's series ``(key, labels)``, in a fixed
    order: system, clients, routing, wireless, health by unit, simple queues (by
    name). Queue families are not shown by default (a router may have hundreds)."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for key, labels in series:
        by_key.setdefault(key, []).append(labels if isinstance(labels, dict) else {})
    out: list[Family] = []
    for fid, title, unit, keys, label in _FIXED:
        fam = Family(fid, title, unit, group="device")
        for key, name in keys:
            rows = sorted(by_key.get(key, []), key=lambda lb: str(lb.get(label, "")))
            for labels in rows:
                fam.lines.append(Line(key, _label_text(labels),
                                      str(labels.get(label, name)) if label else name))
        if fam.lines:
            out.append(fam)
    health: dict[str, Family] = {}
    for key in sorted(k for k in by_key if k.startswith(HEALTH_PREFIX)):
        unit = lookup(key).unit
        fid, title = _HEALTH.get(unit, _HEALTH[""])
        fam = health.setdefault(fid, Family(fid, title, unit, group="health"))
        fam.lines.append(Line(key, (), key[len(HEALTH_PREFIX):]))
    out += [health[fid] for fid, _t in _HEALTH.values() if fid in health]
    queues = sorted({str(lb.get("queue")) for key in ("queue.upload_bps", "queue.download_bps")
                     for lb in by_key.get(key, []) if lb.get("queue")})
    for name in queues[:MAX_QUEUES]:
        out.append(Family(f"queue:{name}", f"Queue {name}", "bits/s", group="queue",
                          default=False, lines=[
                              Line("queue.upload_bps", (f"queue={name}",), "upload"),
                              Line("queue.download_bps", (f"queue={name}",), "download")]))
    return out


def asked_series(metric: str, labels: list[str], families: list[Family]) -> Family | None:
    """The family to open for ``?chart=<metric>&label=<k=v>`` (the series browser's
    links): the family holding that series; else a one-off family of just it (a
    metric with no family here, e.g. an interface's packet rate); ``None`` for a
    metric not in the catalog."""
    wanted = set(labels)
    for fam in families:
        if any(line.metric == metric and wanted <= set(line.labels) for line in fam.lines):
            return fam
    try:
        spec = lookup(metric)
    except KeyError:
        return None
    title = spec.description + (f" ({', '.join(sorted(wanted))})" if wanted else "")
    return Family("asked", title, spec.unit, group="asked",
                  lines=[Line(metric, tuple(sorted(wanted)), metric)])
