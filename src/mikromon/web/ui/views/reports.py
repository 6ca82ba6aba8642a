"""The Reports page: availability, 95th-percentile billing figures and top talkers
over one range (presets: this month, last month, last 7 days, custom), each with a
CSV download (the API endpoint with ``format=csv``). The availability and
percentile tables are paged on the server (``apage``; ``ppage`` with ``psort``),
so the page stays one screen with 10,000 devices."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor import reports
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError, parse_choice

#: Top talkers shown on the page (the CSV has as many as ``limit`` asks, up to 1000).
PAGE_TALKERS = 20
#: Devices offered in the device menu; more are chosen by id (a text box).
MENU_DEVICES = 300
_SORT_LABELS = {"billing": "Billing, highest first", "device": "Device", "interface": "Interface"}
_PRESET_LABELS = {"this_month": "This month", "last_month": "Last month",
                  "last_7_days": "Last 7 days", "custom": "Custom"}


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M")


def report_page(request: HttpRequest) -> HttpResponse:
    """``?range=this_month|last_month|last_7_days|custom&from=&to=&month=&device=``."""
    now = time.time()
    params = {k: request.GET.get(k, "").strip() for k in ("range", "month", "from", "to",
                                                          "device")}
    menu = list(Device.objects.order_by("name_key", "name").only("id", "name")[
        :MENU_DEVICES + 1])
    context: dict[str, object] = {
        "params": params, "presets": list(_PRESET_LABELS.items()),
        "devices": menu if len(menu) <= MENU_DEVICES else None,
        "sorts": list(_SORT_LABELS.items()),
    }
    try:
        query = rq.parse_query(params, now)
        psort = parse_choice("psort", request.GET.get("psort") or "billing", _SORT_LABELS)
        apaging = rq.parse_paging({"apage": request.GET.get("apage", "")}, "apage") \
            or rq.Paging(1, rq.PAGE_ROWS)
        ppaging = rq.parse_paging({"ppage": request.GET.get("ppage", "")}, "ppage") \
            or rq.Paging(1, rq.PAGE_ROWS)
    except ParamError as err:
        context["error"] = str(err)
        return render(request, "ui/reports.html", context, status=400)
    kept = {k: v for k, v in params.items() if v}
    if query.preset != "custom":  # the inputs show the range a preset chose
        kept.pop("from", None)
        kept.pop("to", None)
    csv_query = urlencode({**kept, "format": "csv"})
    # What the sort form carries over: the page's own parameters, never the
    # visitor's others (a parameter named "items" would shadow QueryDict.items in
    # a template).
    context["sort_keeps"] = [*kept.items(), *(
        [("apage", str(apaging.page))] if request.GET.get("apage") else [])]
    devices_total = reports.device_count(query.device_id)
    apaging = apaging.clamp(devices_total)
    read: dict[str, reports.KindPieces] = {}  # the interfaces' pieces, read once
    percentiles, interfaces_total, ppaging = rq.percentile_page(query, psort, ppaging, read, now)
    context.update({
        "psort": psort,
        "apage": _pager(apaging, devices_total), "ppage": _pager(ppaging, interfaces_total),
        "query": query,
        "preset": query.preset,
        "shown_from": _local(query.start), "shown_to": _local(query.end),
        "range_from": datetime.fromtimestamp(query.start, UTC),
        "range_to": datetime.fromtimestamp(query.end, UTC),
        "devices_rows": rq.availability_rows(query, now, apaging),
        "percentiles": percentiles,
        "talkers": rq.talker_rows(query, ("interface", "queue"), PAGE_TALKERS, read),
        "csv": {name: f"{reverse(f'api:report_{name}')}?{csv_query}"
                for name in ("availability", "percentile", "top_talkers")},
    })
    return render(request, "ui/reports.html", context)


def _pager(paging: rq.Paging, total: int) -> dict[str, int]:
    """What the template's page links need: number, pages, total, first/last row."""
    return {"number": paging.page, "pages": paging.pages(total), "total": total,
            "first": min(total, paging.offset + 1),
            "last": min(total, paging.offset + paging.per_page)}
