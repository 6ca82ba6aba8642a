"""``mikromon collector`` against the database: the desired-state flag, the published
status, and the runtime's publisher that connects the two."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

pytestmark = pytest.mark.django_db

STATUS = {
    "running": True,
    "since": "2025-01-31T12:00:00Z",
    "lock_held": True,
    "devices": [{
        "id": 1, "name": "r1", "state": "up", "config_loaded_at": "2025-01-31T12:00:00Z",
        "tiers": {"realtime": {"interval_s": 5, "last_run": "2025-01-31T12:00:05Z",
                               "duration_s": 0.012, "next_due": "2025-01-31T12:00:10Z",
                               "errors": 0}},
    }],
    "writer": {"queue_depth": 0, "rows_written": 42, "batches_dropped": 0},
}


def _publish(running: bool = True, age_s: float = 0.0) -> None:
    from django.utils import timezone

    from mikromon.web.control import state
    from mikromon.web.control.models import CollectorStatus

    started = timezone.now() - timedelta(seconds=60)
    instance = state.instance_name(started)
    state.publish(instance=instance, started_at=started, running=running, status=STATUS)
    if age_s:
        CollectorStatus.objects.filter(instance=instance).update(
            published_at=timezone.now() - timedelta(seconds=age_s)
        )


def test_status_without_a_server(cli) -> None:
    result = cli("collector", "status", "--json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "running": False, "desired": "running", "process": None, "devices": [], "writer": None,
    }
    assert "no mikromon server is running" in cli("collector", "status").out


def test_status_reads_what_the_server_published(cli) -> None:
    _publish()
    doc = json.loads(cli("collector", "status", "--json").out)
    assert doc["running"] is True
    assert doc["process"]["pid"] > 0
    assert doc["process"]["published_at"].endswith("Z")
    assert doc["devices"][0]["tiers"]["realtime"]["interval_s"] == 5
    assert doc["writer"] == {"queue_depth": 0, "rows_written": 42, "batches_dropped": 0}
    assert doc["lock_held"] is True
    text = cli("collector", "status").out
    assert "collector: running" in text
    assert "rows written 42" in text
    assert "realtime  every 5 s, last 2025-01-31T12:00:05Z (0.012 s)" in text
    assert "storage process" not in text


def test_status_names_the_storage_process() -> None:
    from mikromon.cli.collector import render_status

    document = {"running": True, "desired": "running", "devices": [],
                "process": {"pid": 10, "host": "h", "started_at": "2025-01-31T12:00:00Z"},
                "writer": {"queue_depth": 0, "rows_written": 42, "batches_dropped": 0,
                           "storage": {"mode": "process", "pid": 11, "restarts": 2}}}
    assert ("writer: queue 0, rows written 42, batches dropped 0, storage process 11 "
            "(2 restarts)\n") in render_status(document)
    document["writer"]["storage"] = {"mode": "process", "pid": None, "restarts": 0}
    assert "batches dropped 0, storage process not running\n" in render_status(document)


def test_status_says_where_the_writes_run_and_why() -> None:
    from mikromon.cli.collector import render_status

    document = {"running": True, "desired": "running", "devices": [],
                "process": {"pid": 10, "host": "h", "started_at": "2025-01-31T12:00:00Z"},
                "writer": {"queue_depth": 0, "rows_written": 42, "batches_dropped": 0,
                           "storage": {"mode": "process", "pid": 11, "restarts": 0,
                                       "why": "auto: 812 devices, 2 CPUs"}}}
    assert ("writer: queue 0, rows written 42, batches dropped 0, storage process 11, "
            "mode process (auto: 812 devices, 2 CPUs)\n") in render_status(document)
    document["writer"]["storage"] = {"mode": "thread", "why": "MIKROMON_WRITER=thread"}
    assert ("writer: queue 0, rows written 42, batches dropped 0, "
            "mode thread (MIKROMON_WRITER=thread)\n") in render_status(document)


def test_the_lock_holder_is_reported_when_two_servers_publish() -> None:
    """Of two live servers, the one whose collector holds the lock is the collector."""
    from django.utils import timezone

    from mikromon.web.control import state

    now = timezone.now()
    state.publish(instance="a", started_at=now, running=True, status=dict(STATUS))
    waiting = dict(STATUS, lock_held=False)
    state.publish(instance="b", started_at=now, running=True, status=waiting)
    current = state.current()
    assert current is not None
    assert current.instance == "a"


def test_a_stale_status_means_no_server(cli) -> None:
    """A process that stopped publishing (crashed) is not reported as running."""
    _publish(age_s=30)
    doc = json.loads(cli("collector", "status", "--json").out)
    assert doc["running"] is False
    assert doc["process"] is None


def test_stop_without_a_server_is_remembered(cli) -> None:
    from mikromon.web.control import state

    result = cli("collector", "stop")
    assert result.code == 0
    assert "stays stopped" in result.out
    desired = state.desired_state()
    assert desired.running is False
    assert desired.changed_by == "cli"
    assert json.loads(cli("collector", "status", "--json").out)["desired"] == "stopped"


def test_start_against_a_server_that_does_not_answer(cli) -> None:
    """When the live server does not start its collector in time: exit 1, flag set."""
    from mikromon.web.control import state

    state.request_state(False, by="test")
    _publish(running=False)
    result = cli("collector", "start", "--wait", "0.3")
    assert result.code == 1
    assert "did not start its collector within 0.3 s" in result.err
    assert state.desired_state().running is True


def test_stop_waits_for_the_server(cli) -> None:
    _publish(running=False)
    result = cli("collector", "stop", "--wait", "1")
    assert result.code == 0
    assert "collector stopped (process" in result.out


class FakeService:
    """What StatusPublisher needs from a CollectorService."""

    def __init__(self) -> None:
        self.running = False
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")
        self.running = True

    def stop(self) -> bool:
        self.calls.append("stop")
        self.running = False
        return True

    def status(self) -> dict:
        from datetime import UTC, datetime

        return {"running": self.running, "since": datetime(2025, 1, 31, tzinfo=UTC),
                "devices": [], "writer": None}


def test_publisher_applies_only_new_requests_and_publishes() -> None:
    """The publisher starts/stops on a changed desired state (not on an old one) and
    writes the status with datetimes as ISO 8601 UTC text."""
    from django.utils import timezone

    from mikromon.web.control import state
    from mikromon.web.status_publisher import StatusPublisher

    service = FakeService()
    applied = state.request_state(True, by="startup").changed_at
    publisher = StatusPublisher(service, started_at=timezone.now(), applied_at=applied)
    publisher._tick()
    assert service.calls == []
    published = state.current()
    assert published is not None
    assert published.running is False
    assert published.status["since"] == "2025-01-31T00:00:00Z"

    state.request_state(True, by="cli")
    publisher._tick()
    assert service.calls == ["start"]
    assert state.current().running is True

    state.request_state(False, by="alice")
    publisher._tick()
    publisher._tick()
    assert service.calls == ["start", "stop"]

    publisher.withdraw()
    assert state.current() is None


def test_publisher_survives_database_errors(monkeypatch, caplog) -> None:
    """A failing publication is logged once, not per second, and recovery is logged."""
    from django.utils import timezone

    from mikromon.web.control import state
    from mikromon.web.status_publisher import StatusPublisher

    caplog.set_level(logging.INFO, logger="mikromon.runtime")
    publisher = StatusPublisher(FakeService(), started_at=timezone.now())
    real = state.publish

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(state, "publish", broken)
    publisher._tick()
    publisher._tick()
    monkeypatch.setattr(state, "publish", real)
    publisher._tick()
    errors = [r for r in caplog.records if "cannot publish" in r.getMessage()]
    assert len(errors) == 1
    assert any("published again" in r.getMessage() for r in caplog.records)


ISO_SECONDS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


class PreciseService(FakeService):
    """A service whose status has sub-second times and float intervals."""

    def status(self) -> dict:
        from datetime import UTC, datetime

        return {
            "running": True,
            "since": datetime(2025, 1, 31, 12, 0, 0, 987654, tzinfo=UTC),
            "devices": [{
                "id": 1, "name": "r1", "state": "up",
                "config_loaded_at": "2025-01-31T12:00:01.250000Z",
                "facts": {"clock": "2025-01-31T13:00:00.5"},
                "tiers": {"realtime": {
                    "interval_s": 5.0, "effective_interval_s": 0.5, "duration_s": 1.0,
                    "last_run": "2025-01-31T12:00:05.999999+00:00",
                    "next_due": "2025-01-31T12:00:10.000001Z", "errors": 0,
                }},
            }],
            "writer": None,
        }


def test_published_status_has_whole_second_times_and_int_intervals(cli) -> None:
    """Times in the published status (and `collector status`) are ISO 8601 UTC ending
    in Z without fractions; a whole interval_s is an int (5, not 5.0)."""
    import re

    from django.utils import timezone

    from mikromon.web.control import state
    from mikromon.web.status_publisher import StatusPublisher

    publisher = StatusPublisher(PreciseService(), started_at=timezone.now())
    publisher._tick()
    published = state.current()
    assert published is not None
    device = published.status["devices"][0]
    tier = device["tiers"]["realtime"]
    assert published.status["since"] == "2025-01-31T12:00:00Z"
    assert device["config_loaded_at"] == "2025-01-31T12:00:01Z"
    assert tier["last_run"] == "2025-01-31T12:00:05Z"
    assert tier["next_due"] == "2025-01-31T12:00:10Z"
    assert tier["interval_s"] == 5
    assert type(tier["interval_s"]) is int
    assert tier["effective_interval_s"] == 0.5
    assert tier["duration_s"] == 1.0
    assert device["facts"] == {"clock": "2025-01-31T13:00:00.5"}, "router text is left alone"

    doc = json.loads(cli("collector", "status", "--json").out)
    for when in ("started_at", "published_at"):
        assert re.match(ISO_SECONDS, doc["process"][when]), doc["process"]
    assert doc["devices"][0]["tiers"]["realtime"]["interval_s"] == 5
    text = cli("collector", "status").out
    assert "every 5 s, last 2025-01-31T12:00:05Z (1 s), next 2025-01-31T12:00:10Z" in text
    assert ".000001" not in text
    publisher.withdraw()


def test_status_command_tidies_an_older_publication(cli) -> None:
    """A status row written with fractions and float intervals is shown tidied."""
    from django.utils import timezone

    from mikromon.web.control import state

    now = timezone.now()
    raw = json.loads(json.dumps(STATUS))
    raw["since"] = "2025-01-31T12:00:00.123456+00:00"
    raw["devices"][0]["tiers"]["realtime"]["interval_s"] = 5.0
    state.publish(instance="old", started_at=now, running=True, status=raw)
    doc = json.loads(cli("collector", "status", "--json").out)
    assert doc["since"] == "2025-01-31T12:00:00Z"
    assert type(doc["devices"][0]["tiers"]["realtime"]["interval_s"]) is int


def test_status_text_shows_runs_in_progress_errors_and_waits() -> None:
    from mikromon.cli.collector import render_status

    tier = {"interval_s": 5, "last_run": "2025-01-31T12:00:05Z", "duration_s": None,
            "running_since": "2025-01-31T12:00:05Z", "next_due": None, "errors": 2,
            "last_error": "timed out (command /interface/print)",
            "last_error_at": "2025-01-31T11:59:00Z", "blocked": None}
    waiting = {"interval_s": 60, "last_run": None, "duration_s": None,
               "running_since": None, "next_due": "2025-01-31T12:01:00Z", "errors": 0,
               "last_error": None, "blocked": "device down: connection refused"}
    document = {"running": True, "desired": "running",
                "process": {"pid": 10, "host": "h", "started_at": "2025-01-31T12:00:00Z"},
                "devices": [{"name": "r1", "state": "up", "config_loaded_at": None,
                             "tiers": {"realtime": tier, "short": waiting}}]}
    text = render_status(document)
    assert ("realtime  every 5 s, last 2025-01-31T12:00:05Z (- s), running since "
            "2025-01-31T12:00:05Z, errors 2 (last 2025-01-31T11:59:00Z: timed out "
            "(command /interface/print))\n") in text
    assert ("short     every 1 min, last never, next 2025-01-31T12:01:00Z, errors 0, "
            "waiting: device down: connection refused\n") in text


def test_status_text_shows_a_database_stall_and_per_device_losses() -> None:
    from mikromon.cli.collector import render_status

    document = {"running": True, "desired": "running",
                "process": {"pid": 10, "host": "h", "started_at": "2025-01-31T12:00:00Z"},
                "writer": {"queue_depth": 5000, "rows_written": 42, "batches_dropped": 3,
                           "rows_dropped": 60, "rows_failed": 5, "unavailable_s": 12.5,
                           "stalls": 1, "last_error": "write_samples_many: database "
                           "unavailable: OperationalError: database is locked"},
                "devices": [{"name": "r1", "state": "up", "config_loaded_at": None,
                             "rows_dropped": 60, "rows_failed": 5,
                             "write_error": "write_samples_many: DataError: too long",
                             "tiers": {}},
                            {"name": "r2", "state": "up", "config_loaded_at": None,
                             "rows_dropped": 0, "rows_failed": 0, "write_error": "",
                             "tiers": {}}]}
    text = render_status(document)
    assert ("writer: queue 5000, rows written 42, batches dropped 3 (60 rows), "
            "rows failed 5\n") in text
    assert ("database: takes no writes for 12.5 s (database unavailable: "
            "OperationalError: database is locked); polling goes on, rows wait in the "
            "queue\n") in text
    assert ("r1: Up (config loaded -); 60 rows dropped, 5 rows failed (last: "
            "write_samples_many: DataError: too long)\n") in text
    assert "r2: Up (config loaded -)\n" in text
