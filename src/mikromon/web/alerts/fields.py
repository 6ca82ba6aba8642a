"""Form fields and checks the alerting forms share.

Fields read plain input (API JSON, command-line options) as strictly as a posted
page: objects by id or name (:class:`IdOrNameField`), numbers that refuse
``true``, yes/no that refuses anything else, durations (:func:`parse_duration`)
and RouterOS log topics. The checks of a threshold and its recovery level
(:func:`check_finite`, :func:`recovery_problem`) serve the rule and override forms.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from mikromon.alerting.rule_parsing import LOG_TOPIC, recovery_side

_DURATION_PART = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,6})?)([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: The longest duration accepted (a silence of ten years is a mistake).
MAX_DURATION = timedelta(days=3660)


def by_name_or_id(queryset: Any, text: str) -> Any:
    """Return the row of ``queryset`` named ``text`` exactly (the lowest id if
    several), else the row whose id ``text`` spells (ASCII digits, under 19 of
    them: it fits a 64-bit id), else ``None``: how a command line or a form names
    an object. ``text`` is taken as given (strip it first); callers refuse a NUL."""
    found = queryset.filter(name=text).order_by("pk").first()
    if found is None and text.isascii() and text.isdigit() and len(text) < 19:
        found = queryset.filter(pk=int(text)).first()
    return found


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
        found = by_name_or_id(queryset, text)
        if found is None:
            # The model's own order (devices: natural, demo-2 before demo-10), else by name.
            order = queryset.model._meta.ordering or ["name"]
            known = list(queryset.order_by(*order).values_list("name", flat=True)[:10])
            hint = f" (known: {', '.join(known)})" if known else f" (there is no {self.what} yet)"
            raise ValidationError(f"no {self.what} {text[:80]!r}{hint}")
        return found

    def validate(self, value: Any) -> None:
        if self.required and value is None:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:  # pragma: no cover - pages
        return str(initial or "") != str(data or "")


class MultiNameField(forms.Field):
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


class StrictFloatField(forms.FloatField):
    """A float that refuses booleans (JSON ``true`` is not 1) and non-finite values."""

    # Django's FloatField derives from IntegerField yet returns floats; django-stubs
    # ignore that override in FloatField itself, and mypy reports it again here.
    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if isinstance(value, bool):
            raise ValidationError("must be a number, not true/false")
        return super().to_python(value)


class StrictIntField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, bool):
            raise ValidationError("must be a whole number, not true/false")
        if isinstance(value, float) and value != int(value):
            raise ValidationError("must be a whole number")
        return super().to_python(value)


class YesNoWidget(forms.CheckboxInput):
    """A checkbox on the pages (a posted form: missing means unticked, false); in
    plain data (API JSON, command line) the raw value, ``None`` when left out."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if hasattr(data, "getlist"):
            return super().value_from_datadict(data, files, name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class JsonBooleanField(forms.NullBooleanField):
    """A yes/no from a checkbox (``on``), JSON (``true``/``false``) or text
    (``yes``/``no``/``1``/``0``); anything else is an error, not a silent false."""

    widget = YesNoWidget

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




class TopicsField(forms.Field):
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
        bad = [t for t in topics if not LOG_TOPIC.fullmatch(t)]
        if bad:
            raise ValidationError(f"{', '.join(map(repr, bad))}: not RouterOS topic names "
                                  "(like system, account, !debug)")
        if len(topics) > 16:
            raise ValidationError(f"at most 16 topics, got {len(topics)}")
        return topics



def check_finite(form: forms.BaseForm, data: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Add "must be a finite number" to each of ``names`` whose cleaned value is
    infinite or NaN; return whether all were finite."""
    ok = True
    for name in names:
        value = data.get(name)
        if value is not None and not math.isfinite(value):
            form.add_error(name, "must be a finite number")
            ok = False
    return ok


def recovery_problem(comparison: str, threshold: float | None,
                     recovery: float | None) -> str | None:
    """What is wrong with a recovery level on the alerting side of the threshold
    (:func:`mikromon.alerting.rule_parsing.recovery_side`); ``None`` when it is
    fine or either is missing or not finite."""
    if (threshold is None or recovery is None
            or not (math.isfinite(threshold) and math.isfinite(recovery))):
        return None
    side = recovery_side(comparison, threshold, recovery)
    if side:
        return f"the recovery level {recovery:g} must be {side} the threshold {threshold:g}"
    return None
