"""The collector page: start and stop times, full times and explained errors,
intervals shown as the dashboard shows them, a run in progress and why a tier
waits."""

from __future__ import annotations

import re
from datetime import UTC

import pytest


def _patch_status(service, *, since: str | None = None, tier_error: str | None = None):
    """Change what the fake service's status() says (start time, realtime error text)."""
    original = service.status

    def status():
        doc = original()
        doc["since"] = since
        if tier_error is not None:
            doc["devices"][0]["tiers"]["realtime"]["last_error"] = tier_error
        return doc

    service.status = status


@pytest.mark.django_db
def test_collector_page_after_a_stop_shows_the_stop_time(admin_web, fake_collector):
    """After a stop the page says since when it is stopped (the stop, not the start)."""
    from mikromon.web.control.state import desired_state

    fake_collector.running = True
    _patch_status(fake_collector, since="2020-01-02T03:04:05Z")
    admin_web.post("/collector/stop/")
    stopped_at = desired_state().changed_at.astimezone(UTC)
    body = admin_web.get("/collector/").content.decode()
    sub = re.search(r'<div class="sub">(.*?)</div>', body, re.S).group(1)
    assert "2020-01-02 03:04:05" not in sub
    assert f"stopped since {stopped_at:%Y-%m-%d %H:%M:%S} UTC" in " ".join(sub.split())


@pytest.mark.django_db
def test_collector_page_running_shows_the_start_time(admin_web, fake_collector):
    fake_collector.running = True
    _patch_status(fake_collector, since="2020-01-02T03:04:05Z")
    body = admin_web.get("/collector/").content.decode()
    sub = " ".join(re.search(r'<div class="sub">(.*?)</div>', body, re.S).group(1).split())
    assert "running since 2020-01-02 03:04:05 UTC" in sub


@pytest.mark.django_db
def test_collector_page_times_are_full_and_errors_explained(admin_web, fake_collector):
    """Last run and next due both show the date; an error count whose text was cleared
    by a later clean run says so instead of an empty cell."""
    fake_collector.running = True
    _patch_status(fake_collector, tier_error="")
    body = admin_web.get("/collector/").content.decode()
    assert "2025-01-01 00:00:00" in body
    assert "2025-01-01 00:00:05" in body
    row = re.search(r'<tr data-device="edge-1" data-tier="realtime">(.*?)</tr>', body, re.S)
    assert "no error since" in row.group(1)


@pytest.mark.django_db
def test_collector_page_shows_intervals_as_the_dashboard_does(admin_web, fake_collector):
    """Intervals read ``24 h`` / ``5 s`` (never ``86400 s``); at a shortened time scale
    the interval really used is shown too."""
    fake_collector.running = True
    original = fake_collector.status

    def status():
        doc = original()
        tiers = doc["devices"][0]["tiers"]
        tiers["long"] = {"interval_s": 86400, "effective_interval_s": 8640.0,
                              "next_due": "2025-01-02T00:00:00Z", "errors": 0}
        return doc

    fake_collector.status = status
    body = admin_web.get("/collector/").content.decode()

    def cell(tier: str) -> str:
        row = re.search(rf'<tr data-device="edge-1" data-tier="{tier}">(.*?)</tr>', body, re.S)
        td = re.search(r'<td class="num interval">(.*?)</td>', row.group(1), re.S)
        return " ".join(re.sub(r"<[^>]+>", " ", td.group(1)).split())

    assert cell("realtime") == "5 s"
    assert cell("long") == "24 h effective 144 min"
    assert "86400" not in body


@pytest.mark.django_db
def test_collector_page_shows_a_run_in_progress_and_why_a_tier_waits(admin_web, fake_collector):
    """A tier that is running says since when (its next due time is not known yet);
    a tier that cannot run says why (the device is down or refused the login)."""
    fake_collector.running = True
    original = fake_collector.status

    def status():
        doc = original()
        tiers = doc["devices"][0]["tiers"]
        tiers["realtime"].update(running_since="2025-01-01T00:00:07Z", next_due=None)
        tiers["short"] = {"interval_s": 60, "next_due": "2025-01-01T00:01:00Z", "errors": 0,
                          "blocked": "device down: connection refused"}
        return doc

    fake_collector.status = status
    body = admin_web.get("/collector/").content.decode()

    def row_text(tier: str) -> str:
        row = re.search(rf'<tr data-device="edge-1" data-tier="{tier}">(.*?)</tr>', body, re.S)
        return " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split())

    assert "running since 2025-01-01 00:00:07" in row_text("realtime")
    assert "waiting: device down: connection refused" in row_text("short")


