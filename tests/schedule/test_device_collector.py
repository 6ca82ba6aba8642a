"""DeviceCollector driven run by run (``run_now``) with fake routers and a hand-driven
clock: what is logged, which events are written, what survives a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.collectors.base import CollectContext
from mikromon.domain.clock import ManualClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import CommandTimeout
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.formatting import utc_iso
from mikromon.domain.inventory import CollectResult, InventorySnapshot
from mikromon.domain.samples import Sample, SampleItem, each_sample
from mikromon.domain.tiers import Tier
from mikromon.schedule import trigger
from mikromon.schedule.device import DeviceCollector, Remembered

from .fakes import PASSWORD, FakeClient, FakeFleet, device, fake_deps, fake_run_tier

LOGGER = "mikromon.schedule"


class RecordingQueue:
    """Keeps what a collector puts, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.statuses: list[DeviceStatus] = []
        self.samples: list[Sample] = []

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None:
        self.samples.extend(each_sample(samples))

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        return None

    def put_events(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def put_status(self, status: DeviceStatus) -> None:
        self.statuses.append(status)

    def kinds(self, kind: EventKind) -> list[Event]:
        return [e for e in self.events if e.kind is kind]


@pytest.fixture
def fleet() -> FakeFleet:
    return FakeFleet()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wall=datetime(2024, 1, 1, tzinfo=UTC))


def build(fleet: FakeFleet, clock: ManualClock, queue: RecordingQueue,
          cfg: DeviceConfig | None = None, **kw: object) -> DeviceCollector:
    extra = {k: kw.pop(k) for k in list(kw) if k in ("remembered",)}
    deps = dataclasses.replace(fake_deps(fleet, clock=clock), **kw)  # type: ignore[arg-type]
    return DeviceCollector(cfg or device(1), deps, queue, loaded_at=clock.now(),
                           **extra)  # type: ignore[arg-type]


def warnings_and_infos(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records
            if r.levelno >= logging.INFO and r.name.startswith(LOGGER)]


async def test_collector_failures_are_logged_when_they_start_change_and_end(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fleet.add(1)
    failures = {"now": ["interface: no such item (command /interface/print)"]}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        result = await fake_run_tier(client, tier, ctx)
        result.failures.extend(failures["now"])
        return result

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, run_tier=runner)
    await coll.run_now(Tier.REALTIME)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for _ in range(4):
            clock.advance(5)
            await coll.run_now(Tier.REALTIME)
        failures["now"] = ["interface: timed out (command /interface/print)",
                           "health: CommandFailed: bad"]
        for _ in range(3):
            clock.advance(5)
            await coll.run_now(Tier.REALTIME)
        failures["now"] = ["health: CommandFailed: bad"]
        for _ in range(3):
            clock.advance(5)
            await coll.run_now(Tier.REALTIME)
        failures["now"] = []
        for _ in range(3):
            clock.advance(5)
            await coll.run_now(Tier.REALTIME)
    logged = warnings_and_infos(caplog)
    assert logged == [
        # the failure seen before caplog.clear() is not logged again
        (logging.WARNING, "device r1: realtime tier: interface failed: timed out "
                          "(command /interface/print)"),
        (logging.WARNING, "device r1: realtime tier: health failed: CommandFailed: bad"),
        (logging.INFO, "device r1: realtime tier: interface works again"),
        (logging.INFO, "device r1: realtime tier: health works again"),
    ]
    # Every counted error keeps its text (with its time) after the tier recovered.
    realtime = coll.status()["tiers"]["realtime"]
    assert realtime["last_error"] == "health: CommandFailed: bad"
    assert realtime["errors"] == 11
    assert realtime["failing"] == 0
    assert realtime["last_error_at"] == "2024-01-01T00:00:50Z"


