"""The pages of silences: those in force, scheduled and expired; creating one
and ending one (through :mod:`mikromon.web.alerts.services`).
Viewers read them; changes are for admins (see :mod:`.alerts`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mikromon.web.alerts.models import AlertRule, Silence
from mikromon.web.monitor.models import Site, Tag
from mikromon.web.params import ParamError, parse_id
from mikromon.web.ui.permissions import admin_required
from mikromon.web.ui.views import device_pick
from mikromon.web.ui.views.alert_changes import error_text

# -- silences -----------------------------------------------------------------------


def silence_groups(now: datetime | None = None) -> dict[str, list[Silence]]:
    """Silences in force, scheduled (starting later) and expired (the last 50)."""
    now = now or timezone.now()
    base = Silence.objects.select_related("device", "site", "tag", "rule", "created_by")
    return {
        "active": list(base.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "id")),
        "scheduled": list(base.filter(starts_at__gt=now).order_by("starts_at", "id")),
        "expired": list(base.filter(ends_at__lte=now).order_by("-ends_at", "-id")[:50]),
    }



def silence_list(request: HttpRequest) -> HttpResponse:
    """Silences in force, scheduled and expired; admins create and expire them."""
    return render(request, "ui/silence_list.html", {**silence_groups(), "now": timezone.now()})


def _silence_page(request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
    """The silence form; its device field is the filters' device pick (a list of the
    devices, or a name box for a large fleet: :func:`device_pick.choices`)."""
    values = form.data if form.is_bound else form.initial
    return render(request, "ui/silence_form.html", {
        "form": form,
        **device_pick.choices(str(values.get("device") or "")),
        "sites": Site.objects.order_by("name"),
        "tags": Tag.objects.order_by("name"),
        "rules": AlertRule.objects.order_by("name").only("id", "name"),
        "values": values,
    }, status=status)


@admin_required
def silence_add(request: HttpRequest) -> HttpResponse:
    """Create a silence (admins): device, site, tag and/or rule, a time range, a reason.
    ``?device=&rule=`` (ids) fill the form in (the Silence buttons of alerts)."""
    from mikromon.web.alerts import services
    from mikromon.web.alerts.forms import SilenceForm

    if request.method == "POST":
        form = SilenceForm(request.POST)
        if not form.is_valid():
            return _silence_page(request, form, status=400)
        try:
            fields = {k: v for k, v in request.POST.dict().items() if k in form.fields}
            silence = services.create_silence(fields, user=request.user)
        except services.ServiceError as err:
            for field, errs in (getattr(err, "errors", None) or {"__all__": [error_text(err)]}
                                ).items():
                for e in errs:
                    form.add_error(None if field == "__all__" or field not in form.fields
                                   else field, e)
            return _silence_page(request, form, status=400)
        # In the user's zone, as the form read it (UserTimeZoneMiddleware).
        ends = timezone.localtime(silence.ends_at)
        messages.success(request, f"Silence until {ends:%Y-%m-%d %H:%M} "
                                  f"{timezone.get_current_timezone_name()} created.")
        return redirect("ui:silence_list")
    initial: dict[str, Any] = {"duration": "2h"}
    for name in ("device", "site", "tag", "rule"):
        text = request.GET.get(name, "").strip()
        if text:
            try:
                initial[name] = str(parse_id(name, text))
            except ParamError:
                pass
    return _silence_page(request, SilenceForm(initial=initial))


@admin_required
@require_POST
def silence_expire(request: HttpRequest, pk: int) -> HttpResponse:
    """End a silence now (admins, POST); it stays in the list as expired."""
    from mikromon.web.alerts import services

    try:
        services.expire_silence(pk, user=request.user)
    except services.NotFound as err:
        raise Http404(error_text(err)) from None
    except services.ServiceError as err:
        messages.error(request, f"Silence not expired: {error_text(err)}")
    else:
        messages.success(request, "Silence expired.")
    return redirect("ui:silence_list")
