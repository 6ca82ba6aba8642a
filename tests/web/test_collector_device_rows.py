"""A published collector status stores its device entries a row each: written in
a bounded number of statements whatever the number of devices, only the entries
that changed after the first publication, read back whole by the API and the
commands, deleted with the status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

# The upsert and the per-row reads run in SQL: also against PostgreSQL (scripts/test).
pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _entry(pk: int, *, runs: int = 1, error: str = "", due: datetime | None = None,
           blocked: str = "") -> dict:
    tier = {"interval_s": 5, "runs": runs, "errors": 1 if error else 0, "last_error": error,
            "next_due": (due or NOW).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if blocked:
        tier["blocked"] = blocked
    return {"id": pk, "name": f"r{pk:04d}", "state": "up", "last_error": "",
            "tiers": {"realtime": tier}}


def _status(entries: list[dict]) -> dict:
    return {"running": True, "since": "2026-01-05T11:00:00Z", "lock_held": True,
            "devices": entries, "writer": {"queue_depth": 0}}


def _publish(entries: list[dict], rows=None) -> int:
    """Publish; return the number of database statements it took."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mikromon.web.control import state

    with CaptureQueriesContext(connection) as queries:
        state.publish(instance="host:1:0", started_at=NOW, running=True,
                      status=_status(entries), rows=rows)
    return len(queries.captured_queries)


def _stored() -> dict[int, dict]:
    import json

    from mikromon.web.control.models import CollectorDeviceStatus

    return {r.device_id: {"position": r.position, "has_errors": r.has_errors,
                          "late_at": r.late_at, "doc": json.loads(r.doc)}
            for r in CollectorDeviceStatus.objects.all()}


def test_a_publication_takes_the_same_statements_for_30_or_3000_devices(no_collector):
    from mikromon.web.control.device_status import DeviceRowWriter

    _publish([_entry(1)], DeviceRowWriter())  # the status row exists from now on
    small = _publish([_entry(i) for i in range(30)], DeviceRowWriter())
    big = _publish([_entry(i) for i in range(3000)], DeviceRowWriter())
    assert big == small
    assert big <= 12
    assert len(_stored()) == 3000


def test_a_second_publication_writes_only_what_changed(no_collector):
    from mikromon.web.control import state
    from mikromon.web.control.device_status import DeviceRowWriter

    writer = DeviceRowWriter()
    entries = [_entry(i) for i in range(200)]
    _publish(entries, writer)
    changed = [dict(e) for e in entries[:199]]  # r0199 is no longer polled
    changed[5] = _entry(5, runs=2)
    changed[7] = _entry(7, error="timed out")
    changed.append(_entry(500))
    written = []
    real = writer.write

    def counting(status_pk, devices):
        written.append(real(status_pk, devices))
        return written[-1]

    writer.write = counting  # type: ignore[method-assign]
    _publish(changed, writer)
    assert written == [3]
    stored = _stored()
    assert sorted(stored) == [*range(199), 500]
    assert stored[5]["doc"]["tiers"]["realtime"]["runs"] == 2
    assert stored[7]["has_errors"] is True
    assert stored[6]["has_errors"] is False
    published = state.current()
    assert published is not None
    assert published.status["devices"] == changed
    assert "device_rows" not in published.status
    _publish(changed, writer)
    assert written == [3, 0]
    changed[10]["tiers"]["realtime"]["runs"] = 77  # the same entry changed in place
    _publish(changed, writer)
    assert written == [3, 0, 1]
    assert _stored()[10]["doc"]["tiers"]["realtime"]["runs"] == 77


def test_a_failed_publication_writes_everything_next_time(no_collector, monkeypatch):
    from mikromon.web.control import device_status, state
    from mikromon.web.control.device_status import DeviceRowWriter

    writer = DeviceRowWriter()
    _publish([_entry(i) for i in range(10)], writer)
    monkeypatch.setattr(device_status.CollectorDeviceStatus._meta, "db_table", "no_such_table")
    with pytest.raises(Exception):  # noqa: B017 - whatever the database raises
        _publish([_entry(i, runs=9) for i in range(10)], writer)
    monkeypatch.undo()
    # The failed transaction left the old rows; the writer forgot what it wrote.
    assert all(e["doc"]["tiers"]["realtime"]["runs"] == 1 for e in _stored().values())
    _publish([_entry(i, runs=9) for i in range(10)], writer)
    assert all(e["doc"]["tiers"]["realtime"]["runs"] == 9 for e in _stored().values())
    assert len(state.current().status["devices"]) == 10


def test_late_and_error_columns_follow_the_page_rules():
    from mikromon.web.control.device_status import ALWAYS_LATE, has_errors, is_late, late_at

    due = NOW - timedelta(seconds=30)
    assert late_at(_entry(1, due=due)) == due + timedelta(seconds=10)
    assert is_late(_entry(1, due=due), NOW)
    assert not is_late(_entry(1, due=NOW), NOW)
    assert late_at(_entry(1, blocked="device down")) == ALWAYS_LATE
    assert late_at({"id": 1, "tiers": {}}) is None
    # A time without a zone, or not a time, cannot make a tier late (nor fail).
    assert late_at({"id": 1, "tiers": {"realtime": {"interval_s": 5,
                                                   "next_due": "2026-01-05 12:00"}}}) is None
    assert late_at({"id": 1, "tiers": {"realtime": {"interval_s": "x", "next_due": 3}}}) is None
    assert has_errors(_entry(1, error="x"))
    assert not has_errors(_entry(1))
    assert has_errors({"id": 1, "rows_dropped": 3, "tiers": {}})


def test_entries_without_an_int_id_are_skipped_and_withdraw_deletes_rows(no_collector):
    from mikromon.web.control import state
    from mikromon.web.control.device_status import DeviceRowWriter
    from mikromon.web.control.models import CollectorDeviceStatus

    _publish([_entry(1), {"id": "x"}, "junk", _entry(1), _entry(2)], DeviceRowWriter())
    assert sorted(_stored()) == [1, 2]
    state.withdraw("host:1:0")
    assert not CollectorDeviceStatus.objects.exists()


def test_the_api_document_is_the_published_one(no_collector, admin_token):
    from django.test import Client

    admin_api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    entries = [_entry(i, error="timed out" if i == 3 else "") for i in range(60)]
    _publish(entries)
    from mikromon.web.control.models import CollectorStatus

    CollectorStatus.objects.update(published_at=datetime.now(UTC))
    body = admin_api.get("/api/v1/collector").json()
    assert body["status"]["devices"] == entries
    assert body["status"]["writer"] == {"queue_depth": 0}
    assert "device_rows" not in body["status"]


def test_the_publisher_writes_unchanged_entries_once(no_collector):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mikromon.web.status_publisher import StatusPublisher

    class Service:
        running = True

        def status(self) -> dict:
            return _status([_entry(i) for i in range(20)])

    publisher = StatusPublisher(Service(), started_at=NOW, applied_at=datetime.now(UTC))
    assert publisher._tick()
    with CaptureQueriesContext(connection) as queries:
        assert publisher._tick()
    assert not [q for q in queries.captured_queries
                if "collectordevicestatus" in q["sql"].lower() and "INSERT" in q["sql"]]
    assert len(_stored()) == 20
