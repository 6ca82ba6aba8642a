"""The events list: filter by device, kind and time range."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.formatting import unknown_choice
from mikromon.web.monitor.choices import EventKindChoices
from mikromon.web.monitor.models import Device, Event
from mikromon.web.params import ParamError, parse_id
from mikromon.web.ui.views.listing import filter_times, page_of

#: Events per page.
PER_PAGE = 100


def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first; ``?device=&kind=&from=&to=&page=``."""
    qs = Event.objects.select_related("device").order_by("-ts", "-id")
    params = {k: request.GET.get(k, "").strip() for k in ("device", "kind", "from", "to")}
    errors: list[str] = []
    if params["device"]:
        try:
            qs = qs.filter(device_id=parse_id("device", params["device"]))
        except ParamError:
            errors.append(f"'device' must be a device id (got {params['device'][:40]!r})")
    if params["kind"] in EventKindChoices.values:
        qs = qs.filter(kind=params["kind"])
    elif params["kind"]:
        errors.append(unknown_choice("event kind", params["kind"], EventKindChoices.values))
    qs = filter_times(qs, params, errors, "ts")
    page = page_of(request, qs, PER_PAGE, errors)
    return render(request, "ui/event_list.html", {
        "page": page,
        "params": params,
        "errors": errors,
        "devices": Device.objects.order_by("name").only("id", "name"),
        "kinds": EventKindChoices.choices,
    }, status=400 if errors else 200)
