"""The events list: filter by severity, kind, device, site and time range, a page
at a time (:mod:`mikromon.web.monitor.event_queries` reads the parameters)."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from mikromon.web.monitor.choices import EventKindChoices, EventSeverityChoices
from mikromon.web.monitor.event_queries import (
    FILTER_PARAMS,
    NOTABLE_SEVERITIES,
    events,
    parse_event_filter,
    sites,
)
from mikromon.web.ui.views import device_pick
from mikromon.web.ui.views.listing import in_page_zone, page_of

#: Events per page.
PER_PAGE = 100


def _show_info_url(get: QueryDict) -> str:
    """The query string of the same list with every severity ticked (``?...``)."""
    out = get.copy()
    out.setlist("severity", list(EventSeverityChoices.values))
    out.pop("page", None)
    return "?" + out.urlencode()


def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first; ``?severity=&kind=&device=&site=&from=&to=&page=``.
    Without ``severity`` or ``kind``, informational events are left out (as on
    the overview) and a link shows them.

    A bad parameter is named above the list (answer 400) and filters nothing.
    """
    # The from/to inputs are in the user's zone; the shared filter reads UTC.
    get = device_pick.by_name(request.GET).copy()
    for name in ("from", "to"):
        typed = request.GET.get(name)
        if typed:
            get[name] = in_page_zone(typed)
    flt = parse_event_filter(get, time.time(), collect=True, notable_by_default=True)
    errors = list(flt.problems)
    page = page_of(request, events(flt), PER_PAGE, errors)
    params = {k: request.GET.get(k, "").strip() for k in FILTER_PARAMS}
    params["device"] = get.get("device", "").strip()  # a name given: the id
    return render(request, "ui/event_list.html", {
        "page": page,
        "params": params,
        "filtered": any(params.values()),
        "picked_severities": set(NOTABLE_SEVERITIES if flt.notable_only else flt.severities),
        "show_info_url": _show_info_url(request.GET) if flt.notable_only else "",
        "picked_kinds": set(flt.kinds),
        "errors": errors,
        **device_pick.choices(params["device"]),
        "sites": sites(),
        "kinds": EventKindChoices.choices,
        "severities": EventSeverityChoices.choices,
    }, status=400 if errors else 200)
