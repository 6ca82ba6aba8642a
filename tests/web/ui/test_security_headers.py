"""Security headers on every answer, and pages the Content-Security-Policy allows:
no inline script, no inline event handler, no inline style attribute."""

from __future__ import annotations

import re

import pytest
from django.test import Client

PAGES = ["/", "/devices/", "/devices/add/", "/devices/{pk}/", "/devices/{pk}/edit/",
         "/events/", "/collector/", "/users/", "/tokens/", "/no-such-page/",
         "/devices/?state=nope", "/?group=nope", "/alerts/", "/alerts/history/",
         "/alerts/rules/", "/alerts/rules/add/", "/alerts/silences/", "/alerts/silences/add/",
         "/alerts/channels/", "/alerts/channels/add/", "/alerts/?severity=nope"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style", re.I)


def _check_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'"):
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_pages_send_headers_and_no_inline_code(admin_web, device, no_collector):
    """Every page (errors too) carries the headers; none has inline script, handler
    or style attribute (the CSP would block them)."""
    for path in PAGES:
        response = admin_web.get(path.format(pk=device.pk))
        _check_headers(response)
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
        assert not HANDLER.search(html), (path, HANDLER.search(html).group(0))
        assert not STYLE_ATTR.search(html), (path, STYLE_ATTR.search(html).group(0))
        assert not STYLE_TAG.search(html), path


@pytest.mark.django_db
def test_sign_in_and_api_send_headers(admin_token):
    for response in (Client().get("/accounts/login/"), Client().get("/api/v1/"),
                     Client(HTTP_AUTHORIZATION=f"Token {admin_token}").get("/api/v1/"),
                     Client().get("/admin/login/")):
        _check_headers(response)


@pytest.mark.django_db
def test_meter_width_is_a_class(admin_web, device, no_collector):
    """The percentage bars keep their width without a style attribute."""
    from mikromon.web.ui.templatetags.mikromon_ui import meter

    assert 'class="p42"' in meter(42.4)
    assert 'class="p100"' in meter(130.0)
    assert 'class="p0"' in meter(-3.0)
