"""``GET /api/v1/series``: every stored series of the fleet, filtered, sorted and
paged in the database (:mod:`mikromon.web.monitor.series_listing`; docs/api.md)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from mikromon.web.api.auth import api_view
from mikromon.web.control.formats import iso
from mikromon.web.monitor import series_listing
from mikromon.web.params import ParamProblems, parse_page, parse_positive_int

#: Series per page, by default and at most.
SERIES_PER_PAGE = 100
MAX_SERIES_PER_PAGE = 1000


@api_view()
def series_list(request: HttpRequest) -> JsonResponse:
    """Series with their device, metric, labels, unit, description, oldest and
    newest stored time and newest value: ``?device=&site=&tag=&state=&metric=&label=
    &sort=&page=&per_page=``. ``count`` stops at 10,000 (``more``: true past it).

    Every bad parameter is named in one 400 answer (``; `` between them).
    """
    params = series_listing.read_params(request.GET)
    problems = ParamProblems()
    page = problems.check(parse_page, request.GET.get("page"))
    per_page = problems.check(parse_positive_int, "per_page", request.GET.get("per_page"),
                              SERIES_PER_PAGE, MAX_SERIES_PER_PAGE)
    qs = series_listing.filter_series(params, problems.messages)
    count, more = series_listing.count_capped(qs)
    qs, sort = series_listing.sort_series(qs, params["sort"], problems.messages, more=more)
    problems.raise_any()
    rows = series_listing.page_rows(qs, (page - 1) * per_page, per_page)
    return JsonResponse({
        "count": count,
        "more": more,
        "page": page,
        "pages": max(1, -(-count // per_page)),
        "per_page": per_page,
        "sort": sort,
        "series": [{
            "id": r.id, "device": r.device_id, "device_name": r.device_name, "site": r.site,
            "metric": r.metric, "labels": r.labels, "unit": r.unit,
            "description": r.description, "first": iso(r.first), "last": iso(r.last),
            "value": r.value, "chart_url": link["chart"], "data_url": link["data"],
        } for r, link in zip(rows, series_listing.links(rows), strict=True)],
    })
