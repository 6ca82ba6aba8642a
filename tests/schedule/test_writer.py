"""The writer thread: bulk writes, coalesced statuses, a bounded queue that drops
the oldest samples first (counted and logged), stalls, flush on stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.schedule.writer import Writer
from mikromon.sinks.memory import InMemoryStorage

TS = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def samples(n: int, key: str = "system.cpu.load_pct") -> list[Sample]:
    return [Sample(key, float(i), TS) for i in range(n)]


def event(device_id: int, message: str = "x") -> Event:
    return Event(device_id=device_id, ts=TS, kind=EventKind.REBOOT, message=message)


class BlockingStorage(InMemoryStorage):
    """Storage whose sample writes block until released (a stalled database)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.entered = threading.Event()
        self.closed_in: str | None = None

    def write_samples(self, device_id: int, rows: Sequence[Sample]) -> int:
        self.entered.set()
        self.release.wait(30)
        return super().write_samples(device_id, rows)

    def close(self) -> None:
        self.closed_in = threading.current_thread().name


def test_writes_everything_and_flushes_on_stop() -> None:
    storage = InMemoryStorage()
    w = Writer(storage)
    w.start()
    w.put_samples(1, samples(3))
    w.put_samples(1, samples(2))
    w.put_inventory(1, InventorySnapshot(table="interfaces", key_fields=("name",), ts=TS,
                                         rows=[{"name": "ether1"}]))
    w.put_events([event(1)])
    w.put_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=TS, last_seen=TS,
                              version="7.16"))
    assert w.stop(5)
    assert len(storage.points(1)) == 5
    assert storage.inventory(1, "interfaces") == [{"name": "ether1"}]
    assert len(storage.events(1)) == 1
    assert storage.status(1).version == "7.16"
    assert w.stats()["rows_written"] == 5 + 1 + 1 + 1
    assert w.stats()["queue_depth"] == 0


def test_statuses_are_coalesced_keeping_facts() -> None:
    storage = BlockingStorage()
    w = Writer(storage)
    w.start()
    w.put_samples(1, samples(1))
    assert storage.entered.wait(5)  # the writer is stuck in write_samples
    w.put_status(DeviceStatus(device_id=1, state=DeviceState.UP, ts=TS, last_seen=TS,
                              board="CHR"))
    w.put_status(DeviceStatus(device_id=1, state=DeviceState.DOWN, ts=TS, last_error="gone"))
    assert w.queue_depth == 1
    storage.release.set()
    assert w.stop(5)
    st = storage.status(1)
    assert (st.state, st.last_error, st.board, st.last_seen) == (
        DeviceState.DOWN, "gone", "CHR", TS)
    assert storage.calls["write_status"] == 1


def test_full_queue_drops_oldest_samples_never_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = BlockingStorage()
    w = Writer(storage, max_batches=4)
    w.start()
    w.put_samples(9, samples(1))
    assert storage.entered.wait(5)
    with caplog.at_level(logging.WARNING, logger="mikromon.schedule.writer"):
        w.put_events([event(1, "first")])
        for i in range(6):
            w.put_samples(2, samples(10, key=f"k{i}"))
        w.put_events([event(1, "second")])
        stats = w.stats()
        assert stats["batches_dropped"] == 4
        assert stats["rows_dropped"] == 40
        assert stats["queue_depth"] == 4
        assert any("dropped the oldest" in r.getMessage() for r in caplog.records)
        storage.release.set()
        assert w.stop(5)
    assert [e.message for e in storage.events(1)] == ["first", "second"]
    # The newest sample batches survived.
    assert {s.key for s in storage.points(2)} == {"k4", "k5"}
    assert w.stats()["rows_written"] == 1 + 20 + 2


def test_only_events_left_then_oldest_events_go() -> None:
    storage = BlockingStorage()
    w = Writer(storage, max_batches=2)
    w.start()
    w.put_samples(9, samples(1))
    assert storage.entered.wait(5)
    for i in range(3):
        w.put_events([event(1, str(i))])
    storage.release.set()
    assert w.stop(5)
    assert [e.message for e in storage.events(1)] == ["1", "2"]
    assert w.stats()["batches_dropped"] == 1


def test_stalled_storage_never_blocks_producers() -> None:
    storage = BlockingStorage()
    w = Writer(storage, max_batches=10)
    w.start()
    w.put_samples(1, samples(1))
    assert storage.entered.wait(5)
    done = threading.Event()

    def produce() -> None:
        for _ in range(1000):
            w.put_samples(1, samples(5))
        done.set()

    threading.Thread(target=produce).start()
    assert done.wait(5), "put_samples blocked on a stalled storage"
    assert w.stats()["batches_dropped"] == 990
    assert w.stats()["write_s"] > 0
    assert not w.stop(0.2)  # still stuck: reported, not hidden
    storage.release.set()
    assert w.stop(5)
    assert storage.closed_in == "mikromon-writer"


def test_storage_errors_are_counted_and_do_not_stop_the_writer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Flaky(InMemoryStorage):
        fail = True

        def write_samples(self, device_id: int, rows: Sequence[Sample]) -> int:
            if self.fail:
                raise RuntimeError("database is locked")
            return super().write_samples(device_id, rows)

    storage = Flaky()
    w = Writer(storage)
    w.start()
    with caplog.at_level(logging.INFO, logger="mikromon.schedule.writer"):
        w.put_samples(1, samples(3))
        w.put_events([event(1)])
        assert storage.wait_for(lambda s: len(s.events(1)) == 1, 5)
        storage.fail = False
        w.put_samples(1, samples(2))
        assert w.stop(5)
    stats = w.stats()
    assert (stats["write_errors"], stats["rows_failed"]) == (1, 3)
    assert "database is locked" in stats["last_error"]
    assert len(storage.points(1)) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert any("write_samples failed" in m for m in messages)
    assert any("succeed again" in m for m in messages)


def test_rejects_a_zero_bound() -> None:
    with pytest.raises(ValueError, match="max_batches"):
        Writer(InMemoryStorage(), max_batches=0)
