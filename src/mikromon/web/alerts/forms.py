"""Forms of the alerting objects, shared by the pages, the API and the command line.

Each form checks every field and puts each error on the field it is about, so the
pages show it next to the input, the API answers ``400`` naming the field, and the
command line prints ``field: message``. The service layer
(:mod:`mikromon.web.alerts.services`) saves what these forms accept.

Objects that scope a rule or a silence (device, site, tag, rule) are given by id
or by name (:class:`IdOrNameField`).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from mikromon.alerting.rules import (
    DEVICE_STATES,
    FACTS,
    METRIC_KINDS,
    rule_from_mapping,
)
from mikromon.domain import catalog
from mikromon.domain.alerts import RuleKind
from mikromon.domain.errors import ConfigError
from mikromon.web.alerts.models import AlertRule, RuleOverride, Silence
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.notify.models import ChannelKindChoices, NotificationChannel

__all__ = [
    "PARAM_FIELDS",
    "AckForm",
    "ChannelForm",
    "IdOrNameField",
    "OverrideForm",
    "RuleForm",
    "SilenceForm",
    "parse_duration",
]

_DURATION_PART = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,6})?)([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: The longest duration accepted (a silence of ten years is a mistake).
MAX_DURATION = timedelta(days=3660)


def parse_duration(text: str) -> timedelta:
    """Return a duration given as ``90s``, ``30m``, ``2h``, ``1d``, ``1w``, combinations
    such as ``1h30m``, or plain seconds (``600``).

    Raises:
        ValueError: naming the text (not a duration, zero, or above ten years).
    """
    raw = str(text).strip().lower()
    seconds: float | None = None
    if raw.isascii() and raw.isdigit():
        seconds = float(raw)
    elif raw and raw.isascii():
        pos, total = 0, 0.0
        for match in _DURATION_PART.finditer(raw):
            if match.start() != pos:
                break
            total += float(match.group(1)) * _UNIT_S[match.group(2)]
            pos = match.end()
        else:
            pos = pos if pos else -1
        if pos == len(raw):
            seconds = total
    if seconds is None:
        raise ValueError(f"{str(text)[:40]!r} is not a duration (e.g. 90s, 30m, 2h, 1d, 1h30m)")
    if seconds <= 0:
        raise ValueError(f"{str(text)[:40]!r}: a duration must be above zero")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{str(text)[:40]!r}: a duration is at most 3660 days")
    return timedelta(seconds=seconds)


class IdOrNameField(forms.ModelChoiceField):
    """Choose one object by its name (exact) or by its id.

    A number (JSON) is an id. Text is looked up as a name first (a device may be
    called ``5``), then as an id. The error names the value and, for a few
    objects, the known names.
    """

    def __init__(self, model: type[models.Model], what: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(queryset=model._default_manager.all(), **kwargs)
        self.what = what

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if isinstance(value, models.Model):
            return value
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(f"give the {self.what}'s id or name, not {value!r}")
        queryset = self.queryset
        assert queryset is not None  # set by __init__
        if isinstance(value, int):  # a number (JSON) is an id, never a name
            found = (queryset.filter(pk=value).first()
                     if 1 <= value < 2**63 else None)
            if found is None:
                raise ValidationError(f"no {self.what} with id {value}")
            return found
        text = str(value).strip()
        if "\x00" in text:
            raise ValidationError(f"no {self.what} with a NUL character in its name")
        found = queryset.filter(name=text).order_by("pk").first()
        if found is None and text.isascii() and text.isdigit() and len(text) < 19:
            found = queryset.filter(pk=int(text)).first()
        if found is None:
            known = list(queryset.order_by("name").values_list("name", flat=True)[:10])
            hint = f" (known: {', '.join(known)})" if known else f" (there is no {self.what} yet)"
            raise ValidationError(f"no {self.what} {text[:80]!r}{hint}")
        return found

    def validate(self, value: Any) -> None:
        if self.required and value is None:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:  # pragma: no cover - pages
        return str(initial or "") != str(data or "")


class _MultiNameField(forms.Field):
    """A list of objects by name or id (a JSON list, repeated form values, or one
    comma-separated text)."""

    widget = forms.SelectMultiple

    def __init__(self, model: type[models.Model], what: str, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.single = IdOrNameField(model, what)

    def to_python(self, value: Any) -> list[Any]:
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ValidationError(f"give a list of {self.single.what}s, not {value!r}")
        out = []
        for item in value:
            obj = self.single.to_python(item)
            if obj is not None and obj not in out:
                out.append(obj)
        return out


class _StrictFloatField(forms.FloatField):
    """A float that refuses booleans (JSON ``true`` is not 1) and non-finite values."""

    # Django's FloatField derives from IntegerField yet returns floats; django-stubs
    # ignore that override in FloatField itself, and mypy reports it again here.
    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if isinstance(value, bool):
            raise ValidationError("must be a number, not true/false")
        return super().to_python(value)


class _StrictIntField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, bool):
            raise ValidationError("must be a whole number, not true/false")
        if isinstance(value, float) and value != int(value):
            raise ValidationError("must be a whole number")
        return super().to_python(value)


class _YesNoWidget(forms.CheckboxInput):
    """A checkbox on the pages (a posted form: missing means unticked, false); in
    plain data (API JSON, command line) the raw value, ``None`` when left out."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist"):
            return super().value_from_datadict(data, files, name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class _JsonBooleanField(forms.NullBooleanField):
    """A yes/no from a checkbox (``on``), JSON (``true``/``false``) or text
    (``yes``/``no``/``1``/``0``); anything else is an error, not a silent false."""

    widget = _YesNoWidget

    # Django's NullBooleanField derives from BooleanField yet may return None;
    # django-stubs ignore that override in NullBooleanField itself, and mypy reports
    # it again here.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValidationError(f"must be true or false, not {str(value)[:40]!r}")

    def validate(self, value: Any) -> None:
        return None


#: Kind parameters stored in ``AlertRule.params`` (form field -> params key).
PARAM_FIELDS = ("name_pattern", "intervals", "states", "facts", "hold_seconds", "speed_bps",
                "flap_count", "flap_window_seconds", "pattern", "topics", "min_severity",
                "count", "window_seconds")
#: The parameters only ``log`` rules read.
LOG_FIELDS = ("pattern", "topics", "min_severity", "count", "window_seconds")
#: Router log severities (RouterOS topics), lowest first.
LOG_SEVERITIES = ("debug", "info", "warning", "error", "critical")
_TOPIC = re.compile(r"!?[a-z0-9][a-z0-9_.-]{0,31}")


class _TopicsField(forms.Field):
    """RouterOS log topics (``system``, ``account``, ``!debug`` for "not"): a list,
    repeated form values or comma-separated text; lower-cased."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> list[str]:
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            raise ValidationError("give a list of topics or comma-separated text")
        topics = [str(t).strip().lower() for t in value if str(t).strip()]
        bad = [t for t in topics if not _TOPIC.fullmatch(t)]
        if bad:
            raise ValidationError(f"{', '.join(map(repr, bad))}: not RouterOS topic names "
                                  "(like system, account, !debug)")
        if len(topics) > 16:
            raise ValidationError(f"at most 16 topics, got {len(topics)}")
        return topics


class RuleForm(forms.ModelForm):
    """Create or edit an alert rule; every kind's needs are checked field by field.

    The kind parameters are fields of their own and are stored in ``params``.
    Missing booleans are false (a page's unticked checkbox); the service layer
    fills defaults for API and command-line input.
    """

    enabled = _JsonBooleanField(required=False)
    threshold = _StrictFloatField(required=False)
    recovery = _StrictFloatField(required=False)
    for_seconds = _StrictIntField(required=False, min_value=0, max_value=30 * 86400,
                                  help_text="Seconds the condition must hold before firing.")
    site = IdOrNameField(Site, "site")
    tag = IdOrNameField(Tag, "tag")
    device = IdOrNameField(Device, "device")
    name_pattern = forms.CharField(
        required=False, max_length=200, strip=True,
        help_text="Interface, sensor or peer names (shell pattern: ether*, sfp-sfpplus?).")
    intervals = _StrictIntField(required=False, min_value=1, max_value=10_000,
                                help_text="No data: polling intervals that may pass.")
    states = forms.MultipleChoiceField(
        required=False, choices=[(s, s.replace("_", " ")) for s in DEVICE_STATES],
        help_text="Device state: the states that raise the alert.")
    facts = forms.MultipleChoiceField(
        required=False, choices=[(f, f) for f in FACTS],
        help_text="Version, board or identity changed: which are watched.")
    hold_seconds = _StrictIntField(required=False, min_value=1, max_value=30 * 86400,
                                   help_text="Reboot / change alerts stay firing this long.")
    speed_bps = _StrictFloatField(required=False,
                                  help_text="Utilisation: link speed (bits/s) for interfaces "
                                            "without an ethernet link rate read from the "
                                            "router (VLANs, bridges, tunnels).")
    flap_count = _StrictIntField(required=False, min_value=1, max_value=1000)
    flap_window_seconds = _StrictIntField(required=False, min_value=1, max_value=30 * 86400)
    pattern = forms.CharField(required=False, max_length=500, strip=False,
                              help_text="Log: regular expression searched in each line "
                                        "(case-insensitive).")
    topics = _TopicsField(required=False, help_text="Log: topics a line must carry "
                                                    "(!topic: must not).")
    min_severity = forms.ChoiceField(required=False, choices=[("", "any"), *(
        (v, v) for v in LOG_SEVERITIES)], help_text="Log: lowest severity matched.")
    count = _StrictIntField(required=False, min_value=1, max_value=10_000,
                            help_text="Log: lines that must match within the window.")
    window_seconds = _StrictIntField(required=False, min_value=1, max_value=86400)

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
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return data
        metric = data.get("metric", "")
        threshold, recovery = data.get("threshold"), data.get("recovery")
        comparison = data.get("comparison") or ">"
        for name in ("threshold", "recovery", "speed_bps"):
            value = data.get(name)
            if value is not None and not math.isfinite(value):
                self.add_error(name, "must be a finite number")
        levels = kind in METRIC_KINDS or kind == RuleKind.UTILISATION.value
        if levels:
            if kind != RuleKind.UTILISATION.value and not metric:
                self.add_error("metric", f"a {kind} rule needs a metric (a catalog key, e.g. "
                                         "system.cpu.load_pct)")
            if threshold is None and "threshold" not in self.errors:
                self.add_error("threshold", f"a {kind} rule needs a threshold")
            if (threshold is not None and recovery is not None
                    and math.isfinite(threshold) and math.isfinite(recovery)
                    and ((comparison == ">" and recovery > threshold)
                         or (comparison == "<" and recovery < threshold))):
                side = "at or below" if comparison == ">" else "at or above"
                self.add_error("recovery", f"the recovery level {recovery:g} must be {side} "
                                           f"the threshold {threshold:g}")
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
        """The valid rule as :func:`mikromon.alerting.rules.rule_from_mapping` reads it."""
        return self._mapping(self.cleaned_data)

    def save(self, commit: bool = True) -> AlertRule:
        rule: AlertRule = super().save(commit=False)
        rule.params = self.params()
        if commit:
            rule.save()
        return rule


def _model_default(model: type[models.Model], name: str) -> Any:
    """The default of the model's column ``name`` (as a new, unsaved row gets it)."""
    column = model._meta.get_field(name)
    if not isinstance(column, models.Field):
        raise TypeError(f"{model.__name__}.{name} is no column")
    return column.get_default()


def _field_named(message: str, fields: Any) -> str:
    """The form field a rule engine message is about (``__all__`` if none): the
    longest field name that appears in it as a word."""
    for name in sorted(fields, key=len, reverse=True):
        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message):
            return str(name)
    return "__all__"


class SilenceForm(forms.Form):
    """A maintenance window over a device, a site, a tag, a rule (or every alert).

    ``ends_at`` or ``duration`` (one of them) says when it ends; ``starts_at``
    defaults to now.
    """

    device = IdOrNameField(Device, "device")
    site = IdOrNameField(Site, "site")
    tag = IdOrNameField(Tag, "tag")
    rule = IdOrNameField(AlertRule, "rule")
    starts_at = forms.DateTimeField(required=False)
    ends_at = forms.DateTimeField(required=False)
    duration = forms.CharField(required=False, max_length=40,
                               help_text="How long from the start: 30m, 2h, 1d.")
    reason = forms.CharField(max_length=2000, strip=True,
                             error_messages={"required": "say why (a reason is required)"})

    def clean_duration(self) -> timedelta | None:
        text = self.cleaned_data.get("duration")
        if not text:
            return None
        try:
            return parse_duration(text)
        except ValueError as err:
            raise ValidationError(str(err)) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "starts_at" in self.errors or "ends_at" in self.errors or "duration" in self.errors:
            return data
        now = timezone.now()
        starts = data.get("starts_at") or now
        data["starts_at"] = starts
        ends, duration = data.get("ends_at"), data.get("duration")
        if ends is not None and duration is not None:
            self.add_error("duration", "give ends_at or duration, not both")
            return data
        if ends is None:
            if duration is None:
                self.add_error("ends_at", "give when the silence ends (ends_at, or a "
                                          "duration such as 2h)")
                return data
            ends = starts + duration
        if ends <= starts:
            self.add_error("ends_at", "must be after the start")
        elif ends <= now:
            self.add_error("ends_at", "is already past")
        elif ends - starts > MAX_DURATION:
            self.add_error("ends_at", "a silence lasts at most 3660 days")
        data["ends_at"] = ends
        return data

    def build(self, user: Any = None) -> Silence:
        """Return the (unsaved) silence of the cleaned data."""
        d = self.cleaned_data
        return Silence(device=d.get("device"), site=d.get("site"), tag=d.get("tag"),
                       rule=d.get("rule"), starts_at=d["starts_at"], ends_at=d["ends_at"],
                       reason=d["reason"],
                       created_by=user if getattr(user, "pk", None) else None)


class AckForm(forms.Form):
    """Acknowledge an alert, with an optional comment."""

    comment = forms.CharField(required=False, max_length=2000, strip=True)


class OverrideForm(forms.ModelForm):
    """One device's own threshold/recovery for a rule, or the rule off for it."""

    threshold = _StrictFloatField(required=False)
    recovery = _StrictFloatField(required=False)
    enabled = _JsonBooleanField(required=False)

    class Meta:
        model = RuleOverride
        fields = ["threshold", "recovery", "enabled"]

    def __init__(self, *args: Any, rule: AlertRule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("enabled") is None:
            data["enabled"] = self.instance.enabled if self.instance.pk else True
        rule = self.rule
        threshold, recovery = data.get("threshold"), data.get("recovery")
        for name in ("threshold", "recovery"):
            value = data.get(name)
            if value is not None and not math.isfinite(value):
                self.add_error(name, "must be a finite number")
                return data
        levels = rule.kind in METRIC_KINDS or rule.kind == RuleKind.UTILISATION.value
        if not levels and (threshold is not None or recovery is not None):
            self.add_error("threshold", f"rule {rule.name!r} ({rule.kind}) has no threshold "
                                        "to override; only enabled")
            return data
        level = threshold if threshold is not None else rule.threshold
        if (recovery is not None and level is not None
                and ((rule.comparison == ">" and recovery > level)
                     or (rule.comparison == "<" and recovery < level))):
            side = "at or below" if rule.comparison == ">" else "at or above"
            self.add_error("recovery", f"the recovery level {recovery:g} must be {side} "
                                       f"the threshold {level:g}")
        return data


class ChannelForm(forms.ModelForm):
    """Create or edit a notification channel.

    ``url`` and ``secret`` are write-only: never filled back in. Editing with
    them empty keeps the stored ones. A webhook needs a secret (its HMAC key).
    Missing numbers and booleans keep the stored value (new channel: the default).
    """

    url = forms.CharField(required=False, max_length=2000, strip=True,
                          help_text="Apprise URL, webhook URL or Alertmanager base URL. "
                                    "Stored encrypted; empty on edit keeps it.")
    secret = forms.CharField(required=False, max_length=500, strip=False,
                             help_text="Webhook HMAC key. Stored encrypted; empty on "
                                       "edit keeps it.")
    enabled = _JsonBooleanField(required=False)
    send_resolved = _JsonBooleanField(required=False)
    sites = _MultiNameField(Site, "site")
    tags = _MultiNameField(Tag, "tag")
    repeat_interval_s = _StrictIntField(required=False, min_value=0, max_value=30 * 86400)
    group_window_s = _StrictIntField(required=False, min_value=0, max_value=3600)
    timeout_s = _StrictIntField(required=False, min_value=1, max_value=300)
    max_attempts = _StrictIntField(required=False, min_value=1, max_value=50)
    retry_base_s = _StrictIntField(required=False, min_value=1, max_value=86400)

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "enabled", "min_severity", "sites", "tags",
                  "send_resolved", "repeat_interval_s", "group_window_s", "timeout_s",
                  "max_attempts", "retry_base_s"]

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("must not be empty")
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        editing = bool(self.instance.pk)
        for name in ("enabled", "send_resolved"):
            if data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name) if editing else True
        for name in ("repeat_interval_s", "group_window_s", "timeout_s", "max_attempts",
                     "retry_base_s"):
            if data.get(name) is None and name not in self.errors:
                data[name] = (getattr(self.instance, name) if editing
                              else _model_default(NotificationChannel, name))
        kind = data.get("kind")
        if not kind:
            return data
        url = data.get("url") or ""
        if not url and (not editing or kind != self.instance.kind):
            self.add_error("url", f"a {kind} channel needs its target URL")
        elif url:
            probe = NotificationChannel(kind=kind, timeout_s=data.get("timeout_s") or 10)
            try:
                probe.set_url(url)
            except ValueError as err:
                self.add_error("url", str(err))
        secret = data.get("secret") or ""
        if kind == ChannelKindChoices.WEBHOOK:
            if not secret and not (editing and self.instance.has_secret):
                self.add_error("secret", "a webhook channel needs a secret (the HMAC key "
                                         "receivers check the signature with)")
        elif secret:
            self.add_error("secret", f"only webhook channels have a secret, not {kind}")
        return data

    def save(self, commit: bool = True) -> NotificationChannel:
        channel: NotificationChannel = super().save(commit=False)
        d = self.cleaned_data
        for name in ("enabled", "send_resolved", "repeat_interval_s", "group_window_s",
                     "timeout_s", "max_attempts", "retry_base_s"):
            setattr(channel, name, d[name])
        if d.get("url"):
            channel.set_url(d["url"])
        if d.get("secret"):
            channel.set_secret(d["secret"])
        elif channel.kind != ChannelKindChoices.WEBHOOK:
            channel.set_secret("")
        if commit:
            channel.save()
            self.save_m2m()
        return channel
