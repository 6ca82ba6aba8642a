"""One collector member runs the storage maintenance (mikromon.web.control.maintainer):
the live member polling devices that joined first; the next one once it leaves,
expires or its process is gone; a storage of another member runs nothing and
writes nothing; a storage without a member runs its maintenance as a single
collector always did. Two memberships in one process stand for two collector
processes (the process test is tests/cli/test_maintenance_members.py)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mikromon.web.control import maintainer as maintainer_module
from mikromon.web.control.maintainer import MaintenanceDuty, maintainer, maintainer_of
from mikromon.web.control.members import Membership
from mikromon.web.control.models import CollectorMember
from mikromon.web.monitor import maintenance, storage_maintenance
from mikromon.web.monitor.lock import process_identity
from mikromon.web.monitor.models import Device, MaintenanceState, MetricPoint, MetricRollup, Series
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
NOW = T0 + 3600 + maintenance.ROLLUP_GRACE


@pytest.fixture
def series(device: Device) -> list[Series]:
    """Five series with a sample a minute for an hour."""
    rows = [Series.objects.create(device=device, key=f"system.health.s{n}") for n in range(5)]
    MetricPoint.objects.bulk_create(MetricPoint(series=s, ts=ts, value=float(ts % 17))
                                    for s in rows for ts in range(T0, T0 + 3600, 60))
    return rows


def _member(devices: int = 3) -> Membership:
    """A joined member of "another host" (its expiry alone tells it is dead) that
    polls ``devices`` devices (what its heartbeat writes)."""
    member = Membership(ttl=20, beat=False)
    member.join()
    CollectorMember.objects.filter(member_id=member.member_id).update(
        host="elsewhere", devices=devices)
    return member


def _expire(member: Membership) -> None:
    CollectorMember.objects.filter(member_id=member.member_id).update(
        expires_at=timezone.now() - timedelta(seconds=1))


def _current() -> str | None:
    row = maintainer()
    return row.member_id if row is not None else None


def test_the_member_that_joined_first_maintains_then_the_next(device) -> None:
    assert maintainer() is None  # no member: nobody is elected
    first, second, third = _member(), _member(), _member()
    assert _current() == first.member_id
    first.leave()  # a member that stops
    assert _current() == second.member_id
    _expire(second)  # a member of another host that stopped heartbeating
    assert _current() == third.member_id
    # The expired member joins again: it comes behind the others.
    second.join()
    CollectorMember.objects.filter(member_id=second.member_id).update(
        host="elsewhere", devices=3)
    assert _current() == third.member_id
    third.leave()
    assert _current() == second.member_id


def test_a_member_whose_process_is_gone_is_passed_over_at_once(device) -> None:
    first, second = _member(), _member()
    # A member of this machine killed before its row expired.
    gone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    identity = process_identity(gone.pid)
    gone.kill()
    gone.wait(10)
    assert identity
    CollectorMember.objects.filter(member_id=first.member_id).update(
        host=socket.gethostname(), process=identity)
    assert _current() == second.member_id


def test_a_member_without_devices_is_passed_over_while_another_polls(device) -> None:
    idle, busy = _member(devices=0), _member(devices=2)
    assert _current() == busy.member_id
    CollectorMember.objects.filter(member_id=busy.member_id).update(devices=0)
    assert _current() == idle.member_id  # nobody polls: the one that joined first
    assert maintainer_of([]) is None


def _storage(member: Membership | None, clock: list[float]) -> DjangoStorage:
    return DjangoStorage(clock=lambda: clock[0], defer_maintenance=True,
                         maintenance_member=member.member_id if member else None)


def _run_to_idle(storage: DjangoStorage) -> int:
    calls = 0
    while storage.maintain():
        calls += 1
        assert calls < 1000, "the maintenance never finished"
    return calls


def test_only_the_maintainer_storage_runs_and_the_next_takes_over(series, monkeypatch) -> None:
    first, second = _member(), _member()
    clock = [float(NOW)]
    mine, other = _storage(first, clock), _storage(second, clock)
    with CaptureQueriesContext(connection) as seen:
        assert other.maintain() is False
    # One read of the member rows (and the clock on PostgreSQL): no maintenance.
    assert [q["sql"] for q in seen.captured_queries
            if "collectormember" not in q["sql"] and "statement_timestamp" not in q["sql"]] == []
    assert not other.maintenance_due()  # not asked again before DUTY_RECHECK_S
    assert MetricRollup.objects.count() == 0
    assert _run_to_idle(mine) > 0
    done = MetricRollup.objects.count()
    assert done > 0
    assert maintenance.rollup_watermark(300) is not None

    # The maintainer stops: the other storage takes over at its next question.
    first.leave()
    MetricRollup.objects.all().delete()
    MaintenanceState.objects.filter(name__startswith="rollup_").delete()
    clock[0] += 1
    assert other.maintain() is False  # its last answer holds for DUTY_RECHECK_S
    clock[0] += storage_maintenance.DUTY_RECHECK_S
    assert _run_to_idle(other) > 0
    assert MetricRollup.objects.count() == done
    mine.close()
    other.close()


def test_a_maintainer_that_loses_the_duty_drops_its_pass(series, monkeypatch) -> None:
    from mikromon.web.monitor import rollup_pass

    monkeypatch.setattr(rollup_pass, "FIRST_SLICE", 1)
    monkeypatch.setattr(rollup_pass, "MAX_SLICE", 1)
    monkeypatch.setattr(storage_maintenance, "MAINTENANCE_SLICE_S", 0.0)
    first = _member()
    _member()
    clock = [float(NOW)]
    storage = _storage(first, clock)
    assert storage.maintain()
    assert storage._maintenance.rollups is not None  # a pass under way
    _expire(first)
    clock[0] += storage_maintenance.DUTY_RECHECK_S
    assert storage.maintain() is False
    assert storage._maintenance.rollups is None
    assert maintenance.rollup_watermark(300) is None  # left for the maintainer
    storage.close()


def test_a_storage_without_a_member_maintains_whatever_the_members(series) -> None:
    _member()
    storage = _storage(None, [float(NOW)])
    with CaptureQueriesContext(connection) as seen:
        assert _run_to_idle(storage) > 0
    assert not any("collectormember" in q["sql"] for q in seen.captured_queries)
    assert MetricRollup.objects.count() > 0
    storage.close()


def test_a_failing_question_runs_nothing_and_is_asked_again(
        series, monkeypatch, caplog) -> None:
    member = _member()
    clock = [float(NOW)]
    storage = _storage(member, clock)

    def refused(using: str = "default") -> None:
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr(maintainer_module, "maintainer", refused)
    with caplog.at_level(logging.WARNING):
        assert storage.maintain() is False
    assert "cannot tell which collector member runs the storage maintenance" in caplog.text
    assert MetricRollup.objects.count() == 0
    monkeypatch.undo()
    clock[0] += storage_maintenance.DUTY_RECHECK_S
    assert storage.maintain() is True
    storage.close()


def test_the_duty_names_the_maintainer(device) -> None:
    first, second = _member(), _member()
    duty = MaintenanceDuty(second.member_id)
    assert duty() is False
    assert duty.current == first.member_id
    first.leave()
    assert duty() is True
    assert duty.current == second.member_id


def test_the_member_list_and_the_storage_status_name_the_maintainer(device) -> None:
    import time

    from mikromon.cli.collector import render_status
    from mikromon.cli.storage import _line
    from mikromon.web.control.member_view import live_members
    from mikromon.web.monitor import compaction_status

    assert compaction_status.status(time.time())["maintained_by"] is None
    first, second = _member(), _member()
    flags = {m["member"]: m["maintenance"] for m in live_members()}
    assert flags == {first.member_id: True, second.member_id: False}
    row = CollectorMember.objects.get(member_id=first.member_id)
    doc = compaction_status.status(time.time())
    assert doc["maintained_by"] == f"elsewhere pid {row.pid}"
    assert _line(doc).endswith(f"; run by collector member elsewhere pid {row.pid}")
    text = render_status({"running": True, "desired": "running",
                          "process": {"host": "h", "pid": 1, "started_at": "-"},
                          "members": live_members(), "devices": []})
    lines = [line for line in text.splitlines() if line.startswith("member ")]
    assert [line.endswith("; runs the storage maintenance") for line in lines] == [True, False]
    first.leave()
    assert {m["member"]: m["maintenance"] for m in live_members()} == {second.member_id: True}
