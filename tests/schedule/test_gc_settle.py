"""gc_settle: one full collection, then the objects alive move to the permanent
generation; once, after a delay, unless called off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mikromon.schedule import gc_settle


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as usual
    gc.set_threshold(*thresholds)


def test_freeze_now_collects_the_youngest_generation_less_often() -> None:
    older = gc.get_threshold()[1:]
    gc_settle.freeze_now()
    assert gc.get_threshold() == (gc_settle.YOUNG_THRESHOLD, *older)
    assert gc_settle.YOUNG_THRESHOLD > 700  # CPython's default


def test_cyclic_garbage_is_still_collected_past_the_threshold() -> None:
    gc_settle.freeze_now()
    gc.collect()
    before = gc.get_stats()[0]["collections"]
    for _ in range(gc_settle.YOUNG_THRESHOLD + 100):
        cycle: list[object] = []
        cycle.append(cycle)  # garbage only a collection frees
    assert gc.get_stats()[0]["collections"] > before


def test_freeze_now_moves_what_lives_out_of_collections() -> None:
    kept = [[i] for i in range(1000)]  # long-lived containers, tracked by the collector
    assert gc.get_freeze_count() == 0
    count = gc_settle.freeze_now()
    assert count >= len(kept)  # frozen objects still die by reference count: no ==
    assert gc.get_freeze_count() >= len(kept)
    assert all(gc.is_tracked(item) for item in kept)
    assert sum(gc.get_count()) < len(kept)  # none of them waits in a generation


def test_freeze_after_runs_once_after_the_delay() -> None:
    timer = gc_settle.freeze_after(0.0)
    timer.join(5)
    assert not timer.is_alive()
    assert timer.daemon
    assert timer.name == "mikromon-gc-settle"
    assert gc.get_freeze_count() > 0


def test_freeze_after_can_be_called_off() -> None:
    timer = gc_settle.freeze_after(60.0)
    timer.cancel()
    timer.join(5)
    assert gc.get_freeze_count() == 0


def test_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="-1"):
        gc_settle.freeze_after(-1.0)
