"""The collector endpoints of the API: start and stop by POST only, a malformed
JSON body named, unknown paths under the API a JSON 404."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.mark.django_db
def test_collector_malformed_json_is_named(api, fake_collector):
    response = api.post("/api/v1/collector", data=b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid JSON")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/collector/restart", "/api/v1/collector/x/y",
                                  "/api/v1/devices/1/nosuch"])
def test_unknown_collector_paths_are_404(api, fake_collector, path):
    for method in (api.get, api.post):
        response = method(path)
        assert response.status_code == 404, (method, path)
        assert "no API endpoint" in response.json()["error"]


@pytest.mark.django_db
def test_start_and_stop_paths_still_work(api, fake_collector):
    assert api.post("/api/v1/collector/stop").status_code == 200
    assert api.get("/api/v1/collector/stop").status_code == 405
