"""Alert rules and per-device overrides: finding, creating, changing,
deleting and their JSON documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from mikromon.domain.alerts import Severity
from mikromon.web.alerts.fields import by_name_or_id
from mikromon.web.alerts.forms import OverrideForm
from mikromon.web.alerts.models import AlertRule, RuleOverride
from mikromon.web.alerts.rule_form import RuleForm
from mikromon.web.alerts.services.common import (
    Invalid,
    NotFound,
    check_keys,
    get_object,
    iso,
    object_ref,
    plain_data,
    save_valid,
)
from mikromon.web.monitor.models import Device

#: What a new rule is when the API or the command line leaves a field out.
RULE_DEFAULTS: dict[str, Any] = {"enabled": True, "severity": Severity.WARNING.value,
                                 "comparison": ">", "for_seconds": 0, "metric": ""}


def list_rules() -> QuerySet[AlertRule]:
    """Return every rule, by name."""
    return AlertRule.objects.select_related("site", "tag", "device").order_by("name")


def get_rule(pk: int) -> AlertRule:
    """Return rule ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return get_object(AlertRule, pk, "rule", list_rules())


def find_rule(ref: str | int) -> AlertRule:
    """Return the rule named ``ref`` (exact), else the rule with that id.

    Raises:
        NotFound: naming ``ref`` and a few known names.
    """
    text = str(ref).strip()
    if "\x00" in text:
        raise NotFound("no rule with a NUL character in its name")
    rule = by_name_or_id(list_rules(), text)
    if rule is None:
        known = list(AlertRule.objects.order_by("name").values_list("name", flat=True)[:8])
        raise NotFound(f"no rule {text!r}" + (f" (known: {', '.join(known)}...)" if known
                                               else " (there are no rules)"))
    return rule



def rule_fields() -> set[str]:
    """The fields a rule takes (those of its form)."""
    return set(RuleForm.base_fields)


def save_rule_form(form: RuleForm) -> AlertRule:
    """Save a bound :class:`~mikromon.web.alerts.rule_form.RuleForm` (pages).

    Raises:
        Invalid: the form's errors, or ``name`` already taken.
    """
    return get_rule(save_valid(form).pk)


def create_rule(data: Mapping[str, Any]) -> AlertRule:
    """Create a rule from plain values (API JSON, command-line options); fields left
    out take :data:`RULE_DEFAULTS`.

    Raises:
        Invalid: naming each bad or unknown field.
    """
    check_keys(data, rule_fields())
    return save_rule_form(RuleForm({**plain_data(RULE_DEFAULTS), **plain_data(data)}))


def update_rule(pk: int, data: Mapping[str, Any]) -> AlertRule:
    """Change the fields given of rule ``pk``; the others stay as they are.

    Raises:
        NotFound: no rule ``pk``. Invalid: naming each bad or unknown field.
    """
    check_keys(data, rule_fields())
    with transaction.atomic():
        rule = get_object(AlertRule, pk, "rule", AlertRule.objects.select_for_update())
        return save_rule_form(RuleForm({**plain_data(RuleForm.initial_data(rule)),
                                        **plain_data(data)}, instance=rule))


def delete_rule(pk: int) -> None:
    """Delete rule ``pk`` with its alerts, history, overrides and silences.

    Raises:
        NotFound: no rule ``pk``.
    """
    with transaction.atomic():
        get_object(AlertRule, pk, "rule").delete()


def set_rule_enabled(pk: int, enabled: bool) -> AlertRule:
    """Turn rule ``pk`` on or off (its open alerts resolve when turned off).

    Raises:
        NotFound: no rule ``pk``.
    """
    with transaction.atomic():
        rule = get_object(AlertRule, pk, "rule", AlertRule.objects.select_for_update())
        if rule.enabled != bool(enabled):
            rule.enabled = bool(enabled)
            rule.save(update_fields=["enabled", "updated"])
    return get_rule(pk)


def rule_dict(rule: AlertRule) -> dict[str, Any]:
    """The JSON document of a rule (kind parameters at the top level, as the form
    takes them)."""

    doc = {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "enabled": rule.enabled,
        "severity": rule.severity,
        "metric": rule.metric,
        "comparison": rule.comparison,
        "threshold": rule.threshold,
        "recovery": rule.recovery,
        "for_seconds": rule.for_seconds,
        "site": object_ref(rule.site),
        "tag": object_ref(rule.tag),
        "device": object_ref(rule.device),
        "is_default": rule.is_default,
        "params": dict(rule.params or {}),
        "updated": iso(rule.updated),
    }
    return doc


# --- overrides -------------------------------------------------------------------------


def list_overrides(device_pk: int) -> QuerySet[RuleOverride]:
    """Return one device's overrides."""
    return RuleOverride.objects.filter(device_id=device_pk).select_related("rule")


def set_override(rule_pk: int, device_pk: int, data: Mapping[str, Any]) -> RuleOverride:
    """Set (create or replace) device ``device_pk``'s own ``threshold``/``recovery``
    for rule ``rule_pk``, or turn the rule off for it (``enabled`` false).

    Raises:
        NotFound: no such rule or device. Invalid: naming the field.
    """
    check_keys(data, {"threshold", "recovery", "enabled"})
    with transaction.atomic():
        rule = get_object(AlertRule, rule_pk, "rule")
        device = get_object(Device, device_pk, "device")
        current = RuleOverride.objects.filter(rule=rule, device=device).first()
        form = OverrideForm(plain_data(data), rule=rule, instance=current)
        if not form.is_valid():
            raise Invalid.from_form(form)
        override: RuleOverride = form.save(commit=False)
        override.rule, override.device = rule, device
        override.enabled = form.cleaned_data["enabled"]
        override.save()
    return override


def delete_override(rule_pk: int, device_pk: int) -> None:
    """Remove device ``device_pk``'s override of rule ``rule_pk``.

    Raises:
        NotFound: there is none.
    """
    deleted, _ = RuleOverride.objects.filter(rule_id=rule_pk, device_id=device_pk).delete()
    if not deleted:
        raise NotFound(f"device {device_pk} has no override of rule {rule_pk}")


def override_dict(override: RuleOverride) -> dict[str, Any]:
    """The JSON document of an override."""
    return {"rule": {"id": override.rule_id, "name": override.rule.name},
            "device": {"id": override.device_id, "name": override.device.name},
            "threshold": override.threshold, "recovery": override.recovery,
            "enabled": override.enabled}
