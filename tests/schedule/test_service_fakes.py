"""CollectorService with fake routers (data-driven client and tier runner) and the
in-memory storage: tiers, rates, reloads, failures, backoff, lock, writer stalls,
clean stop. Time runs 200x faster (time scale 0.005: realtime every 25 ms), or,
in the tests that take the ``clock`` fixture, moves only when the test advances
the manual clock the collector and the fake routers share (time scale 1)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import MappingProxyType

import pytest

from mikromon.domain.clock import ManualClock
from mikromon.domain.events import DeviceState, EventKind
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.schedule import instance as instance_module
from mikromon.schedule import trigger
from mikromon.schedule.service import CollectorService
from mikromon.storage.memory import InMemoryStorage, InProcessLock, StaticDeviceSource

from .fakes import PASSWORD, FakeFleet, device, fake_deps, fake_run_tier
from .polling import dev_status, until

SCALE = 0.005
#: The default realtime interval, seconds (unscaled).
REALTIME_S = DEFAULT_INTERVALS[Tier.REALTIME]

Factory = Callable[..., CollectorService]


def intervals(**kw: float) -> MappingProxyType:
    values = {t: float(DEFAULT_INTERVALS[t]) for t in Tier}
    values.update({Tier(k): v for k, v in kw.items()})
    return MappingProxyType(values)


@pytest.fixture
def fleet() -> FakeFleet:
    return FakeFleet()


@pytest.fixture
def clock(fleet: FakeFleet) -> ManualClock:
    """The manual clock of the services and the fake routers of a test: time moves
    only by ``clock.advance()`` (and the time scale is 1)."""
    fleet.clock = ManualClock()
    return fleet.clock


@pytest.fixture
def make(fleet: FakeFleet) -> Iterator[Factory]:
    """Build and start services; stop them all at the end (and check they stopped)."""
    started: list[CollectorService] = []

    def build(source: StaticDeviceSource, storage: InMemoryStorage, lock: object = None, *,
              run_tier: object = None, start: bool = True, **kw: object) -> CollectorService:
        deps = fake_deps(fleet, clock=fleet.clock)
        if run_tier is not None:
            deps = dataclasses.replace(deps, run_tier=run_tier)
        kw.setdefault("time_scale", 1.0 if isinstance(fleet.clock, ManualClock) else SCALE)
        svc = CollectorService(source, storage, lock, deps=deps, **kw)  # type: ignore[arg-type]
        started.append(svc)
        if start:
            svc.start()
        return svc

    yield build
    for svc in started:
        assert svc.stop(10)


def step(clock: ManualClock, seconds: float, waits: int) -> None:
    """Advance ``clock`` by ``seconds`` and wait until ``waits`` tier loops wait on it
    again (the runs that came due are over)."""
    clock.advance(seconds)
    assert clock.wait_sleeping(waits, 10), clock.sleeping()


def runs(svc: CollectorService, device_id: int, tier: str) -> int:
    tiers = dev_status(svc, device_id).get("tiers", {})
    return tiers[tier]["runs"] if tier in tiers else 0


def test_all_five_tiers_land_over_one_connection(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1)]), storage)
    assert storage.wait_for(
        lambda s: {"interfaces", "ip_addresses", "logs"} <= s.tables(1)
        and len(s.points(1, "dhcp.active_leases")) >= 1
        and len(s.points(1, "iface.rx_bps")) >= 4,
        5,
    )
    status = svc.status()
    json.dumps(status)  # JSON-serialisable as promised
    assert status["running"]
    assert status["lock_held"]
    dev = status["devices"][0]
    assert (dev["id"], dev["name"], dev["state"]) == (1, "r1", "up")
    assert dev["config_loaded_at"].endswith("Z")
    for tier in Tier:
        t = dev["tiers"][tier.value]
        assert t["runs"] >= 1, tier
        assert t["interval_s"] == DEFAULT_INTERVALS[tier]  # as configured, not scaled
        assert t["effective_interval_s"] == pytest.approx(DEFAULT_INTERVALS[tier] * SCALE)
        assert t["errors"] == 0
        assert t["last_error"] == ""
        assert t["last_run"].endswith("Z")
        assert t["next_due"].endswith("Z")
    assert status["writer"]["rows_written"] > 0
    summary = svc.status(devices=False)
    assert "devices" not in summary
    assert (summary["device_count"], summary["disabled_count"]) == (1, 0)
    st = storage.status(1)
    assert (st.state, st.version, st.board) == (DeviceState.UP, "7.16.2 (stable)", "hAP ax^2")
    assert st.last_seen is not None
    assert router.connects == 1  # one connection shared by the tiers
    assert router.max_in_flight == 1


def test_rates_match_the_router(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1, rx_bps=8_000_000.0, tx_bps=1_500_000.0)
    storage = InMemoryStorage()
    make(StaticDeviceSource([device(1)]), storage)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.tx_bps", interface="ether1")) >= 10,
                            5)
    for key, expected in (("iface.rx_bps", 8_000_000.0), ("iface.tx_bps", 1_500_000.0)):
        values = [s.value for s in storage.points(1, key, interface="ether1")]
        assert values, key
        for v in values:
            assert v == pytest.approx(expected, rel=0.01), key


def test_interval_change_applies_within_one_second(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1)
    cfg = device(1, intervals=intervals(realtime=600))  # 3 s at this scale
    source = StaticDeviceSource([cfg])
    storage = InMemoryStorage()
    svc = make(source, storage)
    assert storage.wait_for(lambda s: len(s.points(1, "system.cpu.load_pct")) >= 1, 5)
    before = runs(svc, 1, "realtime")
    changed_at = time.monotonic()
    source.update(dataclasses.replace(cfg, intervals=intervals(realtime=5)))  # 25 ms
    assert storage.wait_for(lambda s: len(s.points(1, "system.cpu.load_pct")) >= before + 3, 3)
    elapsed = time.monotonic() - changed_at
    assert elapsed < 1.0, f"interval change took {elapsed:.2f} s"
    dev = dev_status(svc, 1)
    assert dev["tiers"]["realtime"]["interval_s"] == 5
    reloaded = storage.events(1, EventKind.CONFIG_RELOADED)
    assert [e.message for e in reloaded] == [
        "configuration reloaded: realtime interval 600 s -> 5 s"]


def test_notify_applies_changes_at_once(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1)
    fleet.add(2)
    source = StaticDeviceSource([device(1)])
    storage = InMemoryStorage()
    svc = make(source, storage, config_poll_s=60.0)  # no polling help
    assert storage.wait_for(lambda s: len(s.points(1)) > 0, 5)
    source.add(device(2))
    t0 = time.monotonic()
    svc.notify_config_changed()
    assert storage.wait_for(lambda s: len(s.points(2)) > 0, 2)
    assert time.monotonic() - t0 < 0.5


def test_added_device_is_polled_and_deleted_one_stops(make: Factory, fleet: FakeFleet,
                                                      clock: ManualClock) -> None:
    r1, r2 = fleet.add(1), fleet.add(2)
    source = StaticDeviceSource([device(1)])
    storage = InMemoryStorage()
    svc = make(source, storage, config_poll_s=0.02)
    assert clock.wait_sleeping(1, 10)  # device 1's realtime tier waits for its first run
    clock.advance(trigger.START_SPREAD_S)  # every first realtime run is due
    assert until(lambda: runs(svc, 1, "realtime") == 1, 10)
    assert clock.wait_sleeping(len(Tier), 10)  # the version known, every tier waits
    source.add(device(2))
    assert clock.wait_sleeping(len(Tier) + 1, 10)
    clock.advance(trigger.START_SPREAD_S)
    assert until(lambda: runs(svc, 2, "realtime") == 1 and runs(svc, 1, "realtime") == 2, 10)
    assert storage.wait_for(lambda s: [e.message for e in s.events(2, EventKind.CONFIG_RELOADED)]
                            == ["device added; polling starts"], 10)
    source.remove(1)
    assert until(lambda: [d["id"] for d in svc.status()["devices"]] == [2], 10)
    assert r1.open_clients == 0
    polls = r1.prints["/system/resource"]
    for n in range(2, 6):  # each realtime interval: one run of device 2, none of device 1
        clock.advance(REALTIME_S)
        assert until(lambda n=n: runs(svc, 2, "realtime") == n, 10), n  # type: ignore[misc]
    assert storage.wait_for(lambda s: len(s.points(2, "system.cpu.load_pct")) == 5, 10)
    assert r1.prints["/system/resource"] == polls
    assert r2.open_clients == 1
    assert r2.connects == 1


def test_disabled_device_stops_and_reports_disabled(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    fleet.add(2)
    cfg = device(1)
    source = StaticDeviceSource([cfg, device(2, enabled=False)])
    storage = InMemoryStorage()
    svc = make(source, storage, config_poll_s=0.1)
    assert storage.wait_for(lambda s: len(s.points(1)) > 0, 5)
    assert storage.status(2).state is DeviceState.DISABLED
    source.update(dataclasses.replace(cfg, enabled=False))
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DISABLED, 3)
    assert {d["id"]: d["state"] for d in svc.status()["devices"]} == {
        1: "disabled", 2: "disabled"}
    assert router.open_clients == 0
    assert "device disabled; polling stopped" in [
        e.message for e in storage.events(1, EventKind.CONFIG_RELOADED)]
    source.update(cfg)  # enabled again
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 3)
    assert storage.events(1, EventKind.CONFIG_RELOADED)[-1].message == (
        "device enabled; polling starts")


def test_router_down_then_back(make: Factory, fleet: FakeFleet, clock: ManualClock,
                               caplog: pytest.LogCaptureFixture) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1)]), storage)
    assert clock.wait_sleeping(1, 10)
    step(clock, trigger.START_SPREAD_S, len(Tier))  # up: every tier waits for its next run
    assert storage.wait_for(lambda s: s.status(1) is not None
                            and s.status(1).state is DeviceState.UP, 10)
    with caplog.at_level(logging.INFO, logger="mikromon.schedule"):
        router.up = False
        step(clock, REALTIME_S, len(Tier))
        assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DOWN, 10)
        down_at = router.connects
        # Backing off 5, 10, 20, 40 s ... (capped at 300 s): in 75 s of realtime
        # ticks (15 runs due) only the attempts at about +5, +15, +35 and +75 s.
        for _ in range(15):
            step(clock, REALTIME_S, len(Tier))
        assert 3 <= router.connects - down_at <= 4, router.connects - down_at
        assert dev_status(svc, 1)["state"] == "down"
        router.up = True
        for _ in range(int(trigger.CONNECT_BACKOFF_CAP_S / REALTIME_S)):  # the next attempt
            step(clock, REALTIME_S, len(Tier))
            if dev_status(svc, 1)["state"] == "up":
                break
        assert storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 10)
        assert storage.wait_for(lambda s: len(s.events(1, EventKind.DEVICE_UP)) == 1, 10)
    assert len(storage.events(1, EventKind.DEVICE_DOWN)) == 1
    down = storage.events(1, EventKind.DEVICE_DOWN)[0]
    assert "connection refused" in down.message
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert sum("down:" in m for m in messages) == 1  # edge-triggered
    assert sum("up again" in m for m in messages) == 1


def test_blackholed_router_times_out_and_goes_down(make: Factory, fleet: FakeFleet) -> None:
    """A router that stops answering (connection hangs) is marked down by the
    timeouts, not waited on forever."""
    router = fleet.add(1)
    storage = InMemoryStorage()
    cfg = device(1, connect_timeout=0.1, command_timeout=0.1)
    svc = make(StaticDeviceSource([cfg]), storage)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps")) > 0, 5)

    router.hang = True  # the open session and new ones get no answer
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.DOWN, 5)
    assert "no session within" in storage.status(1).last_error
    router.hang, router.up = False, True
    assert storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 5)
    assert dev_status(svc, 1)["connected"]


def test_wrong_password_is_not_retried_in_a_loop(make: Factory, fleet: FakeFleet,
                                                 clock: ManualClock,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    router = fleet.add(1)
    wrong = "not-the-password-xyz"
    cfg = device(1, password=wrong)
    source = StaticDeviceSource([cfg])
    storage = InMemoryStorage()
    with caplog.at_level(logging.DEBUG):
        svc = make(source, storage, config_poll_s=0.02)
        assert clock.wait_sleeping(1, 10)  # only realtime runs before the version is known
        step(clock, trigger.START_SPREAD_S, 1)
        assert storage.wait_for(lambda s: s.status(1) is not None
                                and s.status(1).state is DeviceState.AUTH_FAILED, 10)
        # The auth backoff is 900 s: 20 realtime intervals later nothing more was tried.
        for _ in range(20):
            step(clock, REALTIME_S, 1)
        assert router.logins_refused == 1
        dev = dev_status(svc, 1)
        assert dev["state"] == "auth_failed"
        assert dev["retry_in_s"] == pytest.approx(trigger.AUTH_BACKOFF_S - 20 * REALTIME_S,
                                                  abs=REALTIME_S)
        assert len(storage.events(1, EventKind.AUTH_FAILED)) == 1
        # A config change (the right password) retries at the next run, not 900 s on.
        source.update(dataclasses.replace(cfg, password=PASSWORD))
        # The restarted collector may take its first deadline a moment after the
        # clock moved: step until up (one or two intervals, not 900 s).
        for _ in range(3):
            clock.advance(REALTIME_S)
            if storage.wait_for(lambda s: s.status(1).state is DeviceState.UP, 5):
                break
        assert storage.status(1).state is DeviceState.UP
        assert router.logins_refused == 1
    assert len(storage.events(1, EventKind.DEVICE_UP)) == 1
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "invalid user name or password" in text
    assert wrong not in text
    assert PASSWORD not in text
    assert all(wrong not in e.message for e in storage.events())


def test_reboot_is_noticed_without_negative_rates(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1, rx_bps=4_000_000.0)
    storage = InMemoryStorage()
    make(StaticDeviceSource([device(1)]), storage)
    assert storage.wait_for(lambda s: len(s.points(1, "iface.rx_bps", interface="ether1")) >= 3,
                            5)
    router.reboot()
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.REBOOT)) == 1, 3)
    n = len(storage.points(1, "iface.rx_bps", interface="ether1"))
    assert storage.wait_for(
        lambda s: len(s.points(1, "iface.rx_bps", interface="ether1")) >= n + 3, 3)
    values = [s.value for s in storage.points(1, "iface.rx_bps")]
    assert min(values) >= 0
    assert max(values) == pytest.approx(4_000_000.0, rel=0.01)


def test_absent_path_is_reported_once_and_not_asked_again(make: Factory,
                                                          fleet: FakeFleet) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1, intervals=intervals(short=30))]), storage)
    assert storage.wait_for(lambda s: runs(svc, 1, "short") >= 4, 5)
    assert router.prints["/ip/hotspot/active"] == 1
    absent = storage.events(1, EventKind.PATH_ABSENT)
    assert [e.message.split(" ")[0] for e in absent] == ["/ip/hotspot/active"]


def test_absent_path_is_not_announced_again_after_a_restart(make: Factory,
                                                            fleet: FakeFleet) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    cfg = device(1, intervals=intervals(short=30))
    source = StaticDeviceSource([cfg])
    svc = make(source, storage, config_poll_s=0.05)
    assert storage.wait_for(lambda s: runs(svc, 1, "short") >= 2, 5)
    # Restarted by a configuration change, then with the whole service.
    source.update(dataclasses.replace(cfg, intervals=intervals(short=31)))
    assert storage.wait_for(lambda s: router.prints["/ip/hotspot/active"] >= 2, 5)
    assert svc.stop(5)
    svc.start()
    assert storage.wait_for(lambda s: router.prints["/ip/hotspot/active"] >= 3, 5)
    assert storage.wait_for(lambda s: runs(svc, 1, "short") >= 2, 5)
    assert len(storage.events(1, EventKind.PATH_ABSENT)) == 1
    # Deleted and added again: a new device as far as events go.
    source.remove(1)
    assert until(lambda: svc.status()["devices"] == [], 3)
    source.add(cfg)
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.PATH_ABSENT)) == 2, 5)


def test_version_change_probes_absent_paths_again(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1, intervals=intervals(short=30))]), storage)
    assert storage.wait_for(lambda s: runs(svc, 1, "short") >= 2, 5)
    router.version = "7.17 (stable)"
    router.absent = set()
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.VERSION_CHANGED)) == 1, 3)
    assert storage.wait_for(lambda s: router.prints["/ip/hotspot/active"] >= 2, 3)


def test_link_down_and_up_events(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1, intervals=intervals(medium=120))]), storage,
               time_scale=0.002)
    assert storage.wait_for(lambda s: runs(svc, 1, "medium") >= 1, 5)
    router.links["ether2"] = False
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.LINK_DOWN)) == 1, 3)
    router.links["ether2"] = True
    assert storage.wait_for(lambda s: len(s.events(1, EventKind.LINK_UP)) == 1, 3)
    assert storage.events(1, EventKind.LINK_DOWN)[0].message == "interface ether2 link down"


def test_overrun_skips_ticks_and_never_overlaps(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1)
    active = {"n": 0, "max": 0}

    async def slow_runner(client: object, tier: Tier, ctx: object) -> object:
        if tier is Tier.REALTIME:
            active["n"] += 1
            active["max"] = max(active["max"], active["n"])
            try:
                await asyncio.sleep(0.07)  # the interval is 0.025 s
            finally:
                active["n"] -= 1
        return await fake_run_tier(client, tier, ctx)  # type: ignore[arg-type]

    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1)]), storage, run_tier=slow_runner)
    assert storage.wait_for(lambda s: runs(svc, 1, "realtime") >= 5, 5)
    rt = dev_status(svc, 1)["tiers"]["realtime"]
    assert rt["skipped"] >= 2 * (rt["runs"] - 1)
    assert active["max"] == 1


def test_a_crashing_tier_does_not_stop_the_others(make: Factory, fleet: FakeFleet,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    fleet.add(1)

    async def runner(client: object, tier: Tier, ctx: object) -> object:
        if tier is Tier.LONG:
            raise RuntimeError("collector bug")
        return await fake_run_tier(client, tier, ctx)  # type: ignore[arg-type]

    storage = InMemoryStorage()
    with caplog.at_level(logging.WARNING, logger="mikromon.schedule"):
        svc = make(StaticDeviceSource([device(1, intervals=intervals(long=600))]), storage,
                   run_tier=runner)
        assert storage.wait_for(
            lambda s: dev_status(svc, 1).get("tiers", {}).get("long", {}).get("errors", 0) >= 2,
            5)
        assert storage.wait_for(lambda s: len(s.points(1, "system.cpu.load_pct")) >= 5, 3)
    dev = dev_status(svc, 1)
    assert dev["state"] == "up"
    assert dev["tiers"]["long"]["last_error"] == "RuntimeError: collector bug"
    assert dev["tiers"]["realtime"]["errors"] == 0
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # logged once, on the transition to failing
    assert storage.status(1).last_error == "RuntimeError: collector bug"


def test_stop_leaves_no_thread_or_connection(make: Factory, fleet: FakeFleet) -> None:
    routers = [fleet.add(i) for i in range(1, 4)]
    before = set(threading.enumerate())
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(i) for i in range(1, 4)]), storage)
    assert storage.wait_for(lambda s: all(len(s.points(i)) > 0 for i in range(1, 4)), 5)
    assert {r.open_clients for r in routers} == {1}
    t0 = time.monotonic()
    assert svc.stop(5)
    assert time.monotonic() - t0 < 3
    assert not svc.running
    assert set(threading.enumerate()) - before == set()
    assert {r.open_clients for r in routers} == {0}
    assert svc.status()["writer"]["queue_depth"] == 0
    # It can start again.
    svc.start()
    assert until(lambda: svc.status()["devices"] != [], 3)
    assert svc.stop(5)
    assert set(threading.enumerate()) - before == set()


def test_stop_cancels_a_hanging_poll(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1)
    entered = threading.Event()

    async def hanging(client: object, tier: Tier, ctx: object) -> object:
        if tier is Tier.MEDIUM:
            entered.set()
            await asyncio.sleep(3600)
        return await fake_run_tier(client, tier, ctx)  # type: ignore[arg-type]

    cfg = device(1, connect_timeout=30, command_timeout=30)
    svc = make(StaticDeviceSource([cfg]), InMemoryStorage(), run_tier=hanging)
    assert entered.wait(5)
    t0 = time.monotonic()
    assert svc.stop(5)
    assert time.monotonic() - t0 < 2


def test_stalled_storage_does_not_stop_polling(make: Factory, fleet: FakeFleet) -> None:
    fleet.add(1)
    release = threading.Event()

    class Stalled(InMemoryStorage):
        def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
            release.wait(30)
            return super().write_samples(device_id, samples)

    storage = Stalled()
    svc = make(StaticDeviceSource([device(1)]), storage, writer_max_rows=1)
    assert until(lambda: runs(svc, 1, "realtime") >= 20, 5)
    writer = svc.status()["writer"]
    assert writer["queue_depth"] >= 1
    assert writer["queued_rows"] >= 1
    assert writer["batches_dropped"] >= 10
    assert writer["write_s"] > 0
    release.set()
    assert svc.stop(5)
    assert svc.status()["writer"]["queue_depth"] == 0
    assert len(storage.points(1)) > 0


def test_only_one_collector_holds_the_lock(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    lock = InProcessLock(lease_s=1.0)
    source = StaticDeviceSource([device(1)])
    s1, s2 = InMemoryStorage(), InMemoryStorage()
    first = make(source, s1, lock, lock_retry_s=0.05, lock_refresh_s=0.05)
    assert s1.wait_for(lambda s: len(s.points(1)) > 0, 5)
    contender = lock.contender()
    attempts = []
    acquire = contender.acquire

    def counted() -> bool:
        attempts.append(acquire())
        return attempts[-1]

    contender.acquire = counted  # type: ignore[method-assign]
    second = make(source, s2, contender, lock_retry_s=0.05, lock_refresh_s=0.05)
    assert until(lambda: len(attempts) >= 3, 10)  # several lock attempts by the second one
    assert not any(attempts)
    st = second.status()
    assert st["running"]
    assert not st["lock_held"]
    assert st["devices"] == []
    assert s2.points(1) == []
    assert router.open_clients == 1
    # The first one goes away: the second takes over.
    t0 = time.monotonic()
    assert first.stop(5)
    assert s2.wait_for(lambda s: len(s.points(1)) > 0, 3)
    assert time.monotonic() - t0 < 1.0
    assert second.status()["lock_held"]


def test_lost_lease_stops_polling(make: Factory, fleet: FakeFleet) -> None:
    router = fleet.add(1)
    lock = InProcessLock(lease_s=5.0)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1)]), storage, lock, lock_retry_s=0.05,
               lock_refresh_s=0.05)
    assert storage.wait_for(lambda s: len(s.points(1)) > 0, 5)
    thief = lock.contender()
    lock.revoke()
    assert thief.acquire()
    assert until(lambda: not svc.status()["lock_held"], 3)
    assert svc.status()["devices"] == []
    assert router.open_clients == 0
    thief.release()
    assert until(lambda: svc.status()["lock_held"], 3)


def test_process_wide_accessor(monkeypatch: pytest.MonkeyPatch, fleet: FakeFleet) -> None:
    monkeypatch.setattr(instance_module, "_factory", None)
    monkeypatch.setattr(instance_module, "_instance", None)
    with pytest.raises(RuntimeError, match="configure"):
        instance_module.get_collector()
    built: list[CollectorService] = []

    def factory() -> CollectorService:
        svc = CollectorService(StaticDeviceSource(), InMemoryStorage(), deps=fake_deps(fleet),
                               time_scale=SCALE)
        built.append(svc)
        return svc

    instance_module.configure(factory)
    svc = instance_module.get_collector()
    assert instance_module.get_collector() is svc
    svc.start()
    assert svc.running
    instance_module.reset_collector()
    assert not svc.running
    assert instance_module.get_collector() is not svc
    assert len(built) == 2


def test_time_scale_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.25")
    svc = CollectorService(StaticDeviceSource(), InMemoryStorage())
    assert svc.time_scale == 0.25
    assert svc.status()["time_scale"] == 0.25
    assert not svc.status()["running"]


def test_a_failing_device_source_keeps_the_service_alive(make: Factory,
                                                        fleet: FakeFleet) -> None:
    fleet.add(1)

    class Flaky(StaticDeviceSource):
        broken = False

        def load_devices(self) -> list:
            if self.broken:
                raise ConnectionError("database gone")
            return super().load_devices()

    source = Flaky([device(1)])
    storage = InMemoryStorage()
    svc = make(source, storage)
    assert storage.wait_for(lambda s: len(s.points(1)) > 0, 5)
    source.broken = True
    fleet.add(2)
    source.add(device(2))
    n = len(storage.points(1))
    assert storage.wait_for(lambda s: len(s.points(1)) > n + 20, 3)  # still polling
    source.broken = False
    assert storage.wait_for(lambda s: len(s.points(2)) > 0, 3)
    assert svc.running


def test_status_is_written_on_change_and_refreshed_not_every_poll(
    make: Factory, fleet: FakeFleet
) -> None:
    """Status refresh every 30 s x 0.005 = 0.15 s while realtime runs every 25 ms
    (and the uptime changes on every poll, which is no reason to write)."""
    fleet.add(1, uptime_step=0.001)
    storage = InMemoryStorage()
    svc = make(StaticDeviceSource([device(1)]), storage)
    assert storage.wait_for(lambda s: s.status(1) is not None, 5)
    first_seen = storage.status(1).last_seen
    assert until(lambda: runs(svc, 1, "realtime") >= 30, 5)
    writes = storage.calls["write_status"]
    assert 2 <= writes <= runs(svc, 1, "realtime") // 3
    assert storage.status(1).last_seen > first_seen


def test_status_lists_devices_in_the_natural_order_of_their_names(make: Factory,
                                                                  fleet: FakeFleet) -> None:
    """The published status (the collector page's order) puts demo-2 before demo-10."""
    names = {1: "demo-10", 2: "demo-2", 3: "Demo-3", 4: "demo-1"}
    source = StaticDeviceSource([device(i, name=n, enabled=False) for i, n in names.items()])
    svc = make(source, InMemoryStorage(), config_poll_s=0.1)
    assert until(lambda: len(svc.status()["devices"]) == 4, 5)
    assert [d["name"] for d in svc.status()["devices"]] == [
        "demo-1", "demo-2", "Demo-3", "demo-10"]


def test_a_storage_function_gives_each_start_a_new_storage(make: Factory,
                                                           fleet: FakeFleet) -> None:
    """Given a function instead of a storage, the service calls it at each start
    (the host chooses the storage again then) and writes only to the newest."""
    fleet.add(1)
    built: list[InMemoryStorage] = []

    def storage() -> InMemoryStorage:
        built.append(InMemoryStorage())
        return built[-1]

    svc = make(StaticDeviceSource([device(1)]), storage)
    assert len(built) == 1
    assert built[0].wait_for(lambda s: len(s.points(1, "iface.rx_bps")) >= 1, 5)
    assert svc.stop(10)
    written = len(built[0].points(1, "iface.rx_bps"))
    svc.start()
    assert len(built) == 2
    assert built[1].wait_for(lambda s: len(s.points(1, "iface.rx_bps")) >= 1, 5)
    assert len(built[0].points(1, "iface.rx_bps")) == written
