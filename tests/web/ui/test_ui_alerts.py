"""The alerting pages: alerts now (grouped by severity, filters, acknowledge),
history, rules (list, form for every kind, preview), silences, channels (delivery
state, masked secrets, send test), the overview's firing block, the device
dashboard's alerts and chart marks, the navigation's badge; viewers read only."""

from __future__ import annotations

import html
import json
import re
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from test_security_headers import HANDLER, INLINE_SCRIPT, STYLE_ATTR, STYLE_TAG, _check_headers

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]


def _device(name, site=None, tags=()):
    from mikromon.web.monitor.models import Device, Tag

    dev = Device(name=name, host="127.0.0.1", port=8728, username="monitor", site=site)
    dev.set_password("pw-123456")
    dev.save()
    for t in tags:
        dev.tags.add(Tag.objects.get_or_create(name=t)[0])
    return dev


def _rule(name, severity="high", **fields):
    from mikromon.web.alerts.models import AlertRule

    defaults = {"kind": "threshold", "metric": "system.cpu.load_pct", "comparison": ">",
                "threshold": 80.0, "recovery": 70.0, "for_seconds": 60}
    defaults.update(fields)
    return AlertRule.objects.create(name=name, severity=severity, **defaults)


def _alert(rule, device, state="firing", value=93.0, ago_s=600, resolved=False, subject=""):
    from mikromon.web.alerts.models import Alert, AlertEvent

    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule, device=device, subject=subject, state="resolved" if resolved else state,
        severity=rule.severity, started_at=now - timedelta(seconds=ago_s + 60),
        fired_at=None if state == "pending" else now - timedelta(seconds=ago_s),
        resolved_at=now - timedelta(seconds=30) if resolved else None, value=value,
        threshold=rule.threshold, message=f"{rule.name} on {device.name}: {value:g}")
    AlertEvent.objects.create(alert=alert, rule=rule, device=device, subject=subject,
                              ts=alert.fired_at or alert.started_at, state=state,
                              severity=rule.severity, value=value, threshold=rule.threshold,
                              message=alert.message)
    return alert


@pytest.fixture
def scene(db):
    """Two sites, three devices, rules of three severities, open and resolved alerts."""
    from mikromon.web.alerts.models import AlertRule
    from mikromon.web.monitor.models import Site

    AlertRule.objects.all().delete()  # the default rules: not part of these scenes
    berlin, paris = Site.objects.create(name="Berlin"), Site.objects.create(name="Paris")
    a, b = _device("core-a", berlin, tags=("core",)), _device("edge-b", paris)
    c = _device("edge-c", paris)
    crit = _rule("CPU critical", "critical", threshold=95.0, recovery=90.0)
    warn = _rule("Memory warning", "warning", metric="system.memory.used_pct")
    high = _rule("Temperature high", "high", metric="system.health.temperature",
                 threshold=60.0, recovery=55.0)
    alerts = {
        "crit": _alert(crit, a, value=97.5),
        "warn": _alert(warn, b, value=85.0),
        "pending": _alert(high, c, state="pending", value=61.0),
        "old": _alert(warn, a, resolved=True, value=81.0, ago_s=7200),
    }
    return {"devices": (a, b, c), "sites": (berlin, paris), "rules": (crit, warn, high),
            "alerts": alerts}


def make_channel(name, kind, url, *, secret="", **fields):
    """Save a notification channel (as the notify tests do)."""
    from mikromon.web.notify.models import NotificationChannel

    channel = NotificationChannel(name=name, kind=kind, group_window_s=0,
                                  min_severity="info", **fields)
    channel.set_url(url)
    channel.set_secret(secret)
    channel.save()
    return channel


def _errors(response) -> list[str]:
    """The error messages of a form page."""
    return re.findall(r'<ul class="error">.*?</ul>|notice error">[^<]*',
                      response.content.decode())


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _no_inline(response, path):
    _check_headers(response)
    html = response.content.decode()
    for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTR, STYLE_TAG):
        found = pattern.search(html)
        assert not found, (path, found.group(0))


# -- alerts now ----------------------------------------------------------------------


