"""/api/v1/events and the events page: filters by severity, kind, device, site and
time, paging on the server, bad parameters named; the latest-events lists of the
overview and the device page leave info events out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.domain.events import Event, EventKind

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def api(admin_token):
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def fleet(device):
    """Two devices on two sites; one event of every kind on edge-1 (a minute apart,
    in EventKind order from T0) and a device_down on edge-2 at T0 + 1 h."""
    from mikromon.web.monitor.models import Device, Site
    from mikromon.web.monitor.storage import DjangoStorage

    hq, branch = Site.objects.create(name="HQ"), Site.objects.create(name="Branch")
    device.site = hq
    device.save()
    other = Device(name="edge-2", host="127.0.0.2", username="monitor", site=branch)
    other.set_password("pw")
    other.save()
    storage = DjangoStorage(maintenance_interval=None)
    storage.write_events([
        Event(device_id=device.pk, ts=T0 + timedelta(minutes=i), kind=kind,
              message=f"{kind.value} on edge-1", path=f"/p/{i}")
        for i, kind in enumerate(EventKind)
    ] + [Event(device_id=other.pk, ts=T0 + timedelta(hours=1),
               kind=EventKind.DEVICE_DOWN, message="edge-2 down")])
    return {"edge-1": device, "edge-2": other, "hq": hq, "branch": branch}


def _kinds(api: Client, query: str) -> list[str]:
    response = api.get(f"/api/v1/events?{query}")
    assert response.status_code == 200, response.content
    return [f"{e['device_name']}:{e['kind']}" for e in response.json()["events"]]


def test_every_event_carries_its_severity(api, fleet):
    events = api.get("/api/v1/events").json()["events"]
    assert {e["kind"]: e["severity"] for e in events} == {
        k.value: k.severity.value for k in EventKind}
    assert {e["kind"]: e["kind_label"] for e in events}["auth_failed"] == "Login refused"


def test_filter_by_severity(api, fleet):
    critical = [k.value for k in EventKind if k.severity.value == "critical"]
    assert _kinds(api, "severity=critical") == ["edge-2:device_down"] + [
        f"edge-1:{k}" for k in reversed(critical)]
    both = _kinds(api, "severity=critical&severity=warning")
    assert both == _kinds(api, "severity=critical,warning")
    assert {k.split(":")[1] for k in both} == {
        k.value for k in EventKind if k.severity.value != "info"}
    info = _kinds(api, "severity=info")
    assert "edge-1:path_absent" in info
    assert "edge-1:config_reloaded" in info
    assert not {k.split(":")[1] for k in info} & {k.split(":")[1] for k in both}


def test_filter_by_kind_device_site_and_time(api, fleet):
    assert _kinds(api, "kind=device_down") == ["edge-2:device_down", "edge-1:device_down"]
    assert _kinds(api, "kind=reboot,link_down") == ["edge-1:link_down", "edge-1:reboot"]
    assert _kinds(api, f"device={fleet['edge-2'].pk}") == ["edge-2:device_down"]
    assert _kinds(api, f"site={fleet['branch'].pk}") == ["edge-2:device_down"]
    assert _kinds(api, "site=Branch") == ["edge-2:device_down"]
    assert len(_kinds(api, "site=HQ")) == len(EventKind)
    assert _kinds(api, "site=Nowhere") == []
    start = int((T0 + timedelta(minutes=2)).timestamp())
    assert _kinds(api, f"from={start}&to=2025-03-01T12:04:00Z") == [
        f"edge-1:{k.value}" for k in list(EventKind)[3:1:-1]]
    assert _kinds(api, "severity=critical&site=HQ&kind=device_down") == ["edge-1:device_down"]


def test_paged_on_the_server(api, fleet):
    first = api.get("/api/v1/events?severity=info&limit=4").json()
    assert (first["page"], first["limit"], len(first["events"])) == (1, 4, 4)
    assert first["next"].startswith("/api/v1/events?")
    second = api.get(first["next"]).json()
    assert second["page"] == 2
    assert second["next"] is None
    seen = [e["id"] for e in first["events"] + second["events"]]
    assert len(seen) == len(set(seen)) == len(_kinds(api, "severity=info"))
    assert api.get("/api/v1/events?page=9").json()["events"] == []


@pytest.mark.parametrize(("query", "named"), [
    ("severity=urgent", "severity='urgent' is not one of: critical, warning, info"),
    ("severity=critical,bogus", "severity='bogus'"),
    ("kind=nope", "kind='nope' is not one of:"),
    ("device=x", "device='x' is not an id"),
    ("site=0", "site='0' is not an id"),
    ("from=yesterday", "from='yesterday' is not a time"),
    ("to=99999-01-01", "to='99999-01-01'"),
    ("page=0", "page must be between 1 and"),
    ("limit=5000", "limit must be between 1 and 1000"),
])
def test_bad_parameters_are_named(api, fleet, query, named):
    response = api.get(f"/api/v1/events?{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_every_bad_parameter_in_one_answer(api, fleet):
    error = api.get("/api/v1/events?severity=x&from=y&page=z").json()["error"]
    assert [p.split("=")[0] for p in error.split("; ")] == ["severity", "from", "page"]


# -- the pages -----------------------------------------------------------------------

def _rows(body: str) -> list[str]:
    return re.findall(r'<tr class="sev-row-(\w+)" data-severity="\w+">', body)


def test_events_page_filters_and_shows_the_severity_badge(admin_web, fleet):
    body = admin_web.get("/events/?severity=critical&site=HQ").content.decode()
    assert _rows(body) == ["critical"] * 3
    assert '<span class="badge sev-critical">Critical</span>' in body
    assert re.search(r'name="severity" value="critical" checked', body)
    assert not re.search(r'name="severity" value="info" checked', body)
    assert re.search(rf'<option value="{fleet["hq"].pk}" selected>HQ</option>', body)
    everything = admin_web.get("/events/?severity=critical,warning,info").content.decode()
    assert len(_rows(everything)) == len(EventKind) + 1
    # Without a severity (or a kind) asked, informational events are left out.
    notable = sum(1 for k in EventKind if k.severity.value != "info")
    assert len(_rows(admin_web.get("/events/").content.decode())) == notable + 1


def test_events_page_names_a_bad_parameter(admin_web, fleet):
    response = admin_web.get("/events/?severity=urgent&site=0")
    assert response.status_code == 400
    body = response.content.decode()
    assert "severity=&#x27;urgent&#x27; is not one of: critical, warning, info" in body
    assert "site=&#x27;0&#x27; is not an id" in body
    # the bad parameters filter nothing: the default list (every severity but
    # info) is under the messages
    notable = sum(1 for k in EventKind if k.severity.value != "info")
    assert len(_rows(body)) == notable + 1


def test_latest_events_leave_info_out(admin_web, fleet):
    notable = sum(1 for k in EventKind if k.severity.value != "info")
    overview = admin_web.get("/").content.decode()
    assert set(_rows(overview)) == {"critical", "warning"}
    assert len(_rows(overview)) == notable + 1
    assert "path_absent on edge-1" not in overview
    assert "config_reloaded on edge-1" not in overview
    page = admin_web.get(f"/devices/{fleet['edge-1'].pk}/").content.decode()
    events = page[page.index('id="device-events"'):]
    assert len(_rows(events)) == notable
    assert "edge-2 down" not in events
    assert "path_absent on edge-1" not in events
    assert f'/events/?device={fleet["edge-1"].pk}"' in events
