"""The alerting pages: alerts firing now, the alert history, rules, silences and
notification channels (read here; every change goes through
:mod:`mikromon.web.alerts.services` and :mod:`mikromon.web.alerts.forms`).

Viewers read every page; only admins see the buttons, and every POST by a viewer
answers 403 (:func:`mikromon.web.ui.permissions.admin_required`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
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
    RuleKindChoices,
    SeverityChoices,
    Silence,
)
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.params import ParamError, parse_flag, parse_id, parse_page
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views.events import _parse_local

#: Alerts per page of the history.
PER_PAGE = 50
#: Resolved alerts shown on a device's dashboard.
RECENT_ON_DASHBOARD = 10
#: How far back the dashboard's chart markers reach (the longest chart range), seconds.
MARKS_SPAN_S = 7 * 86400

#: Severity value -> rank (critical highest), for sorting in the database.
SEVERITY_RANK = {s.value: s.rank for s in Severity}


def severity_rank() -> Case:
    """A database expression: the alert's severity rank (0 info .. 3 critical)."""
    return Case(*(When(severity=value, then=Value(rank)) for value, rank in SEVERITY_RANK.items()),
                default=Value(-1), output_field=IntegerField())


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


def by_severity(alerts: list[Alert]) -> list[SeverityGroup]:
    """Group ``alerts`` (already sorted) by severity, most severe first; empty groups left out."""
    labels = dict(SeverityChoices.choices)
    groups = []
    for sev in sorted(Severity, key=lambda s: -s.rank):
        members = [a for a in alerts if a.severity == sev.value]
        if members:
            groups.append(SeverityGroup(sev.value, labels[sev.value], members))
    return groups


def _filters(request: HttpRequest, qs: QuerySet[Alert], names: tuple[str, ...]
             ) -> tuple[QuerySet[Alert], dict[str, str], list[str]]:
    """Apply the query string's filters named in ``names`` to ``qs``.

    ``device``, ``site`` (id or ``none``), ``tag``, ``rule`` (ids), ``severity``,
    ``state`` (alert state), ``from``/``to`` (a time the alert started at or after /
    before; ``datetime-local`` as UTC, Unix seconds or ``-1h``). A bad value filters
    nothing and adds a message naming the parameter (the page answers 400).
    """
    params = {k: request.GET.get(k, "").strip() for k in names}
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
    for name, lookup in (("from", "started_at__gte"), ("to", "started_at__lt")):
        if params.get(name):
            try:
                qs = qs.filter(**{lookup: _parse_local(name, params[name])})
            except ParamError:
                errors.append(f"'{name}' is not a date and time (got {params[name][:40]!r})")
    return qs, params, errors


def _choices() -> dict[str, Any]:
    """What the filter bars offer."""
    return {
        "devices": Device.objects.order_by("name").only("id", "name"),
        "sites": Site.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "severities": SeverityChoices.choices,
        "states": AlertStateChoices.choices,
    }


def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts open now (firing and pending), grouped by severity, most severe first;
    ``?device=&site=&severity=&state=``."""
    qs, params, errors = _filters(request, open_alerts(),
                                  ("device", "site", "severity", "state", "rule"))
    alerts = list(qs)
    return render(request, "ui/alert_list.html", {
        "groups": by_severity(alerts),
        "total": len(alerts),
        "firing": sum(1 for a in alerts if a.state == "firing"),
        "params": params,
        "filtered": any(params.values()),
        "errors": errors,
        "open_states": [c for c in AlertStateChoices.choices if c[0] in OPEN_STATES],
        **_choices(),
    }, status=400 if errors else 200)


def alert_history(request: HttpRequest) -> HttpResponse:
    """Every alert (resolved and open), newest first, paginated;
    ``?state=&device=&site=&tag=&rule=&severity=&from=&to=&page=``."""
    base = (Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by")
            .order_by("-started_at", "-id"))
    qs, params, errors = _filters(request, base, ("state", "device", "site", "tag", "rule",
                                                  "severity", "from", "to"))
    try:
        number = parse_page(request.GET.get("page"))
    except ParamError as err:
        errors.append(str(err))
        number = 1
    page = Paginator(qs, PER_PAGE).get_page(number)
    return render(request, "ui/alert_history.html", {
        "page": page,
        "params": params,
        "filtered": any(params.values()),
        "errors": errors,
        "rules": AlertRule.objects.order_by("name").only("id", "name"),
        **_choices(),
    }, status=400 if errors else 200)


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert with its history rows (pending, firing, acknowledged, resolved)."""
    alert = get_object_or_404(
        Alert.objects.select_related("rule", "device", "device__site", "acknowledged_by"), pk=pk)
    events = AlertEvent.objects.filter(alert=alert).order_by("ts", "id")
    return render(request, "ui/alert_detail.html", {"alert": alert, "events": events})