def test_alerts_page_groups_by_severity_with_value_threshold_and_device(admin_web, scene):
    response = admin_web.get("/alerts/")
    assert response.status_code == 200
    html = response.content.decode()
    # Critical first, then high, then warning; the resolved alert is not "now".
    assert html.index('id="alerts-critical"') < html.index('id="alerts-high"') \
        < html.index('id="alerts-warning"')
    a = scene["devices"][0]
    assert f'href="/devices/{a.pk}/"' in html
    text = _text(response)
    assert "98 % > 95 %" in text
    assert "2 firing · 3 open" in text
    assert f'data-alert="{scene["alerts"]["old"].pk}"' not in html
    assert "pending" in text
    assert html.count("Acknowledge</button>") == 3


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("severity=critical", ["crit"], ["warn", "pending"]),
    ("state=pending", ["pending"], ["crit", "warn"]),
])
def test_alerts_page_filters(admin_web, scene, query, shown, hidden):
    html = admin_web.get(f"/alerts/?{query}").content.decode()
    for key in shown:
        assert f'data-alert="{scene["alerts"][key].pk}"' in html
    for key in hidden:
        assert f'data-alert="{scene["alerts"][key].pk}"' not in html


def test_alerts_page_filters_by_device_and_site(admin_web, scene):
    a, _b, _c = scene["devices"]
    _berlin, paris = scene["sites"]
    html = admin_web.get(f"/alerts/?device={a.pk}").content.decode()
    assert f'data-alert="{scene["alerts"]["crit"].pk}"' in html
    assert f'data-alert="{scene["alerts"]["warn"].pk}"' not in html
    html = admin_web.get(f"/alerts/?site={paris.pk}").content.decode()
    assert f'data-alert="{scene["alerts"]["warn"].pk}"' in html
    assert f'data-alert="{scene["alerts"]["pending"].pk}"' in html
    assert f'data-alert="{scene["alerts"]["crit"].pk}"' not in html


