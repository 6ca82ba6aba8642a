"""The samples of one storage write, column by column: :class:`Cells` of a
device's samples and blocks (:data:`~mikromon.domain.samples.SampleItem`), made
by :func:`cells` without a :class:`~mikromon.domain.samples.Sample` of each
value of a block (a realtime poll's interface counters and rates)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat

from mikromon.domain.samples import Labels, Sample, SampleItem


@dataclass(slots=True)
class Cells:
    """One device's samples of a write, column by column: each sample's key,
    labels, time and value (``float``), non-finite values left out (:func:`cells`)."""

    keys: list[str] = field(default_factory=list)
    labels: list[Labels] = field(default_factory=list)
    ts: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)

    def series(self) -> Iterator[tuple[str, Labels]]:
        """Each sample's (key, labels)."""
        return zip(self.keys, self.labels, strict=True)

    def extend(self, other: Cells) -> None:
        """Append ``other``'s samples after these."""
        self.keys += other.keys
        self.labels += other.labels
        self.ts += other.ts
        self.values += other.values


def cells(items: Iterable[SampleItem]) -> Cells:
    """The samples ``items`` stands for as :class:`Cells`, in order (a block's
    where the block is), without those of a non-finite value."""
    out = Cells()
    keys, labels, times, values = out.keys, out.labels, out.ts, out.values
    isfinite = math.isfinite
    for item in items:
        if isinstance(item, Sample):
            if isfinite(item.value):
                keys.append(item.key)
                labels.append(item.labels)
                times.append(item.ts)
                values.append(float(item.value))
            continue
        block_keys, block_labels, block_values = item.read()
        floats = list(map(float, block_values))
        if not all(map(isfinite, floats)):
            kept = [i for i, value in enumerate(floats) if isfinite(value)]
            block_keys = [block_keys[i] for i in kept]
            block_labels = [block_labels[i] for i in kept]
            floats = [floats[i] for i in kept]
        keys += block_keys
        labels += block_labels
        times += repeat(item.ts, len(floats))
        values += floats
    return out