# -- rules --------------------------------------------------------------------------


def rule_list(request: HttpRequest) -> HttpResponse:
    """Every rule: kind, scope, severity, enabled, threshold and how many alerts
    it has open; ``?kind=&severity=&enabled=0|1``."""
    from django.db.models import Count

    qs = (AlertRule.objects.select_related("site", "tag", "device")
          .annotate(open_count=Count("alerts", filter=Q(alerts__state__in=OPEN_STATES)))
          .order_by("-is_default", "name"))
    params = {k: request.GET.get(k, "").strip() for k in ("kind", "severity", "enabled")}
    errors = []
    if params["kind"]:
        if params["kind"] in RuleKindChoices.values:
            qs = qs.filter(kind=params["kind"])
        else:
            errors.append(unknown_choice("kind", params["kind"], RuleKindChoices.values))
    if params["severity"]:
        if params["severity"] in SeverityChoices.values:
            qs = qs.filter(severity=params["severity"])
        else:
            errors.append(unknown_choice("severity", params["severity"], SeverityChoices.values))
    if params["enabled"]:
        if params["enabled"] in ("0", "1"):
            qs = qs.filter(enabled=params["enabled"] == "1")
        else:
            errors.append(unknown_choice("enabled", params["enabled"], ["0", "1"]))
    return render(request, "ui/rule_list.html", {
        "rules": list(qs),
        "params": params,
        "filtered": any(params.values()),
        "errors": errors,
        "kinds": RuleKindChoices.choices,
        "severities": SeverityChoices.choices,
    }, status=400 if errors else 200)


# -- silences -----------------------------------------------------------------------


def silence_groups(now: datetime | None = None) -> dict[str, list[Silence]]:
    """Silences in force, scheduled (starting later) and expired (the last 50)."""
    now = now or timezone.now()
    base = Silence.objects.select_related("device", "site", "tag", "rule", "created_by")
    return {
        "active": list(base.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "id")),
        "scheduled": list(base.filter(starts_at__gt=now).order_by("starts_at", "id")),
        "expired": list(base.filter(ends_at__lte=now).order_by("-ends_at", "-id")[:50]),
    }


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


# -- notification channels ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """A channel as listed: the row, its masked target and its delivery state
    (:func:`mikromon.web.notify.outbox.channel_status`)."""

    channel: Any
    target: str
    status: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        """Outbox messages by status (``sent``, ``failed``, ``retrying``, ...)."""
        return self.status["counts"]


def channel_rows() -> list[ChannelRow]:
    """Every channel with its masked target and delivery counts."""
    from mikromon.web.notify.models import NotificationChannel
    from mikromon.web.notify.outbox import channel_status

    rows = NotificationChannel.objects.prefetch_related("sites", "tags").order_by("name")
    return [ChannelRow(c, c.target_display(), channel_status(c)) for c in rows]


# -- changes (admins; through mikromon.web.alerts.services) ---------------------------

#: Rule form fields each kind uses (besides name, kind, enabled, severity, scope and
#: flapping); rule_form.js shows only these, and without JavaScript all show.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "threshold": ("metric", "comparison", "threshold", "recovery", "for_seconds",
                  "name_pattern"),
    "no_data": ("metric", "intervals"),
    "rate": ("metric", "comparison", "threshold", "recovery", "for_seconds", "name_pattern"),
    "device_state": ("states", "for_seconds"),
    "link_down": ("name_pattern", "for_seconds"),
    "reboot": ("hold_seconds",),
    "bgp_down": ("name_pattern", "for_seconds"),
    "ospf_down": ("name_pattern", "for_seconds"),
    "health_fail": ("name_pattern", "for_seconds"),
    "fact_changed": ("facts", "hold_seconds"),
    "count": ("metric", "comparison", "threshold", "recovery", "for_seconds"),
    "utilisation": ("metric", "comparison", "threshold", "recovery", "for_seconds", "name_pattern",
                    "speed_bps"),
    "log": ("pattern", "topics", "min_severity", "count", "window_seconds", "hold_seconds"),
}
#: Fields every kind shows, in form order, by section.
GENERAL_FIELDS = ("name", "kind", "severity", "enabled")
SCOPE_FIELDS = ("site", "tag", "device")
FLAP_FIELDS = ("flap_count", "flap_window_seconds")


def _next_url(request: HttpRequest, default: str) -> str:
    from mikromon.web.ui.views.devices import safe_next

    return safe_next(request, default)


def _error_text(err: Exception) -> str:
    return getattr(err, "message", "") or str(err)


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
        raise Http404(_error_text(err)) from None
    except services.ServiceError as err:
        messages.error(request, f"Not acknowledged: {_error_text(err)}")
    else:
        messages.success(request, f"Acknowledged {alert.rule.name} on {alert.device.name}.")
    return redirect(_next_url(request, reverse("ui:alert_list")))


# -- rules ----------------------------------------------------------------------------


def _rule_sections(form: Any) -> list[tuple[str, list[Any]]]:
    """The form's bound fields by section; fields the form lacks are left out."""
    fields = {f.name: f for f in form}
    condition = []
    for kind_fields in KIND_FIELDS.values():
        for name in kind_fields:
            if name in fields and fields[name] not in condition:
                condition.append(fields[name])
    used = {*GENERAL_FIELDS, *SCOPE_FIELDS, *FLAP_FIELDS, *(f.name for f in condition)}
    sections = [
        ("General", [fields[n] for n in GENERAL_FIELDS if n in fields]),
        ("Condition", condition),
        ("Scope", [fields[n] for n in SCOPE_FIELDS if n in fields]),
        ("Flapping", [fields[n] for n in FLAP_FIELDS if n in fields]),
    ]
    rest = [f for n, f in fields.items() if n not in used]
    if rest:
        sections.append(("Other", rest))
    return [(title, members) for title, members in sections if members]


