"""The overview: the alerts firing now (first, most severe first), every device's
state at a glance (by site or tag), the busiest interfaces (by rx + tx, or by
receive or transmit alone: ``?busiest=rx|tx``), the top links by utilisation,
devices with errors and the latest events."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.web.control import collector
from mikromon.web.monitor.event_queries import latest_events
from mikromon.web.monitor.models import Device
from mikromon.web.monitor.traffic import ORDERS, busiest_interfaces, top_utilisation
from mikromon.web.params import parse_choice
from mikromon.web.ui.views.alerts import open_alerts
from mikromon.web.ui.views.dashboard import natural_key

#: Interfaces listed as the busiest, and links listed by utilisation.
BUSIEST = 10
#: The busiest table's rate columns: (``?busiest=`` value, heading), each a link
#: that ranks by it.
BUSIEST_COLUMNS = (("rx", "Receive"), ("tx", "Transmit"), ("total", "Total"))
#: Events listed.
LATEST_EVENTS = 15
#: Firing alerts listed at the top (the Alerts page has them all).
OVERVIEW_ALERTS = 20


def overview(request: HttpRequest) -> HttpResponse:
    """The overview page; ``?group=tag`` groups devices by tag instead of site;
    ``?busiest=rx`` or ``tx`` ranks the busiest interfaces by one direction
    instead of rx + tx (``total``).

    Raises:
        ParamError: an unknown ``group`` or ``busiest`` (400).
    """
    devices = list(Device.objects.select_related("site").prefetch_related("tags").with_contact())
    by_id = {d.pk: d for d in devices}
    group_by = parse_choice("group", request.GET.get("group") or "site", ("site", "tag"))
    order = parse_choice("busiest", request.GET.get("busiest") or "total", ORDERS)
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
        "busiest": busiest_interfaces(by_id, order=order, limit=BUSIEST),
        "busiest_order": order,
        "busiest_columns": BUSIEST_COLUMNS,
        "utilisation": top_utilisation(by_id, limit=BUSIEST),
        "problems": problems,
        "events": events,
        "has_devices": bool(devices),
        "collector_running": collector.collector_running(),
    })
