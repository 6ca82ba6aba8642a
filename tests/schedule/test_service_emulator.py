"""CollectorService with the real pieces: emulated routers on 127.0.0.1, the
librouteros client, the collectors, the rate pipeline, and the in-memory storage.
Time runs 100x faster (realtime every 50 ms) unless a test says otherwise (or
drives the service's manual clock)."""

from __future__ import annotations

import dataclasses
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.clock import ManualClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceState, EventKind
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.client import connect
from mikromon.schedule import CollectorDeps, CollectorService, trigger
from mikromon.schedule import device as device_module
from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource

from .polling import dev_status, until

SCALE = 0.01


def config(r: EmulatorHandle, device_id: int, **kw: object) -> DeviceConfig:
    params: dict[str, object] = dict(
        id=device_id, name=f"{r.identity}", host=r.host, port=r.port, username=r.username,
        password=r.password, connect_timeout=0.5, command_timeout=0.5,
    )
    params.update(kw)
    return DeviceConfig(**params)  # type: ignore[arg-type]


class Harness:
    """A service over emulated routers, counting connection attempts per device."""

    def __init__(self) -> None:
        self.attempts: Counter[int] = Counter()
        self.services: list[CollectorService] = []

    async def connect(self, cfg: DeviceConfig) -> RouterOSClient:
        self.attempts[cfg.id] += 1
        return await connect(cfg)

    def start(self, source: StaticDeviceSource, storage: InMemoryStorage, *,
              time_scale: float = SCALE, clock: ManualClock | None = None,
              **kw: object) -> CollectorService:
        """Start a service; with ``clock``, its tiers run only as the test advances
        that manual clock (the emulator's replies still take real time)."""
        deps = CollectorDeps(connect=self.connect)
        if clock is not None:
            deps = dataclasses.replace(deps, clock=clock)
        svc = CollectorService(source, storage, deps=deps,
                               time_scale=time_scale, **kw)  # type: ignore[arg-type]
        self.services.append(svc)
        svc.start()
        return svc


@pytest.fixture
def harness() -> Iterator[Harness]:
    """Services stopped at teardown (request it after the emulators, so that it is
    torn down first)."""
    h = Harness()
    yield h
    for svc in h.services:
        assert svc.stop(10)


@pytest.fixture
def v7() -> Iterator[list[EmulatorHandle]]:
    with running_emulators(count=2, profile="v7") as routers:
        yield routers


