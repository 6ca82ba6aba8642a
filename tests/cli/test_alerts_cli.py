"""``mikromon alerts`` and ``mikromon rules``: the same checks and messages as the API
(one service layer), exit 2 naming the field, ``--json`` the API's documents."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(db):
    from mikromon.web.monitor.models import Device, Site, Tag

    site = Site.objects.create(name="HQ")
    dev = Device(name="r1", host="127.0.0.1", username="mon", site=site)
    dev.set_password("pw")
    dev.save()
    dev.tags.add(Tag.objects.create(name="core"))
    return dev


@pytest.fixture
def alerts(device):
    from django.utils import timezone

    from mikromon.web.alerts.models import Alert, AlertRule

    now = timezone.now()
    out = {}
    for name, state in (("CPU load high", "firing"), ("Device unreachable", "firing"),
                        ("Login refused", "pending"), ("Disk almost full", "resolved")):
        rule = AlertRule.objects.get(name=name)
        out[name] = Alert.objects.create(rule=rule, device=device, state=state,
                                         severity=rule.severity,
                                         started_at=now - timedelta(minutes=3),
                                         message=f"{name} msg")
    return out


def test_alerts_list_table_and_json_match_the_api_document(cli, alerts):
    from mikromon.web.alerts import services

    result = cli("alerts", "list")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "STATE", "SEVERITY", "DEVICE"]
    assert "Device unreachable" in lines[1]
    assert "CPU load high" in lines[2]
    assert len(lines) == 3
    result = cli("alerts", "list", "--json", "--state", "all", "--severity", "warning")
    docs = json.loads(result.out)
    assert {d["rule"]["name"] for d in docs} == {"CPU load high", "Disk almost full"}
    assert docs[0] == json.loads(json.dumps(services.alert_dict(
        services.get_alert(docs[0]["id"]))))
    assert json.loads(cli("alerts", "list", "--json", "--device", "r1").out)
    assert cli("alerts", "list", "--state", "pending").out.count("Login refused") == 1


def test_alerts_list_errors(cli, alerts):
    result = cli("alerts", "list", "--device", "ghost")
    assert result.code == 2
    assert "mikromon: error: device: no device 'ghost'" in result.err
    assert cli("alerts", "list", "--state", "burning").code == 2
    assert cli("alerts", "list", "--site", "nowhere").code == 2


def test_ack_and_unack(cli, alerts, admin_user):
    pk = alerts["CPU load high"].pk
    result = cli("alerts", "ack", str(pk), "--comment", "looking", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["acknowledged"] is True
    assert doc["ack_comment"] == "looking"
    from mikromon.web.alerts.models import AlertEvent

    assert "(command line)" in AlertEvent.objects.get(alert_id=pk, state="acknowledged").message
    result = cli("alerts", "ack", str(pk), "--user", "admin")
    assert result.code == 0
    assert "acknowledged alert" in result.out
    assert json.loads(cli("alerts", "show", str(pk), "--json").out)["acknowledged_by"] == "admin"
    assert cli("alerts", "unack", str(pk)).code == 0
    resolved = alerts["Disk almost full"].pk
    result = cli("alerts", "ack", str(resolved))
    assert result.code == 2
    assert "state: alert" in result.err
    assert cli("alerts", "ack", "999999").code == 2
    assert "no alert with id 999999" in cli("alerts", "ack", "999999").err
    assert cli("alerts", "ack", "²").code == 2
    assert cli("alerts", "ack", str(pk), "--user", "nobody").code == 2


@pytest.fixture
def admin_user(db, django_user_model):
    return django_user_model.objects.create_user("admin", password="x", is_staff=True)


def test_silence_list_and_expire(cli, device, alerts):
    result = cli("alerts", "silence", "--device", "r1", "--for", "2h", "--reason", "PSU swap",
                 "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["device"]["name"] == "r1"
    assert doc["state"] == "active"
    listed = cli("alerts", "silences")
    assert "PSU swap" in listed.out
    assert "device 'r1'" in listed.out
    alert = json.loads(cli("alerts", "show", str(alerts["CPU load high"].pk), "--json").out)
    assert alert["silenced_by"] == doc["id"]
    result = cli("alerts", "expire", str(doc["id"]))
    assert result.code == 0
    assert cli("alerts", "silences").out.startswith("no active silences")
    assert json.loads(cli("alerts", "silences", "--state", "expired", "--json").out)[0][
        "id"] == doc["id"]
    again = cli("alerts", "expire", str(doc["id"]))
    assert again.code == 2
    assert "ends_at: silence" in again.err
    from django.utils import timezone

    until = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = cli("alerts", "silence", "--tag", "core", "--until", until, "--reason", "long")
    assert result.code == 0, result.err
    assert "tag 'core'" in result.out
    assert cli("alerts", "silence", "--all", "--for", "1h", "--reason", "all").code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "nowhere", "--for", "1h", "--reason", "x"], "site: no site 'nowhere'"),
    (["--device", "r1", "--for", "soon", "--reason", "x"], "duration: 'soon' is not a duration"),
    (["--device", "r1", "--until", "2001-01-01T00:00:00Z", "--reason", "x"], "ends_at: "),
    (["--device", "r1", "--for", "1h", "--reason", " "], "reason: "),
])
def test_silence_errors_name_the_field(cli, device, args, message):
    result = cli("alerts", "silence", *args)
    assert result.code == 2
    assert message in result.err


def test_silence_needs_a_scope_and_an_end(cli, device):
    assert cli("alerts", "silence", "--for", "1h", "--reason", "x").code == 2
    assert cli("alerts", "silence", "--device", "r1", "--reason", "x").code == 2
    assert cli("alerts", "silence", "--device", "r1", "--site", "HQ", "--for", "1h",
               "--reason", "x").code == 2


def test_rules_add_edit_show_list_disable_remove(cli, device):
    result = cli("rules", "add", "--name", "Hot", "--kind", "threshold", "--metric",
                 "system.cpu.load_pct", "--threshold", "80", "--recovery", "75", "--for", "5m",
                 "--severity", "high", "--site", "HQ", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["for_seconds"] == 300
    assert doc["site"]["name"] == "HQ"
    assert doc["enabled"] is True
    result = cli("rules", "edit", "Hot", "--threshold", "85", "--comparison", "above",
                 "--all-devices")
    assert result.code == 0, result.err
    shown = json.loads(cli("rules", "show", "Hot", "--json").out)
    assert shown["threshold"] == 85
    assert shown["recovery"] == 75
    assert shown["site"] is None
    assert "system.cpu.load_pct > 85 % (recovers < 75 %) for 5 min" in cli("rules", "list").out
    from mikromon.web.alerts.models import AlertRule

    assert len(json.loads(cli("rules", "list", "--json").out)) == AlertRule.objects.count()
    assert AlertRule.objects.filter(name="Hot").exists()
    assert cli("rules", "disable", "Hot").code == 0
    assert json.loads(cli("rules", "show", str(doc["id"]), "--json").out)["enabled"] is False
    result = cli("rules", "add", "--name", "Links", "--kind", "link_down", "--pattern",
                 "sfp*", "--disabled")
    assert result.code == 0, result.err
    result = cli("rules", "add", "--name", "Logins", "--kind", "log", "--log-pattern",
                 "login failure", "--topic", "system", "--topic", "!debug", "--count", "3",
                 "--window", "5m", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["params"] == {
        "pattern": "login failure", "topics": ["system", "!debug"], "count": 3,
        "window_seconds": 300}
    result = cli("rules", "add", "--name", "Bad log", "--kind", "log", "--log-pattern", "(")
    assert result.code == 2
    assert "pattern: not a valid regular expression" in result.err
    assert cli("rules", "remove", "Logins", "--yes").code == 0
    assert cli("rules", "remove", "Hot").code == 2  # no --yes, no terminal
    assert cli("rules", "remove", "Hot", "Links", "--yes").code == 0
    assert cli("rules", "show", "Hot").code == 2


@pytest.mark.parametrize(("args", "message"), [
    (["--kind", "threshold", "--metric", "system.cpu.load_pct"], "threshold: a threshold rule"),
    (["--kind", "threshold", "--threshold", "5"], "metric: a threshold rule needs a metric"),
    (["--kind", "threshold", "--metric", "x.y", "--threshold", "5"], "metric: unknown metric"),
    (["--kind", "threshold", "--metric", "system.cpu.load_pct", "--threshold", "90",
      "--recovery", "95"], "recovery: the recovery level 95"),
    (["--kind", "threshold", "--metric", "system.cpu.load_pct", "--threshold", "lots"],
     "threshold: "),
    (["--kind", "device_state", "--state", "asleep"], "states: "),
    (["--kind", "no_data", "--intervals", "0"], "intervals: "),
    (["--kind", "reboot", "--device", "ghost"], "device: no device 'ghost'"),
    (["--kind", "link_down", "--threshold", "1"], "threshold: a link_down rule has no"),
])
def test_rules_add_errors_are_the_forms(cli, device, args, message):
    from mikromon.web.alerts import services

    result = cli("rules", "add", "--name", "bad", *args)
    assert result.code == 2
    assert message in result.err
    # The API and the pages say the same: one form.
    field = message.split(":")[0]
    data = {"name": "bad", **_api_like(args)}
    with pytest.raises(services.Invalid) as err:
        services.create_rule(data)
    assert field in err.value.errors


def _api_like(args):
    from mikromon.cli import build_parser
    from mikromon.cli.rules import rule_data

    parsed = build_parser().parse_args(["rules", "add", "--name", "bad", *args])
    return {k: v for k, v in rule_data(parsed).items() if k != "name"}


def test_rules_duration_options_name_the_field(cli, device):
    result = cli("rules", "add", "--name", "r", "--kind", "reboot", "--hold", "0s")
    assert result.code == 2
    assert "hold_seconds: '0s': a duration must be above zero" in result.err
    result = cli("rules", "add", "--name", "r", "--kind", "reboot", "--for", "1.5s")
    assert result.code == 2
    assert "for_seconds: " in result.err


def test_rules_edit_needs_an_option_and_a_known_rule(cli, device):
    assert cli("rules", "edit", "CPU load high").code == 2
    result = cli("rules", "edit", "no such", "--threshold", "5")
    assert result.code == 2
    assert "no rule 'no such'" in result.err
    result = cli("rules", "add", "--name", "CPU load high", "--kind", "reboot")
    assert result.code == 2
    assert "name: " in result.err


def test_rules_preview(cli, device):
    from django.utils import timezone

    from mikromon.domain.samples import Sample
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage().write_samples(device.pk, [Sample("system.cpu.load_pct", 93.0,
                                                     timezone.now())])
    result = cli("rules", "preview", "CPU load high")
    assert result.code == 0, result.err
    assert "pending  r1:" in result.out
    result = cli("rules", "preview", "CPU load high", "--threshold", "95", "--json")
    assert json.loads(result.out)["matches"] == []
    result = cli("rules", "preview", "--kind", "threshold", "--metric", "system.cpu.load_pct",
                 "--threshold", "50", "--json")
    assert [m["device"]["name"] for m in json.loads(result.out)["matches"]] == ["r1"]
    assert cli("rules", "preview").code == 2


def test_rules_list_says_the_built_in_conditions_in_words(cli, device):
    """The built-in rules without a level show what they watch, in the words of the
    web's rule list (one place: mikromon.web.alerts.conditions), not "-"."""
    from mikromon.alerting.defaults import default_rules
    from mikromon.web.alerts.models import AlertRule

    if not AlertRule.objects.filter(is_default=True).exists():
        for rule in default_rules():
            AlertRule.objects.create(is_default=True, **rule)
    out = cli("rules", "list").out
    for name, words in (("Device unreachable", "unreachable for 3 min"),
                        ("Login refused", "login refused"),
                        ("BGP session down", "BGP session no longer established"),
                        ("Interface link down", "link down")):
        line = next(line for line in out.splitlines() if name in line)
        assert line.rstrip().endswith(words), line
