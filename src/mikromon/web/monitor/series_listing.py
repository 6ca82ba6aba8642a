"""The series browser's query: every stored series of the fleet, filtered, sorted
and paged in SQL (``/series/`` and ``/api/v1/series``; docs/api.md).

Parameters (all optional, query-string values):

- ``device``: a device id, or text in the device's name, host, identity, board,
  version or notes; ``site``, ``tag``, ``state``: as on the device list
  (:mod:`.device_filters`);
- ``metric``: a metric key or its start (``iface.``, ``system.health.``): the
  series whose key starts with it;
- ``label``: text in the series' labels (``ether1``, ``interface=ether1``; the
  canonical ``{"interface":"ether1"}`` text is searched, case-insensitive);
- ``sort``: a key of :data:`SORTS`, ``-`` first for descending.

A page of rows is read with one query (series, device, site, latest value); the
first stored time of the page's series with one more (a seek per series into
the raw points and each rollup step). Counting stops at :data:`COUNT_LIMIT`: past
it the pages say "more than".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db import connections
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.urls import reverse

from mikromon.domain.catalog import lookup
from mikromon.web.monitor import device_filters
from mikromon.web.monitor.models import ROLLUP_STEPS, Device, MetricRollup, Series
from mikromon.web.monitor.points import oldest_raw_subqueries
from mikromon.web.params import is_ascii_number

#: ``?sort=`` value -> ordering fields (a leading ``-`` reverses the first; series
#: without a value yet come last either way). Within a metric, series come in the
#: order they were first stored (the key index's order: no sort of the fleet's
#: series); by newest sample needs a sort of every matching series, so it is
#: refused past :data:`COUNT_LIMIT` (:func:`sort_series`).
SORTS: dict[str, tuple[str, ...]] = {
    "device": ("device__name_key", "device__name", "device_id", "key", "labels_key"),
    "metric": ("key", "id"),
    "last": ("latest__ts", "id"),
}
#: Sorts refused when more than :data:`COUNT_LIMIT` series match.
BOUNDED_SORTS = frozenset({"last"})
DEFAULT_SORT = "device"
#: Most matching series counted; past it the count is "more than".
COUNT_LIMIT = 10_000
#: The filter parameters, in the order the filter bar shows them.
FILTERS = ("device", "site", "tag", "state", "metric", "label")
#: Longest text of ``device``, ``metric`` and ``label`` used.
MAX_TEXT = 200
#: Most distinct label sets looked up for a label filter (:func:`label_sets`), and
#: most of them matched; past either the series' labels are searched.
MAX_LABEL_SETS = 20_000
MAX_LABEL_MATCHES = 2_000
#: The label text of a series without labels (device-wide metrics).
NO_LABELS = "{}"


@dataclass(frozen=True, slots=True)
class SeriesRow:
    """One series as listed.

    Attributes:
        id: series id.
        device_id, device_name, site: its device (``site`` ``''`` for none).
        metric: metric key; labels: label name -> value.
        unit, description: from the metric catalog (``''`` for a key it lacks).
        first: the oldest stored sample or rollup bucket, UTC (``None``: none kept).
        last, value: the newest sample's time (UTC) and value (``None``: none yet).
    """

    id: int
    device_id: int
    device_name: str
    site: str
    metric: str
    labels: dict[str, str]
    unit: str
    description: str
    first: datetime | None
    last: datetime | None
    value: float | None


def read_params(get: Mapping[str, str]) -> dict[str, str]:
    """The filter and sort parameters of a query string, stripped (``''``: absent)."""
    return {k: (get.get(k) or "").strip()[:MAX_TEXT] for k in (*FILTERS, "sort")}


def _prefix(qs: QuerySet[Series], prefix: str) -> QuerySet[Series]:
    """Series whose key starts with ``prefix``: a range of the key index on SQLite
    (whose ``LIKE`` ignores case and so no index), ``LIKE`` elsewhere."""
    if connections[qs.db].vendor == "sqlite":
        return qs.filter(key__gte=prefix, key__lt=prefix + "\U0010ffff")
    return qs.filter(key__startswith=prefix)


def filter_series(params: Mapping[str, str], errors: list[str]) -> QuerySet[Series]:
    """The series the parameters ask for (module docstring), unsorted; a bad value
    narrows nothing and appends a message naming it to ``errors``."""
    qs = Series.objects.all()
    device = params.get("device") or ""
    wanted = {k: params.get(k) or "" for k in ("site", "tag", "state")}
    if device and is_ascii_number(device) and len(device) < 19:
        qs = qs.filter(device_id=int(device))
    elif device:
        wanted["q"] = device
    if any(wanted.values()):
        devices = device_filters.filter_devices(Device.objects.all(), wanted, errors)
        qs = qs.filter(device__in=devices.values("pk"))
    metric = params.get("metric") or ""
    if metric:
        qs = _prefix(qs, metric)
    label = params.get("label") or ""
    if label:
        text = label.replace("=", '":"') if "=" in label and '"' not in label else label
        sets = label_sets(text, qs.db)
        if sets is not None:  # by the label index; the text test below keeps it exact
            qs = qs.filter(labels_key__in=sets, labels_key__lt=NO_LABELS)
        qs = qs.filter(labels_key__icontains=text)
    return qs


def label_sets(text: str, using: str = "default") -> list[str] | None:
    """The distinct label texts (``labels_key``) of the fleet's series that may hold
    ``text`` ignoring case (a superset of what the database's case-insensitive
    ``LIKE`` finds: lower, upper and folded case all tried), read by one index seek
    per distinct text (a loose index scan of ``monitor_series_labels_idx``);
    ``None`` when there are more than :data:`MAX_LABEL_SETS` distinct texts, or more
    than :data:`MAX_LABEL_MATCHES` match (then the series' labels are searched).

    A fleet has few distinct label sets (interface, queue, sensor and core names)
    beside millions of series. The index holds the series with labels only (label
    texts sort before :data:`NO_LABELS`, ``{}``: canonical JSON starts ``{"``, a
    digest ``sha256:``), so that it is never chosen to find the many device-wide
    series; text that ``{}`` itself holds is searched the old way."""
    if text.casefold() in NO_LABELS:
        return None
    table = connections[using].ops.quote_name(Series._meta.db_table)
    column = connections[using].ops.quote_name("labels_key")
    below = f"{column} < %s"  # the index's condition, as written in it
    sql = (f"WITH RECURSIVE k(v) AS (SELECT MIN({column}) FROM {table} WHERE {below} "
           f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > k.v AND "
           f"{below}) FROM k WHERE k.v IS NOT NULL) SELECT v FROM k WHERE v IS NOT NULL "
           f"LIMIT %s")
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [NO_LABELS, NO_LABELS, MAX_LABEL_SETS + 1])
        found = [row[0] for row in cursor.fetchall()]
    if len(found) > MAX_LABEL_SETS:
        return None
    forms = {(str.lower, text.lower()), (str.upper, text.upper()),
             (str.casefold, text.casefold())}
    out = [v for v in found if any(part in fold(v) for fold, part in forms)]
    return out if len(out) <= MAX_LABEL_MATCHES else None


def sort_series(qs: QuerySet[Series], sort: str, errors: list[str], *, more: bool = False
                ) -> tuple[QuerySet[Series], str]:
    """``qs`` ordered by ``sort`` (:data:`SORTS`); returns it and the sort applied.
    An unknown key, or one of :data:`BOUNDED_SORTS` when ``more`` (past
    :data:`COUNT_LIMIT` series match), appends a message to ``errors`` and sorts by
    device."""
    name = sort.lstrip("-")
    if name and name not in SORTS:
        errors.append(f"sort={sort[:40]!r}: sort by {', '.join(SORTS)} "
                      "(a leading '-' sorts descending)")
        sort = name = ""
    elif name in BOUNDED_SORTS and more:
        errors.append(f"sort={sort[:40]!r} needs at most {COUNT_LIMIT:,} series: narrow "
                      "the list with device, site, metric or label first")
        sort = name = ""
    if not name:
        sort = name = DEFAULT_SORT
    first, *rest = SORTS[name]
    lead = F(first).desc(nulls_last=True) if sort.startswith("-") else F(first).asc(
        nulls_last=True)
    return qs.order_by(lead, *rest), sort


def count_capped(qs: QuerySet[Series]) -> tuple[int, bool]:
    """Return ``(count, more)``: the rows of ``qs`` up to :data:`COUNT_LIMIT`, and
    whether there are more."""
    n = qs.order_by()[:COUNT_LIMIT + 1].count()
    return min(n, COUNT_LIMIT), n > COUNT_LIMIT


def oldest_stored(ids: list[int], *, using: str = "default"
                  ) -> dict[int, tuple[int | None, ...]]:
    """Series id -> the oldest Unix second stored of it as raw samples (head rows or
    chunks), then as rollups of each step of :data:`ROLLUP_STEPS` in order (5-minute,
    1-hour, 1-day; ``None`` where none), in one query (an index seek per series and
    kind); ids of no series are left out."""
    if not ids:
        return {}

    def oldest(step: int) -> Subquery:
        rows = MetricRollup.objects.filter(series_id=OuterRef("pk"), step=step).order_by("ts")
        return Subquery(rows.values("ts")[:1])
    head, chunks = oldest_raw_subqueries()
    levels = {f"r{step}": oldest(step) for step in ROLLUP_STEPS}
    rows = Series.objects.using(using).filter(pk__in=ids).annotate(
        head_ts=head, chunk_ts=chunks, **levels,
    ).values_list("pk", "head_ts", "chunk_ts", *levels)
    return {pk: (min((t for t in (h, c) if t is not None), default=None), *rolled)
            for pk, h, c, *rolled in rows}


def _first_times(ids: list[int]) -> dict[int, int]:
    """Series id -> the oldest Unix second stored of it (raw samples: head rows or
    chunks; or rollups)."""
    out = {}
    for pk, times in oldest_stored(ids).items():
        known = [t for t in times if t is not None]
        if known:
            out[pk] = min(known)
    return out


def page_rows(qs: QuerySet[Series], offset: int, limit: int) -> list[SeriesRow]:
    """Read rows ``offset`` to ``offset + limit`` of the sorted ``qs``."""
    page = list(qs.values_list(
        "pk", "device_id", "key", "labels", "latest__ts", "latest__value",
    )[offset:offset + limit])
    first = _first_times([row[0] for row in page])
    # Names by a second query: no join to devices that the planner could start from.
    names = {pk: (name, site) for pk, name, site in Device.objects.filter(
        pk__in={row[1] for row in page}).values_list("pk", "name", "site__name")}
    out = []
    for pk, device_id, key, labels, last, value in page:
        device_name, site = names.get(device_id, ("", ""))
        try:
            spec = lookup(key)
            unit, description = spec.unit, spec.description
        except KeyError:
            unit = description = ""
        seconds = first.get(pk)
        out.append(SeriesRow(
            id=pk, device_id=device_id, device_name=device_name, site=site or "",
            metric=key, labels=dict(labels or {}), unit=unit, description=description,
            first=datetime.fromtimestamp(seconds, tz=UTC) if seconds is not None else None,
            last=last, value=value,
        ))
    return out



def links(rows: list[SeriesRow]) -> list[dict[str, str]]:
    """Each row's device page, chart (the device dashboard,
    ``?chart=<metric>&label=<k>=<v>``) and data (``/api/v1/devices/<id>/series?metric=
    &label=``) as paths (the URL patterns reversed once, not per row)."""
    device = reverse("ui:device_dashboard", args=[0]).replace("/0/", "/{}/")
    data = reverse("api:series", args=[0]).replace("/0/", "/{}/")
    out = []
    for row in rows:
        pairs = [("label", f"{k}={v}") for k, v in sorted(row.labels.items())]
        page = device.format(row.device_id)
        out.append({
            "device": page,
            "chart": page + "?" + urlencode([("chart", row.metric), *pairs]),
            "data": data.format(row.device_id) + "?" + urlencode([("metric", row.metric),
                                                                  *pairs]),
        })
    return out