def _field_kinds() -> dict[str, list[str]]:
    """Field name -> the kinds that use it (for rule_form.js)."""
    out: dict[str, list[str]] = {}
    for kind, names in KIND_FIELDS.items():
        for name in names:
            out.setdefault(name, []).append(kind)
    return out


def _checkboxes(form: Any, names: tuple[str, ...]) -> None:
    """Show the multiple-choice fields ``names`` as checkboxes (the form's own choices)."""
    from django import forms

    for name in names:
        field = form.fields.get(name)
        if field is not None and hasattr(field, "choices"):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)


#: What the empty choice of a scope field says.
SCOPE_EMPTY = {"site": "Every site", "tag": "Any tag", "device": "Every device in scope"}


def metric_choices() -> list[tuple[str, str]]:
    """Catalog metric keys with their descriptions (the rule form's suggestions)."""
    from mikromon.domain.catalog import CATALOG

    return [(spec.key, spec.description) for spec in CATALOG]


def _rule_page(request: HttpRequest, form: Any, rule: AlertRule | None, *,
               preview: Any = None, preview_error: str = "", status: int = 200) -> HttpResponse:
    _checkboxes(form, ("states", "facts"))
    for name, text in SCOPE_EMPTY.items():
        if name in form.fields and hasattr(form.fields[name], "empty_label"):
            form.fields[name].empty_label = text
    if "metric" in form.fields:
        form.fields["metric"].widget.attrs.update(
            {"list": "metric-keys", "autocomplete": "off", "spellcheck": "false",
             "placeholder": "system.cpu.load_pct"})
    return render(request, "ui/rule_form.html", {
        "metrics": metric_choices(),
        "form": form,
        "rule": rule,
        "sections": _rule_sections(form),
        "field_kinds": _field_kinds(),
        "preview": preview,
        "preview_error": preview_error,
        "preview_url": reverse("ui:rule_preview"),
    }, status=status)


def _preview(data: Any, rule_id: int | None) -> tuple[Any, str]:
    """Run the preview service: ``(Preview, '')`` or ``(None, what is wrong)``."""
    from mikromon.web.alerts import services

    try:
        return services.preview_rule(data, rule_id=rule_id), ""
    except services.ServiceError as err:
        return None, _error_text(err)


