"""Notification channels: creating, changing, testing and their JSON documents
(never a channel's URL or secret in clear)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import QuerySet

from mikromon.domain.alerts import Severity
from mikromon.web.alerts.fields import by_name_or_id
from mikromon.web.alerts.forms import ChannelForm
from mikromon.web.alerts.services.common import (
    NotFound,
    check_keys,
    get_object,
    iso,
    plain_data,
    save_valid,
)
from mikromon.web.notify import outbox
from mikromon.web.notify.models import NotificationChannel


def list_channels() -> QuerySet[NotificationChannel]:
    """Return every channel by name (sites and tags prefetched)."""
    return NotificationChannel.objects.prefetch_related("sites", "tags").order_by("name")


def get_channel(pk: int) -> NotificationChannel:
    """Return channel ``pk``.

    Raises:
        NotFound: naming the id.
    """
    return get_object(NotificationChannel, pk, "channel", list_channels())


def find_channel(ref: str | int) -> NotificationChannel:
    """Return the channel named ``ref`` (exact), else the channel with that id (the
    command line's way of naming one).

    Raises:
        NotFound: naming ``ref`` and a few known names.
    """
    text = str(ref).strip()
    if "\x00" in text:
        raise NotFound("no channel with a NUL character in its name")
    channel = by_name_or_id(list_channels(), text)
    if channel is None:
        known = list(NotificationChannel.objects.order_by("name")
                     .values_list("name", flat=True)[:8])
        raise NotFound(f"no channel {text!r}" + (f" (known: {', '.join(known)})" if known
                                                  else " (there are no channels)"))
    return channel


def channel_fields() -> set[str]:
    """The fields a channel takes (those of its form)."""
    return set(ChannelForm.base_fields)


def save_channel_form(form: forms.ModelForm[NotificationChannel]) -> NotificationChannel:
    """Save a bound :class:`~mikromon.web.alerts.forms.ChannelForm` (pages).

    Raises:
        Invalid: the form's errors.
    """
    return get_channel(save_valid(form).pk)


def create_channel(data: Mapping[str, Any]) -> NotificationChannel:
    """Create a channel from plain values; ``url`` (and a webhook's ``secret``) are
    stored encrypted. Left out: the model's defaults (minimum severity warning).

    Raises:
        Invalid: naming each bad or unknown field.
    """
    check_keys(data, channel_fields())
    return save_channel_form(ChannelForm({"min_severity": Severity.WARNING.value,
                                          **plain_data(data)}))


def _channel_initial(channel: NotificationChannel) -> dict[str, Any]:
    return {
        "name": channel.name, "kind": channel.kind, "enabled": channel.enabled,
        "min_severity": channel.min_severity,
        "sites": list(channel.sites.all()), "tags": list(channel.tags.all()),
        "send_resolved": channel.send_resolved, "repeat_interval_s": channel.repeat_interval_s,
        "group_window_s": channel.group_window_s, "timeout_s": channel.timeout_s,
        "max_attempts": channel.max_attempts, "retry_base_s": channel.retry_base_s,
    }


def update_channel(pk: int, data: Mapping[str, Any]) -> NotificationChannel:
    """Change the fields given of channel ``pk`` (``url``/``secret`` left out: kept).

    Raises:
        NotFound: no channel ``pk``. Invalid: naming each bad or unknown field.
    """
    check_keys(data, channel_fields())
    with transaction.atomic():
        channel = get_object(NotificationChannel, pk, "channel",
                       NotificationChannel.objects.select_for_update())
        form = ChannelForm({**plain_data(_channel_initial(channel)), **plain_data(data)},
                           instance=channel)
        return save_channel_form(form)


def delete_channel(pk: int) -> None:
    """Delete channel ``pk`` and its outbox.

    Raises:
        NotFound: no channel ``pk``.
    """
    with transaction.atomic():
        get_object(NotificationChannel, pk, "channel").delete()


def test_channel(pk: int) -> outbox.SendResult:
    """Send a test message through channel ``pk`` now (see
    :func:`mikromon.web.notify.outbox.send_test`); a failure is a result.

    Raises:
        NotFound: no channel ``pk``.
    """
    get_object(NotificationChannel, pk, "channel")
    return outbox.send_test(pk)


def channel_dict(channel: NotificationChannel, *, status: bool = True) -> dict[str, Any]:
    """The JSON document of a channel: the target masked, never the URL or secret in
    clear; with ``status``, delivery counts by state, the last error and the last
    message sent."""
    doc: dict[str, Any] = {
        "id": channel.pk,
        "name": channel.name,
        "kind": channel.kind,
        "enabled": channel.enabled,
        "target": channel.target_display(),
        "has_secret": channel.has_secret,
        "min_severity": channel.min_severity,
        "sites": [{"id": s.pk, "name": s.name} for s in channel.sites.all()],
        "tags": [{"id": t.pk, "name": t.name} for t in channel.tags.all()],
        "send_resolved": channel.send_resolved,
        "repeat_interval_s": channel.repeat_interval_s,
        "group_window_s": channel.group_window_s,
        "timeout_s": channel.timeout_s,
        "max_attempts": channel.max_attempts,
        "retry_base_s": channel.retry_base_s,
    }
    if status:
        st = outbox.channel_status(channel)
        doc["delivery"] = {"counts": st["counts"], "last_error": st["last_error"],
                           "last_sent_at": iso(st["last_sent_at"])}
    return doc
