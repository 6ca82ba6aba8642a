"""The writer through database stalls and per-device failures: an unavailable
database keeps rows queued (bounded, drops counted per device) and drains them in
order when it returns; a device whose rows the database refuses loses only its
own rows, counted per device and logged once with the reason."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.errors import PartialWrite, StorageUnavailable
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.schedule.writer import StorageWriter
from mikromon.storage.memory import InMemoryStorage

TS = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def batch(i: int, n: int = 2) -> list[Sample]:
    return [Sample("system.cpu.load_pct", float(i), TS + timedelta(seconds=i))
            for _ in range(n)]


class Stalling(InMemoryStorage):
    """A database that is unavailable while ``down`` is set (every call raises
    :class:`StorageUnavailable` at once, as after a busy timeout)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = threading.Event()
        self.refused = 0
        self.order: list[float] = []

    def _check(self) -> None:
        if self.down.is_set():
            self.refused += 1
            raise StorageUnavailable("OperationalError: database is locked")

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        self._check()
        for _, rows in batches:
            self.order.extend(s.value for s in rows[:1])
        return super().write_samples_many(batches)

    def write_events(self, events: Sequence[Event]) -> None:
        self._check()
        super().write_events(events)

    def write_status(self, status: DeviceStatus) -> None:
        self._check()
        super().write_status(status)

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        self._check()
        super().write_inventory(device_id, snapshot)


def test_an_unavailable_database_keeps_rows_queued_and_drains_them_in_order() -> None:
    storage = Stalling()
    storage.down.set()
    w = StorageWriter(storage, max_rows=200, linger_s=0.01)
    w.start()
    for i in range(10):
        w.put_samples(1, batch(i))
    w.put_events([Event(device_id=1, ts=TS, kind=EventKind.REBOOT, message="rebooted")])
    w.put_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=TS, version="7.16"))
    w.put_inventory(1, InventorySnapshot(table="interfaces", key_fields=("name",), ts=TS,
                                         rows=[{"name": "ether1"}]))
    assert storage.wait_for(lambda s: storage.refused >= 3, 5)
    stats = w.stats()
    assert stats["rows_failed"] == 0
    assert stats["rows_dropped"] == 0
    assert stats["unavailable_s"] > 0
    assert "database is locked" in str(stats["last_error"])
    storage.down.clear()
    assert w.stop(10)
    assert [p.value for p in storage.points(1)][::2] == [float(i) for i in range(10)]
    assert storage.order == sorted(storage.order)
    assert [e.message for e in storage.events(1)] == ["rebooted"]
    status = storage.status(1)
    assert status is not None
    assert status.version == "7.16"
    assert len(storage.inventory(1, "interfaces")) == 1
    stats = w.stats()
    assert stats["rows_written"] == 20 + 1 + 1 + 1
    assert stats["unavailable_s"] == 0
    assert stats["stalls"] == 1


def test_drops_beyond_the_bound_are_counted_per_device() -> None:
    storage = Stalling()
    storage.down.set()
    w = StorageWriter(storage, max_rows=12, linger_s=0.01)
    for i in range(5):
        w.put_samples(1, batch(i, 3))
        w.put_samples(2, batch(i, 1))
    w.start()
    assert storage.wait_for(lambda s: storage.refused >= 2, 5)
    stats = w.stats()
    # 10 batches, 20 rows, for a bound of 12 rows: the 4 oldest went (two of each
    # device).
    assert stats["batches_dropped"] == 4
    assert stats["rows_dropped"] == 2 * 3 + 2 * 1
    assert stats["devices"] == {"1": {"rows_dropped": 6, "rows_failed": 0, "last_error": ""},
                                "2": {"rows_dropped": 2, "rows_failed": 0, "last_error": ""}}
    assert w.device_stats(1) == {"rows_dropped": 6, "rows_failed": 0, "last_error": ""}
    assert w.device_stats(3) == {"rows_dropped": 0, "rows_failed": 0, "last_error": ""}
    storage.down.clear()
    assert w.stop(10)
    assert [p.value for p in storage.points(1)][::3] == [2.0, 3.0, 4.0]


class Refusing(InMemoryStorage):
    """Refuses the rows of device 13 for good; the others are written."""

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        good = [(d, rows) for d, rows in batches if d != 13]
        written = super().write_samples_many(good)
        if len(good) != len(batches):
            raise PartialWrite(written, {13: "DataError: value too long for type "
                                             "character varying(100)"})
        return written

    def write_status(self, status: DeviceStatus) -> None:
        if status.device_id == 13:
            raise ValueError("identity too long")
        super().write_status(status)


def test_a_refused_device_loses_only_its_rows_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = Refusing()
    w = StorageWriter(storage, linger_s=0.01)
    w.start()
    with caplog.at_level(logging.INFO, logger="mikromon.schedule.writer"):
        for i in range(3):
            w.put_samples(12, batch(i))
            w.put_samples(13, batch(i, 5))
            w.put_status(DeviceStatus(device_id=13, state=DeviceState.UP, ts=TS))
            assert storage.wait_for(lambda s, i=i: len(s.points(12)) == 2 * (i + 1), 5)
        assert w.stop(5)
    assert len(storage.points(12)) == 6
    stats = w.stats()
    assert stats["rows_failed"] == 3 * 5 + 3
    assert stats["devices"]["13"]["rows_failed"] == 18
    assert "status" in stats["devices"]["13"]["last_error"]
    assert "12" not in stats["devices"]
    assert stats["rows_written"] == 6
    refused = [r for r in caplog.records if "device id 13" in r.getMessage()
               and r.levelno >= logging.WARNING]
    # One line per reason (samples, status), not one per cycle.
    assert len(refused) == 2, [r.getMessage() for r in refused]
    assert any("character varying(100)" in r.getMessage() for r in refused)


def test_pending_devices_of_a_partial_write_are_retried() -> None:
    class HalfWay(InMemoryStorage):
        attempts = 0

        def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
            self.attempts += 1
            if self.attempts == 1:
                first = [b for b in batches if b[0] == 1]
                written = super().write_samples_many(first)
                raise PartialWrite(written, {}, pending=(2,))
            return super().write_samples_many(batches)

    storage = HalfWay()
    w = StorageWriter(storage, linger_s=0.05)
    w.put_samples(1, batch(0))
    w.put_samples(2, batch(0))
    w.start()
    assert w.stop(10)
    assert len(storage.points(1)) == 2
    assert len(storage.points(2)) == 2
    assert w.stats()["rows_failed"] == 0
