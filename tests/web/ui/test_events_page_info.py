"""The events page leaves informational events ("path absent", "configuration
reloaded", "device up") out by default, as the overview's latest events do; the
severity filter shows them (issue: "Informational events are left out of the
latest-events list by default. Events are filtered by severity, kind, device,
site and time")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_fleet):
    from mikromon.web.monitor.models import Event

    dev = make_fleet(1)[0]
    now = datetime.now(UTC)
    rows = [("device_down", "critical", "went down"), ("reboot", "warning", "rebooted"),
            ("path_absent", "info", "no /ip/hotspot"), ("config_reloaded", "info", "reloaded")]
    Event.objects.bulk_create([
        Event(device=dev, ts=now - timedelta(seconds=i), kind=kind, severity=sev, message=msg)
        for i, (kind, sev, msg) in enumerate(rows)])
    return dev


def _messages(response) -> list[str]:
    return [e.message for e in response.context["page"]]


def test_informational_events_are_left_out_by_default(admin_web, events) -> None:
    response = admin_web.get("/events/")
    assert _messages(response) == ["went down", "rebooted"]
    body = response.content.decode()
    assert "2 events" in body
    # The filter says so: critical and warning ticked, info not, and a link to show them.
    picks = body.split('aria-label="Severity"', 1)[1].split("</fieldset>", 1)[0]
    assert 'value="critical" checked' in picks
    assert 'value="warning" checked' in picks
    assert 'value="info" checked' not in picks
    assert 'id="show-info"' in body


@pytest.mark.parametrize(("query", "shown"), [
    ("?severity=info", ["no /ip/hotspot", "reloaded"]),
    ("?severity=critical&severity=warning&severity=info",
     ["went down", "rebooted", "no /ip/hotspot", "reloaded"]),
    ("?severity=warning", ["rebooted"]),
    ("?kind=path_absent", ["no /ip/hotspot"]),
])
def test_the_severity_filter_shows_them(admin_web, events, query, shown) -> None:
    response = admin_web.get(f"/events/{query}")
    assert _messages(response) == shown
    assert 'id="show-info"' not in response.content.decode()


def test_the_show_link_keeps_the_other_filters(admin_web, events) -> None:
    body = admin_web.get(f"/events/?device={events.pk}").content.decode()
    link = body.split('id="show-info"', 1)[0].rsplit("<a ", 1)[1]
    assert f"device={events.pk}" in link
    assert "severity=info" in link
    assert "severity=critical" in link


def test_the_api_lists_every_severity_unless_asked(admin_web, events) -> None:
    """The API's documented default is unchanged: every severity."""
    doc = admin_web.get("/api/v1/events").json()
    assert len(doc["events"]) == 4
