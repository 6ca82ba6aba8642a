"""Samples: one number about one router at one instant, and counter readings
that the rate pipeline turns into per-second rates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

#: Labels as a sorted tuple of (name, value) pairs, hashable and order-independent.
Labels = tuple[tuple[str, str], ...]


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
