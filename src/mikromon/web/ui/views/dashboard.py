"""The device dashboard: live charts, current values and inventory tabs.

The page itself carries no time series (they come from the JSON API as the
charts draw), so it renders in a few queries however much data is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from mikromon.domain.catalog import HEALTH_PREFIX
from mikromon.domain.formatting import interval
from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier
from mikromon.web.control import collector
from mikromon.web.monitor import inventory, tables
from mikromon.web.monitor.event_queries import latest_events
from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.readers import LatestValue, health_states, latest_values, unit_of
from mikromon.web.params import parse_choice

#: Chart ranges offered: key -> seconds.
RANGES = {"15m": 900, "1h": 3600, "24h": 86400, "7d": 604800}
#: Interfaces charted when the page opens (the busiest ones).
DEFAULT_CHARTED = 4
#: Buckets per chart (the API downsamples to this).
MAX_POINTS = 600
#: Events in the device page's latest-events list (critical and warning).
LATEST_EVENTS = 10

#: Device-wide values shown as cards: key -> label.
CARDS = (
    ("system.cpu.load_pct", "CPU load"),
    ("system.memory.used_pct", "Memory used"),
    ("system.disk.used_pct", "Disk used"),
    ("system.uptime_seconds", "Uptime"),
)
#: Further device-wide values in the "System" list: key -> label.
SYSTEM_VALUES = (
    ("system.memory.free_bytes", "Free memory"),
    ("system.memory.total_bytes", "Total memory"),
    ("system.disk.free_bytes", "Free disk"),
    ("system.disk.total_bytes", "Disk size"),
    ("system.cpu.count", "CPU cores"),
    ("system.cpu.frequency_hz", "CPU frequency"),
    ("dhcp.active_leases", "DHCP leases (bound)"),
    ("dhcp.total_leases", "DHCP leases (all)"),
    ("ppp.active_sessions", "PPP sessions"),
    ("hotspot.active_users", "Hotspot users"),
    ("firewall.connection_count", "Tracked connections"),
    ("routes.count", "Routes"),
    ("ospf.neighbors", "OSPF neighbors"),
    ("ospf.neighbors_full", "OSPF neighbors (full)"),
)


@dataclass(frozen=True, slots=True)
class Shown:
    """One value as shown: metric key, label text, value, unit and when the router
    answered it (UTC; ``None`` without a value)."""

    key: str
    label: str
    value: float | None
    unit: str
    label_value: str = ""
    ts: datetime | None = None

    @property
    def bad(self) -> bool:
        """Whether a state sensor (unit ``state``: 1 ok, 0 fail) reports a failure."""
        return self.unit == "state" and self.value is not None and self.value < 1


def rate_fresh(device: Device, ts: datetime, now: datetime | None = None) -> bool:
    """Whether a value answered at ``ts`` (UTC) is recent enough to be current, by the
    same threshold as the stale rule (``Device.stale_after_s``)."""
    now = now or timezone.now()
    return (now - ts).total_seconds() <= device.stale_after_s()


def natural_key(name: str) -> list[Any]:
    """Sort key that puts ``ether2`` before ``ether10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _loopback(name: str, facts: dict[str, Any] | None) -> bool:
    """Whether an interface is the router's loopback (type ``loopback``, or named
    ``lo`` as on CHR / RouterOS 7 when its type is not known yet)."""
    return (facts or {}).get("type") == "loopback" or name == "lo"