def _rule_post(request: HttpRequest, rule: AlertRule | None) -> HttpResponse:
    """Save (or, with the Preview button, only preview) a posted rule form."""
    from mikromon.web.alerts import services
    from mikromon.web.alerts.rule_form import RuleForm

    form = RuleForm(request.POST, instance=rule)
    if "preview" in request.POST:
        preview, problem = _preview(_form_data(request), rule.pk if rule else None)
        if problem:
            form.is_valid()  # show the fields' errors next to them
        return _rule_page(request, form, rule, preview=preview, preview_error=problem,
                          status=400 if problem else 200)
    try:
        if not form.is_valid():
            raise services.Invalid.from_form(form)
        saved = services.save_rule_form(form)
    except services.ServiceError as err:
        if not form.errors:
            form.add_error(None, _error_text(err))
        return _rule_page(request, form, rule, status=400)
    collector_notify()
    messages.success(request, f"Rule {saved.name} {'saved' if rule else 'created'}.")
    return redirect("ui:rule_list")


def _form_data(request: HttpRequest) -> dict[str, Any]:
    """The posted form as a plain mapping (lists kept for multiple-choice fields)."""
    data: dict[str, Any] = {}
    for key in request.POST:
        if key in ("csrfmiddlewaretoken", "preview", "save"):
            continue
        values = request.POST.getlist(key)
        data[key] = values if key in ("states", "facts") else values[-1]
    return data


def collector_notify() -> None:
    """Tell a running collector that rules changed (its engine reloads them)."""
    from mikromon.web.control import collector

    collector.notify_config_changed()


@admin_required
def rule_add(request: HttpRequest) -> HttpResponse:
    """Create a rule (admins); the Preview button shows what would fire now."""
    from mikromon.web.alerts.rule_form import RuleForm

    if request.method == "POST":
        return _rule_post(request, None)
    # A new form shows the model's defaults (an unbound ModelForm without an instance
    # leaves declared fields such as the enabled checkbox empty).
    return _rule_page(request, RuleForm(initial={"enabled": True, "kind": "threshold"}), None)


@admin_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a rule (admins)."""
    from mikromon.web.alerts.rule_form import RuleForm

    rule = get_object_or_404(AlertRule, pk=pk)
    if request.method == "POST":
        return _rule_post(request, AlertRule.objects.get(pk=rule.pk))
    return _rule_page(request, RuleForm(instance=rule, initial=RuleForm.initial_data(rule)), rule)


@admin_required
@require_POST
def rule_preview(request: HttpRequest) -> JsonResponse:
    """JSON preview of a posted rule form (rule_form.js): ``{"ok": true, "preview":
    {...}}`` or ``{"ok": false, "error": "..."}`` (400). ``rule`` (optional): the id
    of the rule being edited."""
    rule_id = None
    if request.POST.get("rule_id"):
        try:
            rule_id = parse_id("rule_id", request.POST["rule_id"])
        except ParamError as err:
            return JsonResponse({"ok": False, "error": str(err)}, status=400)
    data = _form_data(request)
    data.pop("rule_id", None)
    preview, problem = _preview(data, rule_id)
    if problem:
        return JsonResponse({"ok": False, "error": problem}, status=400)
    return JsonResponse({"ok": True, "preview": preview.as_dict()})


@admin_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule with its alerts and history (admins, POST)."""
    from mikromon.web.alerts import services

    rule = get_object_or_404(AlertRule, pk=pk)
    try:
        services.delete_rule(rule.pk)
    except services.ServiceError as err:
        messages.error(request, f"Rule {rule.name} not deleted: {_error_text(err)}")
    else:
        collector_notify()
        messages.success(request, f"Rule {rule.name} deleted.")
    return redirect("ui:rule_list")


