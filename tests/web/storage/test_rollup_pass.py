"""Rollups in slices (:class:`~mikromon.web.monitor.rollup_pass.RollupPass`): a
pass cut into many short transactions and resumed across calls gives the rows a
single run gives; a level's watermark moves only once every series has its
buckets; the storage's maintenance does a slice a call and goes on at the next
calls while sample writes go through in between."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from mikromon.web.monitor import maintenance, rollup_pass
from mikromon.web.monitor.models import Device, MetricPoint, MetricRollup, Series
from mikromon.web.monitor.rollup_pass import RollupPass
from mikromon.web.monitor.storage import DjangoStorage

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
HOURS = 3
NOW = T0 + HOURS * 3600 + maintenance.ROLLUP_GRACE
SERIES = 40


@pytest.fixture
def fleet(device: Device) -> list[Series]:
    """40 series with a sample a minute for 3 hours, random values."""
    rng = random.Random(7)
    series = [Series.objects.create(device=device, key=f"system.health.s{n}")
              for n in range(SERIES)]
    MetricPoint.objects.bulk_create(
        MetricPoint(series=s, ts=ts, value=round(rng.uniform(0, 100), 3))
        for s in series for ts in range(T0, T0 + HOURS * 3600, 60))
    return series


def _rollups() -> list[tuple[int, int, int, int, float, float, float, float]]:
    return list(MetricRollup.objects.order_by("series_id", "step", "ts").values_list(
        "series_id", "step", "ts", "count", "min", "max", "avg", "last"))


def test_a_pass_in_slices_gives_what_one_run_gives(fleet, monkeypatch) -> None:
    maintenance.update_rollups(NOW)
    whole = _rollups()
    assert len(whole) == SERIES * (HOURS * 12 + HOURS)  # 5-minute and hourly rows
    MetricRollup.objects.all().delete()
    from mikromon.web.monitor.models import MaintenanceState

    MaintenanceState.objects.filter(name__startswith="rollup_").delete()
    monkeypatch.setattr(rollup_pass, "FIRST_SLICE", 3)
    monkeypatch.setattr(rollup_pass, "SLICE_TARGET_S", 1e9)  # the slice never grows
    monkeypatch.setattr(rollup_pass, "MAX_SLICE", 3)
    rollups = RollupPass(NOW)
    calls = 0
    seen: set[int] = set()
    while not rollups.run(budget_s=0):  # one slice a call
        calls += 1
        if maintenance.rollup_watermark(300) is not None:
            # Final only once every series has every bucket of the window.
            assert MetricRollup.objects.filter(step=300).count() == SERIES * HOURS * 12
        else:
            seen.add(MetricRollup.objects.filter(step=300).count())
    assert calls >= 2 * SERIES // 3
    assert len(seen) > 5  # the level's rows came in slices before its watermark moved
    assert _rollups() == whole
    assert rollups.rows == len(whole)
    assert maintenance.rollup_watermark(300) == T0 + HOURS * 3600


def test_a_slow_slice_halves_the_next_and_a_quick_one_doubles_it(fleet, monkeypatch) -> None:
    monkeypatch.setattr(rollup_pass, "FIRST_SLICE", 8)
    monkeypatch.setattr(rollup_pass, "SLICE_TARGET_S", -1.0)  # every slice too slow
    rollups = RollupPass(NOW)
    rollups.run(budget_s=0)
    assert rollups._slice == 4
    monkeypatch.setattr(rollup_pass, "SLICE_TARGET_S", 1e9)  # every slice quick
    rollups.run(budget_s=0)
    assert rollups._slice == 8


def test_storage_maintenance_goes_on_across_calls_with_writes_between(
        fleet, monkeypatch) -> None:
    """With a slice a call, the storage's maintenance stays due until its pass is
    done; samples written between its calls are stored; the result is complete."""
    from mikromon.domain.samples import Sample
    from mikromon.web.monitor import storage as storage_module

    maintenance.update_rollups(NOW)
    whole = _rollups()
    MetricRollup.objects.all().delete()
    from mikromon.web.monitor.models import MaintenanceState

    MaintenanceState.objects.filter(name__startswith="rollup_").delete()
    monkeypatch.setattr(rollup_pass, "FIRST_SLICE", 4)
    monkeypatch.setattr(rollup_pass, "MAX_SLICE", 4)
    monkeypatch.setattr(storage_module, "MAINTENANCE_SLICE_S", 0.0)
    monkeypatch.setattr(maintenance, "RETENTION_SLICE", 4)
    clock = [float(NOW)]
    storage = DjangoStorage(clock=lambda: clock[0], defer_maintenance=True)
    device_id = fleet[0].device_id
    calls = after_rollups = 0
    while storage.maintain():
        calls += 1
        after_rollups += maintenance.rollup_watermark(86400) is not None
        clock[0] += 0.01
        late = datetime.fromtimestamp(NOW + calls, UTC)
        assert storage.write_samples(device_id, [Sample("system.cpu.load_pct", 5.0, late)]) == 1
        if calls > 1000:
            pytest.fail("the maintenance never finished")
    assert calls > 3 * SERIES // 4  # the rollups' slices, a level after the other
    assert after_rollups > 2 * SERIES // 4  # then the retention's, a slice a call
    assert [r for r in _rollups() if r[0] != Series.objects.get(key="system.cpu.load_pct").pk] \
        == whole
    assert not storage.maintenance_due()
    storage.close()


def test_compaction_waits_while_a_call_spent_its_time_on_rollups(fleet, monkeypatch) -> None:
    """A maintenance call whose rollups or retention spent its time leaves the
    compaction due (its own slice would double the writer's stall) for a later
    call; once the passes are done, compaction gets a call of its own."""
    from mikromon.web.monitor import compaction
    from mikromon.web.monitor import storage as storage_module

    monkeypatch.setattr(rollup_pass, "FIRST_SLICE", 4)
    monkeypatch.setattr(rollup_pass, "MAX_SLICE", 4)
    monkeypatch.setattr(storage_module, "MAINTENANCE_SLICE_S", 0.0)
    monkeypatch.setattr(compaction, "enabled", lambda: True)
    compacted: list[bool] = []
    real = compaction.compact

    def compact(*args, **kwargs):
        compacted.append(storage._rollups is None and storage._retention is None)
        return real(*args, **kwargs)

    monkeypatch.setattr(compaction, "compact", compact)
    storage = DjangoStorage(clock=lambda: float(NOW), defer_maintenance=True)
    calls = 0
    while storage.maintain():
        calls += 1
        if calls > 1000:
            pytest.fail("the maintenance never finished")
    storage.close()
    assert calls > SERIES // 4
    assert compacted == [True]  # once, in a call of its own


def test_retention_starts_in_a_call_of_its_own(fleet, monkeypatch) -> None:
    """The call that ends a rollup pass leaves the retention it starts to the next
    call, however much of its time is left (the first retention step's cost is
    unknown)."""
    from mikromon.web.monitor import storage as storage_module

    monkeypatch.setattr(storage_module, "MAINTENANCE_SLICE_S", 60.0)
    advanced: list[int] = []

    def steps(counts, now, *, using="default"):
        for n in range(3):
            advanced.append(n)
            yield

    monkeypatch.setattr(maintenance, "retention_steps", steps)
    storage = DjangoStorage(clock=lambda: float(NOW), defer_maintenance=True)
    assert storage.maintain()
    assert storage._rollups is None
    assert advanced == []
    assert storage.maintain()
    assert advanced == [0, 1, 2]
    storage.close()
