"""The writer thread: bulk writes, coalesced statuses, a bounded queue that drops
the oldest samples first (counted and logged), stalls, flush on stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import CounterBlock, Sample, each_sample, make_labels
from mikromon.schedule.write_queue import WriteQueue
from mikromon.schedule.writer import StorageWriter
from mikromon.storage.memory import InMemoryStorage

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


def blocked_writer(**options: int) -> tuple[BlockingStorage, StorageWriter]:
    """A started writer whose first write (one sample of device 9) blocks in the
    storage until ``storage.release`` is set."""
    storage = BlockingStorage()
    w = StorageWriter(storage, **options)
    w.start()
    w.put_samples(9, samples(1))
    assert storage.entered.wait(5)
    return storage, w


def test_writes_everything_and_flushes_on_stop() -> None:
    storage = InMemoryStorage()
    w = StorageWriter(storage)
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
    w = StorageWriter(storage)
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
    storage, w = blocked_writer(max_rows=40)
    with caplog.at_level(logging.WARNING, logger="mikromon.schedule.writer"):
        w.put_events([event(1, "first")])
        for i in range(6):
            w.put_samples(2, samples(10, key=f"k{i}"))
        w.put_events([event(1, "second")])
        stats = w.stats()
        assert stats["batches_dropped"] == 2
        assert stats["rows_dropped"] == 20
        assert stats["queued"] == {"samples": 4, "inventory": 0, "events": 2, "statuses": 0}
        assert stats["queue_depth"] == 6
        assert any("dropped the oldest" in r.getMessage() for r in caplog.records)
        storage.release.set()
        assert w.stop(5)
    assert [e.message for e in storage.events(1)] == ["first", "second"]
    # The newest sample batches survived.
    assert {s.key for s in storage.points(2)} == {"k2", "k3", "k4", "k5"}
    assert w.stats()["rows_written"] == 1 + 40 + 2


def test_inventory_is_never_dropped_and_logs_go_after_samples() -> None:
    storage, w = blocked_writer(max_rows=2)
    for device_id in range(10):  # replaceable snapshots: bounded by devices x tables
        w.put_inventory(device_id, snapshot(name=str(device_id)))
    w.put_inventory(1, snapshot("logs", append_only=True, name="log-a"))
    w.put_inventory(1, snapshot("logs", append_only=True, name="log-b"))
    w.put_samples(2, samples(1))  # full: no sample batch queued, so log-a goes
    assert w.stats()["batches_dropped"] == 1
    w.put_samples(3, samples(1))  # full again: the sample batch of device 2 goes
    assert w.stats()["batches_dropped"] == 2
    storage.release.set()
    assert w.stop(5)
    assert all(storage.inventory(i, "interfaces") for i in range(10))
    assert [r["name"] for r in storage.inventory(1, "logs")] == ["log-b"]
    assert storage.points(2) == []
    assert len(storage.points(3)) == 1


def test_only_events_left_then_oldest_events_go() -> None:
    storage, w = blocked_writer(max_batches=2)
    for i in range(3):
        w.put_events([event(1, str(i))])
    storage.release.set()
    assert w.stop(5)
    assert [e.message for e in storage.events(1)] == ["1", "2"]
    assert w.stats()["batches_dropped"] == 1


def test_stalled_storage_never_blocks_producers() -> None:
    storage = BlockingStorage()
    w = StorageWriter(storage, max_rows=50)
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
    w = StorageWriter(storage)
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
    assert any("storage write_samples_many failed" in m for m in messages)
    assert any("succeed again" in m for m in messages)


def test_rejects_a_zero_bound() -> None:
    with pytest.raises(ValueError, match="max_batches"):
        StorageWriter(InMemoryStorage(), max_batches=0)
    with pytest.raises(ValueError, match="max_rows"):
        StorageWriter(InMemoryStorage(), max_rows=0)


def test_a_minute_of_a_thousand_routers_waits_behind_a_slow_write() -> None:
    """The default bound holds what a 1,000-router fleet polls in a minute while one
    write takes that long (a warm-up creating every series, a slow disk): 12,000
    realtime batches of 115 samples, 1.38 million rows, none dropped. Counted in
    batches (5,000) the bound held 25 seconds of such a fleet and 7,000 of them
    were dropped though memory had room."""
    storage, w = blocked_writer()
    poll = samples(115)
    for i in range(12_000):
        w.put_samples(1 + i % 1000, poll)
    stats = w.stats()
    assert (stats["batches_dropped"], stats["rows_dropped"]) == (0, 0)
    assert stats["queued_rows"] == 12_000 * 115
    storage.release.set()
    assert w.stop(30)
    assert w.stats()["rows_written"] == 1 + 12_000 * 115


def test_the_bound_counts_rows_and_a_larger_batch_waits_alone() -> None:
    storage, w = blocked_writer(max_rows=100)
    for i in range(30):
        w.put_samples(1, samples(1, key=f"k{i}"))
    assert w.stats()["batches_dropped"] == 0
    w.put_samples(2, samples(80))  # 110 rows: the 10 oldest go
    stats = w.stats()
    assert (stats["batches_dropped"], stats["rows_dropped"], stats["queued_rows"]) == (
        10, 10, 100)
    assert stats["max_rows"] == 100
    w.put_samples(3, samples(150))  # more than the bound: everything older goes
    stats = w.stats()
    assert (stats["batches_dropped"], stats["rows_dropped"], stats["queued_rows"]) == (
        31, 110, 150)
    storage.release.set()
    assert w.stop(5)
    assert (len(storage.points(1)), len(storage.points(2))) == (0, 0)
    assert len(storage.points(3)) == 150


def test_batches_are_grouped_per_device() -> None:
    """A burst of batches is written with one write_samples call per device, not one
    per batch (the writer lingers briefly after the first one)."""
    storage = InMemoryStorage()
    w = StorageWriter(storage, linger_s=0.5)
    w.start()
    for i in range(100):
        w.put_samples(i % 10, samples(3))
    assert w.stop(5)
    assert storage.calls["write_samples"] == 10
    assert storage.points_written == 300


def snapshot(table: str = "interfaces", *, append_only: bool = False,
             name: str = "ether1") -> InventorySnapshot:
    return InventorySnapshot(table=table, key_fields=("name",), ts=TS, append_only=append_only,
                             rows=[{"name": name}])


def test_a_newer_snapshot_of_a_table_replaces_the_queued_one() -> None:
    storage, w = blocked_writer()
    w.put_inventory(1, snapshot(name="old"))
    w.put_inventory(1, snapshot(name="new"))
    w.put_inventory(2, snapshot(name="other device"))
    w.put_inventory(1, snapshot("logs", append_only=True, name="a"))
    w.put_inventory(1, snapshot("logs", append_only=True, name="b"))
    assert w.stats()["queued"]["inventory"] == 4
    assert w.stats()["snapshots_replaced"] == 1
    storage.release.set()
    assert w.stop(5)
    assert storage.inventory(1, "interfaces") == [{"name": "new"}]
    assert [r["name"] for r in storage.inventory(1, "logs")] == ["a", "b"]
    assert storage.calls["write_inventory"] == 4


def test_an_inventory_backlog_does_not_hold_back_samples() -> None:
    entered = threading.Event()

    class SlowInventory(InMemoryStorage):
        def write_inventory(self, device_id: int, snap: InventorySnapshot) -> None:
            entered.set()
            time.sleep(0.02)
            super().write_inventory(device_id, snap)

    storage = SlowInventory()
    w = StorageWriter(storage, linger_s=0.0, inventory_budget_s=0.05)
    w.start()
    for device_id in range(100):  # 2 s of inventory writes
        w.put_inventory(device_id, snapshot())
    assert entered.wait(5)
    w.put_samples(1, samples(2))
    assert storage.wait_for(lambda s: len(s.points(1)) == 2, 1.0)
    assert storage.calls["write_inventory"] < 50
    assert w.stop(10)
    assert storage.calls["write_inventory"] == 100


class RecordingBatches(InMemoryStorage):
    """Records the (device id, sample count) pairs of every batched call."""

    def __init__(self) -> None:
        super().__init__()
        self.many: list[list[tuple[int, int]]] = []

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        self.many.append([(device_id, len(rows)) for device_id, rows in batches])
        return super().write_samples_many(batches)


def test_a_cycle_goes_to_write_samples_many_in_one_call() -> None:
    """With the batched method present, one cycle's samples of every device go in
    one call (grouped per device, in arrival order)."""
    storage = RecordingBatches()
    w = StorageWriter(storage, linger_s=0.5)
    w.start()
    for i in range(100):
        w.put_samples(i % 10, samples(3))
    assert w.stop(5)
    assert storage.many == [[(d, 30) for d in range(10)]]
    assert storage.points_written == 300
    assert w.stats()["rows_written"] == 300
    assert w.stats()["batches_written"] == 100


def test_batched_calls_are_bounded_by_samples_per_call() -> None:
    """A device's samples stay together; calls hold at most samples_per_call samples
    unless one device alone has more."""
    storage = RecordingBatches()
    w = StorageWriter(storage, linger_s=0.5, samples_per_call=7)
    w.start()
    for d in range(5):
        w.put_samples(d, samples(3))
    w.put_samples(5, samples(9))
    w.put_samples(6, samples(1))
    assert w.stop(5)
    assert storage.many == [[(0, 3), (1, 3)], [(2, 3), (3, 3)], [(4, 3)], [(5, 9)], [(6, 1)]]
    assert storage.points_written == 25


def test_storage_without_the_batched_method_gets_one_call_per_device() -> None:
    class PerDevice:
        def __init__(self) -> None:
            self.inner = InMemoryStorage()

        def write_samples(self, device_id: int, rows: Sequence[Sample]) -> int:
            return self.inner.write_samples(device_id, rows)

        def write_inventory(self, device_id: int, snap: InventorySnapshot) -> None:
            self.inner.write_inventory(device_id, snap)

        def write_status(self, status: DeviceStatus) -> None:
            self.inner.write_status(status)

        def write_events(self, events: Sequence[Event]) -> None:
            self.inner.write_events(events)

    storage = PerDevice()
    w = StorageWriter(storage, linger_s=0.5)
    w.start()
    for i in range(20):
        w.put_samples(i % 4, samples(2))
    assert w.stop(5)
    assert storage.inner.calls == {"write_samples": 4}
    assert w.stats()["rows_written"] == 40


def test_rejects_a_zero_samples_per_call() -> None:
    with pytest.raises(ValueError, match="samples_per_call"):
        StorageWriter(InMemoryStorage(), samples_per_call=0)


@pytest.mark.parametrize("close_fails", [False, True])
def test_closing_the_storage_after_failed_writes_ends_the_thread_cleanly(
    monkeypatch: pytest.MonkeyPatch, close_fails: bool
) -> None:
    """The storage's close() runs through the same accounting as a write (no rows):
    a failing close is counted and a close after logged failures ends quietly."""
    crashed: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: crashed.append(args.exc_value))

    class Broken(InMemoryStorage):
        def write_samples(self, device_id: int, rows: Sequence[Sample]) -> int:
            raise RuntimeError("disk full")

        def close(self) -> None:
            if close_fails:
                raise OSError("close failed")

    w = StorageWriter(Broken())
    w.start()
    w.put_samples(1, samples(3))
    assert w.stop(5)
    assert crashed == []
    stats = w.stats()
    assert stats["rows_failed"] == 3
    assert stats["write_errors"] == (2 if close_fails else 1)
    assert ("close failed" in stats["last_error"]) is close_fails


def test_rows_taken_and_put_back_are_counted_against_the_bound() -> None:
    dropped: list[tuple[int, int]] = []
    q = WriteQueue(10, 5, 10.0, lambda d, rows: dropped.append((d, rows)), lambda: False)
    q.put_samples(1, samples(4))
    q.put_samples(2, samples(4))
    q.put_inventory(1, snapshot("logs", append_only=True))
    taken = q.wait_and_take(0)
    assert taken is not None
    assert q.data() == 1  # the log snapshot's row
    q.put_samples(3, samples(4))
    q.requeue(samples=taken.samples)  # 13 rows: the oldest batch (device 1) goes
    assert (q.data(), q.batches_dropped, dropped) == (9, 1, [(1, 4)])
    assert q.next_snapshot(float("inf")) is not None
    assert q.data() == 8


def counting_notifies(q: WriteQueue) -> list[int]:
    """Count ``q.cond.notify()`` calls from now on (the one-element list's item)."""
    count = [0]
    notify = q.cond.notify

    def counted(n: int = 1) -> None:
        count[0] += 1
        notify(n)

    q.cond.notify = counted  # type: ignore[method-assign]
    return count


def test_a_writer_waiting_for_work_is_notified_once_per_wait_not_per_put() -> None:
    q = WriteQueue(1_000, 10, 10.0, lambda d, n: None, lambda: False)
    taken: list[int] = []
    writer = threading.Thread(
        target=lambda: taken.append(sum(b.rows for b in q.wait_and_take(0.0).samples)))
    writer.start()
    deadline = time.monotonic() + 5
    while not q._idle and time.monotonic() < deadline:
        time.sleep(0.001)
    assert q._idle
    notifies = counting_notifies(q)
    with q.cond:  # the writer cannot take the lock back before the 100 puts are in
        for device in range(100):
            q.put_samples(device, samples(1))
            q.put_status(DeviceStatus(device_id=device, state=DeviceState.UP, ts=TS))
    writer.join(5)
    assert taken == [100]
    assert notifies[0] == 1
    # Lingering (not idle), puts below half the bound notify nobody; half does.
    for device in range(100):
        q.put_samples(device, samples(4))
    assert notifies[0] == 1
    q.put_samples(1, samples(100))
    assert notifies[0] == 2


def counters(n_rows: int) -> CounterBlock:
    """A block of raw counters: ``n_rows`` interfaces x 2 counters."""
    return CounterBlock(("iface.rx_bytes", "iface.tx_bytes"),
                        [make_labels(interface=f"ether{i}") for i in range(n_rows)],
                        [f"*{i}" for i in range(n_rows)], list(range(2 * n_rows)), TS, 1.0, 64)


class TakingBlocks(RecordingBatches):
    """Takes blocks of raw counters as they are (as the child-process storage)."""

    takes_blocks = True

    def __init__(self) -> None:
        super().__init__()
        self.items: list[object] = []

    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        self.items += [item for _, rows in batches for item in rows]
        return super().write_samples_many([(d, each_sample(rows)) for d, rows in batches])


def test_a_block_of_counters_counts_a_row_per_counter_and_reaches_storage_as_its_samples(
) -> None:
    """The bound and the calls' size count a block's counters; a storage that does
    not take blocks is given the block's samples."""
    storage = RecordingBatches()
    w = StorageWriter(storage, linger_s=0.5, samples_per_call=10)
    w.start()
    w.put_samples(1, [*samples(1), counters(3)])  # 7 samples
    w.put_samples(2, [counters(2)])  # 4
    w.put_samples(3, samples(1))
    assert w.stop(5)
    assert storage.many == [[(1, 7)], [(2, 4), (3, 1)]]
    assert storage.points_written == 2  # raw counters keep only their latest value
    assert storage.latest(1)[("iface.tx_bytes", make_labels(interface="ether2"))].value == 5.0
    assert w.stats()["rows_written"] == 2  # what the storage says it stored


def test_a_storage_that_takes_blocks_is_given_the_block_as_it_is() -> None:
    storage = TakingBlocks()
    w = StorageWriter(storage, linger_s=0.5)
    w.start()
    block = counters(2)
    w.put_samples(1, [*samples(1), block])
    assert w.stop(5)
    assert len(storage.items) == 2  # a sample, the block
    assert storage.items[1] is block
    assert len(storage.latest(1)) == 5


def test_a_block_counts_its_counters_against_the_bound() -> None:
    q = WriteQueue(10, 100, 60.0, lambda device, rows: None, lambda: False)
    q.put_samples(1, [counters(3)])
    assert q.data() == 6
    q.put_samples(2, [counters(3)])  # 12 > 10: the oldest batch goes
    assert q.data() == 6
    assert q.rows_dropped == 6
