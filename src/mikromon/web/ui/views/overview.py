"""The overview: the alerts firing now (first, most severe first), every device's
state at a glance (by site or tag), the busiest interfaces, devices with errors and
the latest events."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mikromon.web.control import collector
from mikromon.web.monitor.event_queries import latest_events
from mikromon.web.monitor.models import Device, MetricLatest
from mikromon.web.params import parse_choice
from mikromon.web.ui.views.alerts import open_alerts
from mikromon.web.ui.views.dashboard import natural_key, rate_fresh

#: Interfaces listed as the busiest.
BUSIEST = 10
#: Events listed.
LATEST_EVENTS = 15
#: Firing alerts listed at the top (the Alerts page has them all).
OVERVIEW_ALERTS = 20


@dataclass(frozen=True, slots=True)
class Busy:
    """One interface's current traffic."""

    device: Device
    interface: str
    rx_bps: float
    tx_bps: float

    @property
    def total(self) -> float:
        """rx + tx, bits/s."""
        return self.rx_bps + self.tx_bps


def busiest_interfaces(devices: dict[int, Device], limit: int = BUSIEST) -> list[Busy]:
    """Return the ``limit`` interfaces with the highest current rx + tx bit rate.

    Only current rates count: of devices whose values are current (up, not stale:
    ``Device.values_current``) and rates no older than
    the stale threshold (an interface that stopped reporting keeps its last rate).
    """
    answering = {pk: d for pk, d in devices.items() if d.values_current()}
    if not answering:
        return []
    now = timezone.now()
    oldest = now - timedelta(seconds=max(d.stale_after_s() for d in answering.values()))
    rows = (
        MetricLatest.objects.filter(series__key__in=("iface.rx_bps", "iface.tx_bps"),
                                    series__device_id__in=list(answering), ts__gte=oldest)
        .order_by("-value")
        .values_list("series__device_id", "series__labels", "series__key", "value", "ts")
        [: limit * 8]
    )
    rates: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for device_id, labels, key, value, ts in rows:
        name = (labels or {}).get("interface")
        if name is None or device_id not in answering:
            continue
        if not rate_fresh(answering[device_id], ts, now):
            continue
        rates[(device_id, name)][0 if key == "iface.rx_bps" else 1] = max(0.0, value)
    busy = [Busy(answering[d], name, rx, tx) for (d, name), (rx, tx) in rates.items()]
    busy.sort(key=lambda b: -b.total)
    return busy[:limit]


def overview(request: HttpRequest) -> HttpResponse:
    """The overview page; ``?group=tag`` groups devices by tag instead of site."""
    devices = list(Device.objects.select_related("site").prefetch_related("tags").with_contact())
    by_id = {d.pk: d for d in devices}
    group_by = parse_choice("group", request.GET.get("group") or "site", ("site", "tag"))
    groups: dict[str, list[Device]] = defaultdict(list)
    for d in devices:
        if group_by == "site":
            groups[d.site.name if d.site else "No site"].append(d)
        else:
            names = [t.name for t in d.tags.all()] or ["No tag"]
            for name in names:
                groups[name].append(d)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0].startswith("No "), natural_key(kv[0])))
    problems = [d for d in devices if d.state in ("down", "auth_failed", "degraded", "slow")
                or (d.last_error and d.state != "disabled")]
    events = latest_events(LATEST_EVENTS)
    counts = Counter(d.state for d in devices)
    firing = open_alerts().filter(state="firing")
    return render(request, "ui/overview.html", {
        "alerts": list(firing[:OVERVIEW_ALERTS]),
        "alerts_total": firing.count(),
        "groups": ordered,
        "group_by": group_by,
        "counts": counts,
        "total": len(devices),
        "busiest": busiest_interfaces(by_id),
        "problems": problems,
        "events": events,
        "has_devices": bool(devices),
        "collector_running": collector.collector_running(),
    })
