"""``/metrics`` and ``/metrics/sd``: Prometheus's text format or OpenMetrics (as the
scraper's ``Accept`` asks), gzip when accepted; HTTP service discovery as JSON."""

from __future__ import annotations

import gzip
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from prometheus_client.exposition import choose_encoder

from mikromon.exporters.prometheus import OPENMETRICS, TEXT, LabelTexts, render
from mikromon.web.exposition.auth import refusal
from mikromon.web.exposition.reader import read_snapshot
from mikromon.web.monitor.models import Device

#: Smallest body worth compressing, bytes.
_GZIP_FROM = 1024
#: The label text of this process' scrapes, kept from one to the next.
_TEXTS = LabelTexts()


@login_not_required
@csrf_exempt
def metrics(request: HttpRequest) -> HttpResponse:
    """Every device's latest values as mktxp's and mikromon's families; with
    ``?target=<device name>`` only that device (no fleet-wide families).

    Answers 401/429 without valid credentials (:mod:`.auth`), 405 to a method
    other than GET or HEAD, 400 for an empty ``target``, 404 for an unknown device.
    """
    refused = refusal(request) or _get_only(request)
    if refused is not None:
        return refused
    target = request.GET.get("target")
    if target is not None and not target.strip():
        return HttpResponse("target must name a device\n", status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        snapshot = read_snapshot(target.strip() if target is not None else None)
    except Device.DoesNotExist as err:
        return HttpResponse(f"{err}\n", status=404, content_type="text/plain; charset=utf-8")
    # prometheus_client negotiates; the bytes are written by render() (the same
    # bytes as its encoders, several times faster: mikromon.exporters.prometheus).
    _encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = render(snapshot, OPENMETRICS if "openmetrics" in content_type else TEXT, _TEXTS)
    response = HttpResponse(content_type=content_type)
    if len(body) >= _GZIP_FROM and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip.compress(body, compresslevel=1)
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept, Accept-Encoding"
    response.content = body
    return response


@login_not_required
@csrf_exempt
def service_discovery(request: HttpRequest) -> HttpResponse:
    """Prometheus HTTP service discovery: one target group per enabled device, the
    device's name as the target (to be moved to ``__param_target``), with
    ``__meta_mikromon_*`` labels: device id, address, site, tags (``,a,b,``)."""
    refused = refusal(request) or _get_only(request)
    if refused is not None:
        return refused
    groups: list[dict[str, Any]] = []
    devices = (Device.objects.filter(enabled=True).select_related("site")
               .prefetch_related("tags").by_name())
    for device in devices:
        tags = sorted(tag.name for tag in device.tags.all())
        groups.append({
            "targets": [device.name],
            "labels": {
                "__meta_mikromon_device_id": str(device.pk),
                "__meta_mikromon_address": device.host,
                "__meta_mikromon_site": device.site.name if device.site else "",
                "__meta_mikromon_tags": f",{','.join(tags)}," if tags else "",
            },
        })
    return JsonResponse(groups, safe=False)


def _get_only(request: HttpRequest) -> HttpResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    response = HttpResponse(f"method {request.method} not allowed\n", status=405,
                            content_type="text/plain; charset=utf-8")
    response["Allow"] = "GET, HEAD"
    return response
