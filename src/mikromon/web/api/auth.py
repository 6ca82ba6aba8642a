"""Authentication of API requests: an API token or the browser's session.

``Authorization: Token <key>`` (``Bearer <key>`` is accepted too) authenticates
as the token's user and needs no CSRF token. Without that header the session
cookie is used, and unsafe methods (POST...) must pass Django's CSRF check like
any form. No credentials: 401 with ``WWW-Authenticate: Token``. Changes by a
viewer: 403. Too many unknown tokens from one address
(:data:`mikromon.web.ratelimit.TOKEN_PER_ADDRESS`): 429 with ``Retry-After``.
Every error is JSON ``{"error": "..."}``: views raise :class:`ApiError` (or
Django's ``Http404``) and :func:`api_view` answers with it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from mikromon.web.monitor.models import ApiToken
from mikromon.web.params import ParamError
from mikromon.web.ratelimit import TOKEN_PER_ADDRESS, client_address, wait_text
from mikromon.web.roles import is_admin

View = Callable[..., HttpResponse]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SCHEMES = ("token", "bearer")


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    """Return ``{"error": message}`` with ``status``."""
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="mikromon"'
    return response


class ApiError(Exception):
    """An error answer of the API: raise it in a view decorated by :func:`api_view`.

    Args:
        status: HTTP status (400, 404, ...).
        message: what was wrong, naming the parameter or object.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _token_from_header(request: HttpRequest) -> str | None:
    """Return the key of an ``Authorization: Token|Bearer <key>`` header, '' for a
    malformed one, ``None`` when there is no such header."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() not in SCHEMES:
        return None
    return key.strip()


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    def no_response(_request: HttpRequest) -> HttpResponse:  # pragma: no cover
        return HttpResponse()

    check = CsrfViewMiddleware(no_response)
    check.process_request(request)
    return check.process_view(request, no_response, (), {})


def authenticate(request: HttpRequest) -> JsonResponse | None:
    """Authenticate an API request by token or session (CSRF-checked for unsafe
    methods); return the error answer, or ``None`` when the request may go on."""
    key = _token_from_header(request)
    if key is not None:
        address = client_address(request)
        wait = TOKEN_PER_ADDRESS.blocked_for(address)
        if wait > 0:
            response = error(429, f"too many invalid API tokens from {address}; "
                                  f"try again in {wait_text(wait)}")
            response["Retry-After"] = str(max(1, int(wait + 0.999)))
            return response
        token = ApiToken.authenticate(key)
        if token is None:
            TOKEN_PER_ADDRESS.record(address)
            return error(401, "invalid or revoked API token")
        request.user = token.user
    elif not request.user.is_authenticated:
        return error(401, "authentication required: sign in or send "
                          "'Authorization: Token <key>'")
    elif request.method not in SAFE_METHODS:
        failure = _csrf_failure(request)
        if failure is not None:
            return error(403, "CSRF check failed (send the X-CSRFToken header)")
    return None


def api_view(*, methods: tuple[str, ...] = ("GET",), admin: bool = False) -> Callable[[View], View]:
    """Decorate an API view: authenticate, check the method and, for ``admin``
    views, that the user is an admin (viewers: 403). :class:`ApiError`,
    :class:`~mikromon.web.params.ParamError` (400) and ``Http404`` raised by
    the view become JSON error answers.

    The view is exempt from the login redirect (it answers 401 instead) and
    from the CSRF middleware (token requests need none; session requests are
    checked here).
    """

    def decorate(view: View) -> View:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = authenticate(request)
            if refused is not None:
                return refused
            if request.method not in methods and not (
                request.method == "HEAD" and "GET" in methods
            ):
                response = error(405, f"method {request.method} not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            if (admin or request.method not in SAFE_METHODS) and not is_admin(request.user):
                return error(403, "only admins may do this")
            try:
                return view(request, *args, **kwargs)
            except ApiError as err:
                return error(err.status, err.message)
            except ParamError as err:
                return error(400, str(err))
            except Http404 as err:
                return error(404, str(err) or f"{request.path} was not found")

        return wrapper

    return decorate
