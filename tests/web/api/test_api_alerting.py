"""The alerting endpoints: /api/v1/alerts, silences, rules, channels. Roles (viewers
read, admins change, anonymous refused), validation (400 naming the field), each
endpoint's answers."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def viewer_api(viewer_token):
    return Client(HTTP_AUTHORIZATION=f"Token {viewer_token}")


def send(client, method, path, data=None):
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.fixture
def firing(device):
    from django.utils import timezone

    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.monitor.models import Site

    device.site = Site.objects.create(name="tower-1")
    device.save()
    now = timezone.now()
    made = {}
    for name, state in (("CPU load high", "firing"), ("Device unreachable", "firing"),
                        ("Login refused", "pending"), ("Disk almost full", "resolved")):
        rule = AlertRule.objects.get(name=name)
        made[name] = Alert.objects.create(
            rule=rule, device=device, state=state, severity=rule.severity,
            started_at=now - timedelta(minutes=5), value=95.0, threshold=90.0,
            fired_at=now if state != "pending" else None,
            resolved_at=now if state == "resolved" else None, message=f"{name} on edge-1")
    return made


def test_alerts_list_firing_by_default_sorted_and_filtered(api, firing, device):
    doc = api.get("/api/v1/alerts").json()
    assert [a["rule"]["name"] for a in doc["alerts"]] == ["Device unreachable", "CPU load high"]
    assert doc["count"] == 2
    assert doc["page"] == 1
    first = doc["alerts"][0]
    assert first["severity"] == "critical"
    assert first["device"] == {"id": device.pk, "name": "edge-1"}
    assert first["site"]["name"] == "tower-1"
    assert first["since"].endswith("Z")
    assert [a["state"] for a in api.get("/api/v1/alerts?state=pending").json()["alerts"]] == [
        "pending"]
    assert api.get("/api/v1/alerts?state=all").json()["count"] == 4
    assert api.get("/api/v1/alerts?severity=critical").json()["count"] == 1
    assert api.get(f"/api/v1/alerts?device={device.pk}").json()["count"] == 2
    assert api.get("/api/v1/alerts?device=edge-1").json()["count"] == 2
    assert api.get("/api/v1/alerts?site=tower-1").json()["count"] == 2
    page = api.get("/api/v1/alerts?limit=1&page=2").json()
    assert [a["rule"]["name"] for a in page["alerts"]] == ["CPU load high"]
    assert page["pages"] == 2
    one = api.get(f"/api/v1/alerts/{firing['CPU load high'].pk}").json()
    assert one["value"] == 95.0
    assert one["threshold"] == 90.0


@pytest.mark.parametrize(("query", "name"), [
    ("state=burning", "state"), ("severity=loud", "severity"), ("device=²", "device"),
    ("device=ghost", "device"), ("site=" + "1" * 30, "site"), ("limit=0", "limit"),
    ("page=٣", "page"),
])
def test_alerts_bad_filters_are_400_naming_them(api, query, name):
    response = api.get(f"/api/v1/alerts?{query}")
    assert response.status_code == 400
    assert name in response.json()["error"]


def test_ack_records_comment_and_user_and_unack(api, firing):
    pk = firing["CPU load high"].pk
    doc = send(api, "post", f"/api/v1/alerts/{pk}/ack", {"comment": "on it"}).json()
    assert doc["acknowledged"] is True
    assert doc["acknowledged_by"] == "alice"
    assert doc["ack_comment"] == "on it"
    assert send(api, "delete", f"/api/v1/alerts/{pk}/ack").json()["acknowledged"] is False
    # a form body works too (no comment)
    assert api.post(f"/api/v1/alerts/{pk}/ack").json()["acknowledged"] is True
    resolved = firing["Disk almost full"].pk
    response = send(api, "post", f"/api/v1/alerts/{resolved}/ack", {"comment": "x"})
    assert response.status_code == 400
    assert "state" in response.json()["fields"]
    response = send(api, "post", f"/api/v1/alerts/{pk}/ack", {"comment": 5})
    assert response.status_code == 400
    assert "comment" in response.json()["error"]
    response = send(api, "post", f"/api/v1/alerts/{pk}/ack", {"remark": "x"})
    assert response.status_code == 400
    assert "remark" in response.json()["fields"]
    assert send(api, "post", "/api/v1/alerts/999999/ack", {}).status_code == 404
    assert api.get("/api/v1/alerts/999999").status_code == 404


def test_silences_create_list_expire(api, device, firing):
    response = send(api, "post", "/api/v1/silences",
                    {"device": device.pk, "duration": "2h", "reason": "swap the PSU"})
    assert response.status_code == 201
    made = response.json()
    assert made["state"] == "active"
    assert made["device"]["name"] == "edge-1"
    assert made["created_by"] == "alice"
    listed = api.get("/api/v1/silences").json()
    assert [s["id"] for s in listed["silences"]] == [made["id"]]
    alert = api.get(f"/api/v1/alerts/{firing['CPU load high'].pk}").json()
    assert alert["silenced_by"] == made["id"]
    ended = send(api, "delete", f"/api/v1/silences/{made['id']}")
    assert ended.json()["state"] == "expired"
    assert api.get("/api/v1/silences").json()["silences"] == []
    assert api.get("/api/v1/silences?state=expired").json()["count"] == 1
    assert api.get(f"/api/v1/silences/{made['id']}").json()["reason"] == "swap the PSU"
    again = send(api, "delete", f"/api/v1/silences/{made['id']}")
    assert again.status_code == 400
    assert "ends_at" in again.json()["fields"]
    assert send(api, "delete", "/api/v1/silences/999999").status_code == 404


@pytest.mark.parametrize(("data", "field"), [
    ({"duration": "2h"}, "reason"),
    ({"reason": "x"}, "ends_at"),
    ({"reason": "x", "duration": "forever"}, "duration"),
    ({"reason": "x", "duration": "1h", "device": "ghost"}, "device"),
    ({"reason": "x", "duration": "1h", "starts_at": "yesterday-ish"}, "starts_at"),
    ({"reason": "x", "duration": "1h", "scope": "all"}, "scope"),
])
def test_silence_validation_names_the_field(api, data, field):
    response = send(api, "post", "/api/v1/silences", data)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert field in response.json()["error"]
    assert api.get("/api/v1/silences?state=nope").status_code == 400


def test_rules_crud_and_preview(api, device):
    from mikromon.domain.samples import Sample
    from mikromon.web.alerts.models import AlertRule
    from mikromon.web.monitor.storage import DjangoStorage

    # the default rules and the (disabled) example log rules, as migrated
    assert api.get("/api/v1/rules").json()["count"] == AlertRule.objects.count() >= 16
    response = send(api, "post", "/api/v1/rules",
                    {"name": "CPU hot", "kind": "threshold", "metric": "system.cpu.load_pct",
                     "threshold": 80, "recovery": 75, "for_seconds": 120, "severity": "high",
                     "device": "edge-1"})
    assert response.status_code == 201, response.content
    rule = response.json()
    assert rule["device"] == {"id": device.pk, "name": "edge-1"}
    assert rule["enabled"] is True
    pk = rule["id"]
    changed = send(api, "patch", f"/api/v1/rules/{pk}", {"threshold": 85, "enabled": False})
    assert changed.status_code == 200
    assert changed.json()["threshold"] == 85
    assert changed.json()["recovery"] == 75
    assert changed.json()["enabled"] is False
    assert api.get(f"/api/v1/rules/{pk}").json()["name"] == "CPU hot"
    bad = send(api, "patch", f"/api/v1/rules/{pk}", {"recovery": 99})
    assert bad.status_code == 400
    assert bad.json()["fields"] == {"recovery": [bad.json()["error"].removeprefix("recovery: ")]}

    from django.utils import timezone
    DjangoStorage().write_samples(device.pk, [Sample("system.cpu.load_pct", 88.0,
                                                     timezone.now())])
    preview = send(api, "post", "/api/v1/rules/preview",
                   {"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 50})
    assert preview.status_code == 200
    assert [m["device"]["name"] for m in preview.json()["matches"]] == ["edge-1"]
    edited = send(api, "post", f"/api/v1/rules/{pk}/preview", {"threshold": 95}).json()
    assert edited["matches"] == []
    assert api.get(f"/api/v1/rules/{pk}").json()["threshold"] == 85  # preview saved nothing
    assert send(api, "delete", f"/api/v1/rules/{pk}").json() == {"deleted": pk}
    assert api.get(f"/api/v1/rules/{pk}").status_code == 404
    assert send(api, "delete", f"/api/v1/rules/{pk}").status_code == 404


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "x", "kind": "threshold", "metric": "system.cpu.load_pct"}, "threshold"),
    ({"name": "x", "kind": "threshold", "threshold": 1}, "metric"),
    ({"name": "x", "kind": "nope"}, "kind"),
    ({"name": "x", "kind": "reboot", "severity": "dire"}, "severity"),
    ({"name": "x", "kind": "device_state", "states": ["asleep"]}, "states"),
    ({"name": "x", "kind": "reboot", "site": "nowhere"}, "site"),
    ({"name": "x", "kind": "reboot", "for_seconds": "soon"}, "for_seconds"),
    ({"name": "x", "kind": "reboot", "bogus": 1}, "bogus"),
    ({"kind": "reboot"}, "name"),
])
def test_rule_validation_names_the_field(api, data, field):
    for path in ("/api/v1/rules", "/api/v1/rules/preview"):
        if path.endswith("preview") and field == "name":
            continue
        response = send(api, "post", path, data)
        assert response.status_code == 400, (path, response.content)
        assert field in response.json()["fields"], (path, response.json())


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"threshold": NaN}',
                                  b'{"threshold": {"a": 1}}', b"\xff\xfe"])
def test_bad_json_bodies_are_400(api, body):
    response = api.post("/api/v1/rules", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]


def test_channels_crud_masked_status_and_test(api):
    secret_url = "http://127.0.0.1:9/hook?token=sup3r-s3cret"
    response = send(api, "post", "/api/v1/channels",
                    {"name": "noc", "kind": "webhook", "url": secret_url,
                     "secret": "hmac-k3y", "min_severity": "high", "timeout_s": 2})
    assert response.status_code == 201, response.content
    text = response.content.decode()
    assert "sup3r-s3cret" not in text
    assert "hmac-k3y" not in text
    doc = response.json()
    assert doc["has_secret"] is True
    assert "****" in doc["target"]
    pk = doc["id"]
    listed = api.get("/api/v1/channels").json()
    assert [c["name"] for c in listed["channels"]] == ["noc"]
    assert "sup3r-s3cret" not in json.dumps(listed)
    tested = send(api, "post", f"/api/v1/channels/{pk}/test").json()
    assert tested["ok"] is False
    assert tested["detail"]
    status = api.get(f"/api/v1/channels/{pk}").json()["delivery"]
    assert status["counts"]["failed"] == 1
    assert status["last_error"]
    patched = send(api, "patch", f"/api/v1/channels/{pk}", {"enabled": False})
    assert patched.json()["enabled"] is False
    assert patched.json()["has_secret"] is True
    bad = send(api, "patch", f"/api/v1/channels/{pk}", {"kind": "apprise"})
    assert bad.status_code == 400
    assert "url" in bad.json()["fields"]
    bad = send(api, "post", "/api/v1/channels", {"name": "x", "kind": "webhook",
                                                 "url": secret_url})
    assert bad.status_code == 400
    assert "secret" in bad.json()["fields"]
    assert send(api, "delete", f"/api/v1/channels/{pk}").json() == {"deleted": pk}
    assert api.get(f"/api/v1/channels/{pk}").status_code == 404
    assert send(api, "post", f"/api/v1/channels/{pk}/test").status_code == 404


def _changes(ids):
    """Every change request of the alerting API (method, path, body)."""
    alert, silence, rule, channel = ids
    return [
        ("post", f"/api/v1/alerts/{alert}/ack", {"comment": "x"}),
        ("delete", f"/api/v1/alerts/{alert}/ack", None),
        ("post", "/api/v1/silences", {"duration": "1h", "reason": "x"}),
        ("delete", f"/api/v1/silences/{silence}", None),
        ("post", "/api/v1/rules", {"name": "v", "kind": "reboot"}),
        ("patch", f"/api/v1/rules/{rule}", {"enabled": False}),
        ("delete", f"/api/v1/rules/{rule}", None),
        ("post", "/api/v1/rules/preview", {"kind": "reboot"}),
        ("post", f"/api/v1/rules/{rule}/preview", {}),
        ("post", "/api/v1/channels", {"name": "v", "kind": "apprise",
                                      "url": "json://127.0.0.1:9/"}),
        ("patch", f"/api/v1/channels/{channel}", {"enabled": False}),
        ("delete", f"/api/v1/channels/{channel}", None),
        ("post", f"/api/v1/channels/{channel}/test", None),
    ]


@pytest.fixture
def objects(api, firing):
    silence = send(api, "post", "/api/v1/silences", {"duration": "1h", "reason": "r"}).json()
    channel = send(api, "post", "/api/v1/channels",
                   {"name": "c", "kind": "apprise", "url": "json://127.0.0.1:9/"}).json()
    assert "id" in channel, channel
    rule = firing["CPU load high"].rule_id
    return firing["CPU load high"].pk, silence["id"], rule, channel["id"]


def test_viewer_reads_but_cannot_change(viewer_api, objects):
    from mikromon.web.alerts.models import Alert, AlertRule, Silence
    from mikromon.web.notify.models import Delivery, NotificationChannel

    alert, silence, rule, channel = objects
    for path in ("/api/v1/alerts", f"/api/v1/alerts/{alert}", "/api/v1/silences",
                 f"/api/v1/silences/{silence}", "/api/v1/rules", f"/api/v1/rules/{rule}",
                 "/api/v1/channels", f"/api/v1/channels/{channel}"):
        response = viewer_api.get(path)
        assert response.status_code == 200, path
        assert "****" not in path
    before = (Alert.objects.filter(acknowledged_at__isnull=False).count(), Silence.objects.count(),
              AlertRule.objects.count(), NotificationChannel.objects.count(),
              Delivery.objects.count())
    for method, path, data in _changes(objects):
        response = send(viewer_api, method, path, data)
        assert response.status_code == 403, (method, path, response.status_code)
    after = (Alert.objects.filter(acknowledged_at__isnull=False).count(), Silence.objects.count(),
             AlertRule.objects.count(), NotificationChannel.objects.count(),
             Delivery.objects.count())
    assert after == before
    assert Silence.objects.get(pk=silence).ends_at > firing_now()
    assert AlertRule.objects.get(pk=rule).enabled


def firing_now():
    from django.utils import timezone

    return timezone.now()


def test_anonymous_is_refused_everywhere(objects):
    anonymous = Client()
    for method, path, data in _changes(objects):
        response = send(anonymous, method, path, data)
        assert response.status_code == 401, (method, path)
    for path in ("/api/v1/alerts", "/api/v1/silences", "/api/v1/rules", "/api/v1/channels",
                 f"/api/v1/channels/{objects[3]}"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert b"edge-1" not in response.content


def test_wrong_methods_answer_405(api, objects):
    alert, silence, rule, channel = objects
    for method, path, allow in (("get", f"/api/v1/alerts/{alert}/ack", "POST, DELETE"),
                                ("post", "/api/v1/alerts", "GET"),
                                ("put", f"/api/v1/rules/{rule}", "GET, PATCH, DELETE"),
                                ("get", "/api/v1/rules/preview", "POST"),
                                ("patch", f"/api/v1/silences/{silence}", "GET, DELETE"),
                                ("get", f"/api/v1/channels/{channel}/test", "POST")):
        response = send(api, method, path)
        assert response.status_code == 405, (method, path)
        assert response["Allow"] == allow


def test_session_changes_need_csrf(admin, firing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    pk = firing["CPU load high"].pk
    response = send(client, "post", f"/api/v1/alerts/{pk}/ack", {"comment": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


def test_docs_name_every_endpoint():
    """docs/api.md documents every route of the API (a new endpoint needs its section)."""
    from pathlib import Path

    from mikromon.web.api.urls import urlpatterns

    text = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text("utf-8")
    missing = []
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        if pattern.name in ("not_found", "collector_action"):
            continue
        path = "/api/v1/" + re.sub(r"<(?:id|str):(\w+)>", r"<\1>",
                                   route.replace("<id:pk>", "<id>"))
        if f"`{path}`" not in text and f" {path}`" not in text:
            missing.append(path)
    assert missing == []


#: Values that once crashed a form or a database, or could.
HOSTILE_VALUES = ["²", "٣", "1" * 30, "-1", "0", "1e400", "nan", "", " ", "x" * 5000,
                  "\x00", "a\x00b", 10**30, -(10**30), 1.5, True, None, [], ["\x00"],
                  [1, "x"], "9223372036854775808", "2026-13-45T99:99:99"]


def test_no_body_value_answers_500(admin_token, firing, device):
    """Every field of every alerting POST/PATCH body, every hostile value: 4xx or 2xx,
    never 500 (on SQLite and PostgreSQL)."""
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {admin_token}")
    from mikromon.web.alerts.forms import SilenceForm
    from mikromon.web.alerts.rule_form import RuleForm
    from mikromon.web.alerts.services.channels import channel_fields

    alert = firing["CPU load high"].pk
    rule = firing["CPU load high"].rule_id
    channel = send(api, "post", "/api/v1/channels",
                   {"name": "h", "kind": "apprise", "url": "json://127.0.0.1:9/"}).json()["id"]
    base_rule = {"name": "hostile", "kind": "threshold", "metric": "system.cpu.load_pct",
                 "threshold": 90}
    targets = [
        ("post", f"/api/v1/alerts/{alert}/ack", {}, ["comment"]),
        ("post", "/api/v1/silences", {"duration": "1h", "reason": "x"},
         list(SilenceForm.base_fields)),
        ("post", "/api/v1/rules", base_rule, list(RuleForm.base_fields)),
        ("patch", f"/api/v1/rules/{rule}", {}, list(RuleForm.base_fields)),
        ("post", "/api/v1/rules/preview", base_rule, list(RuleForm.base_fields)),
        ("post", "/api/v1/channels", {"name": "h2", "kind": "apprise",
                                      "url": "json://127.0.0.1:9/"}, sorted(channel_fields())),
        ("patch", f"/api/v1/channels/{channel}", {}, sorted(channel_fields())),
    ]
    failures = []
    requests = 0
    for method, path, base, fields in targets:
        for field in fields:
            for value in HOSTILE_VALUES:
                response = send(api, method, path, {**base, field: value})
                requests += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {field}={value!r:.40} -> "
                                    f"{response.status_code}")
    assert failures == []
    assert requests > 1000


def test_rule_overrides_per_device(api, viewer_api, device):
    from mikromon.web.alerts.models import AlertRule

    cpu = AlertRule.objects.get(name="CPU load high").pk
    path = f"/api/v1/rules/{cpu}/overrides/{device.pk}"
    assert api.get(path).status_code == 404
    made = send(api, "put", path, {"threshold": 97, "recovery": 95})
    assert made.status_code == 200, made.content
    assert made.json() == {"rule": {"id": cpu, "name": "CPU load high"},
                           "device": {"id": device.pk, "name": "edge-1"},
                           "threshold": 97.0, "recovery": 95.0, "enabled": True}
    assert api.get(f"/api/v1/rules/{cpu}/overrides").json()["overrides"][0]["threshold"] == 97
    assert viewer_api.get(path).json()["recovery"] == 95
    assert send(viewer_api, "put", path, {"enabled": False}).status_code == 403
    assert send(viewer_api, "delete", path).status_code == 403
    off = send(api, "put", path, {"enabled": False}).json()
    assert off["enabled"] is False
    assert off["threshold"] is None
    bad = send(api, "put", path, {"threshold": 90, "recovery": 99})
    assert bad.status_code == 400
    assert "recovery" in bad.json()["fields"]
    assert send(api, "put", f"/api/v1/rules/{cpu}/overrides/999999", {}).status_code == 404
    assert send(api, "delete", path).json() == {"deleted": {"rule": cpu, "device": device.pk}}
    assert send(api, "delete", path).status_code == 404
    assert Client().get(path).status_code == 401
