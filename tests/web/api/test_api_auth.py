"""API authentication: 401 without credentials, tokens, sessions with CSRF, 403 for viewers."""

from __future__ import annotations

import json

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/devices", "/api/v1/devices/1",
                                  "/api/v1/devices/1/latest",
                                  "/api/v1/devices/1/series?metric=system.cpu.load_pct",
                                  "/api/v1/devices/1/inventory/arp", "/api/v1/events",
                                  "/api/v1/collector"])
def test_401_without_credentials(path, device):
    """Every endpoint answers 401 with a JSON error and a WWW-Authenticate challenge."""
    response = Client().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="mikromon"'
    assert "error" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token"])
def test_token_schemes(admin_token, scheme):
    """``Authorization: Token <key>`` works, and ``Bearer`` too."""
    response = Client(HTTP_AUTHORIZATION=f"{scheme} {admin_token}").get("/api/v1/devices")
    assert response.status_code == 200


@pytest.mark.django_db
def test_bad_or_revoked_token(admin_token, admin):
    """An unknown token, a revoked one or an inactive user's token answers 401."""
    from mikromon.web.monitor.models import ApiToken

    assert Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/devices").status_code == 401
    admin.is_active = False
    admin.save()
    client = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    assert client.get("/api/v1/devices").status_code == 401
    admin.is_active = True
    admin.save()
    assert client.get("/api/v1/devices").status_code == 200
    ApiToken.objects.all().delete()
    assert client.get("/api/v1/devices").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_token_use_is_recorded(admin_token):
    """Using a token updates its last-used time (written off the request path)."""
    from mikromon.web.monitor.models import ApiToken
    from mikromon.web.monitor.models.system import flush_token_uses

    Client(HTTP_AUTHORIZATION=f"Token {admin_token}").get("/api/v1/")
    assert flush_token_uses()
    assert ApiToken.objects.get().last_used is not None


@pytest.mark.django_db
def test_session_auth_and_csrf(admin, fake_collector):
    """A signed-in browser reads with its session; its POSTs need the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.get("/api/v1/collector").status_code == 200
    refused = client.post("/api/v1/collector", json.dumps({"action": "start"}),
                          content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]
    page = client.get("/devices/")  # any page sets the CSRF cookie
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else (
        client.cookies["csrftoken"].value)
    ok = client.post("/api/v1/collector", json.dumps({"action": "start"}),
                     content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200
    assert fake_collector.calls == ["start"]


@pytest.mark.django_db
def test_token_posts_need_no_csrf(admin_token, fake_collector):
    """Token requests are not browser requests: no CSRF token needed."""
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {admin_token}")
    response = client.post("/api/v1/collector/stop")
    assert response.status_code == 200
    assert fake_collector.calls == ["stop"]
    assert response.json()["desired"]["running"] is False


@pytest.mark.django_db
def test_viewer_cannot_start_or_stop(viewer_token, fake_collector):
    """A viewer's token reads the collector but gets 403 on start/stop."""
    client = Client(HTTP_AUTHORIZATION=f"Token {viewer_token}")
    assert client.get("/api/v1/collector").status_code == 200
    for response in (client.post("/api/v1/collector", {"action": "stop"}),
                     client.post("/api/v1/collector/start")):
        assert response.status_code == 403
    assert fake_collector.calls == []


@pytest.mark.django_db
def test_methods(admin_token, device):
    """Read-only endpoints refuse POST with 405 naming the allowed methods."""
    client = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    response = client.post(f"/api/v1/devices/{device.pk}/latest")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    response = client.post(f"/api/v1/devices/{device.pk}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, PATCH, PUT, DELETE"
    assert client.get("/api/v1/collector/start").status_code == 405
    assert client.post("/api/v1/collector", {"action": "dance"}).status_code == 400