@pytest.mark.parametrize("query", ["severity=loud", "device=x", "site=-1", "state=gone"])
def test_alerts_page_names_a_bad_filter(admin_web, scene, query):
    response = admin_web.get(f"/alerts/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in _text(response)


def test_alerts_page_empty_state(admin_web, db):
    response = admin_web.get("/alerts/")
    assert response.status_code == 200
    assert 'id="no-alerts"' in response.content.decode()


def test_acknowledge_with_comment_shows_who_and_when(admin_web, admin, scene):
    alert = scene["alerts"]["crit"]
    response = admin_web.post(f"/alerts/{alert.pk}/ack/",
                              {"comment": "replacing the fan", "next": "/alerts/"})
    assert response.status_code == 302
    assert response["Location"] == "/alerts/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == admin
    assert alert.ack_comment == "replacing the fan"
    assert alert.events.filter(state="acknowledged").count() == 1
    text = _text(admin_web.get("/alerts/"))
    assert "alice" in text
    assert "“replacing the fan”" in text
    assert "acked" in text
    assert "Acknowledged CPU critical on core-a." in text


def test_acknowledging_a_resolved_alert_says_why(admin_web, scene):
    old = scene["alerts"]["old"]
    response = admin_web.post(f"/alerts/{old.pk}/ack/", {"comment": "late"}, follow=True)
    assert "Not acknowledged" in _text(response)
    old.refresh_from_db()
    assert old.acknowledged_at is None


def test_viewer_sees_no_buttons_and_cannot_post(viewer_web, scene):
    from mikromon.web.alerts.models import AlertRule, Silence

    html = viewer_web.get("/alerts/").content.decode()
    assert "Acknowledge</button>" not in html
    assert "/alerts/silences/add/" not in html
    assert scene["alerts"]["crit"].pk
    rule = scene["rules"][0]
    denied = [
        ("post", f"/alerts/{scene['alerts']['crit'].pk}/ack/", {"comment": "x"}),
        ("post", "/alerts/silences/add/", {"reason": "x", "duration": "1h"}),
        ("get", "/alerts/silences/add/", None),
        ("get", "/alerts/rules/add/", None),
        ("post", "/alerts/rules/add/", {"name": "x", "kind": "reboot"}),
        ("post", f"/alerts/rules/{rule.pk}/delete/", {}),
        ("post", f"/alerts/rules/{rule.pk}/enabled/", {"enabled": "0"}),
        ("post", "/alerts/rules/preview/", {"kind": "reboot"}),
        ("get", "/alerts/channels/add/", None),
    ]
    for method, path, data in denied:
        response = getattr(viewer_web, method)(path, data or {})
        assert response.status_code == 403, path
    assert AlertRule.objects.filter(pk=rule.pk, enabled=True).exists()
    assert not Silence.objects.exists()
    scene["alerts"]["crit"].refresh_from_db()
    assert scene["alerts"]["crit"].acknowledged_at is None
    for path in ("/alerts/history/", "/alerts/rules/", "/alerts/silences/",
                 "/alerts/channels/", f"/alerts/{scene['alerts']['crit'].pk}/"):
        response = viewer_web.get(path)
        assert response.status_code == 200, path
        assert "btn danger" not in response.content.decode(), path


# -- history -------------------------------------------------------------------------


def test_history_lists_resolved_and_open_paginated(admin_web, scene, monkeypatch):
    from mikromon.web.ui.views import alerts as views

    html = admin_web.get("/alerts/history/").content.decode()
    for alert in scene["alerts"].values():
        assert f'data-alert="{alert.pk}"' in html
    html = admin_web.get("/alerts/history/?state=resolved").content.decode()
    assert f'data-alert="{scene["alerts"]["old"].pk}"' in html
    assert f'data-alert="{scene["alerts"]["crit"].pk}"' not in html
    monkeypatch.setattr(views, "PER_PAGE", 2)
    first = admin_web.get("/alerts/history/").content.decode()
    second = admin_web.get("/alerts/history/?page=2").content.decode()
    assert "page 1 of 2" in first
    assert "page 2 of 2" in second
    assert first.count("data-alert=") == 2
    assert second.count("data-alert=") == 2
    assert admin_web.get("/alerts/history/?from=yesterday").status_code == 400


def test_alert_detail_shows_its_history(admin_web, scene):
    alert = scene["alerts"]["crit"]
    response = admin_web.get(f"/alerts/{alert.pk}/")
    assert response.status_code == 200
    assert "firing" in _text(response)
    assert "CPU critical" in _text(response)
    assert admin_web.get("/alerts/999999/").status_code == 404


# -- rules ---------------------------------------------------------------------------


def test_rule_list_shows_kind_scope_severity_enabled_threshold(admin_web, scene):
    from mikromon.web.alerts.models import AlertRule

    a = scene["devices"][0]
    AlertRule.objects.create(name="Edge down", kind="device_state", severity="critical",
                             params={"states": ["down"]}, device=a, enabled=False)
    response = admin_web.get("/alerts/rules/")
    text = _text(response)
    assert "CPU critical" in text
    assert "Threshold on a metric" in text
    assert "> 95 % (recovers < 90 %) for 1 min" in text
    assert "device core-a" in text
    assert "every device" in text
    assert "off" in text
    assert admin_web.get("/alerts/rules/?kind=nope").status_code == 400


#: Rules without a level and the words their condition is shown with (the web list
#: and `mikromon rules list` alike: mikromon.web.alerts.conditions).
CONDITION_WORDS = [
    ({"kind": "device_state", "params": {"states": ["down"]}, "for_seconds": 180},
     "unreachable for 3 min"),
    ({"kind": "device_state", "params": {"states": ["auth_failed"]}}, "login refused"),
    ({"kind": "bgp_down"}, "BGP session no longer established"),
    ({"kind": "ospf_down"}, "OSPF neighbour left Full"),
    ({"kind": "link_down", "params": {"name_pattern": "sfp*"}}, "link down (sfp*)"),
    ({"kind": "reboot"}, "router rebooted"),
    ({"kind": "health_fail"}, "health sensor failed"),
    ({"kind": "no_data", "params": {"intervals": 3}}, "no data for 3 polling intervals"),
    ({"kind": "fact_changed", "params": {"facts": ["version"]}}, "version changed"),
    ({"kind": "log", "params": {"pattern": "login failure", "count": 3,
                                "window_seconds": 300}},
     "log line matching “login failure” 3 times in 5 min"),
]


def test_rules_without_a_level_say_their_condition_in_words(admin_web, scene):
    from mikromon.web.alerts.models import AlertRule

    for n, (fields, _) in enumerate(CONDITION_WORDS):
        AlertRule.objects.create(name=f"worded-{n}", severity="high", **fields)
    rows = _text(admin_web.get("/alerts/rules/?page_size=500"))
    for n, (_, words) in enumerate(CONDITION_WORDS):
        assert words in rows, (n, words)


def _rule_post(**fields):
    data = {"name": "CPU busy", "kind": "threshold", "severity": "high", "enabled": "on",
            "metric": "system.cpu.load_pct", "comparison": ">", "threshold": "80",
            "recovery": "70", "for_seconds": "30", "save": "1"}
    data.update(fields)
    return data


def test_rule_form_creates_every_kind(admin_web, db, fake_collector):
    from mikromon.web.alerts.models import AlertRule, RuleKindChoices

    fake_collector.running = True
    page = admin_web.get("/alerts/rules/add/").content.decode()
    assert re.search(r'<input type="checkbox" name="enabled"[^>]*checked', page)
    channel_page = admin_web.get("/alerts/channels/add/").content.decode()
    assert re.search(r'<input type="checkbox" name="send_resolved"[^>]*checked', channel_page)
    for field in ("name_pattern", "intervals", "states", "facts", "hold_seconds",
                  "speed_bps", "flap_count", "pattern", "topics", "window_seconds"):
        assert f'name="{field}"' in page, field
    extra = {"threshold": {}, "rate": {}, "count": {"metric": "dhcp.active_leases"},
             "utilisation": {"metric": "", "name_pattern": "ether*"},
             "no_data": {"threshold": "", "recovery": "", "intervals": "3"},
             "device_state": {"threshold": "", "recovery": "", "metric": "",
                              "states": ["down"]},
             "fact_changed": {"threshold": "", "recovery": "", "metric": "",
                              "facts": ["version"]},
             "log": {"threshold": "", "recovery": "", "metric": "",
                     "pattern": "login failure", "topics": "system,account"}}
    for kind in RuleKindChoices.values:
        fields = extra.get(kind, {"threshold": "", "recovery": "", "metric": ""})
        response = admin_web.post("/alerts/rules/add/",
                                  _rule_post(name=f"rule {kind}", kind=kind, **fields))
        assert response.status_code == 302, (kind, _errors(response))
        assert AlertRule.objects.filter(name=f"rule {kind}", kind=kind).exists()
    assert "reload" in fake_collector.calls


def test_every_rule_form_field_has_its_place_on_the_page():
    """Each field of the rule form is in a section and, for kind fields, shown for the
    kinds that use it (a field added to the form without a place would show for
    every kind under "Other")."""
    from mikromon.web.alerts.models import RuleKindChoices
    from mikromon.web.alerts.rule_form import RuleForm
    from mikromon.web.ui.views import alert_rules as views

    placed = {*views.GENERAL_FIELDS, *views.SCOPE_FIELDS, *views.FLAP_FIELDS}
    for names in views.KIND_FIELDS.values():
        placed.update(names)
    assert set(RuleForm.base_fields) <= placed, set(RuleForm.base_fields) - placed
    assert set(views.KIND_FIELDS) == set(RuleKindChoices.values)


def test_rule_form_shows_the_error_on_the_field(admin_web, db):
    from mikromon.web.alerts.models import AlertRule

    response = admin_web.post("/alerts/rules/add/", _rule_post(threshold=""))
    assert response.status_code == 400
    html = response.content.decode()
    row = html[html.index('data-field="threshold"'):]
    row = row[:row.index("</div>\n      </div>") if "</div>\n      </div>" in row else 600]
    assert "has-error" in row
    assert not AlertRule.objects.filter(name="CPU busy").exists()


def test_rule_edit_disable_delete(admin_web, scene, fake_collector):
    crit = scene["rules"][0]
    page = admin_web.get(f"/alerts/rules/{crit.pk}/").content.decode()
    assert 'value="CPU critical"' in page
    response = admin_web.post(f"/alerts/rules/{crit.pk}/", _rule_post(
        name="CPU critical", severity="critical", threshold="96", recovery="90"))
    assert response.status_code == 302
    crit.refresh_from_db()
    assert crit.threshold == 96.0
    admin_web.post(f"/alerts/rules/{crit.pk}/enabled/", {"enabled": "0"})
    crit.refresh_from_db()
    assert not crit.enabled
    admin_web.post(f"/alerts/rules/{crit.pk}/enabled/", {"enabled": "1"})
    crit.refresh_from_db()
    assert crit.enabled
    admin_web.post(f"/alerts/rules/{crit.pk}/delete/")
    assert not type(crit).objects.filter(pk=crit.pk).exists()


def _cpu(device, value):
    from mikromon.web.monitor.models import MetricLatest, Series

    series = Series.objects.create(device=device, key="system.cpu.load_pct", labels={})
    MetricLatest.objects.create(series=series, ts=timezone.now(), value=value)


def test_rule_preview_without_javascript_and_as_json(admin_web, scene):
    a, b, _c = scene["devices"]
    _cpu(a, 92.0)
    _cpu(b, 12.0)
    response = admin_web.post("/alerts/rules/add/", {**_rule_post(), "preview": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="preview"' in html
    assert "core-a" in html[html.index('id="preview"'):]
    assert "edge-b" not in html[html.index('id="preview-table"'):]
    assert not type(scene["rules"][0]).objects.filter(name="CPU busy").exists()
    reply = admin_web.post("/alerts/rules/preview/", _rule_post())
    assert reply.status_code == 200
    data = json.loads(reply.content)
    assert data["ok"]
    assert [m["device"]["name"] for m in data["preview"]["matches"]] == ["core-a"]
    bad = admin_web.post("/alerts/rules/preview/", _rule_post(threshold=""))
    assert bad.status_code == 400
    assert "threshold" in json.loads(bad.content)["error"]


# -- silences ------------------------------------------------------------------------


def test_silence_create_list_expire(admin_web, admin, scene):
    from mikromon.web.alerts.models import Silence

    a = scene["devices"][0]
    crit = scene["rules"][0]
    page = admin_web.get(f"/alerts/silences/add/?device={a.pk}&rule={crit.pk}").content.decode()
    assert f'<option value="{a.pk}" selected>' in page
    response = admin_web.post("/alerts/silences/add/", {
        "device": str(a.pk), "rule": str(crit.pk), "duration": "2h", "reason": "fan swap"})
    assert response.status_code == 302, _errors(response)
    silence = Silence.objects.get()
    assert silence.device == a
    assert silence.rule == crit
    assert silence.created_by == admin
    html = admin_web.get("/alerts/silences/").content.decode()
    active = html[html.index('id="silences-active"'):html.index('id="silences-scheduled"')]
    assert "fan swap" in active
    assert "device core-a" in _text(admin_web.get("/alerts/silences/"))
    admin_web.post(f"/alerts/silences/{silence.pk}/expire/")
    silence.refresh_from_db()
    assert silence.ends_at <= timezone.now()
    html = admin_web.get("/alerts/silences/").content.decode()
    assert "fan swap" in html[html.index('id="silences-expired"'):]


def test_silence_form_errors_name_the_field(admin_web, scene):
    from mikromon.web.alerts.models import Silence

    response = admin_web.post("/alerts/silences/add/", {"duration": "soon", "reason": ""})
    assert response.status_code == 400
    text = _text(response)
    assert "reason" in text.lower()
    assert "soon" in text
    assert not Silence.objects.exists()


# -- channels ------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_channel_create_never_shows_secrets_and_lists_delivery_state(admin_web, db):
    from mikromon.web.notify.models import Delivery, NotificationChannel

    url = f"http://127.0.0.1:{_closed_port()}/hook?token=s3cr3t-token"
    response = admin_web.post("/alerts/channels/add/", {
        "name": "ops hook", "kind": "webhook", "enabled": "on", "url": url,
        "secret": "hmac-k3y-value", "min_severity": "warning", "send_resolved": "on",
        "repeat_interval_s": "3600", "group_window_s": "0", "timeout_s": "2",
        "max_attempts": "3", "retry_base_s": "10"})
    assert response.status_code == 302, _text(response)[-600:]
    channel = NotificationChannel.objects.get(name="ops hook")
    assert channel.get_secret() == "hmac-k3y-value"
    now = timezone.now()
    for i, (status, error) in enumerate([("sent", ""), ("sent", ""), ("failed", "HTTP 500"),
                                         ("retrying", "connection refused")]):
        Delivery.objects.create(channel=channel, key=f"k{i}", kind="firing", status=status,
                                payload={}, not_before=now, next_attempt_at=now,
                                last_error=error, sent_at=now if status == "sent" else None)
    listing = admin_web.get("/alerts/channels/")
    html = listing.content.decode()
    row = html[html.index(f'data-channel="{channel.pk}"'):]
    assert re.search(r'data-count="sent">2<', row)
    assert re.search(r'data-count="failed">1<', row)
    assert re.search(r'data-count="retrying">1<', row)
    assert "connection refused" in row or "HTTP 500" in row
    edit = admin_web.get(f"/alerts/channels/{channel.pk}/").content.decode()
    for page in (html, edit):
        assert "s3cr3t-token" not in page
        assert "hmac-k3y-value" not in page
    # Saving the edit with the URL and secret empty keeps them.
    admin_web.post(f"/alerts/channels/{channel.pk}/", {
        "name": "ops hook", "kind": "webhook", "enabled": "on", "url": "", "secret": "",
        "min_severity": "high", "repeat_interval_s": "3600", "group_window_s": "0",
        "timeout_s": "2", "max_attempts": "3", "retry_base_s": "10"})
    channel.refresh_from_db()
    assert channel.min_severity == "high"
    assert channel.get_url() == url
    assert channel.get_secret() == "hmac-k3y-value"


def test_send_test_shows_the_result(admin_web, db):
    channel = make_channel("dead hook", "webhook", f"http://127.0.0.1:{_closed_port()}/x",
                           secret="k", timeout_s=2)
    response = admin_web.post(f"/alerts/channels/{channel.pk}/test/", follow=True)
    html = response.content.decode()
    assert 'id="test-result"' in html
    assert "Test message to dead hook: failed" in _text(response)
    assert channel.deliveries.filter(kind="test", status="failed").count() == 1


# -- overview, dashboard, navigation -------------------------------------------------


def test_overview_shows_firing_alerts_first(admin_web, scene, no_collector):
    html = admin_web.get("/").content.decode()
    block = html.index('id="overview-alerts"')
    assert block < html.index('class="stats"')
    assert html.index(f'data-alert="{scene["alerts"]["crit"].pk}"') \
        < html.index(f'data-alert="{scene["alerts"]["warn"].pk}"')
    assert f'data-alert="{scene["alerts"]["pending"].pk}"' not in html  # firing only


def test_overview_empty_state(admin_web, db, no_collector):
    assert 'id="no-firing"' in admin_web.get("/").content.decode()


def test_dashboard_shows_the_devices_alerts_and_marks(admin_web, scene, no_collector):
    a = scene["devices"][0]
    html = admin_web.get(f"/devices/{a.pk}/").content.decode()
    panel = html[html.index('id="device-alerts"'):html.index('id="chart-cpu"')]
    assert f'data-alert="{scene["alerts"]["crit"].pk}"' in panel
    assert f'data-alert="{scene["alerts"]["warn"].pk}"' not in panel
    assert "Recently resolved (1)" in panel
    config = json.loads(re.search(r'id="dashboard-config"[^>]*>(.*?)</script>', html,
                                  re.S).group(1))
    assert config["urls"]["alert_marks"] == f"/devices/{a.pk}/alert-marks/"
    marks = json.loads(admin_web.get(config["urls"]["alert_marks"]).content)["alerts"]
    by_id = {m["id"]: m for m in marks}
    crit, old = scene["alerts"]["crit"], scene["alerts"]["old"]
    assert by_id[crit.pk]["end"] is None
    assert by_id[crit.pk]["metric"] == "system.cpu.load_pct"
    assert by_id[crit.pk]["start"] == pytest.approx(crit.fired_at.timestamp())
    assert by_id[old.pk]["end"] == pytest.approx(old.resolved_at.timestamp())
    assert admin_web.get("/devices/999999/alert-marks/").status_code == 404


def test_navigation_badge_counts_firing_alerts(admin_web, scene, no_collector):
    html = admin_web.get("/events/").content.decode()
    nav = html[html.index('id="nav-alerts"'):]
    nav = nav[:nav.index("</a>")]
    assert 'class="nav-badge"' in nav
    assert ">2<" in nav


def test_alert_pages_carry_no_inline_code(admin_web, scene, no_collector):
    make_channel("mail", "apprise", "mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com")
    a = scene["devices"][0]
    crit = scene["rules"][0]
    silence_page = f"/alerts/silences/add/?device={a.pk}"
    for path in ("/alerts/", "/alerts/history/", f"/alerts/{scene['alerts']['crit'].pk}/",
                 "/alerts/rules/", "/alerts/rules/add/", f"/alerts/rules/{crit.pk}/",
                 "/alerts/silences/", silence_page, "/alerts/channels/",
                 "/alerts/channels/add/", "/", f"/devices/{a.pk}/",
                 f"/devices/{a.pk}/alert-rules/"):
        response = admin_web.get(path)
        assert response.status_code == 200, path
        _no_inline(response, path)


# -- a device's own thresholds -------------------------------------------------------


def test_device_rules_lists_rules_in_scope_and_saves_overrides(admin_web, scene, fake_collector):
    from mikromon.web.alerts.models import AlertRule, RuleOverride

    a, b, _c = scene["devices"]
    crit = scene["rules"][0]
    AlertRule.objects.create(name="Only edge-b", kind="reboot", device=b)
    AlertRule.objects.create(name="Berlin down", kind="device_state", site=a.site,
                             params={"states": ["down"]})
    html = admin_web.get(f"/devices/{a.pk}/alert-rules/").content.decode()
    assert "Berlin down" in html
    assert "Only edge-b" not in html
    assert f'href="/devices/{a.pk}/alert-rules/"' in admin_web.get(
        f"/devices/{a.pk}/").content.decode()
    url = f"/devices/{a.pk}/alert-rules/{crit.pk}/"
    response = admin_web.post(url, {"threshold": "98", "recovery": "93", "enabled": "on"})
    assert response.status_code == 302
    override = RuleOverride.objects.get(rule=crit, device=a)
    assert (override.threshold, override.recovery, override.enabled) == (98.0, 93.0, True)
    # A recovery above the threshold is refused, naming it; the override stays.
    text = _text(admin_web.post(url, {"threshold": "90", "recovery": "95", "enabled": "on"},
                                follow=True))
    assert "recovery" in text
    override.refresh_from_db()
    assert override.threshold == 98.0
    # Unticked: the rule is off for this router.
    admin_web.post(url, {"threshold": "", "recovery": ""})
    override.refresh_from_db()
    assert override.enabled is False
    admin_web.post(url, {"reset": "1"})
    assert not RuleOverride.objects.filter(rule=crit, device=a).exists()


def test_viewer_reads_device_rules_but_cannot_override(viewer_web, scene):
    from mikromon.web.alerts.models import RuleOverride

    a = scene["devices"][0]
    crit = scene["rules"][0]
    html = viewer_web.get(f"/devices/{a.pk}/alert-rules/").content.decode()
    assert "CPU critical" in html
    assert "override-form" not in html
    response = viewer_web.post(f"/devices/{a.pk}/alert-rules/{crit.pk}/", {"threshold": "1"})
    assert response.status_code == 403
    assert not RuleOverride.objects.exists()


def test_alerts_page_refreshes_itself(admin_web, db):
    html = admin_web.get("/alerts/").content.decode()
    assert 'data-refresh-s="30"' in html
    assert "/static/mikromon/refresh.js" in html
