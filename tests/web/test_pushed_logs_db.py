"""Syslog rows read back by the collector member polling their device
(mikromon.web.control.pushed_logs): only rows received by syslog, only of the
devices asked for, each once, none from before the first read."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mikromon.web.control.pushed_logs import PushedLogs
from mikromon.web.monitor.models import Device, LogEntry

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


def _line(device: Device, message: str, source: str = "syslog") -> None:
    row = {"time": "", "topics": "system,info", "message": message}
    if source:
        row["source"] = source
    LogEntry.objects.create(device=device, key=message, topics="system,info",
                            message=message, data=row, seen_at=timezone.now())


def test_rows_received_by_syslog_of_the_devices_polled_here_once_each() -> None:
    mine = Device.objects.create(name="mine", host="192.0.2.1", username="api")
    theirs = Device.objects.create(name="theirs", host="192.0.2.2", username="api")
    _line(mine, "before the first read")
    reader = PushedLogs()
    assert reader.pushed_logs({mine.pk}) == {}  # marks where reading starts
    _line(mine, "pushed 1")
    _line(theirs, "pushed to another member's device")
    _line(mine, "read from /log", source="")
    _line(mine, "pushed 2")
    found = reader.pushed_logs({mine.pk})
    assert [row["message"] for row in found[mine.pk]] == ["pushed 1", "pushed 2"]
    assert set(found) == {mine.pk}
    assert reader.pushed_logs({mine.pk}) == {}
    _line(mine, "pushed 3")
    assert [r["message"] for r in reader.pushed_logs([mine.pk])[mine.pk]] == ["pushed 3"]


def _line_with_id(pk: int, device: Device, message: str) -> None:
    row = {"time": "", "topics": "system,info", "message": message, "source": "syslog"}
    LogEntry.objects.create(pk=pk, device=device, key=message, topics="system,info",
                            message=message, data=row, seen_at=timezone.now())


def test_a_row_committed_after_a_higher_id_is_read_when_it_appears() -> None:
    """Ids are taken at insert, rows seen at commit: with several writers (a
    receiver's syslog lines, another member's polled /log rows) a lower id can
    commit after a higher one was read. It is still handed over, once."""
    mine = Device.objects.create(name="mine", host="192.0.2.1", username="api")
    reader = PushedLogs()
    _line(mine, "start")
    assert reader.pushed_logs({mine.pk}) == {}
    start = LogEntry.objects.order_by("-pk").values_list("pk", flat=True)[0]
    _line_with_id(start + 2, mine, "committed first")
    assert [r["message"] for r in reader.pushed_logs({mine.pk})[mine.pk]] == \
        ["committed first"]
    _line_with_id(start + 1, mine, "committed later")
    assert [r["message"] for r in reader.pushed_logs({mine.pk})[mine.pk]] == \
        ["committed later"]
    assert reader.pushed_logs({mine.pk}) == {}
    _line_with_id(start + 3, mine, "next")  # (explicit ids leave PostgreSQL's sequence)
    assert [r["message"] for r in reader.pushed_logs({mine.pk})[mine.pk]] == ["next"]


def test_ids_that_never_commit_are_given_up_after_a_while() -> None:
    mine = Device.objects.create(name="mine", host="192.0.2.1", username="api")
    now = [1000.0]
    reader = PushedLogs(clock=lambda: now[0])
    _line(mine, "start")
    assert reader.pushed_logs({mine.pk}) == {}
    start = LogEntry.objects.order_by("-pk").values_list("pk", flat=True)[0]
    _line_with_id(start + 3, mine, "after a rolled-back insert")
    assert reader.pushed_logs({mine.pk})
    assert reader.waiting_ids == {start + 1, start + 2}
    now[0] += 61
    assert reader.pushed_logs({mine.pk}) == {}
    assert reader.waiting_ids == set()
