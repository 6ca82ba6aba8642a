"""Router log lines pushed by syslog and the same lines read later from /log: each
line is stored once (the polled copy of a line already received is skipped)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mikromon.collectors.log import KEY
from mikromon.domain.inventory import InventorySnapshot
from mikromon.web.monitor.models import Device, LogEntry
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def storage() -> DjangoStorage:
    return DjangoStorage(maintenance_interval=None)


def pushed(ts: datetime, *lines: tuple[str, str]) -> InventorySnapshot:
    """Rows as the syslog intake writes them (time: when received, UTC)."""
    rows = [{"time": ts.replace(tzinfo=None).isoformat(), "topics": topics, "message": m,
             "source": "syslog"} for topics, m in lines]
    return InventorySnapshot(table="logs", rows=rows, key_fields=KEY, ts=ts, append_only=True)


def polled(ts: datetime, *lines: tuple[str, str, str]) -> InventorySnapshot:
    """Rows as /log gives them (time: the router's local time)."""
    rows = [{"time": t, "topics": topics, "message": m} for t, topics, m in lines]
    return InventorySnapshot(table="logs", rows=rows, key_fields=KEY, ts=ts, append_only=True)


def stored(device: Device) -> list[tuple[str, str, str]]:
    return sorted((e.message, e.topics, (e.data or {}).get("source", "poll"))
                  for e in LogEntry.objects.filter(device=device))


def test_a_line_received_by_syslog_is_not_stored_again_from_log(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, pushed(t0, ("interface,info", "ether1 link down")))
    later = t0 + timedelta(hours=20)
    read = polled(later, ("2024-05-01T14:00:00", "interface,info", "ether1 link down"),
                  ("2024-05-01T14:05:00", "system,info,account", "user admin logged in"))
    storage.write_inventory(device.pk, read)
    storage.write_inventory(device.pk, read)  # read again the next day: still once
    assert stored(device) == [("ether1 link down", "interface,info", "syslog"),
                              ("user admin logged in", "system,info,account", "poll")]


def test_bsd_lines_without_topics_match_by_severity(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, pushed(t0, ("info", "ether1 link down")))
    storage.write_inventory(device.pk, polled(
        t0 + timedelta(hours=1), ("2024-05-01T14:00:00", "interface,info", "ether1 link down")))
    assert stored(device) == [("ether1 link down", "info", "syslog")]


def test_copies_are_counted_and_topics_must_agree(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, pushed(t0, ("interface,info", "ether1 link down")))
    storage.write_inventory(device.pk, pushed(t0 + timedelta(seconds=5),
                                              ("interface,info", "ether1 link down")))
    storage.write_inventory(device.pk, polled(
        t0 + timedelta(hours=1),
        ("2024-04-30T09:00:00", "interface,info", "ether1 link down"),  # before syslog
        ("2024-05-01T14:00:00", "interface,info", "ether1 link down"),
        ("2024-05-01T14:00:05", "interface,info", "ether1 link down"),
        ("2024-05-01T14:01:00", "system,info", "ether1 link down"),  # other topics
    ))
    assert stored(device) == [
        ("ether1 link down", "interface,info", "poll"),
        ("ether1 link down", "interface,info", "syslog"),
        ("ether1 link down", "interface,info", "syslog"),
        ("ether1 link down", "system,info", "poll"),
    ]
    oldest = LogEntry.objects.get(device=device, time="2024-04-30T09:00:00")
    assert oldest.message == "ether1 link down"


def test_syslog_copies_older_than_the_window_do_not_hide_lines(
    storage: DjangoStorage, device: Device, t0: datetime
) -> None:
    storage.write_inventory(device.pk, pushed(t0, ("interface,info", "ether1 link down")))
    storage.write_inventory(device.pk, polled(
        t0 + timedelta(days=8), ("2024-05-09T14:00:00", "interface,info", "ether1 link down")))
    assert [s for *_, s in stored(device)] == ["poll", "syslog"]
