"""Availability spans and billing percentiles on hand-made event and sample sequences."""

from __future__ import annotations

import math

import pytest

from mikromon.domain.availability import (
    Change,
    Presence,
    Span,
    mask,
    state_at_start,
    summarize,
    timeline,
    unknown_outside,
)
from mikromon.domain.traffic import (
    billing_figure,
    bytes_from_rates,
    month_range,
    parse_month,
    percentile,
    percentile_rank,
)

UP, DOWN, UNKNOWN = Presence.UP, Presence.DOWN, Presence.UNKNOWN


def test_no_events_takes_the_fallback_for_the_whole_range():
    initial = state_at_start(None, None, UP)
    result = summarize(timeline(0, 1000, initial, []))
    assert (result.up_seconds, result.down_seconds, result.outages) == (1000, 0, 0)
    assert result.ratio == 1.0


def test_no_events_and_nothing_known_is_all_unknown_with_no_ratio():
    result = summarize(timeline(0, 1000, state_at_start(None, None, UNKNOWN), []))
    assert result.unknown_seconds == 1000
    assert result.ratio is None


def test_range_starting_in_an_outage_counts_it_from_the_start():
    # down at -500 (before the range), up at 100
    initial = state_at_start(DOWN, UP, UP)
    result = summarize(timeline(0, 1000, initial, [Change(-500, DOWN), Change(100, UP)]))
    assert (result.down_seconds, result.up_seconds, result.outages) == (100, 900, 1)
    assert result.ratio == pytest.approx(0.9)


def test_first_event_in_range_tells_the_state_before_it():
    assert state_at_start(None, UP, UNKNOWN) is DOWN
    assert state_at_start(None, DOWN, UNKNOWN) is UP


def test_flapping_counts_every_outage_and_the_longest():
    changes = [Change(t, DOWN if i % 2 == 0 else UP)
               for i, t in enumerate((100, 110, 200, 230, 300, 301))]
    result = summarize(timeline(0, 400, UP, changes))
    assert result.outages == 3
    assert result.down_seconds == 10 + 30 + 1
    assert result.longest_outage_seconds == 30
    assert result.up_seconds + result.down_seconds == 400


def test_repeated_events_of_one_state_merge():
    spans = timeline(0, 100, UP, [Change(10, DOWN), Change(20, DOWN), Change(50, UP)])
    assert spans == [Span(0, 10, UP), Span(10, 50, DOWN), Span(50, 100, UP)]


def test_outage_still_open_at_the_end_is_clipped():
    result = summarize(timeline(0, 100, UP, [Change(90, DOWN)]))
    assert (result.down_seconds, result.longest_outage_seconds, result.outages) == (10, 10, 1)


def test_empty_range_has_no_spans():
    assert timeline(100, 100, UP, []) == []


def test_interface_time_while_the_device_is_down_is_unknown():
    device = timeline(0, 100, UP, [Change(40, DOWN), Change(60, UP)])
    link = timeline(0, 100, UP, [Change(50, DOWN), Change(80, UP)])
    result = summarize(mask(link, device))
    assert (result.up_seconds, result.down_seconds, result.unknown_seconds) == (40 + 20, 20, 20)


def test_time_before_monitoring_and_after_now_is_unknown():
    spans = unknown_outside(timeline(0, 100, UP, []), known_from=20, known_until=70)
    result = summarize(spans)
    assert (result.up_seconds, result.unknown_seconds) == (50, 50)
    assert summarize(unknown_outside(timeline(0, 100, UP, []), 200, None)).unknown_seconds == 100


def test_percentile_rank_follows_the_billing_convention():
    assert percentile_rank(8640) == 8208  # a 30-day month of 5-minute averages
    assert percentile_rank(20) == 19       # drop 1 of 20
    assert percentile_rank(1) == 1
    with pytest.raises(ValueError, match="count"):
        percentile_rank(0)


def test_percentile_drops_the_top_five_percent():
    values = list(range(1, 101))  # 1..100: drop 96..100
    assert percentile(reversed(values)) == 95
    assert percentile([]) is None
    assert percentile([math.nan, 3.0]) == 3.0


def test_billing_figure_is_the_larger_direction_and_counts_samples():
    fig = billing_figure([1.0] * 19 + [1000.0], [5.0] * 20)
    assert (fig.rx_bps, fig.tx_bps, fig.billing_bps) == (1.0, 5.0, 5.0)
    assert (fig.rx_samples, fig.tx_samples) == (20, 20)
    missing = billing_figure([], [])
    assert missing.billing_bps is None


def test_bytes_from_rates_skips_empty_intervals():
    assert bytes_from_rates([(8000.0, 60), (0.0, 0), (16000.0, 1)], 300) == 300_000 + 600_000
    with pytest.raises(ValueError, match="step"):
        bytes_from_rates([], 0)


def test_month_range_and_parse_month():
    start, end = month_range(2026, 12)
    assert end - start == 31 * 86400
    assert parse_month("2026-02") == (2026, 2)
    for bad in ("2026-13", "26-01", "2026/01", "２０２６-01"):
        with pytest.raises(ValueError, match="month"):
            parse_month(bad)
