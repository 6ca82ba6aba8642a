"""CollectorService.start after its loop thread ended on an unexpected error, and
the storage it is given (a storage, or a function building one per start)."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus
from mikromon.schedule.service import CollectorService
from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource

from .polling import until


class ClosingStorage(InMemoryStorage):
    """An in-memory storage that counts its closes."""

    def __init__(self) -> None:
        super().__init__()
        self.closes = 0

    def close(self) -> None:
        self.closes += 1


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mikromon-writer"]


def test_start_after_the_loop_thread_died_ends_what_it_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer (and the storage built for it, with ``MIKROMON_WRITER=process`` a
    child process) of a loop thread that died is stopped and closed by the next
    start, not left running beside the new one."""
    before = len(writer_threads())
    built: list[ClosingStorage] = []

    def build() -> ClosingStorage:
        built.append(ClosingStorage())
        return built[-1]

    svc = CollectorService(StaticDeviceSource([]), build, None, time_scale=0.01)

    async def crash() -> bool:
        raise RuntimeError("a fault nobody caught")

    monkeypatch.setattr(svc, "_supervise", crash)
    svc.start()
    deadline = time.monotonic() + 5
    while svc.status()["event_loop"] is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not svc.running
    assert svc.status()["event_loop"] is None  # no loop runs
    monkeypatch.undo()
    svc.start()  # an operator presses Start
    assert len(built) == 2
    assert built[0].closes == 1  # the dead thread's storage, closed by this start
    assert svc.running
    assert svc.stop(5)
    assert [s.closes for s in built] == [1, 1]
    assert len(writer_threads()) == before


def test_a_callable_storage_object_is_the_storage_not_a_factory() -> None:
    """A storage that happens to be callable (a mock in a host's tests) is written
    to as given; only what is not a storage is called for one."""
    storage = mock.Mock()
    svc = CollectorService(StaticDeviceSource([]), storage, None, time_scale=0.01)
    svc.start()
    try:
        queue = svc._writer
        assert queue is not None
        queue.put_status(DeviceStatus(device_id=1, state=DeviceState.UP,
                                      ts=svc._deps.clock.now()))
    finally:
        assert svc.stop(5)
    storage.assert_not_called()
    storage.write_status.assert_called_once()


def test_a_storage_class_is_a_factory_called_at_each_start() -> None:
    """A class (what builds a storage) is called, not written to as a storage."""
    svc = CollectorService(StaticDeviceSource([]), ClosingStorage, None, time_scale=0.01)
    for _ in range(2):
        svc.start()
        writer = svc._writer
        assert writer is not None
        assert isinstance(writer._storage, ClosingStorage)
        assert svc.stop(5)


class SlowReleaseLock:
    """A collector lock whose release takes ``release_s`` (a database stall as the
    collector stops)."""

    def __init__(self, release_s: float) -> None:
        self.release_s = release_s
        self.acquired = 0

    def acquire(self) -> bool:
        self.acquired += 1
        return True

    def refresh(self) -> bool:
        return True

    def release(self) -> None:
        time.sleep(self.release_s)


def test_no_new_run_starts_beside_one_a_stop_left_still_ending() -> None:
    """A stop that ran out of time leaves its run ending in the background; a start
    meanwhile does not begin a second run beside it (whose host worker, lease and
    devices the first would then close as it ends), and one after it has ended does."""
    lock = SlowReleaseLock(release_s=1.5)
    svc = CollectorService(StaticDeviceSource([]), ClosingStorage(), lock,
                           time_scale=0.01)
    svc.start()
    assert until(lambda: lock.acquired == 1, 5)
    assert not svc.stop(0.3)  # the lock's release is still running
    svc.start()
    assert not svc.running
    assert lock.acquired == 1  # no second run
    assert until(lambda: svc.status()["event_loop"] is None, 5)  # the first run ended
    svc.start()
    assert until(lambda: lock.acquired == 2, 5)
    assert svc.running
    lock.release_s = 0.0
    assert svc.stop(5)
