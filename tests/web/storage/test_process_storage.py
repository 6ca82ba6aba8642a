"""ProcessStorage: DjangoStorage in a real spawned child process, writing to the
test database (a file on SQLite; with the db_backend marker, a second time on
PostgreSQL). Transactions are real so that the child sees the parent's rows."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chunk_samples import stored_times

from mikromon.domain.errors import ConfigError, PartialWrite, StorageProcessError
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import CounterBlock, Sample, make_labels
from mikromon.web.monitor.process_storage import ProcessStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def storage() -> Iterator[ProcessStorage]:
    """A ProcessStorage closed (its child gone) after the test."""
    store = ProcessStorage(maintenance_interval=None, reply_timeout=30)
    yield store
    store.close()
    assert store.pid is None


@pytest.fixture
def device_id() -> int:
    from mikromon.web.monitor.models import Device

    dev = Device(name="edge-1", host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev.pk


def cpu(value: float, second: int = 0) -> Sample:
    return Sample("system.cpu.load_pct", value, T0 + timedelta(seconds=second))


def points(device_id: int) -> list[tuple[str, float]]:
    from mikromon.web.monitor.models import MetricPoint

    return sorted(MetricPoint.objects.filter(series__device_id=device_id)
                  .values_list("series__key", "value"))


def gone(pid: int) -> bool:
    """Whether process ``pid`` no longer exists (reaped, not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_every_kind_of_write_lands_in_the_database(
    storage: ProcessStorage, device_id: int
) -> None:
    from mikromon.web.monitor.models import Device, InventoryItem, MetricLatest
    from mikromon.web.monitor.models import Event as EventRow

    rx = Sample("iface.rx_bps", 1e6, T0, make_labels(interface="ether1"))
    assert storage.write_samples(device_id, [cpu(5.0), rx]) == 2
    assert storage.write_samples_many([(device_id, [cpu(7.0, 1)]),
                                       (device_id, [cpu(9.0, 2)])]) == 2
    storage.write_inventory(device_id, InventorySnapshot(
        table="interfaces", rows=[{"name": "ether1", "mtu": 1500}], key_fields=("name",), ts=T0))
    storage.write_status(DeviceStatus(device_id=device_id, state=DeviceState.UP, ts=T0,
                                      last_seen=T0, identity="rtr-a"))
    storage.write_events([Event(device_id=device_id, ts=T0, kind=EventKind.REBOOT,
                                message="rebooted")])

    assert points(device_id) == [("iface.rx_bps", 1e6), ("system.cpu.load_pct", 5.0),
                                 ("system.cpu.load_pct", 7.0), ("system.cpu.load_pct", 9.0)]
    latest = MetricLatest.objects.get(series__device_id=device_id,
                                      series__key="system.cpu.load_pct")
    assert latest.value == 9.0
    item = InventoryItem.objects.get(device_id=device_id, table="interfaces")
    assert item.data == {"name": "ether1", "mtu": 1500}
    dev = Device.objects.get(pk=device_id)
    assert (dev.state, dev.identity, dev.last_seen) == ("up", "rtr-a", T0)
    assert list(EventRow.objects.values_list("kind", "message", "severity")) == [
        ("reboot", "rebooted", "warning")]
    assert storage.pid is not None
    assert storage.restarts == 0
    assert storage.stats() == {"mode": "process", "why": "", "pid": storage.pid, "restarts": 0}


def test_raw_counters_go_to_the_child_as_their_block_and_land_as_latest_values(
    storage: ProcessStorage, device_id: int
) -> None:
    """The collector's writer gives the child-process storage a reply's counters as
    the block they were read in; the child stores each counter's latest value
    (raw counters keep no history) beside the samples around the block."""
    from mikromon.web.monitor.models import MetricLatest

    assert storage.takes_blocks
    e1, e2 = make_labels(interface="ether1"), make_labels(interface="ether2")
    block = CounterBlock(("iface.rx_bytes", "iface.tx_bytes"), [e1, e2], ["*1", "*2"],
                         [100, None, 300, 400], T0, 5.0, 64)
    assert storage.write_samples_many([(device_id, [cpu(5.0), block, cpu(6.0, 1)])]) == 2
    latest = sorted(MetricLatest.objects.filter(series__device_id=device_id)
                    .values_list("series__key", "series__labels_key", "value"))
    assert latest == [("iface.rx_bytes", '{"interface":"ether1"}', 100.0),
                      ("iface.rx_bytes", '{"interface":"ether2"}', 300.0),
                      ("iface.tx_bytes", '{"interface":"ether2"}', 400.0),
                      ("system.cpu.load_pct", "{}", 6.0)]
    assert points(device_id) == [("system.cpu.load_pct", 5.0), ("system.cpu.load_pct", 6.0)]


def test_an_exception_in_the_child_comes_back_and_the_next_call_works(
    storage: ProcessStorage, device_id: int
) -> None:
    storage.write_samples(device_id, [cpu(1.0)])
    pid = storage.pid
    broken = Sample("system.cpu.load_pct", "not a number", T0)  # type: ignore[arg-type]
    with pytest.raises(StorageProcessError) as caught:
        storage.write_samples_many([(device_id, [cpu(2.0, 1), broken])])
    err = caught.value
    assert err.method == "write_samples_many"
    assert err.reason.startswith("TypeError: ")
    assert str(err).startswith("storage process: write_samples_many failed: TypeError")
    assert "Traceback" in str(err.__cause__)
    assert "isfinite" in str(err.__cause__)
    # Nothing of the failed call was kept; the same child serves the next call.
    assert storage.write_samples(device_id, [cpu(3.0, 2)]) == 1
    assert [v for _, v in points(device_id)] == [1.0, 3.0]
    assert storage.pid == pid
    assert storage.restarts == 0


def test_arguments_that_cannot_be_sent_fail_in_the_parent(
    storage: ProcessStorage, device_id: int
) -> None:
    snapshot = InventorySnapshot(table="interfaces", rows=[{"name": lambda: None}],
                                 key_fields=("name",), ts=T0)
    with pytest.raises(StorageProcessError, match="write_inventory failed: arguments cannot"):
        storage.write_inventory(device_id, snapshot)
    assert storage.write_samples(device_id, [cpu(1.0)]) == 1


def test_a_killed_child_fails_one_call_and_the_next_starts_a_new_one(
    storage: ProcessStorage, device_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    storage.write_samples(device_id, [cpu(1.0)])
    pid = storage.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(StorageProcessError, match=rf"write_samples failed: .*pid {pid}\) "
                       r"(exited with code -9|closed the pipe)"):
        storage.write_samples(device_id, [cpu(2.0, 1)])
    assert storage.pid is None
    assert gone(pid)
    with caplog.at_level("WARNING", logger="mikromon.web.monitor.process_storage"):
        assert storage.write_samples(device_id, [cpu(3.0, 2)]) == 1
    assert storage.pid not in (None, pid)
    assert storage.restarts == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"storage process restarted (pid {storage.pid}, 1 restart(s) so far)"]
    assert [v for _, v in points(device_id)] == [1.0, 3.0]


def test_a_hung_child_is_killed_after_the_reply_timeout(device_id: int) -> None:
    # Generous for the real writes (a first write opens a connection and creates
    # series, on a loaded machine); short only while the child is stopped.
    storage = ProcessStorage(maintenance_interval=None, reply_timeout=60.0)
    try:
        storage.write_samples(device_id, [cpu(1.0)])
        pid = storage.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        storage._reply_timeout = 1.0
        with pytest.raises(StorageProcessError, match=r"no reply within 1 s"):
            storage.write_samples(device_id, [cpu(2.0, 1)])
        storage._reply_timeout = 60.0
        assert gone(pid)
        assert storage.write_samples(device_id, [cpu(3.0, 2)]) == 1
        assert storage.restarts == 1
    finally:
        storage.close()
    assert [v for _, v in points(device_id)] == [1.0, 3.0]


def test_close_leaves_no_child_and_a_later_call_starts_one(
    storage: ProcessStorage, device_id: int
) -> None:
    storage.write_status(DeviceStatus(device_id=device_id, state=DeviceState.DOWN, ts=T0))
    pid = storage.pid
    assert pid is not None
    assert pid in [p.pid for p in multiprocessing.active_children()]
    storage.close()
    assert storage.pid is None
    assert pid not in [p.pid for p in multiprocessing.active_children()]
    assert gone(pid)
    storage.close()  # idempotent
    assert storage.write_samples(device_id, [cpu(1.0)]) == 1
    assert storage.pid not in (None, pid)
    assert storage.restarts == 0  # a restart after close() is not a failure


def test_a_child_that_cannot_start_fails_the_call_then_recovers(
    device_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    storage = ProcessStorage(maintenance_interval=None, reply_timeout=30, clock=lambda: now[0])
    try:
        monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "mikromon.no_such_settings")
        with pytest.raises(StorageProcessError,
                           match="could not start: ModuleNotFoundError") as caught:
            storage.write_samples(device_id, [cpu(1.0)])
        assert "no_such_settings" in str(caught.value.__cause__)
        assert storage.pid is None
        monkeypatch.undo()
        now[0] += 1.0  # the failed start is remembered for 1 s
        assert storage.write_samples(device_id, [cpu(2.0)]) == 1
    finally:
        storage.close()


def test_maintenance_runs_in_the_child_after_the_reply(device_id: int) -> None:
    from mikromon.web.monitor.models import MaintenanceState, MetricRollup

    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
    storage = ProcessStorage(maintenance_interval=0.0, reply_timeout=60)
    try:
        assert storage.write_samples(device_id, [Sample("system.cpu.load_pct", 4.0, recent)]) == 1
        # This call is answered after the maintenance that followed the first one.
        assert storage.write_samples(device_id, [Sample("system.cpu.load_pct", 6.0, recent
                                                        + timedelta(seconds=1))]) == 1
    finally:
        storage.close()
    assert MaintenanceState.objects.filter(name="rollup_300").exists()
    assert MetricRollup.objects.filter(series__device_id=device_id, step=300).exists()


def test_writer_mode_setting(settings) -> None:
    from mikromon.web import collector_setup
    from mikromon.web.monitor.storage import DjangoStorage

    del settings.MIKROMON_WRITER
    assert collector_setup.writer_mode() == "auto"  # the default

    settings.MIKROMON_WRITER = "process"
    assert collector_setup.writer_mode() == "process"
    assert isinstance(collector_setup.build_storage(), ProcessStorage)
    settings.MIKROMON_WRITER = "thread"
    assert isinstance(collector_setup.build_storage(), DjangoStorage)
    settings.MIKROMON_WRITER = "fork"
    with pytest.raises(ConfigError, match="MIKROMON_WRITER must be auto, process or thread"):
        collector_setup.build_collector()


def test_a_refused_device_comes_back_as_a_partial_write(
    storage: ProcessStorage, device_id: int, poison: Callable[[str, int], Any]
) -> None:
    """The child's PartialWrite reaches the writer as such (with the devices and
    reasons), not as an opaque failure of the whole call."""
    from mikromon.web.monitor.models import Device

    other = Device(name="edge-2", host="127.0.0.1", username="monitor")
    other.set_password("pw")
    other.save()
    with poison("monitor_series", other.pk), pytest.raises(PartialWrite) as info:
        storage.write_samples_many([(device_id, [cpu(5.0)]), (other.pk, [cpu(6.0)])])
    assert info.value.written == 1
    assert set(info.value.failed) == {other.pk}
    assert "poisoned device" in info.value.failed[other.pk]
    assert points(device_id) == [("system.cpu.load_pct", 5.0)]
    assert storage.restarts == 0


def test_the_child_deletes_by_retention_stored_while_it_runs(device_id: int) -> None:
    """The storage process reads the stored retention at its maintenance: a change
    made meanwhile (here by the parent, as the page or the CLI would) applies at
    its next run, without a restart."""
    from mikromon.web.control import retention

    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(days=3), now - timedelta(hours=2)
    storage = ProcessStorage(maintenance_interval=0.0, reply_timeout=60)
    try:
        storage.write_samples(device_id, [Sample("system.cpu.load_pct", 1.0, old),
                                          Sample("system.cpu.load_pct", 2.0, recent)])
        later = [Sample("system.cpu.load_pct", 3.0, recent + timedelta(seconds=i))
                 for i in range(1, 4)]
        storage.write_samples(device_id, later[:1])  # after the first maintenance
        assert len(stored_times(device_id=device_id)) == 3  # in the head or compacted
        retention.save({"realtime": 86400}, by="cli")
        storage.write_samples(device_id, later[1:2])  # runs it
        storage.write_samples(device_id, later[2:])  # answered after it ran
    finally:
        storage.close()
    left = set(stored_times(device_id=device_id))
    assert int(old.timestamp()) not in left
    assert len(left) == 4
