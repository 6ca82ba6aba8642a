"""Samples: one number about one router at one instant, and counter readings
(one by one, or a reply's together as a :class:`CounterBlock`) that the rate
pipeline turns into per-second rates.

What a tier run hands to storage is a sequence of :data:`SampleItem`: samples,
the raw counters of a reply as the :class:`CounterBlock` they were read in, and
their rates as one :class:`SampleBlock` (a block stands for its samples: a
realtime poll's 96 interface counters and 96 rates are two objects on their way
to storage, not 192). :func:`sample_count` counts the samples such a sequence
stands for, :func:`each_sample` makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeAlias, TypeVar, cast

#: Labels as a sorted tuple of (name, value) pairs, hashable and order-independent.
Labels = tuple[tuple[str, str], ...]

_Row = TypeVar("_Row")


def make_labels(**labels: str) -> Labels:
    """Return ``labels`` as a sorted, hashable :data:`Labels` tuple."""
    return tuple(sorted(labels.items()))


@dataclass(frozen=True, slots=True)
class Sample:
    """A gauge value ready to store.

    Attributes:
        key: metric key from the catalog (``system.cpu.load_pct``, ``iface.rx_bps``).
        value: the value in the unit the catalog gives for ``key`` (float).
        ts: when the router answered, timezone-aware UTC.
        labels: e.g. ``(("interface", "ether1"),)``; empty for device-wide metrics.
    """

    key: str
    value: float
    ts: datetime
    labels: Labels = ()

    def __init__(self, key: str, value: float, ts: datetime, labels: Labels = ()) -> None:
        # What the generated __init__ does (frozen: each slot set through object),
        # with the slots' setters bound once: about half the cost per sample, and a
        # realtime poll makes a few hundred samples.
        _SET_SAMPLE_KEY(self, key)
        _SET_SAMPLE_VALUE(self, value)
        _SET_SAMPLE_TS(self, ts)
        _SET_SAMPLE_LABELS(self, labels)

    def label(self, name: str) -> str | None:
        """Return the value of label ``name``, or ``None``."""
        for k, v in self.labels:
            if k == name:
                return v
        return None


@dataclass(frozen=True, slots=True)
class CounterReading:
    """One reading of a monotonically increasing router counter.

    Attributes:
        key: counter key (``iface.rx_bytes``); the rate pipeline derives the rate key.
        value: the counter as the router sent it (int, unit of the counter).
        ts: wall-clock UTC time the reply arrived (what gets stored).
        mono: monotonic seconds when the reply arrived (what rates divide by).
        labels: identifies the series (``interface``).
        identity: what identifies the counted object on the router (the
            interface's ``.id``); a change means it was re-created: no rate.
        width: counter width in bits (32 or 64) when known, for wrap handling.
    """

    key: str
    value: int
    ts: datetime
    mono: float
    labels: Labels = ()
    identity: str = ""
    width: int | None = None

    def __init__(self, key: str, value: int, ts: datetime, mono: float, labels: Labels = (),
                 identity: str = "", width: int | None = None) -> None:
        # As Sample.__init__: the slots' setters bound once (96 readings a poll).
        _SET_READING_KEY(self, key)
        _SET_READING_VALUE(self, value)
        _SET_READING_TS(self, ts)
        _SET_READING_MONO(self, mono)
        _SET_READING_LABELS(self, labels)
        _SET_READING_IDENTITY(self, identity)
        _SET_READING_WIDTH(self, width)


@dataclass(frozen=True, slots=True)
class CounterBlock:
    """The counters of one reply, column by column: what a :class:`CounterReading`
    holds for each counter, with what the counters of one table share (keys,
    rows, time, width) held once instead of once per counter.

    A realtime poll reads 96 interface counters (12 interfaces x 8); as a block
    they are one object and one flat list, not 96 readings.

    Attributes:
        keys: the counter key of each column (``iface.rx_bytes`` ...): ``k`` columns.
        labels: the labels of each row (its counters' series): ``n`` rows.
        identities: what identifies each row's object on the router (the
            interface's ``.id``), one per row; see :attr:`CounterReading.identity`.
        values: ``n x k`` counters row by row (row ``r``, column ``c`` at
            ``values[r * k + c]``): the counter as the router sent it (int),
            ``None`` where that counter of that row was not read (no reading).
        ts: wall-clock UTC time the reply arrived (every counter's).
        mono: monotonic seconds when the reply arrived (every counter's).
        width: counter width in bits (32 or 64) when known, for wrap handling.

    Raises:
        ValueError: ``identities`` is not one per row, or ``values`` not
            ``n x k`` long.
    """

    keys: tuple[str, ...]
    labels: Sequence[Labels]
    identities: Sequence[str]
    values: Sequence[int | None]
    ts: datetime
    mono: float
    width: int | None = None

    def __post_init__(self) -> None:
        rows = len(self.labels)
        if len(self.identities) != rows:
            raise ValueError(f"counter block: {len(self.identities)} identities for {rows} rows")
        if len(self.values) != rows * len(self.keys):
            raise ValueError(f"counter block: {len(self.values)} values for {rows} rows x "
                             f"{len(self.keys)} keys")

    def __len__(self) -> int:
        """The number of counters read (values that are not ``None``)."""
        return len(self.values) - self.values.count(None)

    def readings(self) -> list[CounterReading]:
        """Return the counters read as readings, row by row, each row's in column
        order (what the block stands for; for callers that are not hot paths)."""
        ts, mono, width = self.ts, self.mono, self.width
        rows = _per_value(zip(self.labels, self.identities, strict=True), self.keys)
        return [CounterReading(key, value, ts, mono, labels, identity, width)
                for key, (labels, identity), value in zip(
                    self.keys * len(self.labels), rows, self.values, strict=True)
                if value is not None]

    def samples(self, only: Container[str] | None = None) -> list[Sample]:
        """Return the counters read as samples of their raw values (``float``), in
        the order of :meth:`readings`: what storage keeps as each counter's
        latest value (``only``: of those keys only)."""
        ts = self.ts
        return [Sample(key, float(value), ts, labels)
                for key, labels, value in zip(*self.read(only), strict=True)]

    def read(self, only: Container[str] | None = None
             ) -> tuple[list[str], list[Labels], list[int]]:
        """Return the counters read, in the order of :meth:`readings`, as three
        lists: each one's key, labels and value (what :meth:`samples` holds,
        without making a sample of each; ``only``: of those keys only)."""
        return _read(self.keys, self.labels, self.values, only)


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """Samples of one instant, column by column: a value per row and key, with
    the keys, rows and time held once (a realtime poll's 96 interface rates are
    one object, not 96 samples). It stands for its :meth:`samples`.

    Attributes:
        keys: the metric key of each column (``iface.rx_bps`` ...): ``k`` columns.
        labels: the labels of each row: ``n`` rows.
        values: ``n x k`` values row by row (row ``r``, column ``c`` at
            ``values[r * k + c]``), in the unit the catalog gives for the key;
            ``None`` where that row has no sample of that key.
        ts: when the router answered, timezone-aware UTC (every sample's).

    Raises:
        ValueError: ``values`` is not ``n x k`` long.
    """

    keys: tuple[str, ...]
    labels: Sequence[Labels]
    values: Sequence[float | None]
    ts: datetime

    def __post_init__(self) -> None:
        if len(self.values) != len(self.labels) * len(self.keys):
            raise ValueError(f"sample block: {len(self.values)} values for {len(self.labels)} "
                             f"rows x {len(self.keys)} keys")

    def __len__(self) -> int:
        """The number of samples (values that are not ``None``)."""
        return len(self.values) - self.values.count(None)

    def samples(self, only: Container[str] | None = None) -> list[Sample]:
        """Return the samples, row by row, each row's in column order (``only``:
        of those keys only)."""
        ts = self.ts
        return [Sample(key, value, ts, labels)
                for key, labels, value in zip(*self.read(only), strict=True)]

    def read(self, only: Container[str] | None = None
             ) -> tuple[list[str], list[Labels], list[float]]:
        """Return the samples, in the order of :meth:`samples`, as three lists: each
        one's key, labels and value (``only``: of those keys only)."""
        return _read(self.keys, self.labels, self.values, only)


_Value = TypeVar("_Value", int, float)


def _per_value(rows: Iterable[_Row], keys: tuple[str, ...]) -> list[_Row]:
    """Each of a block's ``rows`` once per key: what row each value belongs to."""
    return [row for row in rows for _ in keys]


def _read(keys: tuple[str, ...], labels: Sequence[Labels], values: Sequence[_Value | None],
          only: Container[str] | None) -> tuple[list[str], list[Labels], list[_Value]]:
    """The key, labels and value of each value of a block that is not ``None``
    (and whose key is in ``only``, when given), in the block's order."""
    columns = keys * len(labels)
    rows = _per_value(labels, keys)
    if only is None and None not in values:
        return list(columns), rows, cast("list[_Value]", list(values))
    kept = [i for i, value in enumerate(values)
            if value is not None and (only is None or columns[i] in only)]
    return ([columns[i] for i in kept], [rows[i] for i in kept],
            cast("list[_Value]", [values[i] for i in kept]))


#: One item of what a tier run hands to storage: a sample, or a block standing for
#: its samples (:meth:`CounterBlock.samples`, :meth:`SampleBlock.samples`).
SampleItem: TypeAlias = Sample | CounterBlock | SampleBlock


def sample_count(items: Iterable[SampleItem]) -> int:
    """The number of samples ``items`` stands for (a block counts its values that
    are not ``None``)."""
    return sum(1 if isinstance(item, Sample) else len(item) for item in items)


def each_sample(items: Iterable[SampleItem]) -> list[Sample]:
    """The samples ``items`` stands for, in order (each block's samples where the
    block is)."""
    out: list[Sample] = []
    for item in items:
        if isinstance(item, Sample):
            out.append(item)
        else:
            out += item.samples()
    return out


def has_blocks(items: Sequence[SampleItem]) -> bool:
    """Whether ``items`` holds a block (:class:`CounterBlock`, :class:`SampleBlock`)."""
    return not all(isinstance(item, Sample) for item in items)


def _setter(cls: type, name: str) -> Callable[[object, object], None]:
    """Return the setter of slot ``name`` of ``cls`` (what ``object.__setattr__``
    calls for it, without the lookup; a frozen dataclass's own ``__setattr__`` is
    bypassed as its generated ``__init__`` bypasses it)."""
    setter: Callable[[object, object], None] = cls.__dict__[name].__set__
    return setter


_SET_SAMPLE_KEY: Final = _setter(Sample, "key")
_SET_SAMPLE_VALUE: Final = _setter(Sample, "value")
_SET_SAMPLE_TS: Final = _setter(Sample, "ts")
_SET_SAMPLE_LABELS: Final = _setter(Sample, "labels")
_SET_READING_KEY: Final = _setter(CounterReading, "key")
_SET_READING_VALUE: Final = _setter(CounterReading, "value")
_SET_READING_TS: Final = _setter(CounterReading, "ts")
_SET_READING_MONO: Final = _setter(CounterReading, "mono")
_SET_READING_LABELS: Final = _setter(CounterReading, "labels")
_SET_READING_IDENTITY: Final = _setter(CounterReading, "identity")
_SET_READING_WIDTH: Final = _setter(CounterReading, "width")
