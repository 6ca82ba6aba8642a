"""Who may scrape: an API token (``Authorization: Bearer <key>`` or ``Token
<key>``), HTTP basic auth with a mikromon user's name and password, or a signed-in
browser session. Anonymous scrapes only when ``MIKROMON_METRICS_ANONYMOUS`` is on.

Wrong passwords count against the sign-in limits of the user name and the client
address, unknown tokens against the token limit (:mod:`mikromon.web.ratelimit`):
429 with ``Retry-After`` once over.

A password check costs Django's whole key stretching (PBKDF2: about 0.3 s of CPU,
seconds on a busy machine), and Prometheus sends the same credentials on every
scrape: a successful check is remembered for :data:`BASIC_REMEMBER_S` seconds in
this process's cache, under a keyed digest of the credentials (never the
password), and only while the user's stored password hash is unchanged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Final

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from mikromon.web.api.auth import authenticate as api_authenticate
from mikromon.web.ratelimit import (
    SIGNIN_PER_ADDRESS,
    SIGNIN_PER_USER,
    client_address,
    normalize_username,
    wait_text,
)

#: Seconds a successful basic-auth check is remembered.
BASIC_REMEMBER_S: Final = 300

#: What a refused scrape is told to send.
CHALLENGE = 'Basic realm="mikromon", Bearer realm="mikromon"'


def refusal(request: HttpRequest) -> HttpResponse | None:
    """Return the answer refusing ``request`` (401, 429), or ``None`` when it may
    read the metrics (``request.user`` is then the scraping user, if any)."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        return _basic(request, credentials.strip())
    if header or request.user.is_authenticated:
        refused = api_authenticate(request)
        if refused is None:
            return None
        return _text(refused.status_code, _message(refused),
                     retry_after=refused.get("Retry-After"))
    if getattr(settings, "MIKROMON_METRICS_ANONYMOUS", False):
        return None
    return _text(401, "authentication required: an API token (Authorization: Bearer "
                      "<key>) or basic auth with a mikromon user")


def _basic(request: HttpRequest, credentials: str) -> HttpResponse | None:
    try:
        username, sep, password = base64.b64decode(credentials, validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return _text(401, "malformed basic auth credentials")
    if not sep:
        return _text(401, "malformed basic auth credentials (no ':')")
    address = client_address(request)
    user_key = normalize_username(username)
    wait = max(SIGNIN_PER_ADDRESS.blocked_for(address), SIGNIN_PER_USER.blocked_for(user_key))
    if wait > 0:
        return _text(429, f"too many failed sign-ins; try again in {wait_text(wait)}",
                     retry_after=str(max(1, int(wait + 0.999))))
    key = "mikromon-scrape-basic:" + hmac.new(
        settings.SECRET_KEY.encode(), f"{username}\0{password}".encode(), hashlib.sha256,
    ).hexdigest()
    remembered = cache.get(key)
    if remembered is not None:
        user_id, password_hash = remembered
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is not None and user.password == password_hash:
            request.user = user
            return None
    user = authenticate(request, username=username, password=password)
    if user is None:
        SIGNIN_PER_ADDRESS.record(address)
        SIGNIN_PER_USER.record(user_key)
        return _text(401, "wrong user name or password")
    cache.set(key, (user.pk, user.password), BASIC_REMEMBER_S)
    request.user = user
    return None


def _message(response: HttpResponse) -> str:
    import json

    try:
        return str(json.loads(response.content)["error"])
    except (ValueError, KeyError, TypeError):
        return "refused"


def _text(status: int, message: str, *, retry_after: str | None = None) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status,
                            content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = CHALLENGE
    if retry_after:
        response["Retry-After"] = retry_after
    return response
