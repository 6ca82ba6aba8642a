"""The pages of notification channels: the list with delivery state, the
channel form (URL and secret never shown back), deleting and a test send
(through :mod:`mikromon.web.alerts.services`).
Viewers read them; changes are for admins (see :mod:`.alerts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from mikromon.web.monitor.models import Site, Tag
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views.alert_changes import delete_then_redirect, error_text, save_then_redirect

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
    return (save_then_redirect(request, form, services.save_channel_form, "Channel",
                               created=channel is None, to="ui:channel_list")
            or _channel_page(request, form, channel, status=400))


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
    return delete_then_redirect(request, "Channel", channel.name,
                                lambda: services.delete_channel(channel.pk), "ui:channel_list")


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
        outcome = {"ok": False, "detail": error_text(err), "duration_s": 0.0}
    else:
        outcome = {"ok": result.ok, "detail": result.detail, "duration_s": result.duration_s}
    request.session[_TEST_KEY] = {"channel": channel.name, "channel_id": channel.pk, **outcome}
    return redirect("ui:channel_list")
