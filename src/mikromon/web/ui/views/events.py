"""The events list: filter by device, kind and time range."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.formatting import unknown_choice
from mikromon.web.monitor.choices import EventKindChoices
from mikromon.web.monitor.models import Device, Event
from mikromon.web.params import ParamError, parse_id, parse_page, parse_time

#: Events per page.
PER_PAGE = 100


def _parse_local(name: str, text: str) -> datetime:
    """Parse a ``datetime-local`` input value (a naive one is UTC); Unix seconds and
    the API's forms (``-1h``) are accepted too.

    Raises:
        ParamError: naming ``name`` (not a time, or beyond the years 1 to 9999).
    """
    seconds = parse_time(name, text, time.time())
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ParamError(f"{name}={text[:80]!r} is out of range") from None


def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first; ``?device=&kind=&from=&to=&page=``."""
    qs = Event.objects.select_related("device").order_by("-ts", "-id")
    params = {k: request.GET.get(k, "").strip() for k in ("device", "kind", "from", "to")}
    errors = []
    if params["device"]:
        try:
            qs = qs.filter(device_id=parse_id("device", params["device"]))
        except ParamError:
            errors.append(f"'device' must be a device id (got {params['device'][:40]!r})")
    if params["kind"] in EventKindChoices.values:
        qs = qs.filter(kind=params["kind"])
    elif params["kind"]:
        errors.append(unknown_choice("event kind", params["kind"], EventKindChoices.values))
    for name, lookup in (("from", "ts__gte"), ("to", "ts__lt")):
        if params[name]:
            try:
                qs = qs.filter(**{lookup: _parse_local(name, params[name])})
            except ParamError:
                errors.append(f"'{name}' is not a date and time (got {params[name][:40]!r})")
    try:
        number = parse_page(request.GET.get("page"))
    except ParamError as err:
        errors.append(str(err))
        number = 1
    page = Paginator(qs, PER_PAGE).get_page(number)
    return render(request, "ui/event_list.html", {
        "page": page,
        "params": params,
        "errors": errors,
        "devices": Device.objects.order_by("name").only("id", "name"),
        "kinds": EventKindChoices.choices,
    }, status=400 if errors else 200)
