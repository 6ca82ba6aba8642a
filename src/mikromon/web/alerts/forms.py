"""Forms of the alerting objects, shared by the pages, the API and the command line.

Each form checks every field and puts each error on the field it is about, so the
pages show it next to the input, the API answers ``400`` naming the field, and the
command line prints ``field: message``. The service layer
(:mod:`mikromon.web.alerts.services`) saves what these forms accept.

Objects that scope a rule or a silence (device, site, tag, rule) are given by id
or by name (:class:`mikromon.web.alerts.fields.IdOrNameField`).
The rule form is :class:`mikromon.web.alerts.rule_form.RuleForm`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from mikromon.alerting.rule_parsing import has_levels
from mikromon.web.alerts.fields import (
    MAX_DURATION,
    IdOrNameField,
    JsonBooleanField,
    MultiNameField,
    StrictFloatField,
    StrictIntField,
    check_finite,
    parse_duration,
    recovery_problem,
)
from mikromon.web.alerts.models import AlertRule, RuleOverride, Silence
from mikromon.web.monitor.models import Device, Site, Tag
from mikromon.web.notify.models import ChannelKindChoices, NotificationChannel


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
        data = super().clean()
        if "starts_at" in self.errors or "ends_at" in self.errors or "duration" in self.errors:
            return data
        now = timezone.now()
        starts = data.get("starts_at") or now
        data["starts_at"] = starts
        ends, duration = data.get("ends_at"), data.get("duration")
        if ends is not None and duration is not None:
            self.add_error("duration", "give ends_at or duration, not both")
        elif ends is None and duration is None:
            self.add_error("ends_at", "give when the silence ends (ends_at, or a duration "
                                      "such as 2h)")
        else:
            ends = ends if ends is not None else starts + duration
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


class OverrideForm(forms.ModelForm):  # type: ignore[type-arg]
    """One device's own threshold/recovery for a rule, or the rule off for it."""

    threshold = StrictFloatField(required=False)
    recovery = StrictFloatField(required=False)
    enabled = JsonBooleanField(required=False)

    class Meta:
        model = RuleOverride
        fields = ["threshold", "recovery", "enabled"]

    def __init__(self, *args: Any, rule: AlertRule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rule = rule

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("enabled") is None:
            data["enabled"] = self.instance.enabled if self.instance.pk else True
        rule = self.rule
        threshold, recovery = data.get("threshold"), data.get("recovery")
        # The first value that is not finite is the one named (then no more checks).
        if not (check_finite(self, data, ("threshold",))
                and check_finite(self, data, ("recovery",))):
            return data
        if not has_levels(rule.kind) and (threshold is not None or recovery is not None):
            self.add_error("threshold", f"rule {rule.name!r} ({rule.kind}) has no threshold "
                                        "to override; only enabled")
            return data
        level = threshold if threshold is not None else rule.threshold
        problem = recovery_problem(rule.comparison, level, recovery)
        if problem:
            self.add_error("recovery", problem)
        return data


class ChannelForm(forms.ModelForm):  # type: ignore[type-arg]
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
    enabled = JsonBooleanField(required=False)
    send_resolved = JsonBooleanField(required=False)
    sites = MultiNameField(Site, "site")
    tags = MultiNameField(Tag, "tag")
    repeat_interval_s = StrictIntField(required=False, min_value=0, max_value=30 * 86400)
    group_window_s = StrictIntField(required=False, min_value=0, max_value=3600)
    timeout_s = StrictIntField(required=False, min_value=1, max_value=300)
    max_attempts = StrictIntField(required=False, min_value=1, max_value=50)
    retry_base_s = StrictIntField(required=False, min_value=1, max_value=86400)

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
        data = super().clean()
        editing = bool(self.instance.pk)
        for name in ("enabled", "send_resolved"):
            if data.get(name) is None and name not in self.errors:
                data[name] = getattr(self.instance, name) if editing else True
        for name in ("repeat_interval_s", "group_window_s", "timeout_s", "max_attempts",
                     "retry_base_s"):
            if data.get(name) is None and name not in self.errors:
                data[name] = (getattr(self.instance, name) if editing
                              else NotificationChannel._meta.get_field(name).default)
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
