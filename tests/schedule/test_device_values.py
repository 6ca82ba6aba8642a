"""A bad value, end to end: emulated router (real protocol) -> collectors ->
DeviceCollector -> events, log lines, status counters; and the tiers that used to
wait for the RouterOS version."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from mikromon.domain.clock import ManualClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, SampleItem, each_sample
from mikromon.domain.tiers import Tier
from mikromon.emulator.server import RouterEmulator
from mikromon.emulator.testing import async_emulators
from mikromon.schedule.deps import CollectorDeps
from mikromon.schedule.device import AFTER_FIRST_REALTIME, DeviceCollector

LOGGER = "mikromon.schedule"


class StorageQueue:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.samples: list[Sample] = []
        self.tables: list[InventorySnapshot] = []

    def put_samples(self, device_id: int, samples: Sequence[SampleItem]) -> None:
        self.samples.extend(each_sample(samples))

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        self.tables.append(snapshot)

    def put_events(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def put_status(self, status: DeviceStatus) -> None:
        return None

    def bad(self) -> list[str]:
        return [e.message for e in self.events if e.kind is EventKind.BAD_VALUE]


def collector(router: RouterEmulator, queue: StorageQueue) -> DeviceCollector:
    cfg = DeviceConfig(id=1, name="r1", host=router.host, port=router.port,
                       username=router.username, password=router.password,
                       connect_timeout=5.0, command_timeout=5.0)
    clock = ManualClock()
    return DeviceCollector(cfg, CollectorDeps(clock=clock), queue, loaded_at=clock.now())


def bad_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith(LOGGER) and r.levelno == logging.WARNING
            and "cpu-load" in r.getMessage()]


async def test_bad_value_reported_once_per_device_path_field_until_it_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with async_emulators(count=1, profile="v7") as (router,):
        queue = StorageQueue()
        coll = collector(router, queue)
        router.set_value("/system/resource", "cpu-load", "n/a")
        with caplog.at_level(logging.INFO, logger=LOGGER):
            for _ in range(3):
                await coll.run_now(Tier.REALTIME)
            assert len(queue.bad()) == 1
            assert "/system/resource" in queue.bad()[0]
            assert [e.path for e in queue.events if e.kind is EventKind.BAD_VALUE] == [
                "/system/resource"]
            assert "cpu-load" in queue.bad()[0]
            assert "'n/a'" in queue.bad()[0]
            assert len(bad_lines(caplog)) == 1
            assert "'n/a'" in bad_lines(caplog)[0]
            router.set_value("/system/resource", "cpu-load", "busy")
            await coll.run_now(Tier.REALTIME)
            await coll.run_now(Tier.REALTIME)
            assert len(queue.bad()) == 2
            assert "'busy'" in queue.bad()[1]
            assert len(bad_lines(caplog)) == 2
        status = coll.status()
        assert status["bad_values"] == 5
        assert status["tiers"]["realtime"]["bad_values"] == 5
        assert status["tiers"]["realtime"]["last_error"] == ""  # not a failed run
        keys = {s.key for s in queue.samples}
        assert "system.memory.total_bytes" in keys
        assert "system.cpu.load_pct" not in keys
        # a value that reads again, then breaks the same way, is reported again
        router.clear_values()
        await coll.run_now(Tier.REALTIME)
        router.set_value("/system/resource", "cpu-load", "busy")
        await coll.run_now(Tier.REALTIME)
        assert len(queue.bad()) == 3
        await coll.stop()


@pytest.mark.parametrize("version", [None, "garbage", "7.x (development)"])
async def test_unreadable_version_does_not_hold_the_other_tiers(version: str | None) -> None:
    async with async_emulators(count=1, profile="v6") as (router,):
        queue = StorageQueue()
        coll = collector(router, queue)
        router.set_value("/system/resource", "version", version)
        router.set_value("/system/resource", "cpu-load", "n/a")
        await coll.run_now(Tier.REALTIME)
        tiers = coll.status()["tiers"]
        assert {tiers[t.value]["blocked"] for t in Tier} == {""}
        for tier in Tier:
            await coll.run_now(tier)
        tiers = coll.status()["tiers"]
        assert all(tiers[t.value]["failing"] == 0 for t in Tier), tiers
        keys = {s.key for s in queue.samples}
        assert "bgp.established" in keys
        assert "system.memory.total_bytes" in keys
        assert any(k.startswith("system.health.") for k in keys)
        await coll.stop()


async def test_before_the_first_realtime_run_the_other_tiers_wait() -> None:
    async with async_emulators(count=1, profile="v7") as (router,):
        coll = collector(router, StorageQueue())
        tiers = coll.status()["tiers"]
        assert tiers["short"]["blocked"] == AFTER_FIRST_REALTIME
        await coll.stop()
