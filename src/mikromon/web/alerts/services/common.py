"""Errors of the alerting actions and the reading of their plain input.

:class:`Invalid` (bad input, field -> messages) and :class:`NotFound` (no such
object) are what every action of :mod:`mikromon.web.alerts.services` raises;
:func:`plain_data` turns API JSON and command-line options into what a form
reads from a posted page; :func:`iso`, :func:`user_name` and :func:`object_ref`
are the pieces the JSON documents share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import Model

from mikromon.domain.formatting import utc_iso


class ServiceError(Exception):
    """An alerting action that cannot be done; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    """Bad input. ``errors``: field name -> messages (``__all__`` for the whole).

    ``str(err)`` is ``field: message; other: message``.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {k: list(v) for k, v in errors.items()}
        parts = []
        for name, messages in self.errors.items():
            for message in messages:
                parts.append(message if name == "__all__" else f"{name}: {message}")
        super().__init__("; ".join(parts) or "invalid input")

    @classmethod
    def from_form(cls, form: forms.BaseForm) -> Invalid:
        """Build it from a bound form that did not validate."""
        return cls({name: [str(m) for m in messages] for name, messages in form.errors.items()})

    @classmethod
    def one(cls, name: str, message: str) -> Invalid:
        """One message about one field."""
        return cls({name: [message]})


class NotFound(ServiceError):
    """No object with that id (or name)."""


def get_object(model: Any, pk: Any, what: str, queryset: Any = None) -> Any:
    """Return ``model`` row ``pk`` (from ``queryset`` when given).

    Raises:
        NotFound: naming ``what`` and the id (also for an id that is not an int).
    """
    qs = queryset if queryset is not None else model.objects.all()
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise NotFound(f"no {what} with id {pk!r}")
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"no {what} with id {pk}")
    return obj


def iso(ts: datetime | None) -> str | None:
    """A time as the documents give it: ISO 8601 UTC, whole seconds; ``None`` stays."""
    return None if ts is None else utc_iso(ts, whole_seconds=True)


def user_name(user: Any) -> str | None:
    """The user's login name; ``None`` for no user."""
    return user.get_username() if user is not None else None


def object_ref(obj: Any) -> dict[str, Any] | None:
    """``{"id", "name"}`` of a stored object a document points to; ``None`` for none."""
    return None if obj is None else {"id": obj.pk, "name": obj.name}


LIST_FIELDS = frozenset({"states", "facts", "topics", "sites", "tags"})


def plain_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Plain input (API JSON, command-line options) as a form reads a posted page:
    text values (numbers as their text, ``true``/``false`` for booleans; a number
    in an :data:`OBJECT_FIELDS` field stays a number, an id), lists only for
    :data:`LIST_FIELDS`, ``None`` for "not given".

    Raises:
        Invalid: a list for a one-value field, or an object, naming the field.
    """
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if value is None or isinstance(value, Model):
            out[key] = value  # a stored object (a form's initial data) stays itself
        elif isinstance(value, list | tuple) and all(isinstance(v, Model) for v in value):
            out[key] = list(value)
        elif isinstance(value, list | tuple):
            if key not in LIST_FIELDS:
                errors[key] = ["give one value, not a list"]
            elif any(isinstance(v, list | tuple | dict) or v is None for v in value):
                errors[key] = ["give a list of names or ids"]
            else:
                out[key] = [_text(v, key) for v in value]
        elif isinstance(value, dict):
            errors[key] = ["give a value, not an object"]
        else:
            out[key] = _text(value, key)
    if errors:
        raise Invalid(errors)
    return out


#: Fields naming stored objects: a JSON number there is an id (text: a name, else an id).
OBJECT_FIELDS = frozenset({"device", "site", "tag", "rule", "sites", "tags"})


def _text(value: Any, key: str) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in OBJECT_FIELDS and isinstance(value, int):
        return value
    return str(value)


def check_keys(data: Mapping[str, Any], allowed: set[str]) -> None:
    """Raise :class:`Invalid` naming each key of ``data`` not in ``allowed``."""
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise Invalid({k: [f"unknown field (known: {', '.join(sorted(allowed))})"]
                       for k in unknown})


def save_valid(form: forms.BaseModelForm) -> Any:
    """Save a bound model form in one transaction and return the saved row.

    Raises:
        Invalid: the form's errors (a name already taken is one of them).
    """
    if not form.is_valid():
        raise Invalid.from_form(form)
    with transaction.atomic():
        return form.save()
