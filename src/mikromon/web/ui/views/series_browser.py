"""The series browser: every stored series of the fleet, filtered by device, site,
tag, state, metric (key or its start) and label text, sorted and paged in the
database (:mod:`mikromon.web.monitor.series_listing`); each row links to its chart
on the device dashboard and to its data in the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.catalog import CATALOG
from mikromon.web.monitor import series_listing
from mikromon.web.monitor.event_queries import sites
from mikromon.web.params import ParamError, parse_page

#: Series per page.
PER_PAGE = 50


def metric_choices() -> tuple[list[str], list[str]]:
    """The catalog's metric families (``iface.``) and keys, for the metric box."""
    keys = sorted({spec.key for spec in CATALOG if "<" not in spec.key})
    families = sorted({key.split(".", 1)[0] + "." for key in keys} | {"system.health."})
    return families, keys


def series_browser(request: HttpRequest) -> HttpResponse:
    """``/series/?device=&site=&tag=&state=&metric=&label=&sort=&page=``.

    A bad parameter is named above the list (answer 400) and filters nothing.
    """
    params = series_listing.read_params(request.GET)
    errors: list[str] = []
    try:
        number = parse_page(request.GET.get("page"))
    except ParamError as err:
        errors.append(str(err))
        number = 1
    qs = series_listing.filter_series(params, errors)
    count, more = series_listing.count_capped(qs)
    qs, sort = series_listing.sort_series(qs, params["sort"], errors, more=more)
    pages = max(1, -(-count // PER_PAGE))
    if not more:
        number = min(number, pages)  # past the end: the last page
    rows = series_listing.page_rows(qs, (number - 1) * PER_PAGE, PER_PAGE)
    families, keys = metric_choices()
    return render(request, "ui/series_browser.html", {
        "rows": zip(rows, series_listing.links(rows), strict=True),
        "page": {"number": number, "pages": pages, "previous": number - 1,
                 "next": number + 1 if more or number < pages else None},
        "count": count,
        "more": more,
        "params": params,
        "sort": sort,
        "filtered": any(params[k] for k in series_listing.FILTERS),
        "errors": errors,
        "sites": sites(),
        "families": families,
        "metric_keys": keys,
        "columns": [("device", "Device"), ("metric", "Metric")],
    }, status=400 if errors else 200)