@admin_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Enable or disable a rule (admins, POST ``enabled=1|0``)."""
    from mikromon.web.alerts import services

    rule = get_object_or_404(AlertRule, pk=pk)
    try:
        enabled = parse_flag("enabled", request.POST.get("enabled"))
        rule = services.set_rule_enabled(rule.pk, enabled)
    except (ParamError, services.ServiceError) as err:
        messages.error(request, f"Rule {rule.name} not changed: {_error_text(err)}")
    else:
        collector_notify()
        messages.success(request, f"Rule {rule.name} {'enabled' if rule.enabled else 'disabled'}.")
    return redirect(_next_url(request, reverse("ui:rule_list")))


# -- silences -------------------------------------------------------------------------


def silence_list(request: HttpRequest) -> HttpResponse:
    """Silences in force, scheduled and expired; admins create and expire them."""
    return render(request, "ui/silence_list.html", {**silence_groups(), "now": timezone.now()})


def _silence_page(request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
    return render(request, "ui/silence_form.html", {
        "form": form,
        "devices": Device.objects.order_by("name").only("id", "name"),
        "sites": Site.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "rules": AlertRule.objects.order_by("name").only("id", "name"),
        "values": form.data if form.is_bound else form.initial,
    }, status=status)


@admin_required
def silence_add(request: HttpRequest) -> HttpResponse:
    """Create a silence (admins): device, site, tag and/or rule, a time range, a reason.
    ``?device=&rule=`` (ids) fill the form in (the Silence buttons of alerts)."""
    from mikromon.web.alerts import services
    from mikromon.web.alerts.forms import SilenceForm

    if request.method == "POST":
        form = SilenceForm(request.POST)
        if not form.is_valid():
            return _silence_page(request, form, status=400)
        try:
            fields = {k: v for k, v in request.POST.dict().items() if k in form.fields}
            silence = services.create_silence(fields, user=request.user)
        except services.ServiceError as err:
            for field, errs in (getattr(err, "errors", None) or {"__all__": [_error_text(err)]}
                                ).items():
                for e in errs:
                    form.add_error(None if field == "__all__" or field not in form.fields
                                   else field, e)
            return _silence_page(request, form, status=400)
        messages.success(request, f"Silence until {silence.ends_at:%Y-%m-%d %H:%M} UTC created.")
        return redirect("ui:silence_list")
    initial: dict[str, Any] = {"duration": "2h"}
    for name in ("device", "site", "tag", "rule"):
        text = request.GET.get(name, "").strip()
        if text:
            try:
                initial[name] = str(parse_id(name, text))
            except ParamError:
                pass
    return _silence_page(request, SilenceForm(initial=initial))


@admin_required
@require_POST
def silence_expire(request: HttpRequest, pk: int) -> HttpResponse:
    """End a silence now (admins, POST); it stays in the list as expired."""
    from mikromon.web.alerts import services

    try:
        services.expire_silence(pk, user=request.user)
    except services.NotFound as err:
        raise Http404(_error_text(err)) from None
    except services.ServiceError as err:
        messages.error(request, f"Silence not expired: {_error_text(err)}")
    else:
        messages.success(request, "Silence expired.")
    return redirect("ui:silence_list")


# -- channels -------------------------------------------------------------------------


def channel_list(request: HttpRequest) -> HttpResponse:
    """Channels with their routing and delivery state; the result of a test send."""
    test = request.session.pop(_TEST_KEY, None)
    return render(request, "ui/channel_list.html", {"rows": channel_rows(), "test": test})


#: Session key of a "Send test" result waiting to be shown.
_TEST_KEY = "mikromon_channel_test"


def _channel_page(request: HttpRequest, form: Any, channel: Any,
                  status: int = 200) -> HttpResponse:
    """The channel form: the URL and secret never filled back in (password inputs
    that do not render a value), sites and tags as checkboxes."""
    from django import forms

    for name in ("url", "secret"):
        if name in form.fields:
            widget = forms.PasswordInput(render_value=False,
                                         attrs={"autocomplete": "new-password"})
            if name == "url":
                widget.attrs["placeholder"] = ("stored; type a new URL to replace it"
                                               if channel else "mailto://..., https://...")
            form.fields[name].widget = widget
    for name, model in (("sites", Site), ("tags", Tag)):
        if name in form.fields:
            form.fields[name].widget = forms.CheckboxSelectMultiple(
                choices=[(o.pk, o.name) for o in model.objects.order_by("name")])
            if channel is not None and not form.is_bound:
                form.initial[name] = [o.pk for o in getattr(channel, name).all()]
    return render(request, "ui/channel_form.html", {
        "form": form, "channel": channel,
        "sites": Site.objects.order_by("name"), "tags": Tag.objects.order_by("name"),
    }, status=status)


def _channel_post(request: HttpRequest, channel: Any) -> HttpResponse:
    from mikromon.web.alerts import services
    from mikromon.web.alerts.forms import ChannelForm

    form = ChannelForm(request.POST, instance=channel)
    try:
        if not form.is_valid():
            raise services.Invalid.from_form(form)
        saved = services.save_channel_form(form)
    except services.ServiceError as err:
        if not form.errors:
            form.add_error(None, _error_text(err))
        return _channel_page(request, form, channel, status=400)
    messages.success(request, f"Channel {saved.name} {'saved' if channel else 'created'}.")
    return redirect("ui:channel_list")


@admin_required
def channel_add(request: HttpRequest) -> HttpResponse:
    """Create a notification channel (admins)."""
    from mikromon.web.alerts.forms import ChannelForm

    if request.method == "POST":
        return _channel_post(request, None)
    return _channel_page(request, ChannelForm(initial={"enabled": True, "send_resolved": True}),
                         None)


@admin_required
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a channel (admins); its URL and secret are never shown back (empty keeps them)."""
    from mikromon.web.alerts.forms import ChannelForm
    from mikromon.web.notify.models import NotificationChannel

    channel = get_object_or_404(NotificationChannel, pk=pk)
    if request.method == "POST":
        return _channel_post(request, NotificationChannel.objects.get(pk=channel.pk))
    return _channel_page(request, ChannelForm(instance=channel), channel)


