"""Samples: one number about one router at one instant, and counter readings
that the rate pipeline turns into per-second rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
