"""The collector page: running or stopped, start/stop, per-device per-tier runs
(filtered and paged: the status of thousands of devices is never rendered whole),
the writer queue and dropped batches, the disk used and its forecast."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mikromon.domain.tiers import Tier
from mikromon.web.control import collector, device_status, member_view
from mikromon.web.control.formats import tidy
from mikromon.web.control.models import CollectorDeviceStatus
from mikromon.web.monitor import compaction_status, device_filters, disk_usage
from mikromon.web.monitor.choices import DeviceStateChoices
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError, parse_flag
from mikromon.web.ui.views import outputs
from mikromon.web.ui.views.listing import page_of

#: Devices per page of the collector page.
PER_PAGE = 50
#: A tier is late when its next run is due more than this long ago (besides
#: one interval): the scheduler should have started it by then.
LATE_GRACE_S = device_status.LATE_GRACE_S
#: Kept for the readers of this module: the rules live in
#: :mod:`mikromon.web.control.device_status` (the publisher stores them per row).
has_errors = device_status.has_errors
is_late = device_status.is_late
_when = device_status.when


def tier_rows(dev: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the tiers of one device of the collector's status document
    (``status["devices"][i]``, :meth:`CollectorService.status`) as table rows, in
    :class:`Tier` order; times parsed to aware datetimes (``None`` when absent)."""
    tiers = dev.get("tiers") or {}
    rows = []
    for tier in Tier:
        t = tiers.get(tier.value)
        if not isinstance(t, dict):
            continue
        rows.append({
            "tier": tier.value,
            "interval_s": t.get("interval_s"),
            "effective_interval_s": t.get("effective_interval_s"),
            "last_run": _when(t.get("last_run")),
            "duration_s": t.get("duration_s"),
            "next_due": _when(t.get("next_due")),
            "runs": t.get("runs"),
            "errors": t.get("errors"),
            "skipped": t.get("skipped"),
            "last_error": t.get("last_error") or "",
            "last_error_at": _when(t.get("last_error_at")),
            "running_since": _when(t.get("running_since")),
            "blocked": t.get("blocked") or "",
        })
    return rows


def _matching_ids(params: dict[str, str], errors: list[str]) -> set[int] | None:
    """The ids of the devices the filters keep; ``None`` when no filter is given."""
    if not any(params[k] for k in device_filters.FILTERS):
        return None
    qs = device_filters.filter_devices(Device.objects.all(), params, errors)
    return set(qs.values_list("pk", flat=True))


def _listed(devices: list[dict[str, Any]], params: dict[str, str], flags: dict[str, bool],
            errors: list[str]) -> list[dict[str, Any]]:
    """The entries of an in-memory status (this process's collector) the filters keep."""
    wanted = _matching_ids(params, errors)
    now = timezone.now()
    return [
        d for d in devices
        if (wanted is None or d.get("id") in wanted)
        and (not flags["errors"] or has_errors(d))
        and (not flags["late"] or is_late(d, now))
    ]


def _stored(status_pks: list[int], params: dict[str, str], flags: dict[str, bool],
            errors: list[str]) -> Any:
    """The JSON texts of the entries of a published status (one row each; with
    collector members, of every member's) the filters keep, in published order (by
    device name, naturally, across members): a queryset, counted and paged in SQL."""
    qs = CollectorDeviceStatus.objects.filter(status_id__in=status_pks)
    if any(params[k] for k in device_filters.FILTERS):
        kept = device_filters.filter_devices(Device.objects.all(), params, errors)
        qs = qs.filter(device_id__in=kept.order_by().values("pk"))
    if flags["errors"]:
        qs = qs.filter(has_errors=True)
    if flags["late"]:
        qs = qs.filter(late_at__lt=timezone.now())
    if len(status_pks) > 1:
        device = Device.objects.filter(pk=OuterRef("device_id"))
        return (qs.annotate(name_key=Subquery(device.values("name_key")[:1]),
                            name=Subquery(device.values("name")[:1]))
                .order_by("name_key", "name", "device_id").values_list("doc", flat=True))
    return qs.order_by("position").values_list("doc", flat=True)


def _disk() -> dict[str, Any]:
    """The disk use and forecast (:func:`disk_usage.usage`, cached a minute) with
    ``fills_at`` as an aware datetime."""
    doc = dict(disk_usage.usage())
    fills = (doc.get("forecast") or {}).get("fills_at")
    doc["fills_at"] = datetime.fromtimestamp(fills, UTC) if fills else None
    return doc


def collector_page(request: HttpRequest) -> HttpResponse:
    """Show the collector's state and statistics (with members sharing the fleet,
    each member's load, and which member polls each device); the devices and tiers table is
    filtered (``?q=&state=&site=&tag=&version=&board=&errors=1&late=1``) and paged
    (``?page=``, :data:`PER_PAGE` devices). A status published by another process
    is filtered, counted and paged in SQL (its entries are rows); only the page
    shown is parsed."""
    view = collector.read(tidy_devices=False, devices=False)
    status = view.status or {}
    params = device_filters.read_params(request.GET, ("errors", "late"))
    errors: list[str] = []
    flags = {}
    for name in ("errors", "late"):
        try:
            flags[name] = parse_flag(name, params[name])
        except ParamError as err:
            errors.append(str(err))
            flags[name] = False
    if view.rows_pks():
        total = view.device_rows or 0
        page = page_of(request, _stored(view.rows_pks(), params, flags, errors), PER_PAGE,
                       errors)
        shown = device_status.documents(page.object_list)
    else:
        devices = [d for d in status.get("devices") or [] if isinstance(d, dict)]
        total = len(devices)
        page = page_of(request, _listed(devices, params, flags, errors), PER_PAGE, errors)
        shown = list(page.object_list)
    groups = []
    polled_by = member_view.holders(
        d["id"] for d in shown if isinstance(d.get("id"), int)) if view.members else {}
    for dev in shown:
        dev = tidy(dev)
        rows = tier_rows(dev)
        groups.append({"device": dev, "tiers": rows, "span": max(1, len(rows)),
                       "member": polled_by.get(dev.get("id"), "")})
    # status["since"] is when the collector started; a stop is the operators' last
    # stop request (its time is the desired state's).
    stopped_at = None if view.running or view.desired_running else _when(view.changed_at)
    return render(request, "ui/collector.html", {
        "view": view,
        "status": status,
        "since": _when(status.get("since")),
        "stopped_at": stopped_at,
        "writer": status.get("writer") or {},
        "outputs": outputs.states(status),
        "disk": _disk(),
        "compaction": compaction_status.cached_status(),
        "groups": groups,
        "devices_total": total,
        "page": page,
        "params": params,
        "filtered": any(params[k] for k in (*device_filters.FILTERS, "errors", "late")),
        "errors": errors,
        "states": DeviceStateChoices.choices,
        **device_filters.filter_choices(),
    }, status=400 if errors else 200)
