"""The report endpoints of the JSON API (``/api/v1/reports/...``), documented in
docs/api.md, "Reports". Parameters: :mod:`mikromon.web.monitor.report_query`;
``format=csv`` answers the same rows as a CSV download."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from mikromon.web.api.auth import api_view
from mikromon.web.control.formats import iso
from mikromon.web.monitor import report_query as rq
from mikromon.web.monitor import reports
from mikromon.web.params import parse_choice, parse_positive_int

#: Columns of each report, in CSV order.
AVAILABILITY_COLUMNS = ("device_id", "device", "interface", "availability_pct", "up_seconds",
                        "down_seconds", "unknown_seconds", "outages", "longest_outage_seconds")
PERCENTILE_COLUMNS = ("device_id", "device", "interface", "rx_p95_bps", "tx_p95_bps",
                      "billing_bps", "rx_samples", "tx_samples", "resolution")
TALKER_COLUMNS = ("kind", "device_id", "device", "name", "rx_bytes", "tx_bytes", "total_bytes")
#: Default and largest number of top talkers.
DEFAULT_TALKERS = 20
MAX_TALKERS = 1000
TALKER_KINDS = {"all": ("interface", "queue"), "interface": ("interface",), "queue": ("queue",)}


def _format(request: HttpRequest) -> str:
    return parse_choice("format", request.GET.get("format") or "json", ("json", "csv"))


def _answer(request: HttpRequest, name: str, query: rq.ReportQuery, rows: list[dict[str, Any]],
            columns: Sequence[str], fmt: str, **extra: Any) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(rq.to_csv(rows, columns), content_type="text/csv; charset=utf-8")
        stamp = f"{time.strftime('%Y%m%d', time.gmtime(query.start))}-" \
                f"{time.strftime('%Y%m%d', time.gmtime(query.end))}"
        response["Content-Disposition"] = f'attachment; filename="mikromon-{name}-{stamp}.csv"'
        return response
    return JsonResponse({
        "from": iso(datetime.fromtimestamp(query.start, UTC)),
        "to": iso(datetime.fromtimestamp(query.end, UTC)), "range": query.preset,
        "device": query.device_id, **extra, "rows": rows,
    })


def _paged(paging: rq.Paging | None, total: int) -> dict[str, Any]:
    if paging is None:
        return {}
    return {"page": paging.page, "per_page": paging.per_page, "total": total,
            "pages": paging.pages(total)}


@api_view()
def availability(request: HttpRequest) -> HttpResponse:
    """Availability of devices and interfaces over the range (``?range=&month=&from=&to=
    &device=&format=``; ``page``/``per_page``: a page of devices, by name)."""
    fmt = _format(request)
    paging = rq.parse_paging(request.GET)
    query = rq.parse_query(request.GET)
    total = reports.device_count(query.device_id)
    paging = paging.clamp(total) if paging else None
    return _answer(request, "availability", query, rq.availability_rows(query, paging=paging),
                   AVAILABILITY_COLUMNS, fmt, **_paged(paging, total))


@api_view()
def percentile(request: HttpRequest) -> HttpResponse:
    """95th percentile of each interface's 5-minute rx/tx rates over the range (bps);
    ``sort=billing|device|interface``, ``page``/``per_page`` for a page of rows."""
    fmt = _format(request)
    sort = parse_choice("sort", request.GET.get("sort") or "billing", rq.PERCENTILE_SORTS)
    paging = rq.parse_paging(request.GET)
    query = rq.parse_query(request.GET)
    if paging:
        rows, total, paging = rq.percentile_page(query, sort, paging)
    else:
        rows = rq.percentile_rows(query, sort)
        total = len(rows)
    return _answer(request, "percentile", query, rows, PERCENTILE_COLUMNS, fmt, percentile=95,
                   sort=sort, **_paged(paging, total))


@api_view()
def top_talkers(request: HttpRequest) -> HttpResponse:
    """Interfaces and simple queues that moved the most bytes over the range
    (``kind=all|interface|queue``, ``limit`` 1..1000, default 20)."""
    fmt = _format(request)
    kind = parse_choice("kind", request.GET.get("kind") or "all", TALKER_KINDS)
    limit = parse_positive_int("limit", request.GET.get("limit"), DEFAULT_TALKERS, MAX_TALKERS)
    query = rq.parse_query(request.GET)
    rows = rq.talker_rows(query, TALKER_KINDS[kind], limit or DEFAULT_TALKERS)
    return _answer(request, "top-talkers", query, rows, TALKER_COLUMNS, fmt, kind=kind)

