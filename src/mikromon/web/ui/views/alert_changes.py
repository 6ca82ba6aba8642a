"""What the alerting pages' changes share (every change goes through
:mod:`mikromon.web.alerts.services`): where to go back to, the text of a
service's error, a posted form as plain data, saving and deleting through a
service, and telling a running collector that rules changed.

Viewers read every page; only admins see the buttons, and every POST by a viewer
answers 403 (:func:`mikromon.web.ui.permissions.admin_required`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def next_url(request: HttpRequest, default: str) -> str:
    """The page's ``next`` when it is a local URL, else ``default``."""
    from mikromon.web.ui.views.devices import safe_next

    return safe_next(request, default)


def error_text(err: Exception) -> str:
    """A service error's message (any other error's text)."""
    return getattr(err, "message", "") or str(err)


def form_data(request: HttpRequest) -> dict[str, Any]:
    """The posted form as a plain mapping (lists kept for multiple-choice fields)."""
    data: dict[str, Any] = {}
    for key in request.POST:
        if key in ("csrfmiddlewaretoken", "preview", "save"):
            continue
        values = request.POST.getlist(key)
        data[key] = values if key in ("states", "facts") else values[-1]
    return data


def collector_notify() -> None:
    """Tell a running collector that rules changed (its engine reloads them)."""
    from mikromon.web.control import collector

    collector.notify_config_changed()


def save_then_redirect(request: HttpRequest, form: Any, save: Callable[[Any], Any], what: str,
                       *, created: bool, to: str,
                       done: Callable[[], None] | None = None) -> HttpResponse | None:
    """Save a bound form through a service function (``services.save_rule_form``),
    say so (``Rule cpu created.``) and redirect to the URL name ``to``; ``done``
    runs after a save. ``None`` when it was not saved: the service's error is on
    the form (next to the field the form knows, else over the whole form)."""
    from mikromon.web.alerts import services

    try:
        saved = save(form)
    except services.ServiceError as err:
        if not form.errors:
            form.add_error(None, error_text(err))
        return None
    if done is not None:
        done()
    messages.success(request, f"{what} {saved.name} {'created' if created else 'saved'}.")
    return redirect(to)


def delete_then_redirect(request: HttpRequest, what: str, name: str,
                         delete: Callable[[], None], to: str,
                         done: Callable[[], None] | None = None) -> HttpResponse:
    """Run a service's ``delete``, say how it went (``Rule cpu deleted.``, or why
    not) and redirect to the URL name ``to``; ``done`` runs after a deletion."""
    from mikromon.web.alerts import services

    try:
        delete()
    except services.ServiceError as err:
        messages.error(request, f"{what} {name} not deleted: {error_text(err)}")
    else:
        if done is not None:
            done()
        messages.success(request, f"{what} {name} deleted.")
    return redirect(to)
