"""Device writes through the API: POST /api/v1/devices, PATCH/PUT/DELETE
/api/v1/devices/<id>, POST /api/v1/devices/bulk. Admins only; the device form's
rules and messages as JSON naming the field; passwords write-only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

ROUTER_PASSWORD = "r0uter-Secret-9"  # tests/web/conftest.py's device fixture

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

NEW = {"name": "r9", "host": "10.0.0.9", "username": "mon", "password": "new-secret",
       "site": "HQ", "tags": ["core", "Edge"], "intervals": {"realtime": 10}}


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def viewer_api(viewer_token):
    return Client(HTTP_AUTHORIZATION=f"Token {viewer_token}")


def send(client, method, path, data=None):
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json")


def test_create_answers_the_device_document_without_password(api) -> None:
    from mikromon.web.monitor.models import ConfigVersion, Device

    before = ConfigVersion.current()
    response = send(api, "post", "/api/v1/devices", NEW)
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["name"] == "r9"
    assert doc["port"] == 8728
    assert doc["has_password"] is True
    assert doc["site"]["name"] == "HQ"
    assert sorted(doc["tags"]) == ["Edge", "core"]
    assert doc["intervals"]["realtime"] == 10
    assert "new-secret" not in response.content.decode()
    assert "password" not in doc
    assert Device.objects.get(name="r9").get_password() == "new-secret"
    assert ConfigVersion.current() != before


def test_create_errors_name_the_field(api) -> None:
    response = send(api, "post", "/api/v1/devices",
                    {**NEW, "host": "not a host!", "password": "", "colour": "red"})
    assert response.status_code == 400
    body = response.json()
    assert "colour" in body["fields"]
    response = send(api, "post", "/api/v1/devices", {**NEW, "host": "not a host!",
                                                     "password": ""})
    body = response.json()
    assert set(body["fields"]) == {"host", "password"}
    assert body["error"].startswith("host: ") or "host: " in body["error"]


def test_patch_changes_only_the_fields_given(api, device) -> None:
    response = send(api, "patch", f"/api/v1/devices/{device.pk}",
                    {"enabled": False, "tags": ["lab"]})
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.enabled is False
    assert device.host == "127.0.0.1"
    assert [t.name for t in device.tags.all()] == ["lab"]
    assert device.get_password() == ROUTER_PASSWORD
    response = send(api, "patch", f"/api/v1/devices/{device.pk}", {"port": "x"})
    assert response.status_code == 400
    assert "port" in response.json()["fields"]


def test_put_replaces_the_settings(api, device) -> None:
    response = send(api, "put", f"/api/v1/devices/{device.pk}",
                    {"name": "edge-2", "host": "10.1.1.1", "username": "u2"})
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert (device.name, device.host, device.username) == ("edge-2", "10.1.1.1", "u2")
    assert device.get_password() == ROUTER_PASSWORD
    response = send(api, "put", f"/api/v1/devices/{device.pk}", {"name": "edge-3"})
    assert response.status_code == 400
    assert {"host", "username"} <= set(response.json()["fields"])


def test_delete(api, device) -> None:
    from mikromon.web.monitor.models import Device

    response = send(api, "delete", f"/api/v1/devices/{device.pk}")
    assert response.status_code == 200
    assert response.json() == {"deleted": device.pk}
    assert not Device.objects.exists()
    assert send(api, "delete", f"/api/v1/devices/{device.pk}").status_code == 404


def test_viewers_are_refused(viewer_api, device) -> None:
    for method, path, data in (
        ("post", "/api/v1/devices", NEW),
        ("patch", f"/api/v1/devices/{device.pk}", {"enabled": False}),
        ("put", f"/api/v1/devices/{device.pk}", {"enabled": False}),
        ("delete", f"/api/v1/devices/{device.pk}", None),
        ("post", "/api/v1/devices/bulk", {"action": "disable", "devices": [device.pk]}),
    ):
        response = send(viewer_api, method, path, data)
        assert response.status_code == 403, (method, path)
    device.refresh_from_db()
    assert device.enabled is True
    assert viewer_api.get("/api/v1/devices").status_code == 200


def test_session_writes_need_csrf(admin) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = send(client, "post", "/api/v1/devices", NEW)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_bulk(api, device) -> None:
    from mikromon.web.monitor.models import ConfigVersion

    before = ConfigVersion.current()
    response = send(api, "post", "/api/v1/devices/bulk",
                    {"action": "add_tag", "devices": [device.pk], "tag": "Lab"})
    assert response.status_code == 200, response.content
    assert response.json() == {"action": "add_tag", "changed": ["edge-1"], "unchanged": []}
    assert ConfigVersion.current() != before
    response = send(api, "post", "/api/v1/devices/bulk",
                    {"action": "explode", "devices": [device.pk, 999]})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"action", "devices"}
