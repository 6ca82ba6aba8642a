"""The summary arithmetic of the traffic reports (mikromon.domain.traffic): which
pieces of a range summaries hold, and when the largest values kept per part hold
the percentile of their union."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from mikromon.domain.traffic import (
    HIGH_SLACK,
    TOP_KEPT,
    combine_percentile,
    from_top,
    merge_parts,
    percentile,
    percentile_high,
    summarize_rates,
    summary_pieces,
)

DAY = 86400
NOV = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
DEC = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())


def test_from_top_counts_from_the_largest() -> None:
    assert from_top(8640) == 433
    assert from_top(20) == 2  # the 19th smallest of 20
    assert TOP_KEPT["month"] == from_top(31 * 288)


def test_a_past_month_is_one_summary() -> None:
    assert summary_pieces(NOV, DEC, DEC + DAY, DEC + DAY) == ([NOV], [], [])


def test_the_current_month_is_month_day_and_edge() -> None:
    day_mark = NOV + 14 * DAY + 3600          # buckets before 14 Nov 01:00 summarised
    month_mark = NOV + 14 * DAY
    months, days, edges = summary_pieces(NOV, DEC, day_mark, month_mark)
    assert (months, days, edges) == ([NOV], [NOV + 14 * DAY], [(day_mark, DEC)])


def test_ranges_not_aligned_to_days_have_edges() -> None:
    lo, hi = NOV + 3 * DAY + 600, NOV + 6 * DAY + 7200
    months, days, edges = summary_pieces(lo, hi, DEC, DEC)
    assert months == []
    assert days == [NOV + 4 * DAY, NOV + 5 * DAY]
    assert edges == [(lo, NOV + 4 * DAY), (NOV + 6 * DAY, hi)]


def test_without_summaries_everything_is_an_edge() -> None:
    assert summary_pieces(NOV, DEC, None, None) == ([], [], [(NOV, DEC)])


def test_a_month_summary_of_part_of_the_month_is_used_with_days() -> None:
    # Month summary holds 1..10 Nov; the range ends on 12 Nov: month, 2 days.
    months, days, edges = summary_pieces(NOV, NOV + 12 * DAY, DEC, NOV + 10 * DAY)
    assert (months, days, edges) == ([NOV], [NOV + 10 * DAY, NOV + 11 * DAY], [])
    # A range starting mid-month cannot use it.
    months, days, _ = summary_pieces(NOV + DAY, NOV + 12 * DAY, DEC, NOV + 10 * DAY)
    assert months == []
    assert len(days) == 11


@pytest.mark.parametrize("seed", range(20))
def test_combined_parts_give_the_percentile_or_say_they_cannot(seed: int) -> None:
    rng = random.Random(seed)
    days = [[rng.uniform(0, 1e6) * (50 if rng.random() < 0.1 else 1) for _ in range(288)]
            for _ in range(rng.randint(1, 20))]
    if seed % 4 == 0:  # one day holds the top: the kept values cannot tell
        days[0] = [v + 1e9 for v in days[0]]
    parts = [summarize_rates(d, TOP_KEPT["day"]) for d in days]
    value, count, exact = combine_percentile(parts)
    assert count == sum(len(d) for d in days)
    truth = percentile(v for d in days for v in d)
    if exact:
        assert value == truth
    else:
        assert seed % 4 == 0 or len(days) * 288 > TOP_KEPT["day"] * 20
    if len(days) * 288 <= 6 * 288 and seed % 4:
        assert exact  # up to 6 days the kept third of each day always holds it


def test_merging_keeps_the_largest_of_both() -> None:
    a = summarize_rates([5.0, 1.0, 3.0], kept=2)
    b = summarize_rates([4.0, -2.0, float("nan")], kept=2)
    merged = merge_parts(a, b, kept=3)
    assert (merged.samples, list(merged.top), merged.rate_sum) == (5, [5.0, 4.0, 3.0], 13.0)
    assert combine_percentile([a, b]) == (5.0, 5, True)  # the largest of 5: kept
    tall = summarize_rates([float(v) for v in range(1, 11)], kept=1)  # keeps 10 only
    flat = summarize_rates([0.5] * 10, kept=10)
    # 2nd largest of 20 is 9, which ``tall`` dropped: the parts say they cannot tell.
    assert combine_percentile([tall, flat]) == (0.5, 20, False)
    assert combine_percentile([]) == (None, 0, True)


@pytest.mark.parametrize("seed", range(40))
def test_the_high_bound_holds_with_up_to_half_an_hour_added(seed: int) -> None:
    """The percentile of summaries plus ``k <= HIGH_SLACK`` averages of any value is
    not above max(each part's percentile, ``percentile_high`` of a part of at least
    ``20 k`` averages); the averages added as large as can be make it tight."""
    rng = random.Random(seed)
    sizes = [rng.choice([8640, 6000, 288, 100, 20 * HIGH_SLACK, 7])
             for _ in range(rng.randint(1, 4))]
    values = [[rng.uniform(0, 1e6) * (30 if rng.random() < 0.05 else 1) for _ in range(n)]
              for n in sizes]
    parts = [summarize_rates(v, TOP_KEPT["month"]) for v in values]
    for k in range(HIGH_SLACK + 1):
        added = [rng.choice([1e12, 0.0, rng.uniform(0, 1e6)]) for _ in range(k)]
        truth = percentile([*added, *(x for v in values for x in v)])
        highs = [percentile_high(p) for p in parts if p.samples // 20 >= k]
        if not highs:
            continue
        top = max(v for p in parts if (v := combine_percentile([p])[0]) is not None)
        bound = max(top, min(h for h in highs if h is not None))
        assert truth <= bound, (k, sizes)


def test_the_high_bound_is_the_rank_six_above_the_percentile() -> None:
    part = summarize_rates([float(v) for v in range(1, 201)], kept=200)  # 1..200
    assert combine_percentile([part])[0] == 190.0  # rank 11 from the top
    assert percentile_high(part) == 196.0  # rank 11 - 6 = 5
    small = summarize_rates([3.0, 1.0], kept=2)
    assert percentile_high(small) == 3.0  # rank below 1: the largest
    assert percentile_high(summarize_rates([], kept=2)) is None
