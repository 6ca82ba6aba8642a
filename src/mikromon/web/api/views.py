"""The JSON API views (``/api/v1/...``); documented in docs/api.md."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import orjson
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from mikromon.web.api.auth import ApiError, api_view, authenticate, error
from mikromon.web.api.serialize import device_dict, device_document, device_state, latest_list
from mikromon.web.control import collector
from mikromon.web.control.formats import iso
from mikromon.web.monitor import device_filters, inventory, tables
from mikromon.web.monitor.event_queries import events as event_rows
from mikromon.web.monitor.event_queries import parse_event_filter
from mikromon.web.monitor.inventory_pages import parse_query
from mikromon.web.monitor.models import ROLLUP_STEPS, Device, Series
from mikromon.web.monitor.points import read_points
from mikromon.web.monitor.readers import (
    choose_step,
    health_states,
    is_known_metric,
    latest_values,
    read_many,
    unit_of,
)
from mikromon.web.monitor.series_listing import oldest_stored
from mikromon.web.params import (
    ParamError,
    ParamProblems,
    labels_match,
    parse_flag,
    parse_labels,
    parse_page,
    parse_positive_int,
    parse_time,
)

#: Default and largest number of buckets per series.
DEFAULT_POINTS = 600
MAX_POINTS = 5000
#: Most series returned by one series request.
MAX_SERIES = 64
#: Most events returned by one request.
MAX_EVENTS = 1000
#: Devices per page of the device list, by default and at most.
DEVICES_PER_PAGE = 100
MAX_DEVICES_PER_PAGE = 1000
#: Most inventory rows on one page (``?per_page=``).
MAX_INVENTORY_PER_PAGE = 5000




def _device_or_404(queryset: QuerySet[Device], pk: int) -> Device:
    """Return the device ``pk`` of ``queryset``.

    Raises:
        ApiError: 404 naming the id.
    """
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ApiError(404, f"no device with id {pk} (see /api/v1/devices)")
    return obj


@api_view()
def index(request: HttpRequest) -> JsonResponse:
    """List the endpoints."""
    device = reverse("api:device", args=[0]).replace("/0", "/<id>")
    return JsonResponse({
        "version": 1,
        "user": request.user.get_username(),
        "endpoints": {
            "devices": reverse("api:devices"),
            "device": device,
            "latest": f"{device}/latest",
            "series": f"{device}/series?metric=KEY&label=NAME=VALUE&from=&to=&step=",
            "inventory": f"{device}/inventory/<table>",
            "events": reverse("api:events"),
            "series_list": reverse("api:series_list") + "?device=&metric=&label=",
            "search": reverse("api:search") + "?q=TEXT",
            **{f"report_{name}": reverse(f"api:report_{name}")
               for name in ("availability", "percentile", "top_talkers")},
            "collector": reverse("api:collector"),
            "storage": reverse("api:storage"),
            "alerts": reverse("api:alerts"),
            "silences": reverse("api:silences"),
            "rules": reverse("api:rules"),
            "rule_preview": reverse("api:rule_preview"),
            "channels": reverse("api:channels"),
        },
    })


@api_view()
def devices(request: HttpRequest) -> JsonResponse:
    """Devices with state and summary values, filtered, sorted and paged:
    ``?q=&state=&site=&tag=&version=&board=&sort=&page=&per_page=``
    (:mod:`mikromon.web.monitor.device_filters`; docs/api.md).

    Every bad parameter is named in one 400 answer (``; `` between them).
    """
    params = device_filters.read_params(request.GET)
    problems = ParamProblems()
    page_number = problems.check(parse_page, request.GET.get("page"))
    per_page = problems.check(parse_positive_int, "per_page", request.GET.get("per_page"),
                              DEVICES_PER_PAGE, MAX_DEVICES_PER_PAGE)
    qs = device_filters.filter_devices(Device.objects.all(), params, problems.messages)
    qs = device_filters.with_contact_ts(qs.for_documents())
    qs, sort = device_filters.sort_devices(qs, params["sort"], problems.messages)
    problems.raise_any()
    paginator = Paginator(qs, per_page)
    # Past the last page: no devices (a client reading pages until an empty one stops).
    rows = (paginator.page(page_number).object_list if page_number <= paginator.num_pages
            else [])
    return JsonResponse({
        "count": paginator.count,
        "page": page_number,
        "pages": paginator.num_pages,
        "per_page": per_page,
        "sort": sort,
        "devices": [device_dict(d) for d in rows],
    })


@api_view()
def device(request: HttpRequest, pk: int) -> JsonResponse:
    """One device: configuration (never the password), state and summary."""
    obj = _device_or_404(Device.objects.for_documents(), pk)
    return JsonResponse(device_document(obj))


@api_view()
def latest(request: HttpRequest, pk: int) -> JsonResponse:
    """The newest value of every series of a device, with the device's state and
    whether a collector runs (the dashboard says "live" only then)."""
    obj = _device_or_404(Device.objects.with_summary(), pk)
    return JsonResponse({
        "device": {"id": obj.pk, "name": obj.name, **device_state(obj)},
        "collector": {"running": collector.collector_running()},
        "values": latest_list(latest_values(obj.pk)),
        "health_states": health_states(obj.pk),
    })


#: Oldest Unix second stored per series id: raw, then the rollups of each step of
#: ``ROLLUP_STEPS`` (:func:`mikromon.web.monitor.series_listing.oldest_stored`).
Oldest = dict[int, tuple[int | None, ...]]


def kept_step(step: int, start: float, series_ids: list[int], oldest: Oldest) -> int:
    """Return ``step`` made coarse enough that the resolution it reads still holds the
    range's start: where a series' raw points begin after ``start`` while its
    5-minute rollups reach further back (retention deleted the older points:
    the tier's raw retention, :mod:`mikromon.web.control.retention`), a whole
    multiple of 300 s, read from the 5-minute rollups; where those too begin
    after ``start`` while 1-hour rollups reach further back (the ``5m``
    retention), a whole multiple of 3600 s; and where the hourly ones too begin
    after it while 1-day rollups reach further back (the ``1h`` retention), a
    whole multiple of 86400 s.
    A series younger than the range keeps its step (nothing was deleted).
    ``oldest`` holds the series' oldest stored times (read in one query)."""
    for sid in series_ids:
        if not step % ROLLUP_STEPS[-1]:
            break
        raw, *levels = oldest.get(sid, (None,) * (1 + len(ROLLUP_STEPS)))
        kept = raw
        for resolution, first in zip(ROLLUP_STEPS, levels, strict=True):
            if (step % resolution and first is not None and first < start
                    and (kept is None or kept > start + step)):
                step = -(-step // resolution) * resolution
            kept = min((t for t in (first, kept) if t is not None), default=None)
    return step


def _interval(series_id: int, oldest: Oldest) -> int:
    """Seconds between a series' first two raw samples (its polling interval)
    within a day of the first, 1 without two (head rows or chunks)."""
    first = oldest.get(series_id, (None,))[0]
    if first is None:
        return 1
    ts = read_points([series_id], first, first + 86_400)[series_id][0]
    return max(1, int(ts[1] - ts[0])) if ts.shape[0] >= 2 else 1


def first_stored(series_ids: list[int], before: float, oldest: Oldest) -> int | None:
    """Return the first stored second (Unix) of the series when every one begins
    after ``before`` (a young install, a new device), else ``None`` (some series
    holds data at or before it, or none holds any). A series' first second is
    its oldest raw point, or the start of an older 5-minute, 1-hour or 1-day
    rollup bucket (where retention deleted the points it summarises). Used to chart a
    range whose step reads rollups, longer than the data, at the step of the
    data's span (never finer than the series' polling interval): a 7-day range
    of a two-hour-old series is otherwise four 30-minute buckets, a 30-day range
    one hourly bucket (the step picks the source:
    :func:`mikromon.web.monitor.readers.read_series`)."""
    first: int | None = None
    for sid in series_ids:
        raw, *rollups = oldest.get(sid, (None,) * (1 + len(ROLLUP_STEPS)))
        kept = raw
        for resolution, rolled in zip(ROLLUP_STEPS, rollups, strict=True):
            # A rollup counts where its whole bucket is older than the raw points
            # (their bucket start is aligned down: the same points otherwise).
            if rolled is not None and (kept is None or rolled + resolution <= kept):
                kept = rolled
        if kept is not None and kept <= before:
            return None
        if kept is not None:
            first = kept if first is None else min(first, kept)
    return first


@api_view()
def series(request: HttpRequest, pk: int) -> HttpResponse:
    """Time series of one metric of a device, downsampled (every matching series
    read together: :func:`mikromon.web.monitor.readers.read_many`).

    Parameters: ``metric`` (required), ``label`` (repeatable), ``from``/``to``
    (default: the last hour), ``step`` (seconds; default chosen from ``points``,
    finer for data younger than the range (:func:`first_stored`), coarser where
    raw points are no longer kept (:func:`kept_step`)),
    ``points`` (target bucket count, default 600).
    """
    obj = _device_or_404(Device.objects.all(), pk)
    metric = request.GET.get("metric", "").strip()
    if not metric:
        return error(400, "metric is required, e.g. metric=system.cpu.load_pct")
    if not is_known_metric(metric, obj.pk):
        return error(400, f"unknown metric {metric!r}: not in the metric catalog "
                          f"(the device's metrics: {reverse('api:latest', args=[obj.pk])})")
    now = time.time()
    try:
        end = parse_time("to", request.GET["to"], now) if request.GET.get("to") else now
        start = (parse_time("from", request.GET["from"], now) if request.GET.get("from")
                 else end - 3600)
        step = parse_positive_int("step", request.GET.get("step"), None, 31 * 86400)
        points = parse_positive_int("points", request.GET.get("points"), DEFAULT_POINTS,
                                    MAX_POINTS)
        wanted = parse_labels(request.GET.getlist("label"))
    except ParamError as err:
        return error(400, str(err))
    if end <= start:
        return error(400, "'to' must be after 'from'")
    rows = Series.objects.filter(device=obj, key=metric).order_by("labels_key")
    matching = [s for s in rows if labels_match(dict(s.labels), wanted)]
    if len(matching) > MAX_SERIES:
        return error(400, f"{len(matching)} series match; narrow with label= "
                          f"(at most {MAX_SERIES})")
    read_from = start
    if step is None:
        ids = [s.pk for s in matching]
        oldest = oldest_stored(ids)
        step = choose_step(int(end - start), points or DEFAULT_POINTS)
        first = first_stored(ids, start + step, oldest) if step >= ROLLUP_STEPS[0] else None
        if first is not None:  # data younger than the range: the step of its span
            step = min(step, max(choose_step(int(end - first), points or DEFAULT_POINTS),
                                 choose_step(_interval(ids[0], oldest), 1)))
            read_from = max(start, first)
        step = kept_step(step, start, ids, oldest)
    out = []
    source = None
    try:
        # ``to`` is inclusive: a point stamped exactly at ``to`` is shown.
        read = read_many([s.pk for s in matching], read_from, end + 1, step)
    except ValueError as err:
        return error(400, str(err))
    for s in matching:
        data = read[s.pk]
        source = data.source
        got = data.buckets
        out.append({
            "labels": dict(s.labels),
            **{name: np.ascontiguousarray(column) for name, column in (
                ("t", got.ts), ("v", got.mean()), ("min", got.min), ("max", got.max),
                ("last", got.last))},
        })
    # orjson writes the arrays as they are (a 7-day chart of 12 series is 20,000
    # numbers: 0.4 against 6 ms with json), a NaN as null (valid JSON).
    return HttpResponse(orjson.dumps({
        "device": obj.pk,
        "metric": metric,
        "unit": unit_of(metric),
        "from": int(start),
        "to": int(end),
        "step": step,
        "source": source,
        "series": out,
    }, option=orjson.OPT_SERIALIZE_NUMPY), content_type="application/json")


@api_view()
def inventory_table(request: HttpRequest, pk: int, table: str) -> JsonResponse:
    """Rows of one inventory table (``logs``: the router log lines), filtered, sorted
    and paged in the database: ``?q=&sort=&per_page=&page=&gone=``
    (:mod:`mikromon.web.monitor.inventory_pages`). Without ``per_page`` every row
    (logs: the newest 1,000); ``count``: the rows matching ``q``, ``total``: all.

    404 for a table that is neither known to the pages nor stored for any device;
    400 naming every bad parameter.
    """
    obj = _device_or_404(Device.objects.all(), pk)
    if not inventory.table_exists(table):
        raise ApiError(404, f"no inventory table {table!r}; tables: "
                            f"{', '.join(tables.TABLES)}")
    problems = ParamProblems()
    gone = problems.check(parse_flag, "gone", request.GET.get("gone"))
    query, per_page, page_number, messages = parse_query(request.GET, MAX_INVENTORY_PER_PAGE)
    problems.messages.extend(messages)
    problems.raise_any()
    data = inventory.read_table(obj, table, include_gone=bool(gone), query=query)
    paging: dict[str, int] = {}
    if per_page is not None:
        paging = {"page": page_number, "per_page": per_page,
                  "pages": max(1, -(-data.count // per_page))}
    return JsonResponse({
        "device": obj.pk,
        "table": data.table,
        "label": data.label,
        "columns": data.columns,
        "durations": data.durations,
        "count": data.count,
        "total": data.total,
        "q": query.q,
        "sort": data.sort,
        "updated": iso(data.updated),
        "absent": data.absent,
        "empty_text": data.empty_text,
        **paging,
        "rows": data.rows,
    })


@api_view()
def events(request: HttpRequest) -> JsonResponse:
    """Events, newest first, a page at a time; ``?severity=&kind=&device=&site=&from=&to=
    &limit=&page=`` (:mod:`mikromon.web.monitor.event_queries`).

    Every bad parameter is named in one 400 answer (``; `` between them).
    """
    flt = parse_event_filter(request.GET, time.time(), collect=True)
    problems = ParamProblems()
    problems.messages.extend(flt.problems)
    limit = problems.check(parse_positive_int, "limit", request.GET.get("limit"), 200,
                           MAX_EVENTS)
    page = problems.check(parse_page, request.GET.get("page"))
    problems.raise_any()
    offset = (page - 1) * limit
    rows = list(event_rows(flt)[offset:offset + limit + 1])
    query = request.GET.copy()
    query["page"] = str(page + 1)
    return JsonResponse({
        "page": page,
        "limit": limit,
        "next": f"{request.path}?{query.urlencode()}" if len(rows) > limit else None,
        "events": [
            {"id": e.pk, "device": e.device_id, "device_name": e.device.name, "ts": iso(e.ts),
             "kind": e.kind, "kind_label": e.get_kind_display(), "severity": e.severity,
             "message": e.message, "path": e.path}
            for e in rows[:limit]
        ],
    })


@api_view(methods=("GET", "POST"))
def collector_view(request: HttpRequest, action: str | None = None) -> HttpResponse:
    """GET: the collector's status. POST (admins): ``{"action": "start"|"stop"}``
    (JSON or form body), or POST to ``collector/start`` / ``collector/stop``."""
    if request.method == "POST":
        wanted = action or _body_action(request)
        if wanted not in ("start", "stop"):
            return error(400, "action must be 'start' or 'stop'")
        try:
            view = collector.set_running(wanted == "start", by=request.user.get_username())
        except RuntimeError as err:
            return error(500, f"the collector did not start: {err}")
        return JsonResponse(view.as_dict())
    if action is not None:
        response = error(405, f"use POST to {action} the collector")
        response["Allow"] = "POST"
        return response
    return HttpResponse(collector.document_json(now=iso(timezone.now())),
                        content_type="application/json")


def _body_action(request: HttpRequest) -> str | None:
    """The ``action`` of a JSON or form body.

    Raises:
        ApiError: 400 for a body that is not valid JSON (naming the parse error).
    """
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError as err:
            raise ApiError(400, f"invalid JSON: {err}") from None
        return body.get("action") if isinstance(body, dict) else None
    return request.POST.get("action")


@login_not_required
@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under ``/api/v1/``: 401 without credentials (as every API
    path), else 404 in JSON pointing at the endpoint list, whatever the method."""
    refused = authenticate(request)
    if refused is not None:
        return refused
    return error(404, f"no API endpoint {request.path}; the endpoints are listed at "
                      f"{reverse('api:index')}")
