"""The pages of alert rules: the list, the rule form with its preview,
enabling, deleting, and a device's rules with its own thresholds (overrides);
every change goes through :mod:`mikromon.web.alerts.services`.
Viewers read them; changes are for admins (see :mod:`.alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mikromon.domain.formatting import unknown_choice
from mikromon.web.alerts.models import OPEN_STATES, AlertRule, RuleKindChoices, SeverityChoices
from mikromon.web.monitor.models import Device
from mikromon.web.params import ParamError, parse_flag, parse_id
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views import device_pick
from mikromon.web.ui.views.alert_changes import (
    collector_notify,
    delete_then_redirect,
    error_text,
    form_data,
    next_url,
    save_then_redirect,
)

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
    if "device" in form.fields:
        device_pick.fit(form.fields["device"])
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
        return None, error_text(err)


def _rule_post(request: HttpRequest, rule: AlertRule | None) -> HttpResponse:
    """Save (or, with the Preview button, only preview) a posted rule form."""
    from mikromon.web.alerts import services
    from mikromon.web.alerts.rule_form import RuleForm

    form = RuleForm(request.POST, instance=rule)
    if "preview" in request.POST:
        preview, problem = _preview(form_data(request), rule.pk if rule else None)
        if problem:
            form.is_valid()  # show the fields' errors next to them
        return _rule_page(request, form, rule, preview=preview, preview_error=problem,
                          status=400 if problem else 200)
    return (save_then_redirect(request, form, services.save_rule_form, "Rule",
                               created=rule is None, to="ui:rule_list", done=collector_notify)
            or _rule_page(request, form, rule, status=400))



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
    data = form_data(request)
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
    return delete_then_redirect(request, "Rule", rule.name, lambda: services.delete_rule(rule.pk),
                                "ui:rule_list", done=collector_notify)


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
        messages.error(request, f"Rule {rule.name} not changed: {error_text(err)}")
    else:
        collector_notify()
        messages.success(request, f"Rule {rule.name} {'enabled' if rule.enabled else 'disabled'}.")
    return redirect(next_url(request, reverse("ui:rule_list")))



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
        messages.error(request, f"{rule.name}: not saved: {error_text(err)}")
    else:
        collector_notify()
        messages.success(request, text)
    return redirect(f"{reverse('ui:device_rules', args=[device.pk])}#rule-{rule.pk}")
