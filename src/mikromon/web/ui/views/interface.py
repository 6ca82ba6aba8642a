"""The page of one interface of a device: traffic, packets, errors and drops over a
time window, link state changes (from the link events) and the 95th percentile of
the window.

The path is ``/devices/<id>/interfaces/<name>/`` with the name escaped by
:func:`mikromon.web.converters.interface_slug` (names hold ``/`` and spaces). The
page carries no series: its script (interface.js, charts.js) reads them from the
series API, and the window's link changes and percentile from :func:`interface_summary`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from mikromon.domain.events import EventKind
from mikromon.domain.tiers import MINIMUM_INTERVALS, Tier
from mikromon.domain.traffic import BILLING_PERCENTILE, BillingFigure
from mikromon.web.monitor.models import Device, Event, InventoryItem, MetricLatest, Series
from mikromon.web.monitor.reports import link_name, series_percentile
from mikromon.web.params import ParamError, parse_choice, parse_time
from mikromon.web.ui.views.dashboard import MAX_POINTS, RANGES, custom_window

#: Link changes listed (and marked on the charts) at most, the newest.
MAX_LINK_CHANGES = 500
#: The rate metrics charted: chart id -> (title, unit, rx key, tx key).
CHARTS = (
    ("traffic", "Traffic", "bits/s", "iface.rx_bps", "iface.tx_bps"),
    ("packets", "Packets", "packets/s", "iface.rx_pps", "iface.tx_pps"),
    ("errors", "Errors", "1/s", "iface.rx_errors_ps", "iface.tx_errors_ps"),
    ("drops", "Drops", "1/s", "iface.rx_drops_ps", "iface.tx_drops_ps"),
)
#: What the page says about how the percentile is taken (docs/operations.md, "Reports").
METHOD = ("95th percentile of the 5-minute average rates in the range, receive and "
          "transmit apart: sorted, the highest 5 % dropped, the highest left "
          "(the ceil(0.95 × n)-th smallest of n); the billing figure is the larger "
          "of the two. Hours older than the 5-minute rollups count as twelve "
          "intervals at the hour's average.")


def _series_ids(device_id: int, name: str) -> dict[str, int]:
    """Metric key -> series id of the interface's series."""
    return {key: pk for pk, key, labels in Series.objects.filter(
        device_id=device_id, key__startswith="iface.").values_list("pk", "key", "labels")
        if isinstance(labels, dict) and labels.get("interface") == name}


def _facts(device: Device, name: str) -> dict[str, Any]:
    """The interface's row of the ``interfaces`` inventory table (``{}`` when none)."""
    row = InventoryItem.objects.filter(device=device, table="interfaces", key=name).values_list(
        "data", flat=True).first()
    return row if isinstance(row, dict) else {}


