"""``/api/v1/storage``: the retention in force and the disk figures; PATCH by
admins only, every problem named, nothing stored on a refusal."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mikromon.web.control.models import RetentionSetting

pytestmark = [pytest.mark.django_db]
DAY = 86400


def _patch(client, body):
    return client.patch("/api/v1/storage", data=json.dumps(body),
                        content_type="application/json")


def test_get_lists_retention_and_disk(admin_token):
    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    doc = api.get("/api/v1/storage").json()
    assert [d["key"] for d in doc["retention"]["settings"]][:2] == ["realtime", "short"]
    assert doc["disk"]["backend"] in ("sqlite", "postgresql")
    assert "forecast" in doc["disk"]
    assert api.get("/api/v1/").json()["endpoints"]["storage"] == "/api/v1/storage"


def test_admin_patches_and_problems_are_named(admin_token):
    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    r = _patch(api, {"retention": {"realtime": "3d", "5m": 30 * DAY}})
    assert r.status_code == 200, r.content
    by_key = {d["key"]: d for d in r.json()["retention"]["settings"]}
    assert (by_key["realtime"]["seconds"], by_key["5m"]["text"]) == (3 * DAY, "30d")
    for body, words in (({"retention": {"1h": "10d"}}, "1h:"),
                        ({"retention": {"short": "7x"}}, "short:"),
                        ({"retention": {"daily": "7d"}}, "daily"),
                        ({"realtime": "7d"}, "send"),
                        ({"retention": {"short": True}}, "short:")):
        r = _patch(api, body)
        assert r.status_code == 400, body
        assert words in r.json()["error"], (body, r.json())
    assert set(RetentionSetting.objects.values_list("key", flat=True)) == {"realtime", "5m"}
    r = _patch(api, {"retention": {"realtime": None}})
    assert r.status_code == 200
    assert set(RetentionSetting.objects.values_list("key", flat=True)) == {"5m"}


def test_viewers_read_but_cannot_patch(viewer_token):
    api = Client(HTTP_AUTHORIZATION=f"Token {viewer_token}")
    assert api.get("/api/v1/storage").status_code == 200
    assert _patch(api, {"retention": {"realtime": "3d"}}).status_code == 403
    assert not RetentionSetting.objects.exists()


def test_get_shows_the_compaction_progress(admin_token):
    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    doc = api.get("/api/v1/storage").json()["compaction"]
    assert doc["enabled"] is True
    assert {"pending_rows", "chunks_total", "samples_total", "rows_per_s", "eta_s",
            "done", "horizon"} <= set(doc)