async def test_first_collector_failure_is_a_warning(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    fleet.add(1)

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        result = await fake_run_tier(client, tier, ctx)
        result.failures.append("interface: boom")
        return result

    coll = build(fleet, clock, RecordingQueue(), run_tier=runner)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(5):
            await coll.run_now(Tier.REALTIME)
            clock.advance(5)
    assert [m for lvl, m in warnings_and_infos(caplog) if lvl >= logging.WARNING] == [
        "device r1: realtime tier: interface failed: boom"]


async def test_absent_path_is_announced_once_across_collector_restarts(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    router = fleet.add(1)
    remembered = Remembered()
    queue = RecordingQueue()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(3):  # three collectors of the device, one after the other
            coll = build(fleet, clock, queue, remembered=remembered)
            await coll.run_now(Tier.REALTIME)
            await coll.run_now(Tier.SHORT)
            await coll.stop()
            clock.advance(10)
    # the event tells it; the log does not, line by line for each router of a fleet
    assert [m for _, m in warnings_and_infos(caplog) if "not on this router" in m] == []
    assert [e.message for e in queue.kinds(EventKind.PATH_ABSENT)] == [
        "/ip/hotspot/active is not on this router (RouterOS 7.16.2 (stable)); skipped, "
        "and reported again only if its RouterOS version changes"]
    assert [e.path for e in queue.kinds(EventKind.PATH_ABSENT)] == ["/ip/hotspot/active"]
    # A new RouterOS version (here installed while no collector watched) forgets
    # what was announced: the path is news again.
    router.version = "7.17 (stable)"
    coll = build(fleet, clock, queue, remembered=remembered)
    await coll.run_now(Tier.REALTIME)
    await coll.run_now(Tier.SHORT)
    await coll.stop()
    assert len(queue.kinds(EventKind.PATH_ABSENT)) == 2


async def test_refused_login_wait_survives_a_restart_and_up_is_an_event(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    router = fleet.add(1)
    remembered = Remembered()
    queue = RecordingQueue()
    wrong = device(1, password="wrong-pw-123")
    coll = build(fleet, clock, queue, wrong, remembered=remembered)
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.AUTH_FAILED
    await coll.stop()
    clock.advance(60)
    # The same configuration, a new collector (e.g. the service was stopped and
    # started): it still waits out the 900 s and says so.
    coll = build(fleet, clock, queue, wrong, remembered=remembered)
    for tier in Tier:
        await coll.run_now(tier)
    assert (router.connects, router.logins_refused) == (1, 1)
    status = coll.status()
    assert status["state"] == "auth_failed"
    assert 800 < float(status["retry_in_s"]) <= 840
    await coll.stop()
    assert len(queue.kinds(EventKind.AUTH_FAILED)) == 1
    # A new password is a new configuration: tried at once; the change to up is an event.
    coll = build(fleet, clock, queue, device(1), remembered=remembered)
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.UP
    assert router.connects == 2
    assert len(queue.kinds(EventKind.DEVICE_UP)) == 1
    assert queue.statuses[-1].state is DeviceState.UP
    await coll.stop()


async def test_refused_login_is_tried_again_after_the_wait(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    router = fleet.add(1, password="other")
    remembered = Remembered()
    queue = RecordingQueue()
    coll = build(fleet, clock, queue, remembered=remembered)
    await coll.run_now(Tier.REALTIME)
    await coll.stop()
    coll = build(fleet, clock, queue, remembered=remembered)
    clock.advance(901)
    router.password = PASSWORD  # fixed on the router's side
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.UP
    assert len(queue.kinds(EventKind.DEVICE_UP)) == 1
    await coll.stop()


async def test_a_closed_session_is_never_handed_to_the_next_tier(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    router = fleet.add(1)
    coll = build(fleet, clock, RecordingQueue())
    await coll.run_now(Tier.REALTIME)
    (first,) = [c for c in [coll._client] if c is not None]
    first.closed = True  # what the real client does to itself after a command timeout
    await coll.run_now(Tier.SHORT)
    assert router.connects == 2
    assert coll.status()["tiers"]["short"]["errors"] == 0
    await coll.stop()


async def test_a_tier_waiting_on_a_session_another_tier_lost_reconnects(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The short tier holds the session while the realtime tier times out on it
    (and closes it): the short tier gets a new session, not a failure."""
    router = fleet.add(1)
    waiting, go = asyncio.Event(), asyncio.Event()
    sessions: list[FakeClient] = []

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if client not in sessions:
            sessions.append(client)
        if client is sessions[0] and tier is Tier.SHORT:
            waiting.set()
            await go.wait()
        if client is sessions[0] and tier is Tier.MEDIUM:
            client.closed = True
            raise CommandTimeout("no complete reply within 0.5 s", device=ctx.device,
                                 command="/interface/print")
        return await fake_run_tier(client, tier, ctx)

    coll = build(fleet, clock, RecordingQueue(), run_tier=runner)
    await coll.run_now(Tier.REALTIME)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        short = asyncio.create_task(coll.run_now(Tier.SHORT))
        await waiting.wait()
        await coll.run_now(Tier.MEDIUM)
        go.set()
        await short
    tiers = coll.status()["tiers"]
    assert tiers["short"]["errors"] == 0
    assert tiers["short"]["runs"] == 1
    assert tiers["medium"]["errors"] == 1
    assert coll.state is DeviceState.UP
    assert router.connects == 2  # the medium tier's failure reconnected once, for both
    assert [m for lvl, m in warnings_and_infos(caplog) if lvl >= logging.WARNING] == [
        "device r1: medium tier failed: no complete reply within 0.5 s "
        "(command /interface/print)"]
    await coll.stop()


async def test_outage_is_measured_from_the_first_failed_poll(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    router = fleet.add(1)
    queue = RecordingQueue()
    coll = build(fleet, clock, queue)
    for tier in Tier:
        await coll.run_now(tier)
    clock.advance(5)
    router.up = False  # the session breaks and new ones are refused
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(10):  # 25 s of polls of every tier, all failing
            for tier in Tier:
                await coll.run_now(tier)
            clock.advance(2.5)
        router.up = True
        clock.advance(300)  # past any backoff
        await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.UP
    (up,) = queue.kinds(EventKind.DEVICE_UP)
    assert up.message == "device reachable again after 325.0 s"
    (down,) = queue.kinds(EventKind.DEVICE_DOWN)
    assert down.message == "device unreachable: connection refused"
    logged = warnings_and_infos(caplog)
    # One line when it goes down (not one per tier), one when it is back; the
    # device is named once.
    assert [m.split(" (next")[0] for _, m in logged] == [
        "device r1: down: connection refused", "device r1: up again after 325.0 s"]
    assert all("(device r1" not in m for _, m in logged)
    await coll.stop()


async def test_refused_login_status_text(fleet: FakeFleet, clock: ManualClock,
                                         caplog: pytest.LogCaptureFixture) -> None:
    fleet.add(1)
    queue = RecordingQueue()
    coll = build(fleet, clock, queue, device(1, password="nope-123"))
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for tier in Tier:
            await coll.run_now(tier)
    reason = "invalid user name or password"
    assert queue.statuses[-1].last_error == f"login refused: {reason}"
    assert queue.kinds(EventKind.AUTH_FAILED)[0].message == f"login refused: {reason}"
    logged = [m for _, m in warnings_and_infos(caplog)]
    assert len(logged) == 1
    assert logged[0].startswith(f"device r1: login refused: {reason};")
    assert coll.status()["last_error"] in ("", f"login refused: {reason}")
    await coll.stop()


async def test_other_tiers_wait_for_a_completed_realtime_run_not_for_the_version(
    fleet: FakeFleet,
) -> None:
    """Until a realtime run completes no other tier runs; one that completes
    without reading the version (/system/resource unreadable) releases them: the
    collectors go by the replies, and no tier waits forever for a fact."""
    fleet.add(1, version="6.49.10 (long-term)")
    realtime = {"runs": 0}
    calls: list[tuple[Tier, int, int]] = []
    others_ran = asyncio.Event()

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if tier is Tier.REALTIME:
            realtime["runs"] += 1
            if realtime["runs"] <= 2:  # the whole tier fails
                raise RuntimeError("collector bug")
            result = await fake_run_tier(client, tier, ctx)
            result.facts = None  # /system/resource fails, the tier goes on
            result.failures.append("system_resource: CommandFailed: busy")
            return result
        calls.append((tier, realtime["runs"], ctx.major))
        others_ran.set()
        return await fake_run_tier(client, tier, ctx)

    deps = dataclasses.replace(fake_deps(fleet, time_scale=0.002), run_tier=runner)
    coll = DeviceCollector(device(1), deps, RecordingQueue(), loaded_at=ManualClock().now())
    coll.start()
    try:
        async with asyncio.timeout(10):
            await others_ran.wait()
    finally:
        await coll.stop()
    assert calls
    # after the first completed run; the version unknown (major 7 by default)
    assert all(runs_before >= 3 and major == 7 for _, runs_before, major in calls), calls


async def test_silent_realtime_command_marks_the_device_down_at_once(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Realtime replies are tiny: a realtime command unanswered for max(interval,
    REPLY_FLOOR_S) means a dead router, not a reason to wait for a reconnect
    (10 s more against a router that accepts TCP but never answers)."""
    router = fleet.add(1)
    silent = {"now": False}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if silent["now"] and tier is Tier.REALTIME:
            clock.advance(5)  # the command waited its whole limit
            client.closed = True
            raise CommandTimeout("no complete reply within 5 s", device=ctx.device,
                                 command="/system/resource/print", waited_s=5.0)
        return await fake_run_tier(client, tier, ctx)

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, device(1, command_timeout=20.0, connect_timeout=10.0),
                 run_tier=runner)
    for tier in Tier:
        await coll.run_now(tier)
    client = coll._client
    assert client is not None
    # realtime: max(5 s interval, 3 s floor); the others the device's 20 s.
    assert {t: s["timeout_s"] for t, s in coll.status()["tiers"].items()} == {
        "realtime": 5.0, "short": 20.0, "medium": 20.0, "long": 20.0, "extended": 20.0}
    assert client.limits == [5.0, 20.0, 20.0, 20.0, 20.0]
    clock.advance(2)
    silent_since = clock.now()
    silent["now"] = True
    router.up = False  # a silent router does not take a new session either
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.DOWN
    assert router.connects == 2  # one probe for a new session, then down
    text = ("silent since 2024-01-01T00:00:02Z: no reply to /system/resource/print "
            "within 5 s")
    assert silent_since.isoformat().startswith("2024-01-01T00:00:02")
    (down,) = queue.kinds(EventKind.DEVICE_DOWN)
    assert down.message == f"device unreachable: {text}"
    assert queue.statuses[-1].last_error == text
    status = coll.status()
    assert status["last_error"] == text
    assert status["tiers"]["realtime"]["last_error"] == text
    assert status["tiers"]["realtime"]["errors"] == 1
    assert [m.split(" (next")[0] for _, m in warnings_and_infos(caplog)] == [
        f"device r1: down: {text}"]
    # The outage is counted from the silence, not from the timeout.
    silent["now"] = False
    router.up = True
    clock.advance(10)
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.UP
    assert queue.kinds(EventKind.DEVICE_UP)[0].message == "device reachable again after 15.0 s"
    await coll.stop()


async def test_silent_since_is_when_the_command_was_sent_not_after_the_probe(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """The probe for a new session takes up to the connect timeout: the down event's
    "silent since" and the outage are still counted from the unanswered command."""
    fleet.add(1)
    silent = {"now": False}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if silent["now"] and tier is Tier.REALTIME:
            clock.advance(5)
            raise CommandTimeout("no complete reply within 5 s", device=ctx.device,
                                 command="/system/resource/print", waited_s=5.0)
        return await fake_run_tier(client, tier, ctx)

    async def connect(config: DeviceConfig) -> FakeClient:
        if silent["now"]:
            clock.advance(11)  # the new session's whole limit passes unanswered
            raise TimeoutError
        return await fleet.connect(config)

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, device(1, connect_timeout=10.0), run_tier=runner,
                 connect=connect)
    await coll.run_now(Tier.REALTIME)
    clock.advance(2)
    silent["now"] = True
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.DOWN
    (down,) = queue.kinds(EventKind.DEVICE_DOWN)
    assert "silent since 2024-01-01T00:00:02Z: no reply to /system/resource/print" in (
        down.message)
    silent["now"] = False
    clock.advance(10)
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.UP
    # 5 s unanswered, 11 s of probe, 10 s more: 26 s since the command was sent
    assert queue.kinds(EventKind.DEVICE_UP)[0].message == "device reachable again after 26.0 s"
    await coll.stop()


async def test_slow_realtime_reply_from_a_router_that_takes_logins_is_not_down(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A busy router (a BRAS with thousands of PPPoE interfaces, a CPU at 100 %) may
    need longer than the realtime limit for /interface/print. If it opens a new
    session within the connect timeout it is alive: the run fails, the device is
    slow (not down), and its realtime commands get the device's whole
    command_timeout until a realtime run takes no longer than the normal limit
    (no flapping down and up on every poll)."""
    router = fleet.add(1)
    slow = {"now": False}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if slow["now"] and tier is Tier.REALTIME and client.limits[-1] < 20.0:
            client.closed = True
            raise CommandTimeout("no complete reply within 5 s", device=ctx.device,
                                 command="/interface/print", waited_s=5.0)
        return await fake_run_tier(client, tier, ctx)

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, device(1, command_timeout=20.0, connect_timeout=10.0),
                 run_tier=runner)
    for tier in Tier:
        await coll.run_now(tier)
    slow["now"] = True
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.SLOW
    assert queue.statuses[-1].state is DeviceState.SLOW
    assert router.connects == 2  # the probe's session is the new session
    assert queue.kinds(EventKind.DEVICE_DOWN) == []
    status = coll.status()
    assert status["tiers"]["realtime"]["errors"] == 1
    assert "no reply to /interface/print within 5 s" in status["tiers"]["realtime"]["last_error"]
    assert status["tiers"]["realtime"]["timeout_s"] == 20.0
    assert any("realtime commands now get 20 s" in m for _, m in warnings_and_infos(caplog))
    clock.advance(5)
    await coll.run_now(Tier.REALTIME)  # answered at once: not slow any more
    assert coll.state is DeviceState.UP
    assert coll.status()["tiers"]["realtime"]["errors"] == 1
    assert coll.status()["tiers"]["realtime"]["timeout_s"] == 5.0
    await coll.stop()


async def test_a_slow_routers_long_tier_is_bounded_by_its_commands_not_the_run_limit(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """On a slow router a tier of many commands, each within its limit, finishes
    even when their sum passes the run limit sized for a fast router
    (connect_timeout + 5 x command limit); the session is not dropped."""
    router = fleet.add(1)
    slow = {"now": False}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if slow["now"] and tier is Tier.REALTIME and client.limits[-1] < 0.2:
            client.closed = True
            raise CommandTimeout("no complete reply within 0.1 s", device=ctx.device,
                                 command="/interface/print", waited_s=0.1)
        if tier is Tier.SHORT:
            for _ in range(12):  # 12 x 15 ms > 0.05 + 5 x 0.02 s
                await asyncio.sleep(0.015)
                await client.print("/system/resource", ["uptime"])
        return await fake_run_tier(client, tier, ctx)

    coll = build(fleet, clock, RecordingQueue(),
                 device(1, connect_timeout=0.05, command_timeout=0.02), run_tier=runner)
    await coll.run_now(Tier.REALTIME)
    slow["now"] = True
    await coll.run_now(Tier.REALTIME)
    assert coll.state is DeviceState.SLOW
    connects = router.connects
    await coll.run_now(Tier.SHORT)
    short = coll.status()["tiers"]["short"]
    assert (short["runs"], short["errors"]) == (1, 0), short
    assert router.connects == connects
    await coll.stop()


async def test_a_long_tier_timeout_is_not_a_dead_router(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """A long-tier command may read 100k routes: its timeout reconnects (the
    connection is unusable) and fails that tier only; the device stays up."""
    router = fleet.add(1)

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if tier is Tier.LONG and router.connects == 1:
            client.closed = True
            raise CommandTimeout("no complete reply within 20 s", device=ctx.device,
                                 command="/ip/route/print", waited_s=20.0)
        return await fake_run_tier(client, tier, ctx)

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, run_tier=runner)
    await coll.run_now(Tier.REALTIME)
    await coll.run_now(Tier.LONG)
    assert coll.state is DeviceState.UP
    assert router.connects == 2
    assert coll.status()["tiers"]["long"]["errors"] == 1
    await coll.run_now(Tier.REALTIME)
    assert coll.status()["tiers"]["realtime"]["errors"] == 0
    assert not queue.kinds(EventKind.DEVICE_DOWN)
    await coll.stop()


async def test_a_running_tier_says_since_when_instead_of_a_past_due_time(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    fleet.add(1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if tier is Tier.REALTIME:
            entered.set()
            await release.wait()
        return await fake_run_tier(client, tier, ctx)

    coll = build(fleet, clock, RecordingQueue(), run_tier=runner)
    run = asyncio.create_task(coll.run_now(Tier.REALTIME))
    await entered.wait()
    started = utc_iso(clock.now())
    clock.advance(7)
    realtime = coll.status()["tiers"]["realtime"]
    assert realtime["running_since"] == started
    assert realtime["next_due"] is None
    release.set()
    await run
    realtime = coll.status()["tiers"]["realtime"]
    assert realtime["running_since"] is None
    assert realtime["next_due"] > utc_iso(clock.now())
    await coll.stop()


async def test_a_refused_login_shows_on_every_tier_and_the_device_alike(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """What keeps the tiers from running is said once per tier, the same on every
    tier; a tier's error count counts only its runs that failed (each with text)."""
    fleet.add(1)
    coll = build(fleet, clock, RecordingQueue(), device(1, password="nope-123"))
    for _ in range(3):
        for tier in Tier:
            await coll.run_now(tier)
        clock.advance(5)
    status = coll.status()
    reason = "login refused: invalid user name or password"
    assert status["last_error"] == reason
    assert status["connect_failures"] == 1
    for name, tier in status["tiers"].items():
        assert (name, tier["blocked"], tier["errors"], tier["last_error"]) == (
            name, reason, 0, "")
    await coll.stop()


async def test_an_unreachable_router_shows_on_every_tier_alike(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    router = fleet.add(1)
    coll = build(fleet, clock, RecordingQueue())
    for tier in Tier:
        await coll.run_now(tier)
    router.up = False
    for _ in range(4):
        for tier in Tier:
            await coll.run_now(tier)
        clock.advance(20)
    status = coll.status()
    assert status["state"] == "down"
    assert status["last_error"] == "connection refused"
    blocked = {tier["blocked"] for tier in status["tiers"].values()}
    assert blocked == {"connection refused"}
    for tier in status["tiers"].values():
        assert bool(tier["errors"]) == bool(tier["last_error"])
    router.up = True
    clock.advance(600)
    await coll.run_now(Tier.REALTIME)
    assert {tier["blocked"] for tier in coll.status()["tiers"].values()} == {""}
    await coll.stop()


async def test_a_router_down_from_the_start_shows_the_next_attempt_on_every_tier(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """A router refusing connections: no tier shows a next-due time in the past;
    each is due no sooner than the reconnect attempt (retry_in_s); no blocked text
    starts with 'waiting' (pages put 'waiting:' before it)."""
    router = fleet.add(1)
    router.up = False
    coll = build(fleet, clock, RecordingQueue())
    for tier in Tier:
        await coll.run_now(tier)
    clock.advance(2)
    status = coll.status()
    retry_at = utc_iso(clock.now() + timedelta(seconds=float(status["retry_in_s"])))
    assert float(status["retry_in_s"]) > 0
    for name, tier in status["tiers"].items():
        assert tier["next_due"] >= retry_at, (name, tier["next_due"], retry_at)
        assert tier["blocked"] == "connection refused", name
    await coll.stop()


async def test_before_the_first_realtime_run_other_tiers_say_they_come_after_it(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    fleet.add(1)
    coll = build(fleet, clock, RecordingQueue())
    clock.advance(30)
    status = coll.status()
    now = utc_iso(clock.now())
    for name, tier in status["tiers"].items():
        if name == "realtime":
            assert tier["blocked"] == ""
            continue
        assert tier["blocked"] == "after the first realtime run (RouterOS version)"
        assert tier["next_due"] >= now, name
    await coll.stop()


async def test_a_restart_by_a_configuration_change_runs_never_run_tiers_at_once(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """The long and extended tiers of a router that was down until the edit are due
    at once on the new collector (not at their next tick hours later); a tier that
    ran keeps its grid."""
    router = fleet.add(1)
    router.up = False
    queue = RecordingQueue()
    coll = build(fleet, clock, queue)
    for tier in Tier:
        await coll.run_now(tier)
    clock.advance(15)
    router.up = True
    await coll.run_now(Tier.REALTIME)
    await coll.run_now(Tier.SHORT)
    realtime_due = coll.status()["tiers"]["realtime"]["next_due"]
    carry = await coll.stop()
    clock.advance(1)
    edited = dataclasses.replace(device(1), name="renamed")
    coll = DeviceCollector(edited, fake_deps(fleet, clock=clock), queue,
                           loaded_at=clock.now(), carry=carry)
    status = coll.status()
    now = utc_iso(clock.now())
    for name in ("medium", "long", "extended"):
        assert status["tiers"][name]["next_due"] <= now, (name, status["tiers"][name])
    assert status["tiers"]["realtime"]["next_due"] in (realtime_due, now)
    await coll.stop()


async def test_tls_settings_mismatch_names_the_fix_not_an_outage(
    fleet: FakeFleet, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A router without a certificate polled with a certificate-checking TLS mode:
    the device's error and event name the cause and the setting, not 'unreachable'."""
    from mikromon.domain.errors import TlsSetupFailed

    fleet.add(1)
    text = ("TLS handshake refused (connection reset during the handshake): the "
            "router's API-SSL service probably has no certificate; set the device's "
            "TLS mode to anonymous-dh")

    async def refuse_tls(config: DeviceConfig) -> FakeClient:
        raise TlsSetupFailed(text, device=config.label, cause="no-certificate")

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, connect=refuse_tls)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        await coll.run_now(Tier.REALTIME)
    (event,) = queue.kinds(EventKind.DEVICE_DOWN)
    assert event.message == f"API-SSL settings do not match the router: {text}"
    assert "unreachable" not in event.message
    assert queue.statuses[-1].last_error == text
    assert any("API-SSL settings do not match" in m for _, m in warnings_and_infos(caplog))


async def test_reply_too_large_drops_the_session_and_shows_path_and_limit(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    from mikromon.domain.errors import ReplyTooLarge

    router = fleet.add(1)
    err = ReplyTooLarge("reply has more than its limit of 50000 rows; connection closed",
                        device="r1", command="/interface/print", limit=50_000)

    async def too_large(client: object, tier: Tier, ctx: CollectContext) -> CollectResult:
        raise err

    queue = RecordingQueue()
    coll = build(fleet, clock, queue, run_tier=too_large)
    await coll.run_now(Tier.REALTIME)
    status = coll.status()["tiers"]["realtime"]
    assert "50000 rows" in status["last_error"]
    assert "/interface/print" in status["last_error"]
    assert router.connects == 2  # the session was dropped and a new one opened


async def test_devices_of_one_phase_slot_wait_for_the_same_instant(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """Three devices whose phases share a slot, their collectors started seconds
    apart, wait for their realtime runs until the very same instant (one wake-up
    of the event loop), run after run."""
    by_slot: dict[float, list[int]] = {}
    for i in range(1, 1000):
        by_slot.setdefault(trigger.device_phase(i, 1.0).offset(5.0), []).append(i)
    ids = next(ids for ids in by_slot.values() if len(ids) >= 3)[:3]
    colls = []
    for i in ids:
        fleet.add(i)
        coll = build(fleet, clock, RecordingQueue(), device(i))
        coll.start()
        colls.append(coll)
        clock.advance(1.37)  # the next collector starts later

    async def settle() -> None:
        """Let the runs the clock let through end: every tier loop waits again."""
        for _ in range(2000):
            if len(clock.sleeping()) == len(ids) * len(Tier):
                return
            await asyncio.sleep(0)

    await settle()
    dues = []
    for _ in range(60):  # 30 s: past every device's first runs
        clock.advance(0.5)
        await settle()
    for _ in range(3):
        carried = [coll._tiers.schedules[Tier.REALTIME] for coll in colls]
        due = carried[0].next_due
        assert [s.next_due for s in carried] == [due] * 3  # equal, not close
        assert clock.sleeping().count(due) == 3
        dues.append(due)
        clock.advance(due - clock.monotonic())
        await settle()
    assert dues[1] - dues[0] == pytest.approx(5.0)
    assert all(coll._tiers.stats[Tier.REALTIME].runs >= 6 for coll in colls)
    for coll in colls:
        await coll.stop()
