"""A slow router (every reply, the login's included, comes late) over the real
protocol: it is shown as slow, never down, its data keeps coming at the pace it
answers, one command at a time, and the other routers are polled on time.

Time runs 10x faster (realtime every 0.5 s, i.e. 5 s); the reply floor (0.3 s,
i.e. 3 s), the connect timeout (1 s, i.e. 10 s) and the command timeout (2 s,
i.e. 20 s) are scaled alike, and the router answers each command in 0.8 s (8 s)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
from mikromon.emulator import session as session_module
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.schedule import device as device_module
from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource

from .polling import dev_status, until
from .test_service_emulator import Harness, config

pytestmark = pytest.mark.slow

DELAY = 0.8
SCALE = 0.1


class StatusLog(InMemoryStorage):
    """Keeps every state written per device, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[int, list[DeviceState]] = {}

    def write_status(self, status: DeviceStatus) -> None:
        self.states.setdefault(status.device_id, []).append(status.state)
        super().write_status(status)


class InFlight:
    """The most commands one emulated router worked on at once (all its sessions)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now: dict[int, int] = {}
        self.most: dict[int, int] = {}
        self._lock = threading.Lock()
        run = session_module.Session._run
        log = self

        async def counted(session: session_module.Session, *args: object) -> None:
            port = session.emulator.port
            with log._lock:
                log.now[port] = log.now.get(port, 0) + 1
                log.most[port] = max(log.most.get(port, 0), log.now[port])
            try:
                await run(session, *args)  # type: ignore[arg-type]
            finally:
                with log._lock:
                    log.now[port] -= 1

        monkeypatch.setattr(session_module.Session, "_run", counted)

    def restart(self, port: int) -> None:
        """Count the most from now on (from the commands in flight now)."""
        with self._lock:
            self.most[port] = self.now.get(port, 0)


@pytest.fixture
def routers() -> Iterator[list[EmulatorHandle]]:
    with running_emulators(count=2, profile="v7") as handles:
        yield handles


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    for svc in h.services:
        assert svc.stop(10)


def cpu_points(storage: InMemoryStorage, device_id: int) -> int:
    return len(storage.points(device_id, "system.cpu.load_pct"))


def test_slow_router_is_slow_not_down_and_keeps_giving_data(
    routers: list[EmulatorHandle], harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(device_module, "REPLY_FLOOR_S", 0.3)
    in_flight = InFlight(monkeypatch)
    healthy, slow = routers
    slow.set_fault(delay=DELAY)
    storage = StatusLog()
    configs = [config(r, i, connect_timeout=1.0, command_timeout=2.0)
               for i, r in ((1, healthy), (2, slow))]
    svc = harness.start(StaticDeviceSource(configs), storage, time_scale=SCALE)

    assert storage.wait_for(
        lambda s: (st := s.status(2)) is not None and st.state is DeviceState.SLOW, 10), (
        storage.states, dev_status(svc, 2))
    slow_at = time.monotonic()
    # Until it is known slow its realtime prints go together (three at once); from
    # then on one at a time.
    in_flight.restart(slow.port)
    seen = cpu_points(storage, 2)
    healthy_seen = cpu_points(storage, 1)
    # 8 s of router time per command, 3 realtime commands: a realtime poll about
    # every 2.4 s here (24 s), whatever the other tiers ask meanwhile. Wait for two
    # more (not a fixed time): the checks below hold over however long that took.
    assert storage.wait_for(lambda s: cpu_points(s, 2) - seen >= 2, 20), dev_status(svc, 2)
    elapsed = time.monotonic() - slow_at
    assert storage.status(2).state is DeviceState.SLOW
    assert DeviceState.DOWN not in storage.states[2], storage.states[2]
    # Once slow it stays slow: no slow/up flapping.
    states = storage.states[2]
    assert DeviceState.UP not in states[states.index(DeviceState.SLOW):], states
    assert storage.events(2, EventKind.DEVICE_DOWN) == []
    assert storage.events(2, EventKind.DEVICE_UP) == []
    realtime = dev_status(svc, 2)["tiers"]["realtime"]
    assert realtime["timeout_s"] == 2.0  # the whole command timeout
    assert in_flight.most[slow.port] == 1  # once slow, never two commands at once
    # The healthy router kept its pace (every 0.5 s; generous for a busy machine).
    assert cpu_points(storage, 1) - healthy_seen >= elapsed / 0.5 * 0.6
    assert set(storage.states[1]) == {DeviceState.UP}
    assert dev_status(svc, 1)["tiers"]["realtime"]["timeout_s"] == 0.5
    lag = dev_status(svc, 1)["tiers"]["realtime"]["lag_s"]
    assert lag is not None
    assert 0 <= lag < 0.5  # its last run started before the next one was due

    # Fast again: up, with the realtime limit it had.
    slow.clear_faults()
    assert storage.wait_for(lambda s: s.status(2).state is DeviceState.UP, 10), (
        storage.states[2])
    assert until(lambda: dev_status(svc, 2)["tiers"]["realtime"]["timeout_s"] == 0.5, 2)
    assert storage.events(2, EventKind.DEVICE_DOWN) == []


def test_slowness_survives_a_configuration_change(
    routers: list[EmulatorHandle], harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new collector of a slow router (its configuration changed) starts with the
    stretched limit: no failed poll to find out again (the tier's error count,
    kept across the change, does not grow)."""
    monkeypatch.setattr(device_module, "REPLY_FLOOR_S", 0.3)
    slow = routers[1]
    slow.set_fault(delay=DELAY)
    storage = StatusLog()
    cfg = config(slow, 2, connect_timeout=1.0, command_timeout=2.0)
    source = StaticDeviceSource([cfg])
    svc = harness.start(source, storage, time_scale=SCALE)
    assert storage.wait_for(
        lambda s: (st := s.status(2)) is not None and st.state is DeviceState.SLOW, 10)
    failed = dev_status(svc, 2)["tiers"]["realtime"]["errors"]
    source.update(dataclasses.replace(cfg, name="renamed"))
    assert until(lambda: dev_status(svc, 2).get("name") == "renamed", 5)
    n = cpu_points(storage, 2)
    assert storage.wait_for(lambda s: cpu_points(s, 2) > n, 8)
    status = dev_status(svc, 2)
    assert status["state"] == "slow"
    assert status["tiers"]["realtime"]["timeout_s"] == 2.0
    assert status["tiers"]["realtime"]["errors"] == failed >= 1
    assert DeviceState.DOWN not in storage.states[2]

