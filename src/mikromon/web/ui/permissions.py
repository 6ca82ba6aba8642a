"""Who may do what on the pages: :func:`admin_required` for views that change
things, :func:`forbidden` for the 403 page. The roles themselves are
:mod:`mikromon.web.roles`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mikromon.web.roles import is_admin

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
