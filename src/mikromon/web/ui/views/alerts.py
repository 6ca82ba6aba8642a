"""The alerting pages of alerts: those firing now, the alert history, one alert
and its acknowledgement, and a device's alerts (its dashboard's list and chart
marks). Rules, silences and channels have pages of their own
(:mod:`.alert_rules`, :mod:`.silences`, :mod:`.channels`).

Viewers read every page; only admins see the buttons, and every POST by a viewer
answers 403 (:func:`mikromon.web.ui.permissions.admin_required`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from mikromon.domain.alerts import Severity
from mikromon.domain.formatting import unknown_choice
from mikromon.web.alerts.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertRule,
    AlertStateChoices,
    SeverityChoices,
    severity_rank,
)
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.params import ParamError, parse_id
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views import device_pick
from mikromon.web.ui.views.alert_changes import error_text, next_url
from mikromon.web.ui.views.listing import filter_times, page_of

#: Alerts per page of the history.
PER_PAGE = 50
#: Open alerts per page of the alerts list (an outage may open thousands).
OPEN_PER_PAGE = 100
#: Resolved alerts shown on a device's dashboard.
RECENT_ON_DASHBOARD = 10
#: How far back the dashboard's chart markers reach (the longest chart range), seconds.
MARKS_SPAN_S = 7 * 86400

def ranked_alerts() -> QuerySet[Alert]:
    """Alerts most severe first, then firing before pending, then the longest-running
    first; with rule, device, site and acknowledging user."""
    state_rank = Case(When(state="firing", then=Value(1)), default=Value(0),
                      output_field=IntegerField())
    return (Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by")
            .annotate(sev_rank=severity_rank(), state_rank=state_rank)
            .order_by("-sev_rank", "-state_rank", "started_at", "id"))


def open_alerts() -> QuerySet[Alert]:
    """Pending and firing alerts, in :func:`ranked_alerts` order."""
    return ranked_alerts().filter(state__in=OPEN_STATES)


def firing_count() -> int:
    """The number of firing alerts (the navigation's badge)."""
    return Alert.objects.filter(state=AlertStateChoices.FIRING).count()


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    """Open alerts of one severity, for a grouped table."""

    severity: str
    label: str
    alerts: list[Alert]
    total: int = 0


def by_severity(alerts: list[Alert], totals: dict[str, int] | None = None
                ) -> list[SeverityGroup]:
    """Group ``alerts`` (already sorted) by severity, most severe first; empty groups
    left out. ``totals``: severity -> open alerts of it on every page (default: the
    group's own)."""
    labels = dict(SeverityChoices.choices)
    groups = []
    for sev in sorted(Severity, key=lambda s: -s.rank):
        members = [a for a in alerts if a.severity == sev.value]
        if members:
            total = (totals or {}).get(sev.value, len(members))
            groups.append(SeverityGroup(sev.value, labels[sev.value], members, total))
    return groups


def _filters(request: HttpRequest, qs: QuerySet[Alert], names: tuple[str, ...]
             ) -> tuple[QuerySet[Alert], dict[str, str], list[str]]:
    """Apply the query string's filters named in ``names`` to ``qs``.

    ``device``, ``site`` (id or ``none``), ``tag``, ``rule`` (ids), ``severity``,
    ``state`` (alert state), ``from``/``to`` (a time the alert started at or after /
    before; ``datetime-local`` in the user's zone, Unix seconds or ``-1h``). A bad value filters
    nothing and adds a message naming the parameter (the page answers 400).
    """
    get = device_pick.by_name(request.GET)
    params = {k: get.get(k, "").strip() for k in names}
    errors: list[str] = []
    for name, field in (("device", "device_id"), ("rule", "rule_id")):
        if params.get(name):
            try:
                qs = qs.filter(**{field: parse_id(name, params[name])})
            except ParamError:
                errors.append(f"'{name}' must be a {name} id (got {params[name][:40]!r})")
    if params.get("site") == "none":
        qs = qs.filter(device__site__isnull=True)
    elif params.get("site"):
        try:
            qs = qs.filter(device__site_id=parse_id("site", params["site"]))
        except ParamError:
            errors.append(f"'site' must be a site id or 'none' (got {params['site'][:40]!r})")
    if params.get("tag"):
        try:
            qs = qs.filter(device__tags__id=parse_id("tag", params["tag"])).distinct()
        except ParamError:
            errors.append(f"'tag' must be a tag id (got {params['tag'][:40]!r})")
    if params.get("severity"):
        if params["severity"] in SeverityChoices.values:
            qs = qs.filter(severity=params["severity"])
        else:
            errors.append(unknown_choice("severity", params["severity"], SeverityChoices.values))
    if params.get("state"):
        if params["state"] in AlertStateChoices.values:
            qs = qs.filter(state=params["state"])
        else:
            errors.append(unknown_choice("state", params["state"], AlertStateChoices.values))
    return filter_times(qs, params, errors, "started_at"), params, errors


def _choices(device: str = "") -> dict[str, Any]:
    """What the filter bars offer (``device``: the ``device`` parameter)."""
    return {
        **device_pick.choices(device),
        "sites": Site.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "severities": SeverityChoices.choices,
        "states": AlertStateChoices.choices,
    }


def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts open now (firing and pending), grouped by severity, most severe first,
    :data:`OPEN_PER_PAGE` a page; ``?device=&site=&severity=&state=&page=``. The
    counts (firing, open, per severity) are of every page, counted in SQL."""
    qs, params, errors = _filters(request, open_alerts(),
                                  ("device", "site", "severity", "state", "rule"))
    page = page_of(request, qs, OPEN_PER_PAGE, errors)
    counted = Alert.objects.filter(pk__in=qs.order_by().values("pk")).order_by()
    totals = dict(counted.values_list("severity").annotate(n=Count("id")))
    return render(request, "ui/alert_list.html", {
        "groups": by_severity(list(page.object_list), totals),
        "page": page,
        "total": page.paginator.count,
        "firing": counted.filter(state="firing").count(),
        "params": params,
        "filtered": any(params.values()),
        "errors": errors,
        "open_states": [c for c in AlertStateChoices.choices if c[0] in OPEN_STATES],
        **_choices(params.get("device", "")),
    }, status=400 if errors else 200)


def alert_history(request: HttpRequest) -> HttpResponse:
    """Every alert (resolved and open), newest first, paginated;
    ``?state=&device=&site=&tag=&rule=&severity=&from=&to=&page=``."""
    base = (Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by")
            .order_by("-started_at", "-id"))
    qs, params, errors = _filters(request, base, ("state", "device", "site", "tag", "rule",
                                                  "severity", "from", "to"))
    page = page_of(request, qs, PER_PAGE, errors)
    return render(request, "ui/alert_history.html", {
        "page": page,
        "params": params,
        "filtered": any(params.values()),
        "errors": errors,
        "rules": AlertRule.objects.order_by("name").only("id", "name"),
        **_choices(params.get("device", "")),
    }, status=400 if errors else 200)


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert with its history rows (pending, firing, acknowledged, resolved)."""
    alert = get_object_or_404(
        Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by"), pk=pk)
    events = AlertEvent.objects.filter(alert=alert).order_by("ts", "id")
    return render(request, "ui/alert_detail.html", {"alert": alert, "events": events})


@admin_required
@require_POST
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an open alert with an optional comment (admins, POST)."""
    from mikromon.web.alerts import services
    from mikromon.web.alerts.forms import AckForm

    form = AckForm(request.POST)
    try:
        if not form.is_valid():
            raise services.Invalid.from_form(form)
        alert = services.acknowledge(pk, user=request.user,
                                     comment=form.cleaned_data.get("comment", ""))
    except services.NotFound as err:
        raise Http404(error_text(err)) from None
    except services.ServiceError as err:
        messages.error(request, f"Not acknowledged: {error_text(err)}")
    else:
        messages.success(request, f"Acknowledged {alert.rule.name} on {alert.device.name}.")
    return redirect(next_url(request, reverse("ui:alert_list")))



# -- device dashboard ---------------------------------------------------------------


def device_alerts(device: Device) -> dict[str, list[Alert]]:
    """A device's open alerts (most severe first) and its latest resolved ones
    (:data:`RECENT_ON_DASHBOARD`), read in one query."""
    recent_ids = (Alert.objects.filter(device=device, state=AlertStateChoices.RESOLVED)
                  .order_by("-resolved_at", "-id").values("id")[:RECENT_ON_DASHBOARD])
    rows = list(ranked_alerts().filter(device=device)
                .filter(Q(state__in=OPEN_STATES) | Q(pk__in=recent_ids)))
    recent = sorted((a for a in rows if a.state == AlertStateChoices.RESOLVED),
                    key=lambda a: (a.resolved_at or a.started_at, a.pk), reverse=True)
    return {"open": [a for a in rows if a.state != AlertStateChoices.RESOLVED],
            "recent": recent}


def alert_marks(device_id: int, since: datetime) -> list[dict[str, Any]]:
    """Spans of a device's alerts that fired (or are pending) and overlap
    ``since``..now, for the dashboard's charts.

    Each item: ``id``, ``start`` (Unix seconds: fired, or pending since), ``end``
    (resolved, ``None`` while open), ``state``, ``severity``, ``metric`` (the rule's
    catalog key, '' for rules on no metric), ``subject`` (interface/sensor/peer, ''
    device-wide), ``kind``, ``label`` (the rule's name, for the tooltip).
    """
    qs = (Alert.objects.filter(device_id=device_id)
          .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
          .exclude(state=AlertStateChoices.RESOLVED, fired_at__isnull=True)
          .select_related("rule").order_by("started_at", "id")[:500])
    marks = []
    for a in qs:
        start = a.fired_at or a.started_at
        marks.append({
            "id": a.pk,
            "start": start.timestamp(),
            "end": a.resolved_at.timestamp() if a.resolved_at else None,
            "state": a.state,
            "severity": a.severity,
            "metric": a.rule.metric,
            "subject": a.subject,
            "kind": a.rule.kind,
            "label": a.rule.name,
        })
    return marks


def device_alert_marks(request: HttpRequest, pk: int) -> JsonResponse:
    """JSON ``{"alerts": [...]}``: :func:`alert_marks` of the last 7 days (the charts
    fetch it with their data)."""
    device = get_object_or_404(Device.objects.only("id"), pk=pk)
    since = timezone.now() - timedelta(seconds=MARKS_SPAN_S)
    return JsonResponse({"alerts": alert_marks(device.pk, since)})
