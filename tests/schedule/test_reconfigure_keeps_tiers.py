"""A configuration change keeps each tier's last run, duration and errors, and the
tiers that have run keep their schedule (docs/operations.md, "When tiers run"):
the collector that replaces a device's collector after an edit (host, credentials,
timeouts, intervals) takes them over, as the status document shows them."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from mikromon.collectors.base import CollectContext
from mikromon.domain.clock import ManualClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import DeviceError
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.schedule import trigger
from mikromon.schedule.device import DeviceCollector
from mikromon.schedule.service import CollectorService
from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource

from .fakes import FakeClient, FakeFleet, device, fake_deps, fake_run_tier
from .polling import dev_status, until
from .test_device_collector import RecordingQueue

#: What a tier's status keeps across an edit that leaves its interval alone.
KEPT = ("last_run", "duration_s", "runs", "errors", "failing", "last_error",
        "last_error_at", "bad_values", "next_due")


def intervals(**kw: float) -> Mapping[Tier, float]:
    values = {t: float(DEFAULT_INTERVALS[t]) for t in Tier}
    values.update({Tier(k): v for k, v in kw.items()})
    return MappingProxyType(values)


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def fleet() -> FakeFleet:
    return FakeFleet()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wall=datetime(2024, 1, 1, 12, tzinfo=UTC))


async def failing_long(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
    """The long tier reads but one of its collectors fails (a counted error)."""
    result = await fake_run_tier(client, tier, ctx)
    if tier is Tier.LONG:
        result.failures.append("/ip/route: no reply within 20 s")
    return result


def collector(fleet: FakeFleet, clock: ManualClock, cfg: DeviceConfig, *,
              run_tier: object = fake_run_tier, carry: object = None) -> DeviceCollector:
    deps = dataclasses.replace(fake_deps(fleet, clock=clock), run_tier=run_tier)  # type: ignore[arg-type]
    return DeviceCollector(cfg, deps, RecordingQueue(), loaded_at=clock.now(),
                           carry=carry)  # type: ignore[arg-type]


async def ran_every_tier(fleet: FakeFleet, clock: ManualClock, cfg: DeviceConfig,
                         run_tier: object = failing_long) -> DeviceCollector:
    coll = collector(fleet, clock, cfg, run_tier=run_tier)
    for tier in Tier:
        clock.advance(0.5)
        await coll.run_now(tier)
    return coll


@pytest.mark.parametrize("edit", [
    {"username": "monitor", "password": "s3cret-pw"},
    {"command_timeout": 30.0, "connect_timeout": 5.0},
    {"name": "renamed"},
    {"host": "127.0.0.2"},  # another address of the router: the device is kept
    {"intervals": intervals(realtime=10)},  # another tier's interval
])
async def test_an_edit_keeps_every_tiers_runs_errors_and_schedule(
    fleet: FakeFleet, clock: ManualClock, edit: dict[str, object]
) -> None:
    fleet.add(1)
    cfg = device(1)
    coll = await ran_every_tier(fleet, clock, cfg)
    clock.advance(20)
    before = coll.status()["tiers"]
    assert before["long"]["errors"] == 1
    assert before["long"]["last_error"]
    carry = await coll.stop()
    new = collector(fleet, clock, dataclasses.replace(cfg, **edit), carry=carry)  # type: ignore[arg-type]
    after = new.status()["tiers"]
    for tier in Tier:
        if tier is Tier.REALTIME and "intervals" in edit:
            continue
        for key in KEPT:
            assert after[tier.value][key] == before[tier.value][key], (tier, key)
    await new.stop()


async def test_a_pending_retry_is_kept_not_moved_to_the_next_tick(
    fleet: FakeFleet, clock: ManualClock
) -> None:
    """A long tier whose run failed retries within seconds; an edit keeps that
    retry instead of moving the tier to its next tick an hour later."""
    fleet.add(1)
    broken = {"long": True}

    async def runner(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
        if tier is Tier.LONG and broken["long"]:
            raise DeviceError("/ip/route: reply cut short", device=ctx.device)
        return await fake_run_tier(client, tier, ctx)

    cfg = device(1)
    coll = await ran_every_tier(fleet, clock, cfg, runner)
    long_before = coll.status()["tiers"]["long"]
    assert long_before["errors"] == 1
    retry_at = _iso(long_before["next_due"])
    assert retry_at - clock.now() < timedelta(seconds=60)
    carry = await coll.stop()
    new = collector(fleet, clock, dataclasses.replace(cfg, command_timeout=60.0), carry=carry)
    assert _iso(new.status()["tiers"]["long"]["next_due"]) == retry_at
    await new.stop()


@pytest.mark.parametrize(("old_s", "new_s", "edit_after_s"), [
    (3600, 600, 100),    # shorter: last run + 600 s
    (600, 3600, 100),    # longer: last run + 3600 s, not the old tick
    (3600, 1200, 2000),  # shorter and already past: at once
    (3600, 7200, 3000),  # longer after most of the old interval
])
async def test_a_changed_interval_counts_from_the_last_run(
    fleet: FakeFleet, clock: ManualClock, old_s: float, new_s: float, edit_after_s: float
) -> None:
    fleet.add(1)
    cfg = device(1, intervals=intervals(long=old_s))
    coll = await ran_every_tier(fleet, clock, cfg, fake_run_tier)
    last_run = _iso(coll.status()["tiers"]["long"]["last_run"])
    clock.advance(edit_after_s)
    carry = await coll.stop()
    new = collector(fleet, clock, dataclasses.replace(cfg, intervals=intervals(long=new_s)),
                    carry=carry)
    long = new.status()["tiers"]["long"]
    expected = max(last_run + timedelta(seconds=new_s), clock.now())
    assert abs(_iso(long["next_due"]) - expected) <= timedelta(seconds=1), long
    assert long["last_run"] == utc(last_run)
    assert long["runs"] == 1
    await new.stop()


def utc(value: datetime) -> str:
    from mikromon.domain.formatting import utc_iso

    return utc_iso(value)


def test_retimed_keeps_an_unchanged_schedule_as_it_is() -> None:
    sched = trigger.TierSchedule.starting(1000.0, 3600.0, trigger.Phase(0.25), 5.0)
    sched.completed(1002.0)
    sched.failed(1010.0, 1015.0)  # retry in 5 s
    same = sched.retimed(3600.0, 1012.0)
    assert (same.next_due, same.last_due, same.anchor, same.skipped) == (
        sched.next_due, sched.last_due, sched.anchor, sched.skipped)
    longer = sched.retimed(7200.0, 1012.0)
    assert longer.next_due == 1015.0  # the retry stays, it comes before last run + interval


# -- through the service and its status document -------------------------------------

SCALE = 0.005


@pytest.fixture
def service(fleet: FakeFleet) -> Iterator[tuple[CollectorService, StaticDeviceSource]]:
    fleet.add(1)
    deps = dataclasses.replace(fake_deps(fleet), run_tier=failing_long)
    source = StaticDeviceSource([device(1)])
    svc = CollectorService(source, InMemoryStorage(), None, deps=deps, time_scale=SCALE,
                           config_poll_s=0.05)
    svc.start()
    yield svc, source
    assert svc.stop(10)


def test_service_edit_keeps_tiers_in_the_status_document(
    service: tuple[CollectorService, StaticDeviceSource]
) -> None:
    """What the collector page reads after ``mikromon device edit`` or the web form:
    the long and extended tiers (18 s and 432 s at this scale) still show their
    last run, duration, errors and next run."""
    svc, source = service
    assert until(lambda: all((dev_status(svc, 1).get("tiers") or {}).get(t.value, {})
                             .get("runs") for t in Tier), 10)
    before = dev_status(svc, 1)
    source.update(device(1, username="monitor", command_timeout=0.8))
    assert until(lambda: dev_status(svc, 1).get("config_loaded_at")
                 != before["config_loaded_at"], 5)
    time.sleep(0.05)
    after = dev_status(svc, 1)
    for name in ("long", "extended"):
        was, now = before["tiers"][name], after["tiers"][name]
        for key in KEPT:
            if key != "next_due":
                assert now[key] == was[key], (name, key)
        # Shown in wall time from monotonic deadlines: the same within a clock read.
        moved = abs(_iso(now["next_due"]) - _iso(was["next_due"]))
        assert moved < timedelta(milliseconds=20), (name, was, now)
    assert after["tiers"]["long"]["errors"] >= 1
