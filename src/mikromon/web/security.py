"""Security middleware: the Content-Security-Policy and Permissions-Policy
headers, sign-in limits, and a guard against query values no view can use.

Django 5.2's ``SecurityMiddleware`` sends ``X-Content-Type-Options``,
``Referrer-Policy`` and ``Cross-Origin-Opener-Policy``, and
``XFrameOptionsMiddleware`` sends ``X-Frame-Options``; Django has no CSP before
6.0, so :class:`SecurityHeadersMiddleware` adds it (``settings.MIKROMON_CSP``)
with ``Permissions-Policy`` (``settings.MIKROMON_PERMISSIONS_POLICY``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from mikromon.web.ratelimit import (
    SIGNIN_PER_ADDRESS,
    SIGNIN_PER_USER,
    client_address,
    normalize_username,
    wait_text,
)

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """Add ``Content-Security-Policy`` and ``Permissions-Policy`` to every answer
    (a view that sets its own keeps it)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.MIKROMON_CSP:
            response.headers.setdefault("Content-Security-Policy", settings.MIKROMON_CSP)
        if settings.MIKROMON_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy",
                                        settings.MIKROMON_PERMISSIONS_POLICY)
        return response


class ParameterGuardMiddleware:
    """Answer 400, naming the parameter, for query values no view can use:

    - a NUL character in any value: PostgreSQL refuses it in text, so every
      filter and search would fail with a 500 there (SQLite accepts it);
    - an empty ``_to_field`` on the admin's pages: Django's admin takes it for a
      field named ``''`` and fails with ``FieldDoesNotExist``.

    Under ``/api/`` the answer is the API's JSON error.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = None
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                problem = f"{name[:80]!r} must not contain a NUL character"
                break
        if problem is None and "_to_field" in request.GET and not request.GET.get("_to_field"):
            problem = "_to_field must name a field (it is empty)"
        if problem is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"error": problem}, status=400)
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")


def signin_paths() -> tuple[str, ...]:
    """The paths that take a user name and password: ours and the admin's."""
    return (reverse("login"), reverse("admin:login"))


class SignInLimitMiddleware:
    """Refuse a sign-in (429, with ``Retry-After``) while its user name or its
    address has too many recent failures (:mod:`mikromon.web.ratelimit`);
    :func:`connect` counts the failures. The check comes before the password is
    looked at, so a locked name cannot be signed in even with the right one."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info in signin_paths():
            refused = limited_signin(request)
            if refused is not None:
                return refused
        return self.get_response(request)


def limited_signin(request: HttpRequest) -> HttpResponse | None:
    """The 429 answer for a sign-in that is over a limit, else ``None``."""
    address = client_address(request)
    username = normalize_username(request.POST.get("username"))
    by_user = SIGNIN_PER_USER.blocked_for(username) if username else 0.0
    by_address = SIGNIN_PER_ADDRESS.blocked_for(address)
    wait = max(by_user, by_address)
    if wait <= 0:
        return None
    if by_user >= by_address:
        reason = (f"Too many failed sign-ins for the user name {username!r}: "
                  f"sign-in for it is paused.")
    else:
        reason = f"Too many failed sign-ins from your address ({address}): sign-in is paused."
    response = render(request, "registration/signin_limited.html", {
        "reason": reason,
        "wait": wait_text(wait),
    }, status=429)
    response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


def _failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
            **kwargs: Any) -> None:
    if request is None:  # not a request (the command line, Client.login in tests)
        return
    username = normalize_username(credentials.get("username"))
    if username:
        SIGNIN_PER_USER.record(username)
    SIGNIN_PER_ADDRESS.record(client_address(request))


def _succeeded(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and user is not None:
        SIGNIN_PER_USER.clear(normalize_username(user.get_username()))


def connect() -> None:
    """Count failed sign-ins and clear a user name's count on success (signals)."""
    user_login_failed.connect(_failed, dispatch_uid="mikromon.signin.failed")
    user_logged_in.connect(_succeeded, dispatch_uid="mikromon.signin.succeeded")
