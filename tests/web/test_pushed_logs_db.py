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
