"""Silences: listing, creating, ending and their JSON documents."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from mikromon.web.alerts.forms import SilenceForm
from mikromon.web.alerts.models import Silence
from mikromon.web.alerts.services.common import (
    Invalid,
    get_object,
    iso,
    object_ref,
    plain_data,
    user_name,
)

#: ``state`` filters of :func:`list_silences`.
SILENCE_STATES = ("active", "pending", "expired", "all")

def list_silences(*, state: str = "active") -> QuerySet[Silence]:
    """Return silences: ``active`` (in force now), ``pending`` (starting later),
    ``expired`` or ``all``; ending soonest first (``all``/``expired``: newest first).

    Raises:
        Invalid: an unknown state.
    """
    if state not in SILENCE_STATES:
        raise Invalid.one("state", f"{state!r} is not one of: {', '.join(SILENCE_STATES)}")
    now = timezone.now()
    qs = Silence.objects.select_related("device", "site", "tag", "rule", "created_by")
    if state == "active":
        return qs.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "id")
    if state == "pending":
        return qs.filter(starts_at__gt=now).order_by("starts_at", "id")
    if state == "expired":
        return qs.filter(ends_at__lte=now).order_by("-ends_at", "-id")
    return qs.order_by("-starts_at", "-id")


def get_silence(pk: int) -> Silence:
    """Return silence ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return get_object(Silence, pk, "silence",
                Silence.objects.select_related("device", "site", "tag", "rule", "created_by"))


def create_silence(data: Mapping[str, Any], *, user: Any = None) -> Silence:
    """Create a silence from ``device``/``site``/``tag``/``rule`` (id or name; none:
    every alert), ``starts_at`` (default now), ``ends_at`` or ``duration``
    (``2h``), ``reason`` (required).

    Raises:
        Invalid: naming each bad field.
    """
    form = SilenceForm(plain_data(data))
    if not form.is_valid():
        raise Invalid.from_form(form)
    silence = form.build(user)
    silence.save()
    return get_silence(silence.pk)


def expire_silence(pk: int, *, user: Any = None) -> Silence:
    """End a silence now (it stays in the list of expired ones). A silence that has
    not started yet ends before it starts.

    Raises:
        NotFound: no silence ``pk``.
        Invalid: ``ends_at`` when it already ended.
    """
    with transaction.atomic():
        silence = get_object(Silence, pk, "silence", Silence.objects.select_for_update())
        now = timezone.now()
        if silence.ends_at <= now:
            raise Invalid.one("ends_at", f"silence {pk} already ended at "
                                         f"{iso(silence.ends_at)}")
        if silence.starts_at >= now:
            silence.starts_at = now - timedelta(microseconds=1)
        silence.ends_at = now
        silence.save(update_fields=["starts_at", "ends_at"])
    return get_silence(pk)


def silence_dict(silence: Silence) -> dict[str, Any]:
    """The JSON document of a silence."""
    now = timezone.now()
    state = ("active" if silence.starts_at <= now < silence.ends_at
             else "pending" if silence.starts_at > now else "expired")

    return {
        "id": silence.pk,
        "state": state,
        "device": object_ref(silence.device),
        "site": object_ref(silence.site),
        "tag": object_ref(silence.tag),
        "rule": object_ref(silence.rule),
        "starts_at": iso(silence.starts_at),
        "ends_at": iso(silence.ends_at),
        "reason": silence.reason,
        "created_by": user_name(silence.created_by),
        "created_at": iso(silence.created_at),
    }