@pytest.mark.parametrize("event_loop", ["uvloop", "asyncio"])
def test_all_five_tiers_land_from_v6_and_v7_routers(
    harness: Harness, event_loop: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On each event loop ``MIKROMON_EVENT_LOOP`` may choose for the collector."""
    monkeypatch.setenv("MIKROMON_EVENT_LOOP", event_loop)
    with running_emulators(count=1, profile="v6") as v6, \
            running_emulators(count=1, profile="v7") as v7:
        storage = InMemoryStorage()
        svc = harness.start(StaticDeviceSource([config(v6[0], 1), config(v7[0], 2)]), storage)
        assert svc.status()["event_loop"] == event_loop

        def landed(s: InMemoryStorage, device_id: int) -> bool:
            return ({"interfaces", "ip_addresses", "logs"} <= s.tables(device_id)
                    and bool(s.points(device_id, "dhcp.active_leases"))
                    and len(s.points(device_id, "iface.rx_bps")) > 0)

        assert storage.wait_for(lambda s: landed(s, 1) and landed(s, 2), 10)
        assert until(lambda: all(t["runs"] >= 1 for d in svc.status()["devices"]
                                 for t in d["tiers"].values()), 5)
        for device_id, router in ((1, v6[0]), (2, v7[0])):
            dev = dev_status(svc, device_id)
            assert dev["state"] == "up"
            assert {name: t["errors"] for name, t in dev["tiers"].items()} == dict.fromkeys(
                [t.value for t in Tier], 0)
            assert dev["facts"]["version"].startswith(router.version)
            assert harness.attempts[device_id] == 1  # one session shared by the tiers
            assert router.session_count == 1
            # The status with the identity (extended tier) may trail its run by one
            # writer cycle.
            assert storage.wait_for(
                lambda s, i=device_id, r=router: s.status(i).identity == r.identity, 2)
            assert storage.status(device_id).state is DeviceState.UP
        assert storage.latest(1)[("system.cpu.load_pct", ())].value >= 0
        assert svc.stop(5)  # before the routers go away
        assert svc.status()["event_loop"] is None


def test_rates_match_the_configured_traffic(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    """iface.rx_bps / tx_bps equal the emulator's configured rates within 1 %.
    Realtime every 0.5 s here, so a few ms of scheduling noise stay far below 1 %."""
    router = v7[0]
    storage = InMemoryStorage()
    harness.start(StaticDeviceSource([config(router, 1)]), storage, time_scale=0.1)
    names = list(router.rates)
    assert storage.wait_for(
        lambda s: all(len(s.points(1, "iface.tx_bps", interface=n)) >= 3 for n in names), 10)
    checked = 0
    for name, rates in router.rates.items():
        for key, expected in (("iface.rx_bps", rates.rx_bps), ("iface.tx_bps", rates.tx_bps)):
            values = [point.value for point in storage.points(1, key, interface=name)]
            # Each rate divides by the client's receipt times, so a loaded machine's
            # scheduling noise moves single points; the median must be within 1 %,
            # and no point may be far off.
            assert statistics.median(values) == pytest.approx(expected, rel=0.01), (name, key)
            for value in values:
                assert value == pytest.approx(expected, rel=0.10), (name, key, values)
            checked += len(values)
    assert checked >= 6 * len(names)


def test_interval_change_applies_within_one_second(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    slow = {t: float(DEFAULT_INTERVALS[t]) for t in Tier} | {Tier.REALTIME: 3600.0}  # 36 s
    cfg = config(v7[0], 1, intervals=slow)
    source = StaticDeviceSource([cfg])
    storage = InMemoryStorage()
    svc = harness.start(source, storage)
    assert storage.wait_for(lambda s: len(s.points(1, "system.cpu.load_pct")) == 1, 5)
    changed_at = time.monotonic()
    source.update(dataclasses.replace(cfg, intervals=slow | {Tier.REALTIME: 5.0}))
    assert storage.wait_for(lambda s: len(s.points(1, "system.cpu.load_pct")) >= 3, 3)
    elapsed = time.monotonic() - changed_at
    assert elapsed < 1.0, f"the interval change took {elapsed:.2f} s"
    assert dev_status(svc, 1)["tiers"]["realtime"]["interval_s"] == 5.0


def test_added_device_is_polled_and_deleted_device_stops(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    first, second = v7
    source = StaticDeviceSource([config(first, 1)])
    storage = InMemoryStorage()
    svc = harness.start(source, storage, config_poll_s=0.1)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps")) > 0, 5)
    source.add(config(second, 2))
    assert storage.wait_for(lambda s: len(s.points(2, "iface.rx_bps")) > 0, 5)
    source.remove(1)
    assert until(lambda: [d["id"] for d in svc.status()["devices"]] == [2], 3)
    assert until(lambda: first.session_count == 0, 3)
    stopped_at = datetime.now(UTC)
    m = len(storage.points(2, "system.cpu.load_pct"))
    assert storage.wait_for(lambda s: len(s.points(2, "system.cpu.load_pct")) >= m + 5, 3)
    assert max(p.ts for p in storage.points(1)) < stopped_at  # nothing read since


def test_router_going_dark_is_marked_down_and_recovers(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    router = v7[0]
    storage = InMemoryStorage()
    cfg = config(router, 1, connect_timeout=0.3, command_timeout=0.3)
    svc = harness.start(StaticDeviceSource([cfg]), storage)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps")) > 0, 5)
    router.set_fault(blackhole=True)
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DOWN, 5)
    assert dev_status(svc, 1)["state"] == "down"
    router.clear_faults()
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 5)
    n = len(storage.points(1, "iface.rx_bps"))
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps")) > n, 3)
    assert len(storage.events(1, EventKind.DEVICE_DOWN)) == 1
    assert len(storage.events(1, EventKind.DEVICE_UP)) == 1


def test_failing_psu_is_an_event_and_the_device_degraded(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    router = v7[0]
    storage = InMemoryStorage()
    svc = harness.start(StaticDeviceSource([config(router, 1)]), storage)
    assert storage.wait_for(lambda s: s.status(1) is not None
                            and s.status(1).state is DeviceState.UP, 5)
    states = {r["name"]: r["state"] for r in storage.inventory(1, "health_states")}
    assert states == {"psu1-state": "ok", "psu2-state": "ok"}  # the router's words
    router.set_health_state("psu1-state", "fail")
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DEGRADED, 5)
    assert dev_status(svc, 1)["state"] == "degraded"
    (event,) = storage.events(1, EventKind.HEALTH_FAILED)
    assert event.message == "psu1-state: fail (was ok)"
    assert {r["name"]: r["state"] for r in storage.inventory(1, "health_states")} == {
        "psu1-state": "fail", "psu2-state": "ok"}
    router.set_health_state("psu1-state", "ok")
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 5)
    assert len(storage.events(1, EventKind.HEALTH_RECOVERED)) == 1


def test_silent_router_is_down_within_two_realtime_intervals(
    v7: list[EmulatorHandle], harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A router that stops answering (blackhole: TCP open, no reply) with the
    default timeouts (20 s per command, 10 s to connect) is marked down within
    about 20 s (the next poll, its 5 s limit, a new session's 10 s connect limit:
    a slow router must get the time to log in), not after 20 s per command, and
    the event says since when it is silent.

    Time runs 10x faster (realtime every 0.5 s, i.e. 5 s); the reply floor and the
    connect timeout are scaled alike (0.3 s, i.e. 3 s; 1 s, i.e. 10 s): 2 s here,
    nominally; the bound leaves room for a loaded machine and still tells a wait
    for the 20 s command timeout apart."""
    monkeypatch.setattr(device_module, "REPLY_FLOOR_S", 0.3)
    router = v7[0]
    storage = InMemoryStorage()
    cfg = config(router, 1, connect_timeout=1.0, command_timeout=20.0)
    svc = harness.start(StaticDeviceSource([cfg]), storage, time_scale=0.1)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps")) > 0, 10)
    assert dev_status(svc, 1)["tiers"]["realtime"]["timeout_s"] == 0.5
    silent_wall = datetime.now(UTC)
    router.set_fault(blackhole=True)
    silent_at = time.monotonic()
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DOWN, 8)
    elapsed = time.monotonic() - silent_at
    assert elapsed <= 5.0, f"marked down {elapsed:.2f} s after the router went silent"
    (down,) = storage.events(1, EventKind.DEVICE_DOWN)
    match = re.search(r"silent since (\S+Z): no reply to (\S+) within 0\.5 s", down.message)
    assert match, down.message
    # Since the first command it left unanswered, to the second: sent after the
    # fault, or at most one reply limit (0.5 s) before it if it was in flight then.
    since = datetime.fromisoformat(match[1])
    earliest = (silent_wall - timedelta(seconds=0.5)).replace(microsecond=0)
    assert earliest <= since <= datetime.now(UTC)
    assert "silent since" in storage.status(1).last_error


