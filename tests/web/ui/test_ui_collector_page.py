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
