"""One vocabulary and one set of rules across API and commands: units from the
catalog, times to the second, unknown metrics refused, JSON errors for bad bodies
and unknown paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.domain.samples import Sample

T0 = datetime(2025, 3, 1, 12, 0, 0, 683389, tzinfo=UTC)


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.mark.django_db
def test_times_are_to_the_second(api, device):
    """Every API time is ISO 8601 UTC to the second, as docs/api.md shows."""
    _storage().write_samples(device.pk, [Sample("system.uptime_seconds", 10.0, T0)])
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP, ts=T0,
                                         last_seen=T0))
    doc = api.get(f"/api/v1/devices/{device.pk}").json()
    assert doc["last_data"] == "2025-03-01T12:00:00Z"
    assert doc["last_seen"] == "2025-03-01T12:00:00Z"
    assert "." not in doc["created_at"]
    latest = api.get(f"/api/v1/devices/{device.pk}/latest").json()
    assert latest["values"][0]["ts"] == "2025-03-01T12:00:00Z"


@pytest.mark.django_db
def test_unknown_metric_is_400_naming_it(api, device):
    response = api.get(f"/api/v1/devices/{device.pk}/series?metric=bogus")
    assert response.status_code == 400
    assert "bogus" in response.json()["error"]
    assert "unknown" in response.json()["error"]


@pytest.mark.django_db
def test_known_metric_without_data_is_an_empty_series(api, device):
    response = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.cpu.load_pct")
    assert response.status_code == 200
    assert response.json()["series"] == []
    assert response.json()["unit"] == "percent"


@pytest.mark.django_db
def test_health_metric_has_its_unit(api, device):
    now = datetime.now(UTC).replace(microsecond=0)
    _storage().write_samples(device.pk, [
        Sample("system.health.fan1-speed", 6090.0, now - timedelta(seconds=30))])
    doc = api.get(f"/api/v1/devices/{device.pk}/series?metric=system.health.fan1-speed").json()
    assert doc["unit"] == "rpm"
    assert doc["series"][0]["v"] == [6090.0]


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


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_both_token_schemes_work(admin_token, scheme):
    client = Client(HTTP_AUTHORIZATION=f"{scheme} {admin_token}")
    assert client.get("/api/v1/devices").status_code == 200
