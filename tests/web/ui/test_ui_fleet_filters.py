"""The events and alerts pages at fleet size: the device filter is a list of the
devices for a small fleet, a name box beyond (a list of 10,000 names is most of a
page); a device given by name filters as its id does; open alerts are paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.django_db


def _events(fleet) -> None:
    from mikromon.web.monitor.models import Event

    now = datetime.now(UTC)
    Event.objects.bulk_create([
        Event(device=d, ts=now - timedelta(seconds=i), kind="device_down",
              message=f"down {d.name}", severity="critical")
        for i, d in enumerate(fleet)])


def _alerts(fleet) -> None:
    from mikromon.web.alerts.models import Alert, AlertRule

    rule = AlertRule.objects.create(name="cpu", kind="threshold",
                                    metric="system.cpu.load_pct", comparison=">",
                                    threshold=90)
    now = datetime.now(UTC)
    Alert.objects.bulk_create([
        Alert(rule=rule, device=d, state="firing", severity="warning", started_at=now,
              fired_at=now, message=f"cpu of {d.name}") for d in fleet])


@pytest.mark.parametrize("url", ["/events/", "/alerts/", "/alerts/history/"])
def test_a_small_fleet_gets_a_list_a_large_one_a_name_box(admin_web, make_fleet,
                                                            monkeypatch, url):
    from mikromon.web.ui.views import device_pick

    fleet = make_fleet(6)
    _events(fleet)
    _alerts(fleet)
    body = admin_web.get(url).content.decode()
    assert '<select name="device"' in body
    assert body.count('<option value="') >= 6

    monkeypatch.setattr(device_pick, "LIST_LIMIT", 5)
    response = admin_web.get(f"{url}?device={fleet[2].pk}")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<select name="device"' not in body
    assert 'name="device" aria-label="Device" placeholder="Device name" value="r002"' in body
    marker = "down r00" if url == "/events/" else "cpu of r00"
    assert f"{marker}2" in body
    assert f"{marker}3" not in body


@pytest.mark.parametrize("url", ["/events/", "/alerts/", "/alerts/history/"])
def test_a_device_given_by_name_filters_as_its_id(admin_web, make_fleet, url):
    fleet = make_fleet(6)
    _events(fleet)
    _alerts(fleet)
    by_id = admin_web.get(f"{url}?device={fleet[4].pk}").content.decode()
    by_name = admin_web.get(f"{url}?device=R004").content.decode()
    marker = "down r00" if url == "/events/" else "cpu of r00"
    assert f"{marker}4" in by_name
    assert f"{marker}1" not in by_name
    assert f"{marker}1" in admin_web.get(url).content.decode()
    assert by_name.count("r004") == by_id.count("r004")
    unknown = admin_web.get(f"{url}?device=nosuch")
    assert unknown.status_code == 400
    assert "nosuch" in unknown.content.decode()


def test_open_alerts_are_paged_with_counts_of_every_page(admin_web, make_fleet,
                                                         monkeypatch):
    """The alerts list shows a page of open alerts (an outage may open thousands);
    the firing, open and per-severity counts are of every page."""
    from mikromon.web.ui.views import alerts

    fleet = make_fleet(7)
    _alerts(fleet)
    monkeypatch.setattr(alerts, "OPEN_PER_PAGE", 3)
    first = admin_web.get("/alerts/")
    assert first.status_code == 200
    assert [len(g.alerts) for g in first.context["groups"]] == [3]
    assert [g.total for g in first.context["groups"]] == [7]
    body = first.content.decode()
    assert "7 firing · 7 open" in body
    assert "alerts 1–3 of 7" in body
    last = admin_web.get("/alerts/?page=3")
    assert [len(g.alerts) for g in last.context["groups"]] == [1]
    shown = {a.device.name for p in (1, 2, 3)
             for g in admin_web.get(f"/alerts/?page={p}").context["groups"] for a in g.alerts}
    assert shown == {d.name for d in fleet}


def test_silence_form_offers_a_name_box_at_fleet_size(admin_web, make_fleet, monkeypatch):
    """The silence form's device field is the same pick as the filters': a list of
    the devices for a small fleet, a box for a name (or id) beyond; a silence is
    created for the device named, and an unknown name is refused naming it."""
    from mikromon.web.alerts.models import Silence
    from mikromon.web.ui.views import device_pick

    fleet = make_fleet(6)
    body = admin_web.get("/alerts/silences/add/").content.decode()
    assert '<select name="device" id="id_device">' in body
    assert body.split('<select name="device"', 1)[1].split("</select>")[0].count("<option") == 7

    monkeypatch.setattr(device_pick, "LIST_LIMIT", 5)
    body = admin_web.get(f"/alerts/silences/add/?device={fleet[3].pk}").content.decode()
    assert '<select name="device"' not in body
    box = body.split('name="device"', 1)[1].split(">", 1)[0]
    assert 'value="r003"' in box
    assert 'id="id_device"' in box
    assert ">r000</option>" not in body

    response = admin_web.post("/alerts/silences/add/", {
        "device": "r004", "duration": "1h", "reason": "fibre cut"})
    assert response.status_code == 302
    assert Silence.objects.get().device == fleet[4]

    response = admin_web.post("/alerts/silences/add/", {
        "device": "nosuch", "duration": "1h", "reason": "x"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "nosuch" in body
    assert 'value="nosuch"' in body.split('name="device"', 1)[1].split(">", 1)[0]


def test_rule_form_offers_a_name_box_at_fleet_size(admin_web, make_fleet, monkeypatch,
                                                   fake_collector):
    """The rule form's device field (scope) is the same pick as the filters': a list
    of the devices (natural order) for a small fleet, a box beyond showing the
    chosen device's name; a rule is saved for the device named, and an unknown name
    is refused naming it."""
    from mikromon.web.alerts.models import AlertRule
    from mikromon.web.ui.views import device_pick

    fleet = make_fleet(6)
    body = admin_web.get("/alerts/rules/add/").content.decode()
    listed = body.split('<select name="device"', 1)[1].split("</select>")[0]
    assert listed.count("<option") == 7
    assert listed.index(">r000<") < listed.index(">r005<")

    monkeypatch.setattr(device_pick, "LIST_LIMIT", 5)
    body = admin_web.get("/alerts/rules/add/").content.decode()
    assert '<select name="device"' not in body
    assert ">r000</option>" not in body
    post = {"name": "cpu on r004", "kind": "threshold", "severity": "high",
            "enabled": "on", "metric": "system.cpu.load_pct", "comparison": ">",
            "threshold": "90", "recovery": "70", "for_seconds": "30", "save": "1",
            "device": "r004"}
    response = admin_web.post("/alerts/rules/add/", post)
    assert response.status_code == 302, response.content[:2000]
    rule = AlertRule.objects.get(name="cpu on r004")
    assert rule.device == fleet[4]

    body = admin_web.get(f"/alerts/rules/{rule.pk}/").content.decode()
    box = body.split('name="device"', 1)[1].split(">", 1)[0]
    assert 'value="r004"' in box
    assert 'id="id_device"' in box

    response = admin_web.post("/alerts/rules/add/", {**post, "name": "x", "device": "nosuch"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "nosuch" in body
    assert 'value="nosuch"' in body.split('name="device"', 1)[1].split(">", 1)[0]
