"""Who may do what.

Two roles, both plain Django auth:

* **admins**: active users with ``is_staff`` (or ``is_superuser``). They manage
  devices, users and API tokens and start or stop the collector.
* **viewers**: every other active user (put them in the ``viewers`` group for
  clarity; the group carries no permissions). They read every page and the
  API but change nothing: every change answers 403 (a page saying so; the log
  gets Django's one-line "Forbidden: <path>" warning, no traceback).

``mikromon createadmin`` and the demo create a superuser; the Users page
creates either role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Name of the group that viewers are put in (documentation only: no permissions).
VIEWERS_GROUP = "viewers"


def is_admin(user: Any) -> bool:
    """Return ``True`` when ``user`` may change things (staff or superuser, active)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def role_name(user: Any) -> str:
    """Return ``"admin"`` or ``"viewer"`` for display."""
    return "admin" if is_admin(user) else "viewer"


View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """Answer 403 with a page saying ``message`` and who is signed in.

    Returned rather than raised (``PermissionDenied``): Django logs a raised one
    with its traceback; a returned 403 gets one short line.
    """
    return render(request, "ui/forbidden.html", {"message": message}, status=403)


def admin_required(view: View) -> View:
    """Decorate a view: anonymous users go to the sign-in page, viewers get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            return forbidden(request, "Only admins may change this.")
        return view(request, *args, **kwargs)

    return wrapper
