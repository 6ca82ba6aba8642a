"""Deadline arithmetic: anchored ticks, phase spread on a grid of phase slots,
overrun skips, retries, backoff and the time scale. Pure: numbers in, numbers out."""

from __future__ import annotations

import collections
import itertools
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikromon.domain.clock import ManualClock
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier
from mikromon.schedule import trigger
from mikromon.schedule.trigger import Backoff, Phase, TierSchedule, backoff_delay


class TestTimeScale:
    def test_the_arithmetic_reads_no_environment(self) -> None:
        """The time scale is passed in (mikromon.config reads the variable)."""
        assert not hasattr(trigger, "time_scale")
        assert "environ" not in Path(trigger.__file__).read_text(encoding="utf-8")

    def test_scales_intervals_without_lowering_what_users_see(self) -> None:
        intervals = {Tier.REALTIME: 5, Tier.SHORT: 10}  # short below its minimum of 30
        assert trigger.configured_interval(Tier.REALTIME, intervals) == 5
        assert trigger.configured_interval(Tier.SHORT, intervals) == MINIMUM_INTERVALS[Tier.SHORT]
        assert trigger.configured_interval(Tier.LONG, intervals) == DEFAULT_INTERVALS[Tier.LONG]
        assert trigger.effective_interval(Tier.REALTIME, intervals, 0.01) == pytest.approx(0.05)
        assert trigger.effective_interval(Tier.SHORT, intervals, 0.01) == pytest.approx(0.3)


class TestPhase:
    def test_is_deterministic_and_in_range(self) -> None:
        assert trigger.phase_fraction(42) == trigger.phase_fraction(42)
        assert all(0 <= trigger.phase_fraction(i) < 1 for i in range(1000))

    def test_spreads_a_thousand_devices(self) -> None:
        """1,000 devices started together get 1,000 distinct first-run times spread
        over the window: no bucket of a tenth of it holds more than 15 %."""
        firsts = [TierSchedule.starting(0.0, 5.0, trigger.device_phase(i, 1.0), 5.0).next_due
                  for i in range(1, 1001)]
        assert len(set(firsts)) == 1000
        assert min(firsts) >= 0
        assert max(firsts) < 5.0
        buckets = [0] * 10
        for f in firsts:
            buckets[int(f / 0.5)] += 1
        assert max(buckets) < 150
        # No two devices within the same millisecond more than a few times.
        ms = [int(f * 1000) for f in firsts]
        assert len(ms) - len(set(ms)) < 150

    def test_first_runs_come_within_the_start_window(self) -> None:
        """Every tier runs once soon after the collector starts, even the daily one."""
        intervals = {t: float(DEFAULT_INTERVALS[t]) for t in Tier}
        schedules = trigger.initial_schedules(intervals, 1000.0, Phase(0.999),
                                               trigger.START_SPREAD_S)
        for tier, sched in schedules.items():
            assert 1000.0 <= sched.next_due < 1005.0, tier
            assert sched.interval == intervals[tier]

    def test_later_runs_spread_over_the_whole_interval(self) -> None:
        """After the first run, 1,000 devices' medium (300 s) runs are spread over
        the 300 s, not bunched in the 5 s start window."""
        seconds = set()
        for i in range(1, 1001):
            sched = TierSchedule.starting(0.0, 300.0, trigger.device_phase(i, 1.0), 5.0)
            sched.completed(sched.next_due + 0.1)
            seconds.add(int(sched.next_due) % 300)
        assert len(seconds) > 250

    def test_second_run_is_not_right_after_the_first(self) -> None:
        """After the off-grid first run, a phase tick less than half an interval away
        is passed over: a heavy tier does not read the router twice within seconds."""
        sched = TierSchedule.starting(0.0, 300.0, Phase(0.01), 5.0)  # first at 0.05, tick at 3.0
        assert sched.next_due == pytest.approx(0.05)
        assert sched.completed(0.2) == 0
        assert sched.next_due == pytest.approx(303.0)
        sched = TierSchedule.starting(0.0, 300.0, Phase(0.9), 5.0)  # first at 4.5, tick at 270
        sched.completed(4.6)
        assert sched.next_due == pytest.approx(270.0)

    @pytest.mark.parametrize("interval", [5.0, 60.0, 300.0, 3600.0, 86400.0])
    def test_gaps_between_runs(self, interval: float) -> None:
        """Whatever the phase, the first gap (off-grid first run to the phase tick) is
        0.5 to 1.5 intervals, and every later gap of runs that keep to time is
        exactly one interval."""
        for i in range(1, 300):
            sched = TierSchedule.starting(0.0, interval, trigger.device_phase(i, 1.0), 5.0)
            last = sched.next_due
            sched.completed(last + 0.01)
            assert interval / 2 <= sched.next_due - last <= 1.5 * interval + 1e-9, (i, last)
            last = sched.next_due
            for _ in range(3):
                sched.completed(last + 0.01)
                assert sched.next_due - last == pytest.approx(interval), (i, last)
                last = sched.next_due


