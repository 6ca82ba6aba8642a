"""Deadline arithmetic: anchored ticks, phase spread, overrun skips, retries,
backoff and the time scale. Pure: numbers in, numbers out."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikromon.domain.clock import ManualClock
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier
from mikromon.schedule import trigger
from mikromon.schedule.trigger import Backoff, TierSchedule, backoff_delay


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
        firsts = [TierSchedule.starting(0.0, 5.0, trigger.phase_fraction(i), 5.0).next_due
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
        schedules = trigger.initial_schedules(intervals, 1000.0, 0.999, trigger.START_SPREAD_S)
        for tier, sched in schedules.items():
            assert 1000.0 <= sched.next_due < 1005.0, tier
            assert sched.interval == intervals[tier]

    def test_later_runs_spread_over_the_whole_interval(self) -> None:
        """After the first run, 1,000 devices' medium (300 s) runs are spread over
        the 300 s, not bunched in the 5 s start window."""
        seconds = set()
        for i in range(1, 1001):
            sched = TierSchedule.starting(0.0, 300.0, trigger.phase_fraction(i), 5.0)
            sched.completed(sched.next_due + 0.1)
            seconds.add(int(sched.next_due) % 300)
        assert len(seconds) > 250

    def test_second_run_is_not_right_after_the_first(self) -> None:
        """After the off-grid first run, a phase tick less than half an interval away
        is passed over: a heavy tier does not read the router twice within seconds."""
        sched = TierSchedule.starting(0.0, 300.0, 0.01, 5.0)  # first at 0.05, tick at 3.0
        assert sched.next_due == pytest.approx(0.05)
        assert sched.completed(0.2) == 0
        assert sched.next_due == pytest.approx(303.0)
        sched = TierSchedule.starting(0.0, 300.0, 0.9, 5.0)  # first at 4.5, tick at 270
        sched.completed(4.6)
        assert sched.next_due == pytest.approx(270.0)

    @pytest.mark.parametrize("interval", [5.0, 60.0, 300.0, 3600.0, 86400.0])
    def test_gaps_between_runs(self, interval: float) -> None:
        """Whatever the phase, the first gap (off-grid first run to the phase tick) is
        0.5 to 1.5 intervals, and every later gap of runs that keep to time is
        exactly one interval."""
        for i in range(1, 300):
            sched = TierSchedule.starting(0.0, interval, trigger.phase_fraction(i), 5.0)
            last = sched.next_due
            sched.completed(last + 0.01)
            assert interval / 2 <= sched.next_due - last <= 1.5 * interval + 1e-9, (i, last)
            last = sched.next_due
            for _ in range(3):
                sched.completed(last + 0.01)
                assert sched.next_due - last == pytest.approx(interval), (i, last)
                last = sched.next_due


class TestTicks:
    def test_anchored_without_drift(self) -> None:
        """Ten thousand runs finishing at odd times still land exactly on the grid."""
        clock = ManualClock(mono=0.0)
        sched = TierSchedule.starting(clock.monotonic(), 0.1, 0.37, 0.1)
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
        sched = TierSchedule(interval=60.0, anchor=10.0, next_due=130.0, last_due=70.0)
        shorter = sched.retimed(5.0, now=100.0)
        assert shorter.anchor == 70.0  # the grid goes on from the last run
        assert shorter.next_due == 100.0  # 70 + 5 is past: due now
        shorter.completed(100.01)
        assert shorter.next_due == 105.0
        longer = sched.retimed(600.0, now=100.0)
        assert longer.next_due == 670.0  # last run + the new interval
        started = sched.retimed(600.0, now=100.0, last_run=72.5)  # started late
        assert started.next_due == 672.5

    def test_retime_with_the_same_interval_keeps_the_schedule(self) -> None:
        sched = TierSchedule(interval=60.0, anchor=10.0, next_due=130.0, last_due=70.0,
                             skipped=2)
        assert sched.retimed(60.0, now=100.0) == sched

    def test_retime_before_the_first_run_runs_it_at_once(self) -> None:
        """A restarted collector runs at once a tier that has never run (the spec:
        every tier runs once when a device's collector starts)."""
        sched = TierSchedule.starting(0.0, 60.0, 0.5, 5.0)
        assert sched.retimed(30.0, now=1.0).next_due == 1.0
        assert sched.retimed(30.0, now=9.0).next_due == 9.0

    def test_a_blocked_attempt_is_no_run(self) -> None:
        """Waiting for an unreachable router does not count as a run: after a
        configuration change a never-run daily tier is due at once, not at its
        next tick hours later."""
        sched = TierSchedule.starting(0.0, 86400.0, 0.3, 5.0)
        sched.blocked(finished=2.0, retry_at=7.0)
        assert sched.next_due == 7.0
        assert sched.last_due is None
        assert sched.retimed(86400.0, now=15.0).next_due == 15.0
        ran = TierSchedule.starting(0.0, 86400.0, 0.3, 5.0)
        ran.failed(finished=2.0, retry_at=7.0)  # a run that failed is a run
        assert ran.last_due == 1.5
        # ... whose retry is kept (due already: at once), not moved to the next tick.
        assert ran.retimed(86400.0, now=15.0).next_due == 7.0
        assert ran.retimed(3600.0, now=15.0).next_due == 15.0

    def test_rejects_non_positive_intervals(self) -> None:
        with pytest.raises(ValueError, match="interval"):
            TierSchedule.starting(0.0, 0.0, 0.5, 5.0)

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
