"""The Reports page: availability, 95th-percentile billing figures and top talkers
over one range (presets: this month, last month, last 7 days, custom), each with a
CSV download (the API endpoint with ``format=csv``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError

#: Top talkers shown on the page (the CSV has as many as ``limit`` asks, up to 1000).
PAGE_TALKERS = 20
_PRESET_LABELS = {"this_month": "This month", "last_month": "Last month",
                  "last_7_days": "Last 7 days", "custom": "Custom"}


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M")


def report_page(request: HttpRequest) -> HttpResponse:
    """``?range=this_month|last_month|last_7_days|custom&from=&to=&month=&device=``."""
    now = time.time()
    params = {k: request.GET.get(k, "").strip() for k in ("range", "month", "from", "to",
                                                          "device")}
    context: dict[str, object] = {
        "params": params, "presets": list(_PRESET_LABELS.items()),
        "devices": Device.objects.order_by("name").only("id", "name"),
    }
    try:
        query = rq.parse_query(params, now)
    except ParamError as err:
        context["error"] = str(err)
        return render(request, "ui/reports.html", context, status=400)
    kept = {k: v for k, v in params.items() if v}
    if query.preset != "custom":  # the inputs show the range a preset chose
        kept.pop("from", None)
        kept.pop("to", None)
    csv_query = urlencode({**kept, "format": "csv"})
    availability = rq.availability_rows(query, now)
    context.update({
        "query": query,
        "preset": query.preset,
        "shown_from": _local(query.start), "shown_to": _local(query.end),
        "range_from": datetime.fromtimestamp(query.start, UTC),
        "range_to": datetime.fromtimestamp(query.end, UTC),
        "devices_rows": availability,
        "percentiles": rq.percentile_rows(query),
        "talkers": rq.talker_rows(query, ("interface", "queue"), PAGE_TALKERS),
        "csv": {name: f"{reverse(f'api:report_{name}')}?{csv_query}"
                for name in ("availability", "percentile", "top_talkers")},
    })
    return render(request, "ui/reports.html", context)
