"""Counter readings -> per-second rates.

Routers report counters that only grow (``rx-byte``, ``rx-packet``...); the UI
and the database want rates. :class:`RateCalculator` keeps the previous reading
of every series and turns each new one into a :class:`~mikromon.domain.samples.Sample`
(a reply's block of counters into one :class:`~mikromon.domain.samples.SampleBlock`
of rates: :meth:`RateCalculator.update_items`):

    rate = (value - previous value) x factor / (mono - previous mono)

stamped with the newer reading's ``ts``. The key and the factor come from one
table, :data:`RATE_RULES`, matching the counter key's suffix:

==============  ==============  ======  ==========  ======================================
counter suffix  rate suffix     factor  resolution  example
==============  ==============  ======  ==========  ======================================
``_bytes``      ``_bps``        8       1 bit/s     ``iface.rx_bytes`` -> ``iface.rx_bps``
``_packets``    ``_pps``        1       0.001/s     ``iface.rx_packets`` -> ``iface.rx_pps``
``_errors``     ``_errors_ps``  1       0.001/s     ``iface.rx_errors`` -> ``iface.rx_errors_ps``
``_drops``      ``_drops_ps``   1       0.001/s     ``iface.tx_drops`` -> ``iface.tx_drops_ps``
==============  ==============  ======  ==========  ======================================

Each rate is rounded to its resolution (``round(rate, digits)``, half to even),
here and nowhere else. A counter counts whole bytes and whole events: over a
step of a few seconds one byte more or less is 8 bits / step, one event
1 / step, so digits past 1 bit/s or 0.001/s (a step of up to 1,000 s) are
noise, and a value with fewer digits compresses better in storage
(docs/storage.md, "Rates at their resolution").

No rate is produced (and never a negative, NaN, infinite or absurd one) when:

* it is the first reading of a series (nothing to subtract);
* the device rebooted: ``uptime_s`` went down, so every series starts over;
* the counted object was re-created (``identity``, the interface's ``.id``, changed);
* the time between readings is zero or negative;
* the counter went backwards (reset), unless its ``width`` (32 or 64 bits) is
  known and assuming one wrap-around gives a plausible rate;
* the rate exceeds the plausible maximum of its kind (:data:`RATE_RULES`).

Use one calculator per device (uptime is per device). Series not seen for
``max_age`` seconds are forgotten, and at most ``max_series`` are kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Final, cast

from mikromon.domain.samples import (
    CounterBlock,
    CounterReading,
    Labels,
    Sample,
    SampleBlock,
    each_sample,
)

__all__ = ["RATE_RULES", "RateCalculator", "RateRule", "rate_key", "rate_rule"]


@dataclass(frozen=True, slots=True)
class RateRule:
    """How one kind of counter becomes a rate.

    Attributes:
        counter_suffix: suffix of the counter key (``_bytes``).
        rate_suffix: what replaces it in the rate key (``_bps``).
        factor: multiplier per counted unit (8 bits per byte, else 1).
        max_rate: largest plausible rate in the rate's unit; above it the reading
            is treated as a reset, not a rate.
        digits: decimal places a rate keeps (its resolution is ``10 ** -digits``
            of its unit: 0 for whole bits/s, 3 for thousandths of an event/s).
    """

    counter_suffix: str
    rate_suffix: str
    factor: float
    max_rate: float
    digits: int

    def rename(self, counter_key: str) -> str:
        """Return the rate key of ``counter_key``, which ends in ``counter_suffix``."""
        return counter_key[: -len(self.counter_suffix)] + self.rate_suffix


#: The one table of counter -> rate rules (see the module docstring). Plausible
#: maxima: 1 Tbit/s per counter (above any RouterOS port: CCR2216 has 100G ports)
#: and 2e9 events/s (64-byte packets at 1 Tbit/s).
RATE_RULES: Final[tuple[RateRule, ...]] = (
    RateRule("_bytes", "_bps", 8.0, 1e12, 0),
    RateRule("_packets", "_pps", 1.0, 2e9, 3),
    RateRule("_errors", "_errors_ps", 1.0, 2e9, 3),
    RateRule("_drops", "_drops_ps", 1.0, 2e9, 3),
)


def rate_rule(counter_key: str) -> RateRule:
    """Return the rule for a counter key by its suffix.

    Raises:
        ValueError: the key ends in none of the suffixes of :data:`RATE_RULES`.
    """
    for rule in RATE_RULES:
        if counter_key.endswith(rule.counter_suffix):
            return rule
    suffixes = ", ".join(rule.counter_suffix for rule in RATE_RULES)
    raise ValueError(f"counter key {counter_key!r} has no rate rule (suffixes: {suffixes})")


def rate_key(counter_key: str) -> str:
    """Return the rate key of a counter key (``iface.rx_bytes`` -> ``iface.rx_bps``).

    Raises:
        ValueError: as :func:`rate_rule`.
    """
    return rate_rule(counter_key).rename(counter_key)


@dataclass(slots=True)
class _Last:
    value: int
    mono: float
    identity: str


_SeriesKey = tuple[str, Labels]
#: What a value's state is when the block is no tail (never read nor changed).
_NO_STATE: Final = _Last(0, 0.0, "")


@dataclass(slots=True)
class _Tail:
    """A block whose series are the last remembered, in its order (row by row),
    all last read at ``mono``: ``lasts`` are their states (the same objects)."""

    keys: tuple[str, ...]
    labels: tuple[Labels, ...]
    lasts: list[_Last]
    mono: float

#: counter key -> its rule and rate key, for the keys seen (a few dozen).
_RULES_BY_KEY: dict[str, tuple[RateRule, str]] = {}
#: Most keys remembered in :data:`_RULES_BY_KEY` (more are looked up each time).
_RULES_BY_KEY_MAX: Final = 1024


def _rule_of(counter_key: str) -> tuple[RateRule, str]:
    """Return the rule and the rate key of ``counter_key``, remembered.

    Raises:
        ValueError: as :func:`rate_rule`.
    """
    rule = rate_rule(counter_key)
    entry = (rule, rule.rename(counter_key))
    if len(_RULES_BY_KEY) < _RULES_BY_KEY_MAX:
        _RULES_BY_KEY[counter_key] = entry
    return entry


def _one(reading: CounterReading) -> CounterBlock:
    """``reading`` as a block of one row and one column. A value that is not an
    int (``None`` among them) stays one (-1 for ``None``, which a block would
    take for "not read"): the series starts over, as for any value that is no
    counter."""
    value = reading.value if reading.value is not None else -1
    return CounterBlock((reading.key,), (reading.labels,), (reading.identity,), (value,),
                        reading.ts, reading.mono, reading.width)


class RateCalculator:
    """Turn successive counter readings of one device into rate samples.

    Args:
        max_age: seconds (monotonic) after which a series not seen is forgotten;
            keep it above twice the longest interval of a counter-reading tier.
        max_series: upper bound on remembered series (least recently seen go first).

    Not thread-safe; one per device, driven by that device's collector.
    """

    def __init__(self, *, max_age: float = 7200.0, max_series: int = 50_000) -> None:
        if max_age <= 0 or max_series <= 0:
            raise ValueError("max_age and max_series must be positive")
        self._max_age = max_age
        self._max_series = max_series
        self._series: dict[_SeriesKey, _Last] = {}
        self._uptime: float | None = None
        self._now = -math.inf
        #: The last block when its series are the last remembered (see _rates).
        self._tail: _Tail | None = None

    def __len__(self) -> int:
        """Number of series remembered."""
        return len(self._series)

    def reset(self) -> None:
        """Forget every series (e.g. after reconnecting to a different router)."""
        self._series.clear()
        self._uptime = None
        self._tail = None

    def update(self, readings: Sequence[CounterReading | CounterBlock],
               uptime_s: float | None) -> list[Sample]:
        """Take one poll's counter readings and return the rates they allow.

        Args:
            readings: counters read in one poll (any order, any series), one by one
                or a reply's together (:class:`CounterBlock`: the same as its
                :meth:`~CounterBlock.readings` one by one, without making them).
            uptime_s: the device's uptime in seconds from the same poll, or ``None``
                if unknown; a decrease means a reboot and drops every series.

        Returns:
            Rate samples in reading order (a block's row by row): whole bits/s for
            ``*_bytes`` counters, thousandths per second for the others
            (:attr:`RateRule.digits`), each with the reading's ``ts`` and
            ``labels``. Readings that allow no rate (see the module docstring)
            give none.

        Raises:
            ValueError: a reading's key (a block's column key) has no rule in
                :data:`RATE_RULES` (checked before any state changes).
        """
        return each_sample(self.update_items(readings, uptime_s))

    def update_items(self, readings: Sequence[CounterReading | CounterBlock],
                     uptime_s: float | None) -> list[Sample | SampleBlock]:
        """:meth:`update`, with the rates of a block as one :class:`SampleBlock`
        (its rows, a column per counter key's rate key, ``None`` where a counter
        allows no rate; none when no counter of it does) instead of a sample each:
        the same rates, in the same order, as :meth:`update`'s.

        Raises:
            ValueError: as :meth:`update`.
        """
        readings = list(readings)  # read twice below
        blocks = [r if isinstance(r, CounterBlock) else _one(r) for r in readings]
        known = _RULES_BY_KEY
        columns = [[(key, *(known.get(key) or _rule_of(key))) for key in block.keys]
                   for block in blocks]
        if uptime_s is not None and math.isfinite(uptime_s):
            if self._uptime is not None and uptime_s < self._uptime:
                self._series.clear()  # rebooted: every counter started again from zero
                self._tail = None
            self._uptime = uptime_s
        items: list[Sample | SampleBlock] = []
        tail, self._tail = self._tail, None
        for reading, block, block_columns in zip(readings, blocks, columns, strict=True):
            rates: list[float | None] = [None] * len(block.values)
            if (len(blocks) == 1 and tail is not None and block.keys == tail.keys
                    and tuple(block.labels) == tail.labels and None not in block.values):
                self._rates(block, block_columns, rates, tail)
            else:
                self._rates(block, block_columns, rates, None, follows=len(blocks) == 1)
            if rates.count(None) == len(rates):
                continue
            keys = tuple(key for _, _, key in block_columns)
            if reading is block:
                items.append(SampleBlock(keys, block.labels, rates, block.ts))
            else:
                items.append(Sample(keys[0], cast(float, rates[0]), block.ts, block.labels[0]))
        self._prune()
        if self._tail is not None and len(self._series) < len(self._tail.lasts):
            self._tail = None  # pruned into the block's series
        return items

    def _rates(self, block: CounterBlock, columns: list[tuple[str, RateRule, str]],
               rates: list[float | None], tail: _Tail | None, *,
               follows: bool = False) -> None:
        """Put the rates of ``block`` (columns: counter key, rule, rate key) in
        ``rates``, at their counters' places (``None`` stays where there is none).

        ``tail``: the block's series are the last of :attr:`_series`, in the
        block's order, all read at ``tail.mono``: their state is changed in place
        (re-inserting each at the end, in order, would leave the order as it is).
        Else each series is looked up, and when ``follows`` and every series is
        re-inserted (or new) in order, the block's series become the tail.
        """
        remembered = self._series
        isfinite = math.isfinite
        mono, width, values = block.mono, block.width, block.values
        counter_ok = isfinite(mono)
        seen = False
        lasts: list[_Last] = tail.lasts if tail is not None else []
        # each value's row (labels, identity) and column, and its state when a tail
        rows = [row for row in zip(block.labels, block.identities, strict=True)
                for _ in columns]
        states: Iterable[_Last] = lasts if tail is not None else repeat(_NO_STATE)
        whole = True  # every series re-inserted (or inserted) in the block's order
        dt = mono - tail.mono if tail is not None else 0.0
        # One loop over every counter (96 a realtime poll), the previous state
        # reused in place: what follows is the whole rule of the module docstring.
        for index, ((counter_key, rule, _), (labels, identity), value, state) in enumerate(zip(
                columns * len(block.labels), rows, values, states, strict=False)):
            if value is None:
                whole = False
                continue  # not read: no reading
            if not counter_ok or not isinstance(value, int) or value < 0:
                # not a counter value: start the series over (the others of
                # a tail keep their order: no longer the whole tail)
                remembered.pop((counter_key, labels), None)
                whole = False
                continue
            if not seen:
                seen = True
                if mono > self._now:
                    self._now = mono
            if tail is not None:
                if dt <= 0:
                    continue  # same or older reading: keep the newer state
                last = state
            else:
                series = (counter_key, labels)
                found = remembered.get(series)
                if found is None:
                    lasts.append(_Last(value, mono, identity))
                    remembered[series] = lasts[-1]
                    continue
                dt = mono - found.mono
                if dt <= 0:
                    whole = False
                    continue  # same or older reading: keep the newer state
                del remembered[series]  # re-inserted: dict order = least recently seen
                remembered[series] = last = found
                lasts.append(last)
            before, same = last.value, last.identity == identity
            last.value, last.mono, last.identity = value, mono, identity
            if not same:
                continue  # the counted object was re-created
            delta = value - before
            if delta < 0:
                if width not in (32, 64):
                    continue  # reset, width unknown: no wrap assumed
                delta += 1 << width
                if delta < 0:
                    continue
            rate = delta * rule.factor / dt
            if not isfinite(rate) or rate > rule.max_rate:
                continue  # a reset mistaken for a wrap, or a counter that jumped
            # round(rate, digits), cheaper where the result is the same: an
            # unchanged counter's 0.0 as it is, whole units through round(rate).
            digits = rule.digits
            if delta:
                rate = round(rate, digits) if digits else float(round(rate))
            rates[index] = rate
        if tail is not None:
            if whole:
                if dt > 0:
                    tail.mono = mono
                self._tail = tail
        elif follows and whole and len(lasts) == len(values) and len(
                {(key, labels) for labels in block.labels for key in block.keys}) == len(values):
            self._tail = _Tail(block.keys, tuple(block.labels), lasts, mono)

    def _prune(self) -> None:
        series = self._series
        while series:
            oldest = next(iter(series))
            if len(series) <= self._max_series and self._now - series[oldest].mono <= self._max_age:
                break
            del series[oldest]
