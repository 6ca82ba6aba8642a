"""The events list: filter by severity, kind, device, site and time range, a page
at a time (:mod:`mikromon.web.monitor.event_queries` reads the parameters)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.web.monitor.choices import EventKindChoices, EventSeverityChoices
from mikromon.web.monitor.event_queries import FILTER_PARAMS, events, parse_event_filter, sites
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError, parse_page, parse_time

#: Events per page.
PER_PAGE = 100


def _parse_local(name: str, text: str) -> datetime:
    """Parse a ``datetime-local`` input value (a naive one is UTC); Unix seconds and
    the API's forms (``-1h``) are accepted too (the alert history's filter uses it).

    Raises:
        ParamError: naming ``name`` (not a time, or beyond the years 1 to 9999).
    """
    seconds = parse_time(name, text, time.time())
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParamError(f"{name}={text[:80]!r} is out of range") from None


def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first; ``?severity=&kind=&device=&site=&from=&to=&page=``.

    A bad parameter is named above the list (answer 400) and filters nothing.
    """
    flt = parse_event_filter(request.GET, time.time(), collect=True)
    errors = list(flt.problems)
    try:
        number = parse_page(request.GET.get("page"))
    except ParamError as err:
        errors.append(str(err))
        number = 1
    page = Paginator(events(flt), PER_PAGE).get_page(number)
    params = {k: request.GET.get(k, "").strip() for k in FILTER_PARAMS}
    return render(request, "ui/event_list.html", {
        "page": page,
        "params": params,
        "filtered": any(params.values()),
        "picked_severities": set(flt.severities),
        "picked_kinds": set(flt.kinds),
        "errors": errors,
        "devices": Device.objects.order_by("name").only("id", "name"),
        "sites": sites(),
        "kinds": EventKindChoices.choices,
        "severities": EventSeverityChoices.choices,
    }, status=400 if errors else 200)
