"""Filtering and sorting the device list, shared by the device list page, the
collector page and the API's ``/api/v1/devices`` (docs/api.md).

The parameters (all optional, each a query-string value):

- ``q``: free text, case-insensitive, in name, host, identity, board, RouterOS
  version and notes;
- ``state``: a device state (:class:`DeviceStateChoices`);
- ``site``: a site id, a site name, or ``none`` (devices without a site);
- ``tag``: a tag id or a tag name;
- ``version``: a RouterOS version exactly as reported (``7.16.2``), or ``none``;
- ``board``: a board name exactly as reported (``RB5009UG+S+``), or ``none``;
- ``sort``: a key of :data:`SORTS`, ``-`` first for descending.

A bad value filters nothing and adds one message naming the parameter; the pages
show the messages and answer 400, the API answers 400 with all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest

from mikromon.web.monitor.choices import DeviceStateChoices
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.monitor.models.device_reads import NAME_ORDER
from mikromon.web.params import ParamError, is_ascii_number, parse_choice

#: A queryset of devices, kept as the caller's type (``DeviceQuerySet`` keeps its
#: read-model methods through the filters).
Devices = TypeVar("Devices", bound="QuerySet[Device]")

#: The filter parameters, in the order the filter bars show them.
FILTERS = ("q", "state", "site", "tag", "version", "board")

#: ``?sort=`` value -> ordering field (a leading ``-`` reverses). ``name`` is the
#: natural order (``demo-2`` before ``demo-10``: the name's sort key, ``name_key``,
#: with the name breaking its ties). ``last_seen`` is the newest contact
#: (``contact_ts``, annotated by :func:`with_contact_ts`).
SORTS = {
    "name": "name_key",
    "state": "state",
    "host": "host",
    "identity": "identity",
    "board": "board",
    "version": "ros_version",
    "cpu": "cpu_pct",
    "memory": "memory_pct",
    "uptime": "uptime_s",
    "last_seen": "contact_ts",
    "site": "site__name",
    "changed": "status_changed_at",
}

#: Sort keys that need the summary annotations (``Device.objects.with_summary``).
SUMMARY_SORTS = frozenset({"cpu", "memory", "uptime", "last_seen"})

#: The longest free-text search used (longer text is cut).
MAX_Q = 200


def read_params(get: Mapping[str, str], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Return the filter parameters (:data:`FILTERS`, ``sort`` and ``extra``) of a
    query string, stripped; absent ones are ``""``."""
    return {k: (get.get(k) or "").strip() for k in (*FILTERS, "sort", *extra)}


def with_contact_ts(qs: Devices) -> Devices:
    """Annotate ``contact_ts``: the newest contact as the pages show it
    (``Device.last_contact``); needs ``data_ts`` (``with_contact``). Coalesce
    because a NULL makes GREATEST NULL on SQLite."""
    return qs.annotate(contact_ts=Greatest(Coalesce("last_seen", "data_ts"),
                                           Coalesce("data_ts", "last_seen")))


def filter_devices(qs: Devices, params: Mapping[str, str],
                   errors: list[str]) -> Devices:
    """Return ``qs`` narrowed by the filter parameters of ``params`` (module doc).

    A bad value narrows nothing and appends a message naming the parameter to
    ``errors``. Never joins a many-valued relation: no duplicate rows, no DISTINCT.
    """
    q = (params.get("q") or "")[:MAX_Q]
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(host__icontains=q) | Q(identity__icontains=q)
            | Q(board__icontains=q) | Q(ros_version__icontains=q) | Q(notes__icontains=q)
        )
    state = params.get("state") or ""
    if state:
        try:
            qs = qs.filter(state=parse_choice("state", state, DeviceStateChoices.values))
        except ParamError as err:
            errors.append(str(err))
    site = params.get("site") or ""
    if site == "none":
        qs = qs.filter(site__isnull=True)
    elif site:
        found = _lookup(Site, site)
        if found is None:
            errors.append(f"'site' must be a site id, a site name or 'none' "
                          f"(got {site[:40]!r}: no such site)")
        else:
            qs = qs.filter(site_id=found)
    tag = params.get("tag") or ""
    if tag:
        found = _lookup(Tag, tag)
        if found is None:
            errors.append(f"'tag' must be a tag id or a tag name (got {tag[:40]!r}: no such tag)")
        else:
            qs = qs.filter(pk__in=Device.tags.through.objects.filter(tag_id=found)
                           .values("device_id"))
    for name, field in (("version", "ros_version"), ("board", "board")):
        value = params.get(name) or ""
        if value == "none":
            qs = qs.filter(**{field: ""})
        elif value:
            qs = qs.filter(**{field: value})
    return qs


def _lookup(model: type[Site] | type[Tag], text: str) -> int | None:
    """The id of the site or tag named or numbered ``text``; ``None`` when none."""
    if is_ascii_number(text) and len(text) < 19:
        found = model.objects.filter(pk=int(text)).values_list("pk", flat=True).first()
        if found is not None:
            return found
    return model.objects.filter(name=text).values_list("pk", flat=True).first()


def sort_devices(qs: Devices, sort: str,
                 errors: list[str]) -> tuple[Devices, str]:
    """Return ``qs`` ordered by ``sort`` (a key of :data:`SORTS`, ``-`` first for
    descending; empty: ``name``) and the sort used. Missing values sort last; ties
    are broken by name (naturally), then id, so pages never overlap or skip a device. An unknown
    key appends a message naming ``sort`` to ``errors`` and sorts by name.

    The ``cpu``/``memory``/``uptime``/``last_seen`` keys need ``qs`` annotated
    (``with_summary`` and :func:`with_contact_ts`).
    """
    sort = sort or "name"
    try:
        parse_choice("sort", sort.removeprefix("-"), SORTS)
    except ParamError:
        errors.append(f"sort={sort[:80]!r} is not one of: {', '.join(SORTS)} "
                      "(a leading '-' sorts descending)")
        sort = "name"
    field = F(SORTS[sort.lstrip("-")])
    expr = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    ties = [F(f).desc() if sort == "-name" else f for f in NAME_ORDER]
    return qs.order_by(expr, *ties), sort


def filter_choices() -> dict[str, Any]:
    """The values the filter selects offer, read from the database: ``sites`` and
    ``tags`` (``[(id, name)]``, by name), ``versions`` and ``boards`` (the distinct
    values reported, sorted; empty ones left out)."""
    def distinct(field: str) -> list[str]:
        return list(Device.objects.exclude(**{field: ""}).order_by(field)
                    .values_list(field, flat=True).distinct())

    return {
        "sites": list(Site.objects.order_by("name").values_list("pk", "name")),
        "tags": list(Tag.objects.order_by("name").values_list("pk", "name")),
        "versions": distinct("ros_version"),
        "boards": distinct("board"),
    }