def test_reboot_gives_an_event_and_no_negative_rate(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    router = v7[0]
    storage = InMemoryStorage()
    harness.start(StaticDeviceSource([config(router, 1)]), storage)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps", interface="ether1")) >= 3,
                            5)
    router.reboot()
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.REBOOT)) == 1, 5)
    n = len(storage.points(1, "iface.rx_bps", interface="ether1"))
    assert storage.wait_for(
        lambda s: len(s.points(1, "iface.rx_bps", interface="ether1")) >= n + 3, 5)
    rates = [p.value for key in ("iface.rx_bps", "iface.tx_bps", "iface.rx_pps")
             for p in storage.points(1, key)]
    assert min(rates) >= 0
    # No spike either: a reset counter taken for a wrapped one gives absurd rates.
    # (50 ms polls: scheduling noise alone moves single rates by several %.)
    assert max(p.value for p in storage.points(1, "iface.rx_bps", interface="ether1")) < (
        router.rates["ether1"].rx_bps * 2)


def test_wrong_password_gives_auth_failed_without_hammering(
    v7: list[EmulatorHandle], harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    router = v7[0]
    cfg = config(router, 1, password="wrong-password-123")
    source = StaticDeviceSource([cfg])
    storage = InMemoryStorage()
    clock = ManualClock()
    svc = harness.start(source, storage, time_scale=1.0, clock=clock, config_poll_s=0.02)
    assert clock.wait_sleeping(1, 10)  # realtime waits for its first run
    clock.advance(trigger.START_SPREAD_S)
    assert storage.wait_for(
        lambda s: s.status(1) is not None and s.status(1).state is DeviceState.AUTH_FAILED, 10)
    # A refused login waits 900 s: 20 realtime intervals on, no second attempt.
    realtime_s = DEFAULT_INTERVALS[Tier.REALTIME]
    for _ in range(20):
        clock.advance(realtime_s)
        assert clock.wait_sleeping(1, 10)
    assert harness.attempts[1] == 1
    assert dev_status(svc, 1)["state"] == "auth_failed"
    assert len(storage.events(1, EventKind.AUTH_FAILED)) == 1
    source.update(dataclasses.replace(cfg, password=router.password))
    # Retried at the next realtime run, not 900 s on (the restarted collector may
    # take its first deadline a moment after the clock moved: step until up).
    for _ in range(3):
        clock.advance(realtime_s)
        if storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 5):
            break
    assert storage.status(1).state is DeviceState.UP
    assert harness.attempts[1] == 2
    assert "wrong-password-123" not in caplog.text


