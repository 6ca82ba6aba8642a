"""``/metrics`` and ``/metrics/sd`` over HTTP (Django's test client): who may
scrape, a per-device target, stale values, formats, and service discovery."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db


def store(device, key: str, value: float, *, labels=None, age_s: float = 0.0) -> None:
    from mikromon.web.monitor.models import MetricLatest, Series, labels_key

    labels = labels or {}
    series = Series.objects.create(device=device, key=key, labels=labels,
                                   labels_key=labels_key(labels.items()))
    MetricLatest.objects.create(series=series, value=value,
                                ts=timezone.now() - timedelta(seconds=age_s))


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def edge(device):
    device.state = "up"
    device.identity = "edge-one"
    device.save()
    store(device, "iface.rx_bytes", 123456.0, labels={"interface": "ether1"})
    store(device, "system.cpu.load_pct", 7.0)
    return device


def test_anonymous_scrape_is_refused_with_a_challenge(client, edge):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert "Basic" in response["WWW-Authenticate"]
    assert "Bearer" in response["WWW-Authenticate"]
    assert b"authentication required" in response.content
    assert client.get("/metrics/sd").status_code == 401


def test_anonymous_scrape_when_configured(client, edge, settings):
    settings.MIKROMON_METRICS_ANONYMOUS = True
    assert client.get("/metrics").status_code == 200


def test_bearer_token_scrape_reads_the_stored_values(edge, viewer_token):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {viewer_token}").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    got = samples(response.content)
    who = (("name", "ether1"), ("routerboard_address", "127.0.0.1"),
           ("routerboard_name", "edge-1"))
    assert got[("mktxp_interface_rx_byte_total", who)] == 123456
    assert got[("mikromon_device_up", (("device", "edge-1"), ("site", "")))] == 1
    assert got[("mktxp_system_identity_info", (("name", "edge-one"), *who[1:]))] == 1


def test_wrong_token_and_basic_auth(client, edge, viewer):
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/metrics").status_code == 401
    good = Client(HTTP_AUTHORIZATION=basic("victor", "victor-pass-123")).get("/metrics")
    assert good.status_code == 200
    bad = Client(HTTP_AUTHORIZATION=basic("victor", "wrong")).get("/metrics")
    assert bad.status_code == 401
    assert b"wrong user name or password" in bad.content
    garbled = Client(HTTP_AUTHORIZATION="Basic %%%").get("/metrics")
    assert garbled.status_code == 401


def test_repeated_wrong_passwords_are_limited(edge, viewer, settings):
    wrong = Client(HTTP_AUTHORIZATION=basic("victor", "wrong"))
    codes = [wrong.get("/metrics").status_code for _ in range(7)]
    assert codes[0] == 401
    assert codes[-1] == 429  # the sign-in limit per user name (5) applies to scrapes too


def test_session_of_a_signed_in_user(admin_web, edge):
    assert admin_web.get("/metrics").status_code == 200


def test_per_device_target(admin_web, edge, django_user_model):
    from mikromon.web.monitor.models import Device

    other = Device.objects.create(name="core-2", host="127.0.0.2", username="monitor",
                                  state="down")
    store(other, "system.cpu.load_pct", 55.0)
    body = admin_web.get("/metrics", {"target": "core-2"}).content.decode()
    assert 'routerboard_name="core-2"' in body
    assert "edge-1" not in body
    whole = admin_web.get("/metrics").content.decode()
    assert 'routerboard_name="core-2"' in whole
    assert 'routerboard_name="edge-1"' in whole
    missing = admin_web.get("/metrics", {"target": "nowhere"})
    assert missing.status_code == 404
    assert b"nowhere" in missing.content
    assert admin_web.get("/metrics", {"target": " "}).status_code == 400


def test_stale_values_are_left_out(admin_web, edge):
    """A realtime value three intervals old (an interface gone, a router silent) ends."""
    store(edge, "iface.rx_bytes", 1.0, labels={"interface": "ether9"}, age_s=600)
    store(edge, "routes.count", 40.0, age_s=600)  # long tier: 10 minutes is fresh
    body = admin_web.get("/metrics").content.decode()
    assert 'name="ether9"' not in body
    assert "mktxp_routes_total_routes{" in body


def test_openmetrics_and_gzip_on_request(admin_web, edge):
    response = admin_web.get("/metrics", HTTP_ACCEPT="application/openmetrics-text; "
                             "version=1.0.0", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response["Content-Encoding"] == "gzip"
    text = gzip.decompress(response.content).decode()
    assert text.rstrip().endswith("# EOF")


def test_service_discovery_lists_enabled_devices_with_site_and_tags(admin_web, edge):
    from mikromon.web.monitor.models import Device, Site, Tag

    north = Site.objects.create(name="north")
    edge.site = north
    edge.save()
    edge.tags.add(Tag.objects.create(name="core"), Tag.objects.create(name="bgp"))
    Device.objects.create(name="off-1", host="127.0.0.3", username="m", enabled=False)
    groups = json.loads(admin_web.get("/metrics/sd").content)
    assert groups == [{
        "targets": ["edge-1"],
        "labels": {"__meta_mikromon_device_id": str(edge.pk),
                   "__meta_mikromon_address": "127.0.0.1",
                   "__meta_mikromon_site": "north",
                   "__meta_mikromon_tags": ",bgp,core,"},
    }]


def test_only_get(admin_web, edge):
    assert admin_web.post("/metrics").status_code == 405


def test_basic_auth_is_remembered_until_the_password_changes(edge, viewer, monkeypatch):
    """The costly password check runs once; a new password ends the remembered one."""
    import mikromon.web.exposition.auth as auth

    checks = []
    real = auth.authenticate
    monkeypatch.setattr(auth, "authenticate",
                        lambda *a, **kw: checks.append(1) or real(*a, **kw))
    scraper = Client(HTTP_AUTHORIZATION=basic("victor", "victor-pass-123"))
    assert [scraper.get("/metrics").status_code for _ in range(3)] == [200, 200, 200]
    assert len(checks) == 1
    viewer.set_password("another-pass-456")
    viewer.save()
    assert scraper.get("/metrics").status_code == 401
    viewer.is_active = False
    viewer.set_password("victor-pass-123")
    viewer.save()
    assert scraper.get("/metrics").status_code == 401
