"""The collector page: running or stopped, start/stop, per-device per-tier runs
(filtered and paged: the status of thousands of devices is never rendered whole),
the writer queue and dropped batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from mikromon.domain.tiers import Tier
from mikromon.web.control import collector
from mikromon.web.control.formats import tidy
from mikromon.web.monitor import device_filters
from mikromon.web.monitor.choices import DeviceStateChoices
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError, parse_flag
from mikromon.web.ui.views import outputs
from mikromon.web.ui.views.listing import page_of

#: Devices per page of the collector page.
PER_PAGE = 50
#: A tier is late when its next run is due more than this long ago (besides
#: one interval): the scheduler should have started it by then.
LATE_GRACE_S = 5.0


def _when(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text
    try:
        return parse_datetime(text) if isinstance(text, str) else None
    except ValueError:
        return None


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


def has_errors(dev: dict[str, Any]) -> bool:
    """Whether a status device reports an error: its own ``last_error``, rows
    dropped or failed, or a tier with errors or a ``last_error``."""
    if dev.get("last_error") or dev.get("rows_dropped") or dev.get("rows_failed"):
        return True
    return any(isinstance(t, dict) and (t.get("errors") or t.get("last_error"))
               for t in (dev.get("tiers") or {}).values())


def is_late(dev: dict[str, Any], now: datetime) -> bool:
    """Whether a tier of a status device is late: its next run was due more than
    one (effective) interval plus :data:`LATE_GRACE_S` ago, or a run in progress
    has lasted that long, or it waits (``blocked``)."""
    for t in (dev.get("tiers") or {}).values():
        if not isinstance(t, dict):
            continue
        if t.get("blocked"):
            return True
        interval = t.get("effective_interval_s") or t.get("interval_s") or 0
        if not isinstance(interval, int | float):
            interval = 0
        limit = now - timedelta(seconds=float(interval) + LATE_GRACE_S)
        for key in ("running_since", "next_due"):
            when = _when(t.get(key))
            if when is not None and when < limit:
                return True
    return False


def _matching_ids(params: dict[str, str], errors: list[str]) -> set[int] | None:
    """The ids of the devices the filters keep; ``None`` when no filter is given."""
    if not any(params[k] for k in device_filters.FILTERS):
        return None
    qs = device_filters.filter_devices(Device.objects.all(), params, errors)
    return set(qs.values_list("pk", flat=True))


def collector_page(request: HttpRequest) -> HttpResponse:
    """Show the collector's state and statistics; the devices and tiers table is
    filtered (``?q=&state=&site=&tag=&version=&board=&errors=1&late=1``) and paged
    (``?page=``, :data:`PER_PAGE` devices)."""
    view = collector.read(tidy_devices=False)
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
    devices = [d for d in status.get("devices") or [] if isinstance(d, dict)]
    wanted = _matching_ids(params, errors)
    now = timezone.now()
    shown = [
        d for d in devices
        if (wanted is None or d.get("id") in wanted)
        and (not flags["errors"] or has_errors(d))
        and (not flags["late"] or is_late(d, now))
    ]
    page = page_of(request, shown, PER_PAGE, errors)
    groups = []
    for dev in page.object_list:
        dev = tidy(dev)
        rows = tier_rows(dev)
        groups.append({"device": dev, "tiers": rows, "span": max(1, len(rows))})
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
        "groups": groups,
        "devices": devices,
        "page": page,
        "params": params,
        "filtered": any(params[k] for k in (*device_filters.FILTERS, "errors", "late")),
        "errors": errors,
        "states": DeviceStateChoices.choices,
        **device_filters.filter_choices(),
    }, status=400 if errors else 200)