def test_stop_leaves_no_thread_or_connection(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    before = set(threading.enumerate())
    storage = InMemoryStorage()
    svc = harness.start(StaticDeviceSource([config(r, i) for i, r in enumerate(v7, 1)]),
                        storage)
    assert storage.wait_for(lambda s: all(s.tables(i) for i in (1, 2)), 5)
    assert [r.session_count for r in v7] == [1, 1]
    t0 = time.monotonic()
    assert svc.stop(5)
    assert time.monotonic() - t0 < 3
    assert set(threading.enumerate()) - before == set()
    assert until(lambda: [r.session_count for r in v7] == [0, 0], 3)


def test_stalled_storage_does_not_stop_polling(
    v7: list[EmulatorHandle], harness: Harness
) -> None:
    release = threading.Event()

    class Stalled(InMemoryStorage):
        def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
            release.wait(30)
            return super().write_samples(device_id, samples)

    storage = Stalled()
    svc = harness.start(StaticDeviceSource([config(v7[0], 1)]), storage,
                        writer_max_rows=200)
    assert until(lambda: dev_status(svc, 1).get("tiers", {}).get("realtime", {})
                 .get("runs", 0) >= 12, 5)
    writer = svc.status()["writer"]
    assert writer["queue_depth"] >= 1
    assert writer["queued_rows"] > 0
    assert writer["batches_dropped"] > 0
    release.set()
    assert svc.stop(5)
    assert svc.status()["writer"]["queue_depth"] == 0
    assert storage.points(1)