class TestSlots:
    """The ticks of every device sit on one grid of phase slots (PHASE_SLOT_S),
    anchored at the origin of the monotonic clock: devices of one slot are due at
    the very same instant, wherever their collectors started."""

    @staticmethod
    def one_slot(count: int, interval: float = 5.0) -> list[int]:
        """Return ``count`` device ids whose phases fall in one slot of ``interval``."""
        slots: dict[float, list[int]] = {}
        for i in range(1, 10_000):
            ids = slots.setdefault(trigger.device_phase(i, 1.0).offset(interval), [])
            ids.append(i)
            if len(ids) == count:
                return ids
        raise AssertionError("no slot holds that many ids")

    @staticmethod
    def runs(sched: TierSchedule, count: int) -> list[float]:
        """Complete ``count`` runs 10 ms after each is due; return their due times."""
        dues = []
        for _ in range(count):
            dues.append(sched.next_due)
            sched.completed(sched.next_due + 0.01)
        return dues

    @pytest.mark.parametrize("interval", [5.0, 60.0, 300.0])
    def test_devices_of_one_slot_started_apart_are_due_together(
        self, interval: float
    ) -> None:
        """Three devices of one slot, their collectors started 3.7 s and 1234.56 s
        apart, have exactly equal due times once past their first runs."""
        ids = self.one_slot(3, interval)
        starts = [1000.0, 1003.7, 2234.56]
        scheds = [TierSchedule.starting(start, interval, trigger.device_phase(i, 1.0), 5.0)
                  for i, start in zip(ids, starts, strict=True)]
        for sched in scheds:
            while sched.next_due < 2240.0:
                sched.completed(sched.next_due + 0.01)
        dues = [self.runs(sched, 5) for sched in scheds]
        assert dues[0] == dues[1] == dues[2]  # equal floats, not merely close
        assert dues[0][1] - dues[0][0] == pytest.approx(interval)

    def test_devices_of_other_slots_are_a_slot_apart(self) -> None:
        """Devices of different slots are not due together: whole slots apart."""
        phases = sorted({trigger.device_phase(i, 1.0).offset(5.0) for i in range(1, 50)})
        assert len(phases) > 30
        for a, b in itertools.pairwise(phases):
            gap = (b - a) / trigger.PHASE_SLOT_S
            assert gap == pytest.approx(round(gap))
            assert round(gap) >= 1

    def test_a_thousand_devices_spread_evenly_over_the_slots(self) -> None:
        """1,000 devices' realtime (5 s) ticks fill all 100 slots, about 10 a slot,
        as evenly as their unrounded phases fill tenths of a second."""
        slot = trigger.PHASE_SLOT_S
        counts = collections.Counter(
            round(trigger.device_phase(i, 1.0).offset(5.0) / slot) for i in range(1, 1001))
        assert sorted(counts) == list(range(100))
        unrounded = collections.Counter(
            int(trigger.phase_fraction(i) * 5.0 / slot) for i in range(1, 1001))
        assert counts == unrounded
        assert max(counts.values()) <= 25
        # 300 s: 6,000 slots, no more than a few devices in any one
        medium = collections.Counter(
            trigger.device_phase(i, 1.0).offset(300.0) for i in range(1, 1001))
        assert max(medium.values()) <= 3

    def test_offsets_are_whole_slots_within_the_interval(self) -> None:
        for i in range(1, 500):
            phase = trigger.device_phase(i, 1.0)
            for interval in (5.0, 60.0, 300.0, 3600.0, 86400.0):
                offset = phase.offset(interval)
                assert 0.0 <= offset < interval
                assert offset <= phase.fraction * interval + 1e-9
                assert phase.fraction * interval - offset < phase.slot + 1e-9
                slots = offset / phase.slot
                assert slots == pytest.approx(round(slots), abs=1e-6)

    def test_a_changed_interval_moves_the_ticks_to_the_slot_of_the_new_one(self) -> None:
        """After a changed interval (retimed), the runs after the first one are due
        exactly when those of a device of the same slot started afresh are."""
        ids = self.one_slot(2, 60.0)
        old = TierSchedule.starting(1000.0, 300.0, trigger.device_phase(ids[0], 1.0), 5.0)
        self.runs(old, 3)
        assert old.last_due is not None
        changed = old.retimed(60.0, now=old.last_due + 10.0)
        assert changed.next_due == old.last_due + 60.0  # counts from the last run
        fresh = TierSchedule.starting(1500.0, 60.0, trigger.device_phase(ids[1], 1.0), 5.0)
        self.runs(fresh, 1)
        first = changed.next_due
        changed.completed(first + 0.01)
        assert changed.next_due - first >= 30.0  # half an interval at least
        while fresh.next_due < changed.next_due:
            fresh.completed(fresh.next_due + 0.01)
        assert self.runs(changed, 4) == self.runs(fresh, 4)
        assert changed.retimed(60.0, now=5000.0).anchor == changed.anchor

    def test_a_never_run_tier_retimed_gets_the_slot_of_its_new_interval(self) -> None:
        phase = Phase(0.3)
        sched = TierSchedule.starting(0.0, 60.0, phase, 5.0)
        again = sched.retimed(300.0, now=1.0)
        assert again.next_due == 1.0
        assert again.anchor == phase.offset(300.0) == 90.0

    def test_the_time_scale_scales_the_slot(self) -> None:
        """At a time scale of 0.01 the slot is 0.5 ms and a 50 ms tier has 100 slots:
        the same slots as 5 s at full scale, a hundred times smaller."""
        assert trigger.device_phase(7, 0.01).slot == pytest.approx(trigger.PHASE_SLOT_S * 0.01)
        for i in range(1, 300):
            full = trigger.device_phase(i, 1.0).offset(5.0)
            scaled = trigger.device_phase(i, 0.01).offset(0.05)
            assert scaled == pytest.approx(full * 0.01, abs=1e-12)
        ids = self.one_slot(2)
        scheds = [TierSchedule.starting(start, 0.05, trigger.device_phase(i, 0.01), 0.05)
                  for i, start in zip(ids, (10.0, 10.0123), strict=True)]
        for sched in scheds:
            while sched.next_due < 11.0:
                sched.completed(sched.next_due + 0.0001)
        assert self.runs(scheds[0], 3) == self.runs(scheds[1], 3)

    @pytest.mark.parametrize(("fraction", "slot"), [(-0.1, 0.05), (1.5, 0.05), (0.5, 0.0)])
    def test_rejects_a_bad_phase(self, fraction: float, slot: float) -> None:
        with pytest.raises(ValueError, match="phase"):
            Phase(fraction, slot)


