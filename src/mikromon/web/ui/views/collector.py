"""The collector page: running or stopped, start/stop, per-device per-tier runs,
the writer queue and dropped batches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime

from mikromon.domain.tiers import Tier
from mikromon.web.control import collector


def _when(text: Any) -> Any:
    return parse_datetime(text) if isinstance(text, str) else None


def collector_page(request: HttpRequest) -> HttpResponse:
    """Show the collector's state and statistics."""
    view = collector.read()
    status = view.status or {}
    groups = []
    for dev in status.get("devices") or []:
        tiers = dev.get("tiers") or {}
        rows = []
        for tier in Tier:
            t = tiers.get(tier.value)
            if t is None:
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
        groups.append({"device": dev, "tiers": rows, "span": max(1, len(rows))})
    devices = status.get("devices") or []
    # status["since"] is when the collector started; a stop is the operators' last
    # stop request (its time is the desired state's).
    stopped_at = None if view.running or view.desired_running else _when(view.changed_at)
    return render(request, "ui/collector.html", {
        "view": view,
        "status": status,
        "since": _when(status.get("since")),
        "stopped_at": stopped_at,
        "writer": status.get("writer") or {},
        "groups": groups,
        "devices": devices,
    })
