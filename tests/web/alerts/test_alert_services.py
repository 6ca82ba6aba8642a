"""The alerting service layer (mikromon.web.alerts.services): what the pages, the API
and the command line share. Runs on SQLite and, with the db_backend marker, on
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def site(db):
    from mikromon.web.monitor.models import Site

    return Site.objects.create(name="tower-1")


@pytest.fixture
def tag(db):
    from mikromon.web.monitor.models import Tag

    return Tag.objects.create(name="core")


def make_device(name, site=None, tags=(), state="up"):
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="monitor", site=site, state=state)
    dev.set_password("s3cret-pass")
    dev.save()
    for t in tags:
        dev.tags.add(t)
    return dev


def make_alert(device, rule_name="CPU load high", state="firing", severity=None, **kw):
    from django.utils import timezone

    from mikromon.web.alerts.models import Alert, AlertRule

    rule = AlertRule.objects.get(name=rule_name)
    now = timezone.now()
    return Alert.objects.create(rule=rule, device=device, state=state,
                                severity=severity or rule.severity,
                                started_at=kw.pop("started_at", now - timedelta(minutes=10)),
                                fired_at=now if state != "pending" else None, **kw)


def write(device, key, value, labels=(), ago=0.0):
    from django.utils import timezone

    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.storage import DjangoStorage

    ts = timezone.now() - timedelta(seconds=ago)
    DjangoStorage().write_samples(device.pk, [Sample(key, value, ts, tuple(labels))])


# --- alerts ---------------------------------------------------------------------------


def test_list_alerts_sorts_by_severity_then_newest_and_filters(site, admin):
    from django.utils import timezone

    from mikromon.web.alerts import services

    a = make_device("a", site=site)
    b = make_device("b")
    now = timezone.now()
    warn_old = make_alert(a, "CPU load high", started_at=now - timedelta(hours=2))
    warn_new = make_alert(a, "Memory use high", started_at=now - timedelta(minutes=1))
    crit = make_alert(b, "Device unreachable")
    make_alert(b, "Login refused", state="pending")
    make_alert(a, "Disk almost full", state="resolved")
    assert [x.pk for x in services.list_alerts()] == [crit.pk, warn_new.pk, warn_old.pk]
    assert [x.pk for x in services.list_alerts(site=site.pk)] == [warn_new.pk, warn_old.pk]
    assert [x.pk for x in services.list_alerts(severity="critical")] == [crit.pk]
    assert [x.state for x in services.list_alerts(state="pending")] == ["pending"]
    assert services.list_alerts(state="all").count() == 5
    assert services.list_alerts(state="open", device=b.pk).count() == 2
    with pytest.raises(services.Invalid) as err:
        services.list_alerts(state="burning")
    assert "state" in err.value.errors


def test_acknowledge_records_who_when_and_history_and_refuses_resolved(admin):
    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import AlertEvent

    dev = make_device("edge")
    alert = make_alert(dev)
    done = services.acknowledge(alert.pk, user=admin, comment="on it")
    assert done.acknowledged_by == admin
    assert done.ack_comment == "on it"
    assert done.acknowledged_at is not None
    event = AlertEvent.objects.get(alert=alert, state="acknowledged")
    assert "alice" in event.message
    assert "on it" in event.message
    doc = services.alert_dict(done)
    assert doc["acknowledged"] is True
    assert doc["acknowledged_by"] == "alice"
    undone = services.unacknowledge(alert.pk, user=admin)
    assert undone.acknowledged_at is None
    resolved = make_alert(dev, "Disk almost full", state="resolved")
    with pytest.raises(services.Invalid) as err:
        services.acknowledge(resolved.pk, user=admin)
    assert "state" in err.value.errors
    with pytest.raises(services.Invalid) as err:
        services.acknowledge(alert.pk, user=admin, comment="x" * 3000)
    assert "comment" in err.value.errors
    with pytest.raises(services.NotFound):
        services.acknowledge(999999, user=admin)


# --- silences -------------------------------------------------------------------------


def test_silence_create_validates_and_expire_ends_it(admin, site, tag):
    from django.utils import timezone

    from mikromon.web.alerts import services
    from mikromon.web.alerts.silences import silenced

    dev = make_device("edge", site=site, tags=[tag])
    alert = make_alert(dev)
    silence = services.create_silence({"site": "tower-1", "duration": "2h",
                                       "reason": "fibre work"}, user=admin)
    assert silence.site == site
    assert silence.created_by == admin
    assert abs((silence.ends_at - silence.starts_at) - timedelta(hours=2)) < timedelta(seconds=1)
    assert silenced(dev.pk, alert.rule_id, timezone.now()) == silence
    assert services.alert_dict(alert)["silenced_by"] == silence.pk
    assert [s.pk for s in services.list_silences()] == [silence.pk]
    doc = services.silence_dict(silence)
    assert doc["state"] == "active"
    assert doc["site"] == {"id": site.pk, "name": "tower-1"}

    ended = services.expire_silence(silence.pk, user=admin)
    assert ended.ends_at <= timezone.now()
    assert silenced(dev.pk, alert.rule_id, timezone.now()) is None
    assert services.silence_dict(ended)["state"] == "expired"
    with pytest.raises(services.Invalid) as err:
        services.expire_silence(silence.pk)
    assert "ends_at" in err.value.errors

    future = services.create_silence({"tag": tag.pk, "starts_at": timezone.now()
                                      + timedelta(hours=1), "duration": "30m",
                                      "reason": "later"})
    assert services.silence_dict(future)["state"] == "pending"
    services.expire_silence(future.pk)


@pytest.mark.parametrize(("data", "field"), [
    ({"device": "nope", "duration": "1h", "reason": "x"}, "device"),
    ({"duration": "1h"}, "reason"),
    ({"reason": "x"}, "ends_at"),
    ({"duration": "soon", "reason": "x"}, "duration"),
    ({"duration": "0m", "reason": "x"}, "duration"),
    ({"duration": "1h", "ends_at": "2099-01-01T00:00:00Z", "reason": "x"}, "duration"),
    ({"ends_at": "2001-01-01T00:00:00Z", "reason": "x"}, "ends_at"),
    ({"ends_at": "tomorrow", "reason": "x"}, "ends_at"),
    ({"duration": "1h", "reason": "x", "color": "red"}, None),
])
def test_silence_errors_name_the_field(data, field):
    from mikromon.web.alerts import services

    if field is None:  # unknown keys are the caller's to refuse; the form ignores them
        services.create_silence(data)
        return
    with pytest.raises(services.Invalid) as err:
        services.create_silence(data)
    assert field in err.value.errors, err.value.errors


def test_parse_duration():
    from mikromon.web.alerts.fields import parse_duration

    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("600") == timedelta(minutes=10)
    assert parse_duration("1.5d") == timedelta(hours=36)
    for bad in ("", "h", "2x", "2h 3", "-1h", "1h30", "٣h", "99999w"):
        with pytest.raises(ValueError):
            parse_duration(bad)


# --- rules ----------------------------------------------------------------------------


def test_create_edit_enable_delete_rule(site):
    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import AlertRule

    rule = services.create_rule({"name": "Hot CPU", "kind": "threshold",
                                 "metric": "system.cpu.load_pct", "threshold": 95,
                                 "recovery": 90, "for_seconds": 60, "site": "tower-1",
                                 "severity": "high"})
    assert rule.enabled
    assert rule.site == site
    assert rule.params == {}
    assert services.rule_dict(rule)["site"] == {"id": site.pk, "name": "tower-1"}
    changed = services.update_rule(rule.pk, {"threshold": 97, "name_pattern": ""})
    assert changed.threshold == 97
    assert changed.recovery == 90
    assert changed.site == site
    link = services.create_rule({"name": "Uplinks down", "kind": "link_down",
                                 "name_pattern": "sfp*"})
    assert link.params == {"name_pattern": "sfp*"}
    assert link.severity == "warning"
    assert services.set_rule_enabled(link.pk, False).enabled is False
    assert services.find_rule("Uplinks down").pk == link.pk
    assert services.find_rule(str(link.pk)).pk == link.pk
    services.delete_rule(link.pk)
    assert not AlertRule.objects.filter(pk=link.pk).exists()
    with pytest.raises(services.NotFound):
        services.delete_rule(link.pk)
    with pytest.raises(services.NotFound):
        services.find_rule("no such rule")


def test_every_default_rule_passes_the_form():
    """The rule form accepts what the installation created (a page can save it as is)."""
    from mikromon.web.alerts import services

    for rule in services.list_rules():
        services.update_rule(rule.pk, {})


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "threshold", "metric": "system.cpu.load_pct"}, "threshold"),
    ({"kind": "threshold", "threshold": 5}, "metric"),
    ({"kind": "threshold", "metric": "no.such.metric", "threshold": 5}, "metric"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 90, "recovery": 95},
     "recovery"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 10, "recovery": 5,
      "comparison": "<"}, "recovery"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": "lots"}, "threshold"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": True}, "threshold"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": "nan"}, "threshold"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": "inf"}, "threshold"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 5,
      "comparison": "="}, "comparison"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 5,
      "for_seconds": -1}, "for_seconds"),
    ({"kind": "threshold", "metric": "system.cpu.load_pct", "threshold": 5,
      "for_seconds": 1.5}, "for_seconds"),
    ({"kind": "wobble"}, "kind"),
    ({"kind": "link_down", "severity": "meh"}, "severity"),
    ({"kind": "link_down", "threshold": 3}, "threshold"),
    ({"kind": "link_down", "metric": "system.cpu.load_pct"}, "metric"),
    ({"kind": "link_down", "device": "ghost"}, "device"),
    ({"kind": "link_down", "site": "nowhere"}, "site"),
    ({"kind": "link_down", "tag": 424242}, "tag"),
    ({"kind": "link_down", "enabled": "perhaps"}, "enabled"),
    ({"kind": "device_state", "states": ["melted"]}, "states"),
    ({"kind": "fact_changed", "facts": ["colour"]}, "facts"),
    ({"kind": "no_data", "intervals": 0}, "intervals"),
    ({"kind": "utilisation", "threshold": 80, "metric": "system.cpu.load_pct"}, "metric"),
    ({"kind": "utilisation", "threshold": 80, "speed_bps": 0}, "speed_bps"),
    ({"kind": "reboot", "hold_seconds": 0}, "hold_seconds"),
    ({"kind": "log"}, "pattern"),
    ({"kind": "log", "pattern": "(unclosed"}, "pattern"),
    ({"kind": "log", "topics": ["sys tem"]}, "topics"),
    ({"kind": "log", "min_severity": "loud"}, "min_severity"),
    ({"kind": "log", "pattern": "x", "count": 0}, "count"),
    ({"kind": "reboot", "pattern": "x"}, "pattern"),
    ({"kind": "reboot", "flap_count": 0}, "flap_count"),
    ({"kind": "reboot", "colour": "red"}, "colour"),
    ({"kind": "reboot", "name": "  "}, "name"),
])
def test_rule_errors_name_the_field(data, field):
    from mikromon.web.alerts import services

    with pytest.raises(services.Invalid) as err:
        services.create_rule({"name": "r", **data})
    assert field in err.value.errors, err.value.errors
    assert str(err.value).startswith(f"{field}: ")


def test_rule_name_must_be_unique():
    from mikromon.web.alerts import services

    with pytest.raises(services.Invalid) as err:
        services.create_rule({"name": "CPU load high", "kind": "reboot"})
    assert "name" in err.value.errors


def test_every_kind_can_be_created():
    from mikromon.web.alerts import services

    specs = [
        {"kind": "threshold", "metric": "system.memory.used_pct", "threshold": 80},
        {"kind": "no_data", "intervals": 5},
        {"kind": "rate", "metric": "system.uptime_seconds", "threshold": 0, "comparison": "<"},
        {"kind": "device_state", "states": ["down", "auth_failed"], "for_seconds": 60},
        {"kind": "link_down", "name_pattern": "ether*"},
        {"kind": "reboot", "hold_seconds": 900},
        {"kind": "bgp_down"}, {"kind": "ospf_down"}, {"kind": "health_fail"},
        {"kind": "fact_changed", "facts": ["version"]},
        {"kind": "count", "metric": "dhcp.active_leases", "threshold": 200},
        {"kind": "utilisation", "threshold": 80, "speed_bps": 1e9},
        {"kind": "log", "pattern": "login failure for user", "topics": "system,!debug",
         "min_severity": "warning", "count": 3, "window_seconds": 60},
    ]
    for i, spec in enumerate(specs):
        rule = services.create_rule({"name": f"kind {i}", **spec})
        assert rule.kind == spec["kind"]
    log = services.find_rule("kind 12")
    assert log.params == {"pattern": "login failure for user", "topics": ["system", "!debug"],
                          "min_severity": "warning", "count": 3, "window_seconds": 60}


def test_override_per_device():
    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import AlertRule

    dev = make_device("edge")
    cpu = AlertRule.objects.get(name="CPU load high")
    over = services.set_override(cpu.pk, dev.pk, {"threshold": 97, "recovery": 95})
    assert (over.threshold, over.recovery, over.enabled) == (97, 95, True)
    over = services.set_override(cpu.pk, dev.pk, {"enabled": False})
    assert over.enabled is False
    assert services.list_overrides(dev.pk).count() == 1
    with pytest.raises(services.Invalid) as err:
        services.set_override(cpu.pk, dev.pk, {"threshold": 90, "recovery": 99})
    assert "recovery" in err.value.errors
    link = AlertRule.objects.get(name="Interface link down")
    with pytest.raises(services.Invalid) as err:
        services.set_override(link.pk, dev.pk, {"threshold": 1})
    assert "threshold" in err.value.errors
    services.delete_override(cpu.pk, dev.pk)
    with pytest.raises(services.NotFound):
        services.delete_override(cpu.pk, dev.pk)


# --- preview --------------------------------------------------------------------------


def test_preview_threshold_uses_latest_values_scope_and_changes_nothing(site):
    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import Alert, AlertRule

    hot = make_device("hot", site=site)
    cool = make_device("cool", site=site)
    elsewhere = make_device("elsewhere")
    write(hot, "system.cpu.load_pct", 97.0)
    write(cool, "system.cpu.load_pct", 12.0)
    write(elsewhere, "system.cpu.load_pct", 99.0)
    rules_before = AlertRule.objects.count()
    preview = services.preview_rule({"kind": "threshold", "metric": "system.cpu.load_pct",
                                     "threshold": 90, "site": site.pk, "for_seconds": 60})
    assert [(m.device, m.value, m.state) for m in preview.matches] == [("hot", 97.0, "pending")]
    assert preview.devices_checked == 2
    assert "97" in preview.matches[0].message
    assert AlertRule.objects.count() == rules_before
    assert not Alert.objects.exists()
    everywhere = services.preview_rule({"kind": "threshold", "metric": "system.cpu.load_pct",
                                        "threshold": 90})
    assert [m.device for m in everywhere.matches] == ["elsewhere", "hot"]
    assert everywhere.as_dict()["count"] == 2


def test_preview_of_an_edited_rule_applies_device_overrides():
    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import AlertRule

    dev = make_device("edge")
    write(dev, "system.cpu.load_pct", 95.0)
    cpu = AlertRule.objects.get(name="CPU load high")
    assert [m.device for m in services.preview_rule({}, rule_id=cpu.pk).matches] == ["edge"]
    services.set_override(cpu.pk, dev.pk, {"threshold": 98})
    assert services.preview_rule({}, rule_id=cpu.pk).matches == []
    assert services.preview_rule({"threshold": 99}, rule_id=cpu.pk).matches == []


def test_preview_state_kinds():
    from mikromon.web.alerts import services

    down = make_device("down-1", state="down")
    up = make_device("up-1", state="up")
    write(up, "iface.running", 0.0, labels=[("interface", "ether2")])
    write(up, "iface.running", 1.0, labels=[("interface", "ether1")])
    write(up, "system.uptime_seconds", 100.0, ago=3600)
    state = services.preview_rule({"kind": "device_state", "states": ["down"]})
    assert [m.device for m in state.matches] == ["down-1"]
    link = services.preview_rule({"kind": "link_down"})
    assert [(m.device, m.subject) for m in link.matches] == [("up-1", "ether2")]
    quiet = services.preview_rule({"kind": "no_data", "metric": "system.uptime_seconds"})
    assert {m.device for m in quiet.matches} == {"up-1", "down-1"}
    assert services.preview_rule({"kind": "log", "pattern": "fail"}).note
    with pytest.raises(services.Invalid) as err:
        services.preview_rule({"kind": "threshold"})
    assert "threshold" in err.value.errors
    assert down.pk


# --- channels -------------------------------------------------------------------------


def test_channel_create_masks_secrets_update_keeps_them_and_validates(site):
    from mikromon.web.alerts import services

    url = "http://127.0.0.1:9/in/abc?token=t0p-s3cret"
    ch = services.create_channel({"name": "ops", "kind": "webhook", "url": url,
                                  "secret": "hmac-key-123", "sites": ["tower-1"],
                                  "min_severity": "high"})
    doc = services.channel_dict(ch)
    text = repr(doc)
    assert "t0p-s3cret" not in text
    assert "hmac-key-123" not in text
    assert doc["has_secret"] is True
    assert doc["sites"] == [{"id": site.pk, "name": "tower-1"}]
    assert doc["enabled"] is True
    assert doc["group_window_s"] == 30
    assert doc["delivery"]["counts"]["sent"] == 0
    changed = services.update_channel(ch.pk, {"min_severity": "critical", "enabled": False})
    assert changed.get_url() == url
    assert changed.get_secret() == "hmac-key-123"
    assert changed.enabled is False
    assert changed.min_severity == "critical"
    assert [s.name for s in changed.sites.all()] == ["tower-1"]
    for data, field in [
        ({"name": "x", "kind": "webhook", "url": url}, "secret"),
        ({"name": "x", "kind": "apprise"}, "url"),
        ({"name": "x", "kind": "webhook", "url": "ftp://x", "secret": "k"}, "url"),
        ({"name": "x", "kind": "pigeon", "url": url}, "kind"),
        ({"name": "ops", "kind": "apprise", "url": "json://127.0.0.1/"}, "name"),
        ({"name": "x", "kind": "apprise", "url": "json://127.0.0.1/", "secret": "k"}, "secret"),
        ({"name": "x", "kind": "apprise", "url": "json://127.0.0.1/", "timeout_s": 0},
         "timeout_s"),
        ({"name": "x", "kind": "apprise", "url": "json://127.0.0.1/", "tags": ["nope"]}, "tags"),
        ({"name": "x", "kind": "apprise", "url": "json://127.0.0.1/", "password": "y"},
         "password"),
    ]:
        with pytest.raises(services.Invalid) as err:
            services.create_channel(data)
        assert field in err.value.errors, (data, err.value.errors)
    result = services.test_channel(ch.pk)
    assert result.delivery_id is not None
    services.delete_channel(ch.pk)
    with pytest.raises(services.NotFound):
        services.get_channel(ch.pk)


def test_preview_rate_utilisation_health_bgp_reboot_and_fresh_data():
    from django.utils import timezone

    from mikromon.web.alerts import services
    from mikromon.web.monitor.models import Event, InventoryItem

    a = make_device("a")
    b = make_device("b")
    # rate: a's uptime went back by 1000 s in 10 s; b's grew normally
    write(a, "system.uptime_seconds", 5000.0, ago=10)
    write(a, "system.uptime_seconds", 4000.0, ago=0)
    write(b, "system.uptime_seconds", 5000.0, ago=10)
    write(b, "system.uptime_seconds", 5010.0, ago=0)
    rate = services.preview_rule({"kind": "rate", "metric": "system.uptime_seconds",
                                  "threshold": 0, "comparison": "<"})
    assert [m.device for m in rate.matches] == ["a"]
    # utilisation: 900 Mbit/s on a 1 Gbit/s link is 90 %
    write(a, "iface.rx_bps", 9e8, labels=[("interface", "ether1")])
    write(b, "iface.rx_bps", 1e8, labels=[("interface", "ether1")])
    util = services.preview_rule({"kind": "utilisation", "metric": "iface.rx_bps",
                                  "threshold": 80, "speed_bps": 1e9})
    assert [(m.device, m.subject) for m in util.matches] == [("a", "ether1 rx")]
    # b's ether1 negotiated 100 Mbit/s (read on the medium tier, before the rate):
    # its 100 Mbit/s is 100 % of its own link, whatever the rule's speed_bps says
    write(b, "iface.link_speed_bps", 1e8, ago=120, labels=[("interface", "ether1")])
    util = services.preview_rule({"kind": "utilisation", "metric": "iface.rx_bps",
                                  "threshold": 80, "speed_bps": 1e9})
    assert sorted((m.device, m.subject) for m in util.matches) == [("a", "ether1 rx"),
                                                                   ("b", "ether1 rx")]
    # health and BGP: a subject now at 0
    for name, word in (("psu1-state", "fail"), ("psu2-state", "ok")):
        InventoryItem.objects.create(device=b, table="health_states", key=name,
                                     data={"name": name, "state": word},
                                     first_seen=timezone.now(), last_seen=timezone.now(),
                                     changed_at=timezone.now())
    write(a, "bgp.established", 0.0, labels=[("peer", "upstream")])
    health = services.preview_rule({"kind": "health_fail"})
    assert [(m.device, m.subject) for m in health.matches] == [("b", "psu1-state")]
    bgp = services.preview_rule({"kind": "bgp_down"})
    assert [(m.device, m.subject) for m in bgp.matches] == [("a", "upstream")]
    # reboot: within the hold time only
    Event.objects.create(device=a, ts=timezone.now() - timedelta(minutes=2), kind="reboot",
                         message="a rebooted")
    Event.objects.create(device=b, ts=timezone.now() - timedelta(hours=2), kind="reboot",
                         message="b rebooted")
    reboot = services.preview_rule({"kind": "reboot"})
    assert [m.device for m in reboot.matches] == ["a"]
    # no data: one stale series does not hide fresh ones (the newest sample counts)
    write(a, "dhcp.active_leases", 3.0, ago=86400)
    assert services.preview_rule({"kind": "no_data"}).matches == []
    stale = services.preview_rule({"kind": "no_data", "metric": "dhcp.active_leases"})
    assert [m.device for m in stale.matches] == ["a", "b"]


def test_alert_dicts_find_the_same_silences_as_one_by_one(site, tag):
    """The list serializer matches silences in Python: it agrees with silenced()."""
    from django.utils import timezone

    from mikromon.web.alerts import services
    from mikromon.web.alerts.models import AlertRule

    a = make_device("a", site=site)
    b = make_device("b", tags=[tag])
    c = make_device("c")
    alerts = [make_alert(d, name) for d in (a, b, c)
              for name in ("CPU load high", "Device unreachable")]
    alerts.append(make_alert(a, "Disk almost full", state="resolved"))
    cpu = AlertRule.objects.get(name="CPU load high")
    for data in ({"site": site.pk}, {"tag": tag.pk, "rule": cpu.pk},
                 {"device": c.pk, "starts_at": timezone.now() + timedelta(hours=1)}):
        services.create_silence({**data, "duration": "1h", "reason": "x"})
    batch = services.alert_dicts(list(services.list_alerts(state="all")))
    single = [services.alert_dict(x) for x in services.list_alerts(state="all")]
    assert batch == single
    assert sorted((d["device"]["name"], d["rule"]["name"]) for d in batch
                  if d["silenced_by"]) == [("a", "CPU load high"), ("a", "Device unreachable"),
                                           ("b", "CPU load high")]
    assert len(alerts) == 7


def test_editing_keeps_a_scope_whose_id_is_another_objects_name():
    """Editing one field keeps the stored site and tags even when another site or
    tag is named like their id (names are looked up before ids)."""
    from mikromon.web.alerts import services
    from mikromon.web.monitor.models import Site, Tag

    first = Site.objects.create(name="first")
    Site.objects.create(name=str(first.pk))
    tag = Tag.objects.create(name="t")
    Tag.objects.create(name=str(tag.pk))
    rule = services.create_rule({"name": "scoped", "kind": "reboot", "site": first.pk})
    assert services.update_rule(rule.pk, {"severity": "high"}).site == first
    channel = services.create_channel({"name": "c", "kind": "apprise",
                                       "url": "json://127.0.0.1:9/", "tags": [tag.pk]})
    changed = services.update_channel(channel.pk, {"enabled": False})
    assert list(changed.tags.all()) == [tag]