class TestTicks:
    def test_anchored_without_drift(self) -> None:
        """Ten thousand runs finishing at odd times still land exactly on the grid."""
        clock = ManualClock(mono=0.0)
        sched = TierSchedule.starting(clock.monotonic(), 0.1, Phase(0.37, 0.001), 0.1)
        anchor = sched.anchor
        for k in range(10_000):
            assert sched.next_due == pytest.approx(anchor + k * 0.1, abs=1e-9)
            clock.advance(max(0.0, sched.next_due - clock.monotonic()) + 0.0123)
            assert sched.completed(clock.monotonic()) == 0
        assert sched.skipped == 0

    def test_overrun_skips_missed_ticks_and_counts_them(self) -> None:
        sched = TierSchedule(interval=5.0, anchor=100.0, next_due=100.0)
        skipped = sched.completed(112.5)  # the run took 12.5 s: ticks 105 and 110 passed
        assert skipped == 2
        assert sched.next_due == 115.0
        assert sched.completed(115.1) == 0
        assert sched.next_due == 120.0
        assert sched.skipped == 2

    def test_late_start_counts_as_skipped_ticks(self) -> None:
        sched = TierSchedule(interval=5.0, anchor=0.0, next_due=10.0)
        assert sched.completed(16.0) == 1  # tick 15 passed while late
        assert sched.next_due == 20.0

    def test_finishing_exactly_on_a_tick_skips_it(self) -> None:
        sched = TierSchedule(interval=5.0, anchor=0.0, next_due=0.0)
        assert sched.completed(5.0) == 1
        assert sched.next_due == 10.0

    def test_failure_retries_a_long_tier_soon(self) -> None:
        """A daily tier that failed does not wait a day: it retries at the backoff."""
        sched = TierSchedule(interval=86400.0, anchor=0.0, next_due=0.0)
        sched.failed(finished=1.0, retry_at=6.0)
        assert sched.next_due == 6.0
        sched.completed(6.5)
        assert sched.next_due == 86400.0  # back on the grid

    def test_failure_never_waits_past_the_next_tick(self) -> None:
        sched = TierSchedule(interval=5.0, anchor=0.0, next_due=0.0)
        sched.failed(finished=0.2, retry_at=300.0)
        assert sched.next_due == 5.0

    def test_defer_waits_for_the_backoff_or_the_next_tick(self) -> None:
        sched = TierSchedule(interval=60.0, anchor=0.0, next_due=60.0)
        sched.defer(until=70.0, now=60.0)
        assert sched.next_due == 70.0
        sched.defer(until=500.0, now=70.0)
        assert sched.next_due == 120.0
        assert sched.skipped == 0

    def test_a_changed_interval_counts_from_the_last_run(self) -> None:
        sched = TierSchedule(interval=60.0, anchor=10.0, next_due=130.0, last_due=70.0,
                             phase=Phase(0.3))
        shorter = sched.retimed(5.0, now=100.0)
        assert shorter.anchor == Phase(0.3).offset(5.0) == 1.5  # the device's slot
        assert shorter.next_due == 100.0  # 70 + 5 is past: due now
        shorter.completed(100.01)
        # the tick at 101.5 is less than half an interval after that run: passed over
        assert shorter.next_due == pytest.approx(106.5)
        shorter.completed(106.6)
        assert shorter.next_due == pytest.approx(111.5)
        longer = sched.retimed(600.0, now=100.0)
        assert longer.next_due == 670.0  # last run + the new interval
        started = sched.retimed(600.0, now=100.0, last_run=72.5)  # started late
        assert started.next_due == 672.5
        started.completed(672.6)  # then on the slot: 180 s past the whole interval
        assert started.next_due == pytest.approx(1380.0)

    def test_retime_with_the_same_interval_keeps_the_schedule(self) -> None:
        sched = TierSchedule(interval=60.0, anchor=10.0, next_due=130.0, last_due=70.0,
                             skipped=2)
        assert sched.retimed(60.0, now=100.0) == sched

    def test_retime_before_the_first_run_runs_it_at_once(self) -> None:
        """A restarted collector runs at once a tier that has never run (the spec:
        every tier runs once when a device's collector starts)."""
        sched = TierSchedule.starting(0.0, 60.0, Phase(0.5), 5.0)
        assert sched.retimed(30.0, now=1.0).next_due == 1.0
        assert sched.retimed(30.0, now=9.0).next_due == 9.0

    def test_a_blocked_attempt_is_no_run(self) -> None:
        """Waiting for an unreachable router does not count as a run: after a
        configuration change a never-run daily tier is due at once, not at its
        next tick hours later."""
        sched = TierSchedule.starting(0.0, 86400.0, Phase(0.3), 5.0)
        sched.blocked(finished=2.0, retry_at=7.0)
        assert sched.next_due == 7.0
        assert sched.last_due is None
        assert sched.retimed(86400.0, now=15.0).next_due == 15.0
        ran = TierSchedule.starting(0.0, 86400.0, Phase(0.3), 5.0)
        ran.failed(finished=2.0, retry_at=7.0)  # a run that failed is a run
        assert ran.last_due == 1.5
        # ... whose retry is kept (due already: at once), not moved to the next tick.
        assert ran.retimed(86400.0, now=15.0).next_due == 7.0
        assert ran.retimed(3600.0, now=15.0).next_due == 15.0

    def test_rejects_non_positive_intervals(self) -> None:
        with pytest.raises(ValueError, match="interval"):
            TierSchedule.starting(0.0, 0.0, Phase(0.5), 5.0)

    @given(
        anchor=st.floats(-1e6, 1e6), interval=st.floats(1e-3, 1e5), t=st.floats(-1e7, 1e7)
    )
    def test_tick_after_is_the_next_grid_point(
        self, anchor: float, interval: float, t: float
    ) -> None:
        sched = TierSchedule(interval=interval, anchor=anchor, next_due=anchor)
        tick = sched.tick_after(t)
        assert tick > t
        k = (tick - anchor) / interval
        assert math.isclose(k, round(k), abs_tol=1e-6 * max(1.0, abs(k)))
        assert tick - interval <= t + 1e-9 * max(1.0, abs(t), abs(anchor))


class TestBackoff:
    def test_doubles_up_to_the_cap(self) -> None:
        delays = [backoff_delay(n, 5.0, 300.0) for n in range(0, 10)]
        assert delays == [0.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0, 300.0]

    def test_huge_failure_counts_do_not_overflow(self) -> None:
        assert backoff_delay(10_000, 5.0, 300.0) == 300.0

    def test_counter_resets_on_success(self) -> None:
        b = Backoff(base=0.05, cap=3.0)
        assert [b.failure() for _ in range(3)] == pytest.approx([0.05, 0.1, 0.2])
        b.success()
        assert b.failure() == pytest.approx(0.05)