def interface_page(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """The interface's charts, link changes and 95th percentile; ``?range=`` (a key
    of the dashboard's ranges) or ``?from=&to=`` (a custom window).

    Raises:
        Http404: no device ``pk``, or the device has neither series nor an
            inventory row for ``name``.
    """
    device = get_object_or_404(Device.objects.select_related("site"), pk=pk)
    ids = _series_ids(device.pk, name)
    facts = _facts(device, name)
    if not ids and not facts:
        raise Http404(f"{device.name} has no interface {name!r}")
    custom, range_problem = custom_window(request)
    latest = {key: value for key, value in MetricLatest.objects.filter(
        series_id__in=ids.values()).values_list("series__key", "value")}
    config = {
        "device": device.pk,
        "interface": name,
        "time_zone": timezone.get_current_timezone_name(),
        "urls": {
            "series": reverse("api:series", args=[device.pk]),
            "summary": reverse("ui:interface_summary", args=[device.pk, name]),
        },
        "login_url": reverse(settings.LOGIN_URL),
        "refresh_s": max(1.0, device.realtime_every_s()),
        "min_step_s": max(device.realtime_interval, MINIMUM_INTERVALS[Tier.REALTIME]),
        "max_points": MAX_POINTS,
        "ranges": RANGES,
        "range": parse_choice("range", request.GET.get("range") or "24h", RANGES),
        "custom": custom,
        "charts": [{"id": cid, "title": title, "unit": unit, "rx": rx, "tx": tx}
                   for cid, title, unit, rx, tx in CHARTS if rx in ids or tx in ids],
    }
    return render(request, "ui/interface.html", {
        "device": device,
        "name": name,
        "facts": facts,
        "running": latest.get("iface.running"),
        "link_speed": latest.get("iface.link_speed_bps"),
        "ranges": list(RANGES),
        "range_problem": range_problem,
        "charts": config["charts"],
        "method": METHOD,
        "config": config,
    })


def _window(request: HttpRequest) -> tuple[float, float]:
    """``?from=&to=`` (Unix seconds, ISO 8601 or ``-1h``) of a summary request.

    Raises:
        ParamError: naming a missing or bad end, or an end not after the start.
    """
    now = time.time()
    texts = {n: request.GET.get(n, "").strip() for n in ("from", "to")}
    for n, text in texts.items():
        if not text:
            raise ParamError(f"'{n}' is required (Unix seconds)")
    start, end = (parse_time(n, texts[n], now) for n in ("from", "to"))
    if end <= start:
        raise ParamError("'to' must be after 'from'")
    return start, end


def link_changes(device_id: int, name: str, start: float, end: float) -> list[dict[str, Any]]:
    """The link events of interface ``name`` in ``[start, end)``, oldest first (at
    most :data:`MAX_LINK_CHANGES`, the newest): ``{"ts": Unix seconds, "at": ISO
    8601 UTC, "state": "up" | "down", "message"}``. Link events are written when
    ``/interface`` ``running`` changes (mikromon.schedule.changes)."""
    kinds = {EventKind.LINK_UP.value: "up", EventKind.LINK_DOWN.value: "down"}
    rows = (Event.objects.filter(device_id=device_id, kind__in=list(kinds),
                                 ts__gte=datetime.fromtimestamp(start, UTC),
                                 ts__lt=datetime.fromtimestamp(end, UTC),
                                 message__contains=name)
            .order_by("-ts", "-id").values_list("ts", "kind", "message"))
    out = []
    for ts, kind, message in rows.iterator():
        if link_name(message) != name:
            continue
        out.append({"ts": ts.timestamp(), "at": ts.astimezone(UTC).isoformat(),
                    "state": kinds[kind], "message": message})
        if len(out) >= MAX_LINK_CHANGES:
            break
    out.reverse()
    return out


def interface_summary(request: HttpRequest, pk: int, name: str) -> JsonResponse:
    """JSON of the window ``?from=&to=``: ``{"percentile": {"rx_bps", "tx_bps",
    "billing_bps", "rx_samples", "tx_samples", "resolution", "percentile",
    "method"}, "links": [...]}`` (:func:`link_changes`); the percentile is
    :func:`mikromon.web.monitor.reports.series_percentile` of the receive and
    transmit bit rates (:mod:`mikromon.domain.traffic`). 400 naming a bad parameter."""
    device = get_object_or_404(Device.objects.only("id"), pk=pk)
    try:
        start, end = _window(request)
    except ParamError as err:
        return JsonResponse({"error": str(err)}, status=400)
    ids = _series_ids(device.pk, name)
    rx = series_percentile(ids["iface.rx_bps"], start, end) if "iface.rx_bps" in ids else (
        None, 0, "none")
    tx = series_percentile(ids["iface.tx_bps"], start, end) if "iface.tx_bps" in ids else (
        None, 0, "none")
    figure = BillingFigure(rx_bps=rx[0], tx_bps=tx[0], rx_samples=rx[1], tx_samples=tx[1])
    return JsonResponse({
        "from": int(start), "to": int(end),
        "percentile": {
            "percentile": BILLING_PERCENTILE,
            "rx_bps": figure.rx_bps, "tx_bps": figure.tx_bps,
            "billing_bps": figure.billing_bps,
            "rx_samples": figure.rx_samples, "tx_samples": figure.tx_samples,
            "resolution": rx[2] if rx[2] != "none" else tx[2],
            "method": METHOD,
        },
        "links": link_changes(device.pk, name, start, end),
    })
