"""RateCalculator against the reference algorithm it replaced (one method per
reading, a new state object per reading): the same rates, in the same order, and
the same series remembered, poll after poll, on wraps, resets, reboots,
re-created interfaces, missing counters, garbage values and pruning; readings
given as blocks (:class:`CounterBlock`) give bit for bit what their readings
one by one give."""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.domain.samples import (
    CounterBlock,
    CounterReading,
    Labels,
    Sample,
    SampleBlock,
    each_sample,
    make_labels,
)
from mikromon.pipeline.rates import RateCalculator, RateRule, rate_key, rate_rule

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(slots=True)
class _RefLast:
    value: int
    mono: float
    identity: str


class ReferenceRates:
    """The calculator as it was before its per-poll loop was unrolled (kept here
    verbatim in behaviour: the fast path must give exactly this)."""

    def __init__(self, *, max_age: float = 7200.0, max_series: int = 50_000) -> None:
        self._max_age = max_age
        self._max_series = max_series
        self._series: dict[tuple[str, Labels], _RefLast] = {}
        self._uptime: float | None = None
        self._now = -math.inf

    def __len__(self) -> int:
        return len(self._series)

    def update(self, readings: Sequence[CounterReading], uptime_s: float | None) -> list[Sample]:
        rules = [rate_rule(reading.key) for reading in readings]
        if uptime_s is not None and math.isfinite(uptime_s):
            if self._uptime is not None and uptime_s < self._uptime:
                self._series.clear()
            self._uptime = uptime_s
        samples: list[Sample] = []
        for reading, rule in zip(readings, rules, strict=True):
            rate = self._rate(reading, rule)
            if rate is not None:
                # rounded since: whole bits/s, thousandths of an event/s
                digits = 0 if reading.key.endswith("_bytes") else 3
                samples.append(Sample(rule.rename(reading.key), round(rate, digits), reading.ts,
                                      reading.labels))
        self._prune()
        return samples

    def _rate(self, reading: CounterReading, rule: RateRule) -> float | None:
        series = (reading.key, reading.labels)
        value, mono = reading.value, reading.mono
        if not isinstance(value, int) or value < 0 or not math.isfinite(mono):
            self._series.pop(series, None)
            return None
        self._now = max(self._now, mono)
        last = self._series.get(series)
        if last is not None:
            dt = mono - last.mono
            if dt <= 0:
                return None
            del self._series[series]
        self._series[series] = _RefLast(value, mono, reading.identity)
        if last is None or last.identity != reading.identity:
            return None
        delta = value - last.value
        if delta < 0:
            if reading.width not in (32, 64):
                return None
            delta += 1 << reading.width
            if delta < 0:
                return None
        rate = delta * rule.factor / dt
        if not math.isfinite(rate) or rate > rule.max_rate:
            return None
        return rate

    def _prune(self) -> None:
        series = self._series
        while series:
            oldest = next(iter(series))
            if len(series) <= self._max_series and self._now - series[oldest].mono <= self._max_age:
                break
            del series[oldest]


KEYS = ("iface.rx_bytes", "iface.tx_packets", "queue.upload_bytes")
NAMES = ("ether1", "ether2")
#: Counter values: near both wraps, zero, huge, negative, and not an int at all.
VALUES = st.one_of(
    st.integers(0, 2**64 + 5),
    st.integers(0, 70_000),
    st.sampled_from([0, 1, 2**32 - 1, 2**32, 2**64 - 1, 2**63 - 1, -1, -(2**40)]),
    st.sampled_from([1.5, float("nan"), True, "12", None]),
)
MONO_STEPS = st.one_of(st.floats(-2.0, 60.0), st.floats(0.5, 10.0),
                       st.sampled_from([0.0, 5.0, float("nan"), float("inf"), 1e-9]))


