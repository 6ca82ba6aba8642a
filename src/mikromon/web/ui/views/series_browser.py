"""The series browser: every stored series of the fleet, filtered by device, site,
tag, state, metric (key or its start) and label text, sorted and paged in the
database (:mod:`mikromon.web.monitor.series_listing`); each row links to its chart
on the device dashboard and to its data in the API."""

from __future__ import annotations

import csv
import io
import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.domain.catalog import CATALOG
from mikromon.domain.series_csv import RESOLUTIONS, SeriesInfo, csv_records, iso_time
from mikromon.web.monitor import series_listing
from mikromon.web.monitor.event_queries import sites
from mikromon.web.monitor.series_export import series_rows
from mikromon.web.params import ParamError, parse_choice, parse_page
from mikromon.web.ui.views.listing import parse_local

#: Series per page.
PER_PAGE = 50
#: Most rows of one CSV export of the listed series.
MAX_EXPORT_ROWS = 500_000


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
        "rows": list(zip(rows, series_listing.links(rows), strict=True)),
        "rows_listed": bool(rows),
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
        "resolutions": list(RESOLUTIONS),
    }, status=400 if errors else 200)


def series_csv(request: HttpRequest) -> HttpResponse:
    """``/series/export.csv``: the data of the series the page lists (same filters,
    sort and page) from ``from`` to ``to`` (the page's zone; default the last hour)
    at ``resolution`` (``raw``, ``5m``, ``1h``, ``1d``; default ``5m``), in the CSV shape
    of ``mikromon export`` (:mod:`mikromon.domain.series_csv`) with each row's device.

    Raises:
        ParamError: a bad parameter (400 naming it), or more than
            :data:`MAX_EXPORT_ROWS` rows (choose a coarser resolution or a shorter range).
    """
    params = series_listing.read_params(request.GET)
    errors: list[str] = []
    number = parse_page(request.GET.get("page"))
    step = RESOLUTIONS[parse_choice("resolution", request.GET.get("resolution") or "5m",
                                    RESOLUTIONS)]
    now = time.time()
    end = parse_local("to", request.GET["to"]).timestamp() if request.GET.get("to") else now
    start = (parse_local("from", request.GET["from"]).timestamp() if request.GET.get("from")
             else end - 3600)
    if end <= start:
        raise ParamError("'to' must be after 'from'")
    qs = series_listing.filter_series(params, errors)
    _, more = series_listing.count_capped(qs)
    qs, _ = series_listing.sort_series(qs, params["sort"], errors, more=more)
    if errors:
        raise ParamError("; ".join(errors))
    rows = series_listing.page_rows(qs, (number - 1) * PER_PAGE, PER_PAGE)
    infos = [SeriesInfo(id=r.id, key=r.metric, labels=r.labels, unit=r.unit,
                        device=r.device_name) for r in rows]
    total, data = series_rows([i.id for i in infos], int(start), int(end) + 1, step)
    if total > MAX_EXPORT_ROWS:
        raise ParamError(f"the export would have {total:,} rows (at most "
                         f"{MAX_EXPORT_ROWS:,}): choose a coarser resolution or a shorter range")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for record in csv_records("", infos, data, step):
        writer.writerow(record)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"mikromon-series-{iso_time(int(start))}-{iso_time(int(end))}".replace(":", "")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