def _fleet_status(service, devices, *, late: set[str] = frozenset(),
                  failing: set[str] = frozenset()) -> None:
    """Make the fake service report ``devices`` (saved models), each with a realtime
    tier; the names in ``late`` were due an hour ago, those in ``failing`` have errors."""
    from datetime import datetime, timedelta

    now = datetime.now(UTC)
    docs = []
    for d in devices:
        due = now - timedelta(hours=1) if d.name in late else now + timedelta(seconds=5)
        docs.append({"id": d.pk, "name": d.name, "state": d.state, "last_error": "",
                     "facts": {}, "tiers": {"realtime": {
                         "interval_s": 5, "next_due": due.isoformat(), "runs": 3,
                         "errors": 2 if d.name in failing else 0,
                         "last_error": "timed out" if d.name in failing else ""}}})
    original = service.status

    def status():
        return {**original(), "devices": docs}

    service.status = status


def _publish_instead(service, monkeypatch) -> None:
    """Publish the fake service's status as a collector in another process does
    (its device entries a row each) and leave this process without a collector."""
    from datetime import datetime

    from mikromon.web.control import collector, state
    from mikromon.web.status_publisher import jsonable_status

    now = datetime.now(UTC)
    state.publish(instance=state.instance_name(now), started_at=now, running=True,
                  status=jsonable_status(service))
    monkeypatch.setattr(collector, "local_collector", lambda: None)


@pytest.mark.django_db
@pytest.mark.db_backend  # the published entries are filtered and paged in SQL
@pytest.mark.parametrize("where", ["this process", "published"])
def test_collector_page_filters_and_pages(admin_web, fake_collector, make_fleet, where,
                                          monkeypatch):
    """Pages of 50 devices; the device filters and 'only with errors / only late
    tiers' narrow the table; bad values are named: for this process's collector,
    and for a status another process published (filtered and paged in SQL)."""
    fake_collector.running = True
    fleet = make_fleet(120)
    _fleet_status(fake_collector, fleet, late={"r007", "r100"}, failing={"r003", "r100"})
    if where == "published":
        _publish_instead(fake_collector, monkeypatch)

    def shown(query: str) -> list[str]:
        response = admin_web.get(f"/collector/?{query}")
        assert response.status_code == 200
        return [g["device"]["name"] for g in response.context["groups"]]

    first = admin_web.get("/collector/")
    assert len(first.context["groups"]) == 50
    assert "devices 1–50 of 120" in first.content.decode()
    assert "120 of 120 devices" in first.content.decode()
    assert (first.context["view"].where == "this process") is (where == "this process")
    assert first.context["groups"][0]["tiers"][0]["interval_s"] == 5
    assert shown("page=3") == [f"r{i:03d}" for i in range(100, 120)]
    assert shown("errors=1") == ["r003", "r100"]
    assert "timed out" in admin_web.get("/collector/?errors=1").content.decode()
    assert shown("late=1") == ["r007", "r100"]
    assert shown("late=1&errors=1") == ["r100"]
    assert shown("site=site-1&state=down") == ["r001", "r022", "r043", "r064", "r085",
                                                "r106"]
    assert shown("q=r11") == [f"r{i:03d}" for i in range(110, 120)]
    bad = admin_web.get("/collector/?late=yes&board=&tag=nope")
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "late=&#x27;yes&#x27; is not a flag" in body
    assert "&#x27;tag&#x27; must be a tag id" in body


@pytest.mark.django_db
@pytest.mark.parametrize("lock_held", [True, False, None])
def test_collector_running_reads_no_status_document(no_collector, lock_held):
    """Whether a collector runs (every page's banner) is read without the published
    status document (megabytes at fleet size), with the lock as the document says."""
    from datetime import datetime

    from mikromon.web.control import collector, state

    now = datetime.now(UTC)
    status = {"running": True, "devices": [{"id": 1, "name": "x"}] * 50}
    if lock_held is not None:
        status["lock_held"] = lock_held
    state.publish(instance=state.instance_name(now), started_at=now, running=True,
                  status=status)
    light = state.read_published(documents=False)
    assert light[0].status == {"lock_held": lock_held is not False}
    assert state.read_published()[0].status["devices"]
    assert collector.collector_running() is True