def _interfaces(values: list[LatestValue],
                facts: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Return (every interface with a bit-rate series, the few charted by default).

    The default is the same on every visit (it never follows the rate of the moment):
    interfaces that are running (per the ``interfaces`` inventory table, from
    ``/interface`` ``running``), not the loopback and not a bridge port (``slave``:
    its traffic shows on the bridge) come first, then the others, each by name
    (natural order); the first :data:`DEFAULT_CHARTED` are charted. Both lists are in
    list (natural name) order.
    """
    names = sorted({v.labels["interface"] for v in values
                    if v.key in ("iface.rx_bps", "iface.tx_bps") and "interface" in v.labels},
                   key=natural_key)

    def preference(name: str) -> tuple[int, list[Any]]:
        info = facts.get(name)
        if _loopback(name, info) or (info is not None and not info.get("running")):
            return (2, natural_key(name))
        return (1 if info is not None and info.get("slave") else 0, natural_key(name))

    chosen = set(sorted(names, key=preference)[:DEFAULT_CHARTED])
    return names, [n for n in names if n in chosen]


def _interface_facts(device: Device) -> dict[str, dict[str, Any]]:
    """Interface name -> its row of the ``interfaces`` inventory table (may be empty)."""
    rows = InventoryItem.objects.filter(device=device, table="interfaces", gone=False)
    return {key: data or {} for key, data in rows.values_list("key", "data")}


def _selection(request: HttpRequest, interfaces: list[str], default: list[str]) -> list[str]:
    """The interfaces charted: ``?if=a,b`` (known names, in list order; empty means
    none) or ``default`` without the parameter."""
    if "if" not in request.GET:
        return default
    wanted = {n for n in request.GET["if"].split(",") if n}
    return [n for n in interfaces if n in wanted]


def device_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Charts (CPU, memory, interface bit rates), current values and inventory tabs."""
    device = get_object_or_404(Device.objects.select_related("site").with_summary(), pk=pk)
    values = latest_values(device.pk)
    plain = {v.key: v for v in values if not v.labels}
    cards = [Shown(k, label, plain[k].value if k in plain else None, unit_of(k),
                   ts=plain[k].ts if k in plain else None)
             for k, label in CARDS]
    system = [Shown(k, label, plain[k].value, unit_of(k)) for k, label in SYSTEM_VALUES
              if k in plain]
    health = [
        Shown(v.key, v.key[len(HEALTH_PREFIX):].replace("-", " "), v.value, unit_of(v.key),
              ts=v.ts)
        for v in values if v.key.startswith(HEALTH_PREFIX)
    ]
    interfaces, default = _interfaces(values, _interface_facts(device))
    selected = _selection(request, interfaces, default)
    tabs = inventory.tabs_for(inventory.row_counts(device), inventory.absent_tables(device),
                              inventory.major_version(device.ros_version))
    running = collector.collector_running()
    current = device.values_current()
    range_key = parse_choice("range", request.GET.get("range") or "1h", RANGES)
    config = {
        "device": device.pk,
        # Times in the user's zone (UserTimeZoneMiddleware), as the page renders them.
        "time_zone": timezone.get_current_timezone_name(),
        "urls": {
            "series": reverse("api:series", args=[device.pk]),
            "latest": reverse("api:latest", args=[device.pk]),
            "inventory": reverse("api:inventory", args=[device.pk, "x"])[:-1],
            "alert_marks": reverse("ui:device_alert_marks", args=[device.pk]),
        },
        "login_url": reverse(settings.LOGIN_URL),
        # The collector's own pace (MIKROMON_TIME_SCALE shortens it in demos and tests).
        "refresh_s": max(1.0, device.realtime_every_s()),
        "collector_running": running,
        "min_step_s": max(device.realtime_interval, MINIMUM_INTERVALS[Tier.REALTIME]),
        "max_points": MAX_POINTS,
        "ranges": RANGES,
        "range": range_key,
        "interfaces": interfaces,
        "selected": selected,
        "default_charted": DEFAULT_CHARTED,
        # What the stale hint says the collector's pace is (at its time scale).
        "realtime_interval_s": device.realtime_every_s(),
        "system_values": [list(pair) for pair in SYSTEM_VALUES],
        # Whether the values are current (up, not stale): otherwise "last value at".
        "current": current,
        # Table -> the column it is sorted by when it loads (the collectors' declarations).
        "sorts": tables.default_sorts(),
    }
    from mikromon.web.ui.views.alerts import device_alerts

    return render(request, "ui/device_dashboard.html", {
        "device": device,
        "alerts": device_alerts(device),
        "events": latest_events(LATEST_EVENTS, device),
        "cards": cards,
        "system": system,
        "health": health,
        "health_states": health_states(device.pk),
        "interfaces": interfaces,
        "tabs": tabs,
        "ranges": list(RANGES),
        "config": config,
        "collector_running": running,
        "stale": device.is_stale(),
        "current": current,
        "last_data": device.last_contact(),
        "intervals": [(tier.value.capitalize(), interval(device.intervals[tier])) for tier in Tier],
    })