def next_mono(draw: st.DrawFn, mono: float) -> tuple[float, float]:
    """Return the last finite reading time and the next poll's (maybe not finite)."""
    step = draw(MONO_STEPS)
    mono_now = mono + step if math.isfinite(step) else step
    return (mono_now if math.isfinite(mono_now) else mono), mono_now


@st.composite
def polls(draw: st.DrawFn) -> list[tuple[list[CounterReading], float | None]]:
    out = []
    mono = 1000.0
    uptime = 100.0
    for _ in range(draw(st.integers(1, 12))):
        mono, mono_now = next_mono(draw, mono)
        readings = []
        for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3)):
            for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2)):
                readings.append(CounterReading(
                    key, draw(VALUES), T0 + timedelta(seconds=mono), mono_now,
                    make_labels(interface=name), draw(st.sampled_from(["*1", "*1", "*2"])),
                    draw(st.sampled_from([64, 64, 32, None, 16])),
                ))
        uptime_now = draw(st.one_of(st.none(), st.just(uptime + 5), st.just(1.0),
                                    st.just(float("nan"))))
        if uptime_now is not None and math.isfinite(uptime_now):
            uptime = uptime_now
        out.append((readings, uptime_now))
    return out


@settings(max_examples=150, deadline=None)
@given(polls(), st.sampled_from([(7200.0, 50_000), (30.0, 50_000), (7200.0, 3)]))
def test_same_rates_as_the_reference(
    sequence: list[tuple[list[CounterReading], float | None]], limits: tuple[float, int],
) -> None:
    max_age, max_series = limits
    fast = RateCalculator(max_age=max_age, max_series=max_series)
    reference = ReferenceRates(max_age=max_age, max_series=max_series)
    for readings, uptime in sequence:
        assert fast.update(readings, uptime) == reference.update(readings, uptime)
        assert len(fast) == len(reference)


def _poll(values: dict[str, int], at: float, *, identity: str = "*1",
          width: int | None = 64) -> list[CounterReading]:
    return [CounterReading(key, value, T0 + timedelta(seconds=at), 1000.0 + at,
                           make_labels(interface="ether1"), identity, width)
            for key, value in values.items()]


@pytest.mark.parametrize("case", [
    # 32-bit wrap, 64-bit wrap, reset with unknown width, re-created interface
    [({"iface.rx_bytes": 2**32 - 100}, 0.0, "*1", 32), ({"iface.rx_bytes": 50}, 5.0, "*1", 32)],
    [({"iface.rx_bytes": 2**64 - 8}, 0.0, "*1", 64), ({"iface.rx_bytes": 8}, 5.0, "*1", 64)],
    [({"iface.rx_bytes": 500}, 0.0, "*1", None), ({"iface.rx_bytes": 10}, 5.0, "*1", None),
     ({"iface.rx_bytes": 60}, 10.0, "*1", None)],
    [({"iface.rx_bytes": 500}, 0.0, "*1", 64), ({"iface.rx_bytes": 900}, 5.0, "*2", 64),
     ({"iface.rx_bytes": 1900}, 10.0, "*2", 64)],
    # a counter missing from one poll, then back
    [({"iface.rx_bytes": 500, "iface.tx_packets": 7}, 0.0, "*1", 64),
     ({"iface.rx_bytes": 600}, 5.0, "*1", 64),
     ({"iface.rx_bytes": 700, "iface.tx_packets": 17}, 10.0, "*1", 64)],
])
def test_edge_cases_as_the_reference(case: list[tuple[dict[str, int], float, str, int]]) -> None:
    fast, reference = RateCalculator(), ReferenceRates()
    got, want = [], []
    for values, at, identity, width in case:
        readings = _poll(values, at, identity=identity, width=width)
        got.append(fast.update(readings, 100.0 + at))
        want.append(reference.update(readings, 100.0 + at))
    assert got == want
    assert any(got)  # the cases are not all "no rate"


