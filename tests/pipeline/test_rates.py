"""RateCalculator: exact rates, resets, wraps, reboots, identity changes, memory bound."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.domain.samples import (
    CounterBlock,
    CounterReading,
    Sample,
    SampleBlock,
    each_sample,
    make_labels,
)
from mikromon.pipeline.rates import RATE_RULES, RateCalculator, rate_key

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
ETHER1 = make_labels(interface="ether1")


def reading(
    value: int, at: float, key: str = "iface.rx_bytes", *,
    labels: tuple[tuple[str, str], ...] = ETHER1, identity: str = "*1", width: int | None = 64,
) -> CounterReading:
    return CounterReading(key, value, T0 + timedelta(seconds=at), 1000.0 + at, labels, identity,
                          width)


@pytest.mark.parametrize(
    ("counter", "rate"),
    [("iface.rx_bytes", "iface.rx_bps"), ("iface.tx_packets", "iface.tx_pps"),
     ("iface.rx_errors", "iface.rx_errors_ps"), ("iface.tx_drops", "iface.tx_drops_ps"),
     ("queue.upload_bytes", "queue.upload_bps")],
)
def test_rate_key(counter: str, rate: str) -> None:
    assert rate_key(counter) == rate


def test_rate_key_unknown_suffix() -> None:
    with pytest.raises(ValueError, match=r"iface\.rx_things"):
        rate_key("iface.rx_things")


def test_unknown_key_raises_before_any_state_changes() -> None:
    calc = RateCalculator()
    with pytest.raises(ValueError, match="no rate rule"):
        calc.update([reading(1, 0), reading(1, 0, "cpu.load")], uptime_s=10)
    assert len(calc) == 0


def test_bytes_become_bits_per_second_with_newer_timestamp() -> None:
    calc = RateCalculator()
    assert calc.update([reading(1_000, 0)], uptime_s=100) == []  # first: no rate
    [sample] = calc.update([reading(126_000, 5)], uptime_s=105)
    assert sample.key == "iface.rx_bps"
    assert sample.value == 125_000 * 8 / 5  # 200 000 bits/s exactly
    assert sample.ts == T0 + timedelta(seconds=5)
    assert sample.labels == ETHER1


def test_packets_errors_drops_per_second() -> None:
    calc = RateCalculator()
    keys = ("iface.rx_packets", "iface.rx_errors", "iface.tx_drops")
    calc.update([reading(10, 0, k) for k in keys], uptime_s=None)
    samples = calc.update([reading(40, 2.5, k) for k in keys], uptime_s=None)
    assert [(s.key, s.value) for s in samples] == [
        ("iface.rx_pps", 12.0), ("iface.rx_errors_ps", 12.0), ("iface.tx_drops_ps", 12.0)
    ]


def test_divides_by_monotonic_time_not_wall_clock() -> None:
    calc = RateCalculator()
    first = reading(0, 0)
    second = CounterReading("iface.rx_bytes", 1000, T0 + timedelta(hours=1), 1004.0, ETHER1,
                            "*1", 64)
    calc.update([first], None)
    assert [s.value for s in calc.update([second], None)] == [2000.0]


def test_series_are_separate_by_labels() -> None:
    calc = RateCalculator()
    ether2 = make_labels(interface="ether2")
    calc.update([reading(0, 0), reading(0, 0, labels=ether2)], None)
    samples = calc.update([reading(10, 1), reading(20, 1, labels=ether2)], None)
    assert [(s.label("interface"), s.value) for s in samples] == [("ether1", 80.0),
                                                                  ("ether2", 160.0)]


def test_counter_reset_gives_no_rate_then_resumes() -> None:
    calc = RateCalculator()
    calc.update([reading(5_000_000, 0)], None)
    assert calc.update([reading(100, 5)], None) == []  # went backwards, 64-bit: not a wrap
    [sample] = calc.update([reading(600, 10)], None)
    assert sample.value == 500 * 8 / 5


def test_reset_with_unknown_width_is_never_a_wrap() -> None:
    calc = RateCalculator()
    calc.update([reading(2**32 - 100, 0, width=None)], None)
    assert calc.update([reading(100, 1, width=None)], None) == []


def test_32_bit_wrap_is_counted() -> None:
    calc = RateCalculator()
    calc.update([reading(2**32 - 1000, 0, width=32)], None)
    [sample] = calc.update([reading(3000, 4, width=32)], None)
    assert sample.value == 4000 * 8 / 4


def test_64_bit_wrap_is_counted() -> None:
    calc = RateCalculator()
    calc.update([reading(2**64 - 10, 0, width=64)], None)
    [sample] = calc.update([reading(90, 1, width=64)], None)
    assert sample.value == 800.0


def test_implausible_wrap_is_a_reset() -> None:
    calc = RateCalculator()
    calc.update([reading(3_000_000_000, 0, width=32)], None)
    # A wrap would mean ~1.3e9 bytes in 1 ms: 10 Tbit/s. It was a reset.
    assert calc.update([reading(5, 0.001, width=32)], None) == []


def test_absurd_forward_jump_is_dropped() -> None:
    calc = RateCalculator()
    calc.update([reading(0, 0)], None)
    assert calc.update([reading(10**15, 1)], None) == []  # 8 Pbit/s
    [sample] = calc.update([reading(10**15 + 125, 2)], None)
    assert sample.value == 1000.0


def test_reboot_drops_all_state() -> None:
    calc = RateCalculator()
    ether2 = make_labels(interface="ether2")
    calc.update([reading(100, 0), reading(100, 0, labels=ether2)], uptime_s=5000)
    # Counters after the reboot happen to be larger: without uptime we would compute a rate.
    assert calc.update([reading(200, 5), reading(900, 5, labels=ether2)], uptime_s=3) == []
    samples = calc.update([reading(300, 10), reading(1000, 10, labels=ether2)], uptime_s=8)
    assert [s.value for s in samples] == [160.0, 160.0]


def test_unknown_uptime_keeps_state() -> None:
    calc = RateCalculator()
    calc.update([reading(0, 0)], uptime_s=100)
    assert len(calc.update([reading(10, 1)], uptime_s=None)) == 1
    assert len(calc.update([reading(20, 2)], uptime_s=102)) == 1


def test_identity_change_means_recreated_interface() -> None:
    calc = RateCalculator()
    calc.update([reading(100, 0, identity="*1")], None)
    assert calc.update([reading(900, 5, identity="*7")], None) == []
    [sample] = calc.update([reading(1000, 10, identity="*7")], None)
    assert sample.value == 160.0


@pytest.mark.parametrize("later", [0.0, -1.0])
def test_non_positive_dt_gives_no_rate_and_keeps_newer_state(later: float) -> None:
    calc = RateCalculator()
    calc.update([reading(0, 0)], None)
    calc.update([reading(100, 10)], None)
    assert calc.update([reading(50, 10 + later)], None) == []
    [sample] = calc.update([reading(200, 20)], None)
    assert sample.value == 80.0  # from the reading at t=10, not the rejected one


def test_negative_value_restarts_series() -> None:
    calc = RateCalculator()
    calc.update([reading(100, 0)], None)
    assert calc.update([reading(-1, 1)], None) == []
    assert calc.update([reading(200, 2)], None) == []  # first again


def test_forgets_series_not_seen_for_max_age() -> None:
    calc = RateCalculator(max_age=60)
    gone = make_labels(interface="gone")
    calc.update([reading(0, 0), reading(0, 0, labels=gone)], None)
    for t in range(10, 130, 10):
        calc.update([reading(t, t)], None)
    assert len(calc) == 1  # "gone" was forgotten
    assert calc.update([reading(5, 130, labels=gone)], None) == []  # first again


def test_max_series_bounds_memory() -> None:
    calc = RateCalculator(max_series=100)
    for i in range(1000):
        calc.update([reading(i, i * 0.001, labels=make_labels(interface=f"vlan{i}"))], None)
    assert len(calc) == 100


def test_invalid_limits() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateCalculator(max_age=0)


def test_rules_table_is_consistent() -> None:
    suffixes = [rule.counter_suffix for rule in RATE_RULES]
    assert len(set(suffixes)) == len(suffixes)
    assert all(rule.factor > 0 and rule.max_rate > 0 for rule in RATE_RULES)


# --- properties ---------------------------------------------------------------------

KEYS = st.sampled_from(["iface.rx_bytes", "iface.tx_packets", "iface.rx_errors",
                        "iface.tx_drops"])
STEP = st.tuples(
    KEYS,
    st.integers(min_value=-5, max_value=2**65),             # value (sometimes invalid)
    st.one_of(st.floats(min_value=-5, max_value=1e6), st.just(math.nan)),  # mono, may go back
    st.sampled_from(["*1", "*2"]),                           # identity
    st.sampled_from([None, 32, 64]),                         # width
    st.one_of(st.none(), st.floats(min_value=0, max_value=1e7)),  # uptime
)


@settings(max_examples=200)
@given(st.lists(st.lists(STEP, max_size=6), max_size=12))
def test_rates_never_negative_or_non_finite(polls: list[list[tuple]]) -> None:  # type: ignore[type-arg]
    calc = RateCalculator(max_age=1e5, max_series=10)
    for poll in polls:
        uptime = poll[0][5] if poll else None
        readings = [
            CounterReading(key, value, T0, mono, ETHER1, identity, width)
            for key, value, mono, identity, width, _ in poll
        ]
        for sample in calc.update(readings, uptime):
            assert sample.value >= 0
            assert math.isfinite(sample.value)
        assert len(calc) <= 10


@given(KEYS, st.integers(min_value=0, max_value=2**64 - 1), st.floats(0, 1e9),
       st.sampled_from([None, 32, 64]), st.one_of(st.none(), st.floats(0, 1e9)))
def test_first_reading_never_yields_a_rate(
    key: str, value: int, mono: float, width: int | None, uptime: float | None
) -> None:
    calc = RateCalculator()
    assert calc.update([CounterReading(key, value, T0, mono, ETHER1, "*1", width)], uptime) == []


@given(st.lists(st.tuples(st.integers(0, 10**9), st.floats(0.01, 100)), min_size=2,
                max_size=20))
def test_growing_counter_rate_is_delta_over_dt(steps: list[tuple[int, float]]) -> None:
    calc = RateCalculator(max_age=1e9)
    value, mono = 0, 0.0
    calc.update([reading(value, mono)], None)
    for increment, dt in steps:
        value += increment
        new_mono = mono + dt
        samples = calc.update([CounterReading("iface.rx_bytes", value, T0, 1000.0 + new_mono,
                                              ETHER1, "*1", 64)], None)
        actual_dt = (1000.0 + new_mono) - (1000.0 + mono)
        # whole bits/s: within half a bit of the exact rate
        assert [s.value for s in samples] == pytest.approx([increment * 8 / actual_dt], abs=0.5)
        mono = new_mono


# --- resolution (docs/storage.md "Rates at their resolution") --------------------------

def test_each_rule_has_its_resolution() -> None:
    assert {rule.rate_suffix: rule.digits for rule in RATE_RULES} == {
        "_bps": 0, "_pps": 3, "_errors_ps": 3, "_drops_ps": 3}


def test_bit_rates_are_whole_bits_per_second() -> None:
    calc = RateCalculator()
    calc.update([reading(0, 0)], uptime_s=100)
    [sample] = calc.update([reading(1_001, 3)], uptime_s=103)
    assert sample.value == 2669.0  # 8008 / 3 = 2669.33...
    calc.update([reading(1_002, 103)], uptime_s=203)  # 8 bits in 100 s: 0.08 bit/s
    [slow] = calc.update([reading(1_003, 203)], uptime_s=303)
    assert slow.value == 0.0


@pytest.mark.parametrize("key", ["iface.rx_packets", "iface.tx_errors", "iface.rx_drops"])
def test_event_rates_are_thousandths_per_second(key: str) -> None:
    calc = RateCalculator()
    calc.update([reading(0, 0, key)], uptime_s=100)
    [sample] = calc.update([reading(7, 3, key)], uptime_s=103)
    assert sample.value == 2.333  # 7 / 3 = 2.3333...
    [one] = calc.update([reading(8, 4503, key)], uptime_s=4603)  # 1 in 4500 s
    assert one.value == 0.0


@given(st.integers(0, 10**9), st.floats(0.5, 3600), KEYS)
def test_rounding_moves_a_rate_by_half_its_resolution_at_most(
    delta: int, dt: float, key: str,
) -> None:
    calc = RateCalculator(max_age=1e9)
    calc.update([reading(0, 0, key)], None)
    [sample] = calc.update([reading(delta, dt, key)], None)
    rule = next(r for r in RATE_RULES if key.endswith(r.counter_suffix))
    exact = delta * rule.factor / ((1000.0 + dt) - 1000.0)
    assert abs(sample.value - exact) <= 0.5 * 10.0 ** -rule.digits + 1e-9 * exact


def test_a_block_gives_its_rates_as_one_block_and_a_reading_as_a_sample() -> None:
    """update_items: the rates of a reply's block as one block of its rows (a column
    per rate key, None where a counter gives no rate); the same rates as update."""
    e2 = make_labels(interface="ether2")

    def poll(at: float, rx1: int, rx2: int | None) -> list[CounterReading | CounterBlock]:
        return [CounterBlock(("iface.rx_bytes", "iface.rx_packets"), [ETHER1, e2], ["*1", "*2"],
                             [rx1, 10, rx2, 20], T0 + timedelta(seconds=at), 1000.0 + at, 64),
                reading(rx1, at, "iface.tx_bytes")]

    calc, plain = RateCalculator(), RateCalculator()
    assert calc.update_items(poll(0, 100, 200), None) == []
    plain.update(poll(0, 100, 200), None)
    block, sample = calc.update_items(poll(5, 600, None), None)
    assert isinstance(block, SampleBlock)
    assert block.keys == ("iface.rx_bps", "iface.rx_pps")
    assert block.labels == [ETHER1, e2]
    assert block.values == [800.0, 0.0, None, 0.0]
    assert block.ts == T0 + timedelta(seconds=5)
    assert sample == Sample("iface.tx_bps", 800.0, T0 + timedelta(seconds=5), ETHER1)
    assert each_sample([block, sample]) == plain.update(poll(5, 600, None), None)


def test_readings_may_come_as_any_iterable() -> None:
    calc = RateCalculator()
    calc.update(iter([reading(100, 0)]), None)  # type: ignore[arg-type]
    assert calc.update(iter([reading(600, 5)]), None) == [  # type: ignore[arg-type]
        Sample("iface.rx_bps", 800.0, T0 + timedelta(seconds=5), ETHER1)]
