"""The device dashboard: live charts, current values and inventory tabs.

The page itself carries no time series (they come from the JSON API as the
charts draw), so it renders in a few queries however much data is stored.
"""

from __future__ import annotations

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
from mikromon.domain.names import natural_key
from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier
from mikromon.web.control import collector
from mikromon.web.monitor import inventory, tables
from mikromon.web.monitor.event_queries import latest_events
from mikromon.web.monitor.models import Device, InventoryItem
from mikromon.web.monitor.readers import LatestValue, health_states, latest_values, unit_of
from mikromon.web.params import ParamError, parse_choice
from mikromon.web.ui.views.chart_families import Family, asked_series, families_of
from mikromon.web.ui.views.listing import parse_local

#: Chart ranges offered: key -> seconds (30 days: the 5-minute rollups; a year: the
#: 1-day rollups, kept 1825 days by default).
RANGES = {"15m": 900, "1h": 3600, "24h": 86400, "7d": 604800, "30d": 30 * 86400,
          "1y": 365 * 86400}
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

    def preference(name: str) -> tuple[int, str]:
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


def custom_window(request: HttpRequest) -> tuple[dict[str, int] | None, str]:
    """The fixed chart window of ``?from=&to=`` (``datetime-local`` in the user's
    zone, Unix seconds, ISO 8601 or ``-1h``: :func:`listing.parse_local`) as
    ``{"from", "to"}`` Unix seconds, or ``None`` without both; with a message for a
    bad value or an end not after the start (the page then shows its preset range)."""
    texts = request.GET.get("from", "").strip(), request.GET.get("to", "").strip()
    if not all(texts):
        return None, ("give both ends of a custom range (from and to)" if any(texts) else "")
    try:
        start, end = (parse_local(name, text)
                      for name, text in zip(("from", "to"), texts, strict=True))
    except ParamError as err:
        return None, str(err)
    if end <= start:
        return None, "the end of the range must be after its start"
    return {"from": int(start.timestamp()), "to": int(end.timestamp())}, ""


def _shown_families(request: HttpRequest, families: list[Family]) -> tuple[list[str], str]:
    """Ids of the families charted (``?charts=a,b``: known ids, empty means none;
    default: those shown by default) plus the family asked by ``?chart=<metric>&label=``
    (its id, "" for none), which :func:`asked_series` may add to ``families``."""
    known = {f.id for f in families}
    if "charts" in request.GET:
        wanted = {n for n in request.GET["charts"].split(",") if n}
        shown = [f.id for f in families if f.id in wanted and f.id in known]
    else:
        shown = [f.id for f in families if f.default]
    asked = ""
    metric = request.GET.get("chart", "").strip()
    if metric and not metric.startswith(("iface.rx_bps", "iface.tx_bps")):
        fam = asked_series(metric, request.GET.getlist("label"), families)
        if fam is not None:
            if fam.id not in known:
                families.append(fam)
            if fam.id not in shown:
                shown.append(fam.id)
            asked = fam.id
    return shown, asked


def device_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    """Charts (CPU, memory, interface bit rates and every other family of stored
    series), current values and inventory tabs. ``?range=`` (a key of
    :data:`RANGES`) or ``?from=&to=`` (a custom window), ``?if=`` (interfaces
    charted), ``?charts=`` (families charted), ``?chart=<metric>&label=<k=v>`` (open
    with that series' chart shown)."""
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
    # ?chart=iface.rx_bps&label=interface=X (the series browser): that interface charted.
    if request.GET.get("chart", "").startswith("iface."):
        asked_if = {lb.partition("=")[2] for lb in request.GET.getlist("label")
                    if lb.startswith("interface=")}
        selected = [n for n in interfaces if n in set(selected) | asked_if]
    # The families of the series with a value (no query of its own: the page's
    # query budget, tests/web/ui/test_ui_pages.py).
    families = families_of((v.key, v.labels) for v in values)
    shown, asked = _shown_families(request, families)
    custom, range_problem = custom_window(request)
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
            "interface": reverse("ui:interface", args=[device.pk, "__name__"]),
        },
        "login_url": reverse(settings.LOGIN_URL),
        # The collector's own pace (MIKROMON_TIME_SCALE shortens it in demos and tests).
        "refresh_s": max(1.0, device.realtime_every_s()),
        "collector_running": running,
        "min_step_s": max(device.realtime_interval, MINIMUM_INTERVALS[Tier.REALTIME]),
        "max_points": MAX_POINTS,
        "ranges": RANGES,
        "range": range_key,
        "custom": custom,
        "families": [f.as_dict() for f in families],
        "shown_families": shown,
        "asked_family": asked,
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
        "range_problem": range_problem,
        "families": families,
        "config": config,
        "collector_running": running,
        "stale": device.is_stale(),
        "current": current,
        "last_data": device.last_contact(),
        "intervals": [(tier.value.capitalize(), interval(device.intervals[tier])) for tier in Tier],
    })