def test_unknown_key_raises_before_any_state_changes() -> None:
    fast = RateCalculator()
    fast.update(_poll({"iface.rx_bytes": 1}, 0.0), 1.0)
    bad = [*_poll({"iface.rx_bytes": 100}, 5.0), CounterReading("iface.rx_things", 1, T0, 1005.0)]
    with pytest.raises(ValueError, match="rx_things"):
        fast.update(bad, 6.0)
    assert fast.update(_poll({"iface.rx_bytes": 41}, 10.0), 11.0) == [
        Sample("iface.rx_bps", 40 * 8 / 10.0, T0 + timedelta(seconds=10), make_labels(
            interface="ether1"))]


WIDTHS = st.sampled_from([64, 64, 32, None, 16])
Poll = tuple[list[CounterReading | CounterBlock], float | None]


@st.composite
def block_polls(draw: st.DrawFn) -> list[Poll]:
    """Polls of blocks (keys and rows repeated or missing, values not read, garbage)
    and single readings mixed."""
    out: list[Poll] = []
    mono = 1000.0
    uptime = 100.0
    for _ in range(draw(st.integers(1, 10))):
        mono, mono_now = next_mono(draw, mono)
        ts = T0 + timedelta(seconds=mono)
        items: list[CounterReading | CounterBlock] = []
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.integers(0, 3)):
                keys = tuple(draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3)))
                names = draw(st.lists(st.sampled_from(NAMES), max_size=2))
                values = draw(st.lists(st.one_of(st.none(), VALUES), min_size=len(keys) * len(
                    names), max_size=len(keys) * len(names)))
                identities = draw(st.lists(st.sampled_from(["*1", "*1", "*2"]),
                                           min_size=len(names), max_size=len(names)))
                items.append(CounterBlock(keys, [make_labels(interface=n) for n in names],
                                          identities, values, ts, mono_now, draw(WIDTHS)))
            else:
                items.append(CounterReading(
                    draw(st.sampled_from(KEYS)), draw(VALUES), ts, mono_now,
                    make_labels(interface=draw(st.sampled_from(NAMES))),
                    draw(st.sampled_from(["*1", "*2"])), draw(WIDTHS)))
        uptime_now = draw(st.one_of(st.none(), st.just(uptime + 5), st.just(1.0)))
        if uptime_now is not None:
            uptime = uptime_now
        out.append((items, uptime_now))
    return out


def _bits(samples: list[Sample]) -> list[tuple[object, ...]]:
    """Each sample with its value's type and IEEE 754 bytes (0.0 and -0.0 differ)."""
    return [(s.key, s.labels, s.ts, type(s.value), struct.pack("<d", s.value))
            for s in samples]


def assert_as_reference(sequence: list[Poll], limits: tuple[float, int]) -> None:
    """Assert that every poll of ``sequence`` gives bit for bit the reference's
    rates of its readings one by one, and that as many series are remembered."""
    max_age, max_series = limits
    blocks = RateCalculator(max_age=max_age, max_series=max_series)
    reference = ReferenceRates(max_age=max_age, max_series=max_series)
    for items, uptime in sequence:
        readings = [r for item in items
                    for r in (item.readings() if isinstance(item, CounterBlock) else [item])]
        out = blocks.update_items(items, uptime)
        assert _bits(each_sample(out)) == _bits(reference.update(readings, uptime))
        assert len(blocks) == len(reference)
        # a block's rates as one block of its rows (rate keys), a reading's as a sample
        given = [item for item in items if isinstance(item, CounterBlock)]
        made = [item for item in out if isinstance(item, SampleBlock)]
        assert len(made) <= len(given)
        assert len(out) - len(made) <= len(items) - len(given)
        for block in made:
            assert any(block.keys == tuple(map(rate_key, b.keys)) and block.labels == b.labels
                       for b in given)


@settings(max_examples=200, deadline=None)
@given(block_polls(), st.sampled_from([(7200.0, 50_000), (30.0, 50_000), (7200.0, 3)]))
def test_blocks_give_bit_for_bit_what_their_readings_give(
    sequence: list[Poll], limits: tuple[float, int],
) -> None:
    assert_as_reference(sequence, limits)