@admin_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a channel and its outbox (admins, POST)."""
    from mikromon.web.alerts import services
    from mikromon.web.notify.models import NotificationChannel

    channel = get_object_or_404(NotificationChannel, pk=pk)
    try:
        services.delete_channel(channel.pk)
    except services.ServiceError as err:
        messages.error(request, f"Channel {channel.name} not deleted: {_error_text(err)}")
    else:
        messages.success(request, f"Channel {channel.name} deleted.")
    return redirect("ui:channel_list")


@admin_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a test message now (admins, POST); the list shows the result."""
    from mikromon.web.alerts import services
    from mikromon.web.notify.models import NotificationChannel

    channel = get_object_or_404(NotificationChannel, pk=pk)
    try:
        result = services.test_channel(channel.pk)
    except services.ServiceError as err:
        outcome = {"ok": False, "detail": _error_text(err), "duration_s": 0.0}
    else:
        outcome = {"ok": result.ok, "detail": result.detail, "duration_s": result.duration_s}
    request.session[_TEST_KEY] = {"channel": channel.name, "channel_id": channel.pk, **outcome}
    return redirect("ui:channel_list")


# -- per-device overrides --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleForDevice:
    """A rule that applies to one device, with that device's override (or ``None``)."""

    rule: AlertRule
    override: Any

    @property
    def has_levels(self) -> bool:
        """Whether the rule has a threshold a device may override."""
        return self.rule.kind in ("threshold", "rate", "count", "utilisation")


def rules_for_device(device: Device) -> list[RuleForDevice]:
    """The rules whose scope covers ``device`` (every device, its site, one of its
    tags, or itself), each with the device's override; by name."""
    from mikromon.web.alerts.models import RuleOverride

    tag_ids = list(device.tags.values_list("id", flat=True))
    rules = (AlertRule.objects.select_related("site", "tag", "device")
             .filter(Q(site__isnull=True) | Q(site_id=device.site_id))
             .filter(Q(tag__isnull=True) | Q(tag_id__in=tag_ids))
             .filter(Q(device__isnull=True) | Q(device_id=device.pk))
             .order_by("name"))
    overrides = {o.rule_id: o for o in RuleOverride.objects.filter(device=device)}
    return [RuleForDevice(r, overrides.get(r.pk)) for r in rules]


def device_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """A device's alert rules with its own thresholds (overrides); admins change them."""
    device = get_object_or_404(Device.objects.select_related("site"), pk=pk)
    return render(request, "ui/device_rules.html", {
        "device": device, "rows": rules_for_device(device)})


@admin_required
@require_POST
def device_rule_override(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    """Set the device's own threshold/recovery for a rule, or the rule off for it
    (admins, POST ``threshold``, ``recovery``, ``enabled`` checkbox); ``reset`` removes
    the override."""
    from mikromon.web.alerts import services

    device = get_object_or_404(Device, pk=pk)
    rule = get_object_or_404(AlertRule, pk=rule_pk)
    try:
        if "reset" in request.POST:
            services.delete_override(rule.pk, device.pk)
            text = f"{rule.name}: {device.name} follows the rule again."
        else:
            data = {"threshold": request.POST.get("threshold", ""),
                    "recovery": request.POST.get("recovery", ""),
                    "enabled": "on" if request.POST.get("enabled") else "off"}
            services.set_override(rule.pk, device.pk, data)
            text = f"{rule.name}: {device.name}'s own settings saved."
    except services.ServiceError as err:
        messages.error(request, f"{rule.name}: not saved: {_error_text(err)}")
    else:
        collector_notify()
        messages.success(request, text)
    return redirect(f"{reverse('ui:device_rules', args=[device.pk])}#rule-{rule.pk}")
