"""API errors are JSON: 404 for unknown objects and paths, 400 naming the parameter."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def api(admin_token):
    """A client authenticated with the admin's token."""
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


def _json_error(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    doc = response.json()
    assert set(doc) >= {"error"}
    assert isinstance(doc["error"], str)
    assert doc["error"]
    return doc["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/api/v1/devices/999",
    "/api/v1/devices/999/latest",
    "/api/v1/devices/999/series?metric=system.cpu.load_pct",
    "/api/v1/devices/999/inventory/arp",
])
def test_unknown_device_is_a_json_404(api, device, path):
    """An unknown device id answers 404 with a JSON error naming the id."""
    message = _json_error(api.get(path), 404)
    assert "999" in message


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/api/v1/nosuch",
    "/api/v1/devices/",
    "/api/v1/devices/abc",
    "/api/v1/devices/1/nosuch",
    "/api/v1/events/7",
    "/api/v1/v2/devices",
])
def test_unknown_path_is_a_json_404(api, device, path):
    """A path the API does not have answers 404 in JSON and points at the index."""
    message = _json_error(api.get(path), 404)
    assert "/api/v1/" in message


@pytest.mark.django_db
def test_unknown_path_post_is_a_json_404(api):
    """Whatever the method."""
    _json_error(api.post("/api/v1/nosuch", {}), 404)
    _json_error(api.delete("/api/v1/devices/1/nosuch"), 404)


@pytest.mark.django_db
def test_unknown_path_without_credentials_is_401():
    """Like every API path, an unknown one needs credentials first (no guessing)."""
    response = Client().get("/api/v1/nosuch")
    _json_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_unknown_inventory_table_is_404(api, device):
    """A table name that is neither known nor stored answers 404 listing the tables."""
    message = _json_error(api.get(f"/api/v1/devices/{device.pk}/inventory/nosuch"), 404)
    assert "'nosuch'" in message
    assert "interfaces" in message


@pytest.mark.django_db
def test_stored_table_unknown_to_the_pages_is_served(api, device):
    """A table a newer collector stores (not in the pages' list) is still readable."""
    from datetime import UTC, datetime

    from mikromon.domain.inventory import InventorySnapshot
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage(maintenance_interval=None).write_inventory(device.pk, InventorySnapshot(
        table="ipsec_peers", key_fields=("name",), ts=datetime.now(UTC),
        rows=[{"name": "peer1"}]))
    response = api.get(f"/api/v1/devices/{device.pk}/inventory/ipsec_peers")
    assert response.status_code == 200
    assert response.json()["rows"] == [{"name": "peer1"}]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "words"), [
    ("device=abc", "device='abc'"),
    ("device=-1", "device='-1'"),
    ("kind=bogus", "kind='bogus'"),
    ("limit=x", "limit='x'"),
])
def test_events_bad_parameters(api, device, query, words):
    """Bad event filters answer 400 naming the parameter (no Python text)."""
    message = _json_error(api.get(f"/api/v1/events?{query}"), 400)
    assert words in message
    assert "invalid literal" not in message


@pytest.mark.django_db
def test_events_bad_kind_lists_the_kinds(api):
    """The message lists the valid kinds."""
    message = _json_error(api.get("/api/v1/events?kind=bogus"), 400)
    assert "device_down" in message
    assert "path_absent" in message


@pytest.mark.django_db
def test_events_of_a_device_without_events_is_empty(api, device):
    """A valid id filter with nothing to show is an empty list, not an error."""
    response = api.get(f"/api/v1/events?device={device.pk}")
    assert response.status_code == 200
    assert response.json()["events"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "words"), [
    ("state=bogus", "state='bogus'"),
    ("state=UP", "state='UP'"),
])
def test_devices_bad_state(api, device, query, words):
    """An unknown state answers 400 naming it and the states."""
    message = _json_error(api.get(f"/api/v1/devices?{query}"), 400)
    assert words in message
    assert "auth_failed" in message


@pytest.mark.django_db
def test_devices_good_state_filters(api, device):
    """Known states filter as before."""
    assert api.get("/api/v1/devices?state=unknown").json()["devices"][0]["name"] == "edge-1"
    assert api.get("/api/v1/devices?state=up").json()["devices"] == []


@pytest.mark.django_db
def test_index_paths_are_absolute(api):
    """Every endpoint in the index is an absolute path under /api/v1/."""
    endpoints = api.get("/api/v1/").json()["endpoints"]
    assert endpoints
    for name, path in endpoints.items():
        assert path.startswith("/api/v1/"), (name, path)
    assert endpoints["latest"] == "/api/v1/devices/<id>/latest"
    assert endpoints["inventory"] == "/api/v1/devices/<id>/inventory/<table>"
    assert endpoints["series"].startswith("/api/v1/devices/<id>/series?metric=")


@pytest.mark.django_db
def test_collector_times_end_in_z(api, fake_collector):
    """desired.changed_at is ISO 8601 UTC with a Z, like every other time."""
    api.post("/api/v1/collector/stop")
    doc = api.get("/api/v1/collector").json()
    assert doc["desired"]["changed_at"].endswith("Z")
    assert doc["now"].endswith("Z")
