"""The alert rule form (:class:`RuleForm`), shared by the pages, the API and the
command line: every rule kind's needs checked field by field, the kind
parameters stored in ``AlertRule.params``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from mikromon.alerting.rule_parsing import has_levels, rule_from_mapping
from mikromon.alerting.rules import DEVICE_STATES, FACTS, METRIC_KINDS
from mikromon.domain import catalog
from mikromon.domain.alerts import RuleKind
from mikromon.domain.errors import ConfigError
from mikromon.domain.logs import SEVERITY_TOPICS
from mikromon.web.alerts.fields import (
    IdOrNameField,
    JsonBooleanField,
    StrictFloatField,
    StrictIntField,
    TopicsField,
    check_finite,
    recovery_problem,
)
from mikromon.web.alerts.models import AlertRule
from mikromon.web.monitor.models import Device, Site, Tag

#: Kind parameters stored in ``AlertRule.params`` (form field -> params key).
PARAM_FIELDS = ("name_pattern", "intervals", "states", "facts", "hold_seconds", "speed_bps",
                "flap_count", "flap_window_seconds", "pattern", "topics", "min_severity",
                "count", "window_seconds")
#: The parameters only ``log`` rules read.
LOG_FIELDS = ("pattern", "topics", "min_severity", "count", "window_seconds")

class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """Create or edit an alert rule; every kind's needs are checked field by field.

    The kind parameters are fields of their own and are stored in ``params``.
    Missing booleans are false (a page's unticked checkbox); the service layer
    fills defaults for API and command-line input.
    """

    enabled = JsonBooleanField(required=False)
    threshold = StrictFloatField(required=False)
    recovery = StrictFloatField(required=False)
    for_seconds = StrictIntField(required=False, min_value=0, max_value=30 * 86400,
                                  help_text="Seconds the condition must hold before firing.")
    site = IdOrNameField(Site, "site")
    tag = IdOrNameField(Tag, "tag")
    device = IdOrNameField(Device, "device")
    name_pattern = forms.CharField(
        required=False, max_length=200, strip=True,
        help_text="Interface, sensor or peer names (shell pattern: ether*, sfp-sfpplus?).")
    intervals = StrictIntField(required=False, min_value=1, max_value=10_000,
                                help_text="No data: polling intervals that may pass.")
    states = forms.MultipleChoiceField(
        required=False, choices=[(s, s.replace("_", " ")) for s in DEVICE_STATES],
        help_text="Device state: the states that raise the alert.")
    facts = forms.MultipleChoiceField(
        required=False, choices=[(f, f) for f in FACTS],
        help_text="Version, board or identity changed: which are watched.")
    hold_seconds = StrictIntField(required=False, min_value=1, max_value=30 * 86400,
                                   help_text="Reboot / change alerts stay firing this long.")
    speed_bps = StrictFloatField(required=False,
                                  help_text="Utilisation: link speed (bits/s) for interfaces "
                                            "without an ethernet link rate read from the "
                                            "router (VLANs, bridges, tunnels).")
    flap_count = StrictIntField(required=False, min_value=1, max_value=1000)
    flap_window_seconds = StrictIntField(required=False, min_value=1, max_value=30 * 86400)
    pattern = forms.CharField(required=False, max_length=500, strip=False,
                              help_text="Log: regular expression searched in each line "
                                        "(case-insensitive).")
    topics = TopicsField(required=False, help_text="Log: topics a line must carry "
                                                    "(!topic: must not).")
    min_severity = forms.ChoiceField(required=False, choices=[("", "any"), *(
        (v, v) for v in SEVERITY_TOPICS)], help_text="Log: lowest severity matched.")
    count = StrictIntField(required=False, min_value=1, max_value=10_000,
                            help_text="Log: lines that must match within the window.")
    window_seconds = StrictIntField(required=False, min_value=1, max_value=86400)

    class Meta:
        model = AlertRule
        fields = ["name", "kind", "enabled", "severity", "metric", "comparison", "threshold",
                  "recovery", "for_seconds", "site", "tag", "device"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance is not None and instance.pk and not self.is_bound:
            for key in PARAM_FIELDS:
                if key in (instance.params or {}):
                    self.initial[key] = instance.params[key]

    @staticmethod
    def initial_data(rule: AlertRule) -> dict[str, Any]:
        """Return the stored rule as form data (for editing only some fields)."""
        data: dict[str, Any] = {
            "name": rule.name, "kind": rule.kind, "enabled": rule.enabled,
            "severity": rule.severity, "metric": rule.metric, "comparison": rule.comparison,
            "threshold": rule.threshold, "recovery": rule.recovery,
            "for_seconds": rule.for_seconds, "site": rule.site, "tag": rule.tag,
            "device": rule.device,
        }
        for key in PARAM_FIELDS:
            if key in (rule.params or {}):
                data[key] = rule.params[key]
        return data

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("must not be empty")
        return name

    def clean_metric(self) -> str:
        return str(self.cleaned_data.get("metric") or "").strip()

    def clean_enabled(self) -> bool:
        return bool(self.cleaned_data.get("enabled"))

    def clean_for_seconds(self) -> int:
        return int(self.cleaned_data.get("for_seconds") or 0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        metric = data.get("metric", "")
        threshold, recovery = data.get("threshold"), data.get("recovery")
        comparison = data.get("comparison") or ">"
        check_finite(self, data, ("threshold", "recovery", "speed_bps"))
        if has_levels(kind):
            if kind != RuleKind.UTILISATION.value and not metric:
                self.add_error("metric", f"a {kind} rule needs a metric (a catalog key, e.g. "
                                         "system.cpu.load_pct)")
            if threshold is None and "threshold" not in self.errors:
                self.add_error("threshold", f"a {kind} rule needs a threshold")
            problem = recovery_problem(comparison, threshold, recovery)
            if problem:
                self.add_error("recovery", problem)
        else:
            for name in ("threshold", "recovery"):
                if data.get(name) is not None:
                    self.add_error(name, f"a {kind} rule has no {name} (it watches a state)")
        if kind == RuleKind.UTILISATION.value:
            if metric not in ("", "iface.rx_bps", "iface.tx_bps"):
                self.add_error("metric", "utilisation reads iface.rx_bps or iface.tx_bps "
                                         "(empty for both)")
            speed = data.get("speed_bps")
            if speed is not None and speed <= 0:
                self.add_error("speed_bps", "the link speed must be above 0 bits/s")
        elif metric and kind in (*METRIC_KINDS, RuleKind.NO_DATA.value):
            try:
                catalog.lookup(metric)
            except KeyError:
                self.add_error("metric", f"unknown metric {metric[:80]!r}: not in the metric "
                                         "catalog (docs/metrics.md)")
        elif metric and kind not in (*METRIC_KINDS, RuleKind.NO_DATA.value):
            self.add_error("metric", f"a {kind} rule reads no metric; leave it empty")
        if kind == RuleKind.DEVICE_STATE.value and not data.get("states"):
            data["states"] = ["down"]
        if kind == RuleKind.LOG.value:
            pattern = data.get("pattern") or ""
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as err:
                    self.add_error("pattern", f"not a valid regular expression: {err}")
            if not (pattern or data.get("topics") or data.get("min_severity")) \
                    and "pattern" not in self.errors:
                self.add_error("pattern", "a log rule needs a pattern, topics or a "
                                          "min_severity (it would match every line)")
        else:
            for name in LOG_FIELDS:
                if data.get(name) not in (None, "", []) and name not in self.errors:
                    self.add_error(name, f"only log rules have {name}")
        if not self.errors:
            try:
                rule_from_mapping(self._mapping(data))
            except ConfigError as err:
                raise ValidationError({_field_named(str(err), self.fields): str(err)}) \
                    from None
            # The model's own check (AlertRule.clean, run next) reads the parameters.
            self.instance.params = self.params(data)
        return data

    def params(self, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the ``params`` of the cleaned data: only the parameters given
        (defaults stay implicit, so a changed default applies)."""
        data = self.cleaned_data if data is None else data
        out: dict[str, Any] = {}
        for key in PARAM_FIELDS:
            value = data.get(key)
            if value in (None, "", []):
                continue
            out[key] = list(value) if isinstance(value, list | tuple) else value
        # Keep parameters the form does not know (set by hand or by a newer version).
        for key, value in (self.instance.params or {}).items() if self.instance else ():
            if key not in PARAM_FIELDS:
                out[key] = value
        return out

    def _mapping(self, data: dict[str, Any]) -> dict[str, Any]:
        site, tag, device = data.get("site"), data.get("tag"), data.get("device")
        return {
            "id": self.instance.pk if self.instance and self.instance.pk else 0,
            "name": data.get("name"), "kind": data.get("kind"),
            "enabled": data.get("enabled", True), "severity": data.get("severity"),
            "metric": data.get("metric", ""), "comparison": data.get("comparison") or ">",
            "threshold": data.get("threshold"), "recovery": data.get("recovery"),
            "for_seconds": data.get("for_seconds") or 0, "params": self.params(data),
            "site_id": site.pk if site else None, "tag_id": tag.pk if tag else None,
            "device_id": device.pk if device else None,
        }

    def engine_mapping(self) -> dict[str, Any]:
        """The valid rule as :func:`mikromon.alerting.rule_parsing.rule_from_mapping` reads it."""
        return self._mapping(self.cleaned_data)

    def save(self, commit: bool = True) -> AlertRule:
        rule: AlertRule = super().save(commit=False)
        rule.params = self.params()
        if commit:
            rule.save()
        return rule


def _field_named(message: str, fields: Any) -> str:
    """The form field a rule engine message is about (``__all__`` if none): the
    longest field name that appears in it as a word."""
    for name in sorted(fields, key=len, reverse=True):
        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message):
            return str(name)
    return "__all__"
