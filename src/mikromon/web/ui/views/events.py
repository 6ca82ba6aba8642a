"""The events list: filter by device, kind and time range."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.formatting import unknown_choice
from mikromon.web.monitor.choices import EventKindChoices
from mikromon.web.monitor.models import Device, Event

#: Events per page.
PER_PAGE = 100


def _parse_local(text: str) -> datetime | None:
    """Parse a ``datetime-local`` input value (taken as UTC); ``None`` when empty or bad."""
    if not text:
        return None
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first; ``?device=&kind=&from=&to=&page=``."""
    qs = Event.objects.select_related("device").order_by("-ts", "-id")
    params = {k: request.GET.get(k, "").strip() for k in ("device", "kind", "from", "to")}
    errors = []
    if params["device"].isdigit():
        qs = qs.filter(device_id=int(params["device"]))
    elif params["device"]:
        errors.append("'device' must be a device id")
    if params["kind"] in EventKindChoices.values:
        qs = qs.filter(kind=params["kind"])
    elif params["kind"]:
        errors.append(unknown_choice("event kind", params["kind"], EventKindChoices.values))
    for name, lookup in (("from", "ts__gte"), ("to", "ts__lt")):
        if params[name]:
            ts = _parse_local(params[name])
            if ts is None:
                errors.append(f"'{name}' is not a date and time")
            else:
                qs = qs.filter(**{lookup: ts})
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "ui/event_list.html", {
        "page": page,
        "params": params,
        "errors": errors,
        "devices": Device.objects.order_by("name").only("id", "name"),
        "kinds": EventKindChoices.choices,
    })