def test_a_block_key_without_rule_raises_before_any_state_changes() -> None:
    calc = RateCalculator()
    labels = [make_labels(interface="ether1")]
    calc.update([CounterBlock(("iface.rx_bytes",), labels, ["*1"], [1], T0, 1000.0, 64)], 1.0)
    bad = CounterBlock(("iface.rx_bytes", "iface.rx_things"), labels, ["*1"], [100, None],
                       T0, 1005.0, 64)
    with pytest.raises(ValueError, match="rx_things"):
        calc.update([bad], 6.0)
    assert calc.update([CounterBlock(("iface.rx_bytes",), labels, ["*1"], [41], T0, 1010.0, 64)],
                       11.0) == [Sample("iface.rx_bps", 40 * 8 / 10.0, T0, labels[0])]


@st.composite
def one_table_polls(draw: st.DrawFn) -> list[Poll]:
    """One table's block poll after poll, as a router gives it (every counter,
    growing, read 5 s apart), now and then with a counter not read or no counter
    value, an interface re-created, a reading no later than the one before or at
    no finite time, a reboot, a row more, or a single reading in the same poll."""
    names = draw(st.lists(st.sampled_from(("ether1", "ether2", "ether3")), min_size=1,
                          max_size=3, unique=True))
    keys = KEYS[:draw(st.integers(1, 3))]
    size = len(names) * len(keys)
    values: list[int | None] = draw(st.lists(st.integers(0, 2**40), min_size=size,
                                             max_size=size))
    identities = ["*1"] * len(names)
    mono, uptime = 1000.0, 100.0
    out: list[Poll] = []
    for _ in range(draw(st.integers(2, 12))):
        mono += draw(st.sampled_from([5.0, 5.0, 5.0, 5.0, 0.0, -1.0, 2.5]))
        at = draw(st.sampled_from([mono] * 8 + [float("nan")]))
        grow = draw(st.lists(st.integers(0, 10_000), min_size=size, max_size=size))
        values = [v + g if isinstance(v, int) else 7 for v, g in zip(values, grow, strict=True)]
        polled: list[int | None] = list(values)
        rows, labels = list(identities), [make_labels(interface=n) for n in names]
        change = draw(st.sampled_from(["none"] * 6 + ["missing", "garbage", "identity",
                                                      "row", "reading", "wrap"]))
        where = draw(st.integers(0, size - 1))
        if change == "missing":
            polled[where] = None
        elif change == "garbage":
            polled[where] = draw(st.sampled_from([-1, 1.5, "12"]))  # type: ignore[arg-type]
        elif change == "identity":
            identities[where % len(names)] = draw(st.sampled_from(["*1", "*2", "*3"]))
            rows = list(identities)
        elif change == "row":
            labels.append(make_labels(interface="ether9"))
            rows.append("*9")
            polled += [5] * len(keys)
        elif change == "wrap":
            polled[where] = draw(st.integers(0, 2**32))
            values[where] = polled[where]
        items: list[CounterReading | CounterBlock] = [
            CounterBlock(keys, labels, rows, polled, T0 + timedelta(seconds=mono), at, 64)]
        if change == "reading":
            items.append(CounterReading(keys[0], 1, T0, at, labels[0], "*1", 64))
        uptime = draw(st.sampled_from([uptime + 5] * 8 + [1.0]))
        out.append((items, uptime))
    return out


@settings(max_examples=300, deadline=None)
@given(one_table_polls(),
       st.sampled_from([(7200.0, 50_000), (12.0, 50_000), (4.0, 50_000), (7200.0, 4)]))
def test_one_table_poll_after_poll_bit_for_bit_as_its_readings(
    sequence: list[Poll], limits: tuple[float, int],
) -> None:
    assert_as_reference(sequence, limits)
