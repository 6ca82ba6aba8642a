"""CounterBlock: a reply's counters column by column, and the readings and raw
samples it stands for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mikromon.domain.samples import (
    CounterBlock,
    CounterReading,
    Sample,
    each_sample,
    has_blocks,
    make_labels,
    sample_count,
)

TS = datetime(2025, 1, 1, tzinfo=UTC)
E1, E2 = make_labels(interface="ether1"), make_labels(interface="ether2")
KEYS = ("iface.rx_bytes", "iface.tx_bytes")


def block(values: list[int | None]) -> CounterBlock:
    return CounterBlock(KEYS, [E1, E2], ["*1", "*2"], values, TS, 50.0, 64)


def test_readings_row_by_row_without_the_counters_not_read() -> None:
    b = block([10, None, 30, 40])
    assert b.readings() == [
        CounterReading("iface.rx_bytes", 10, TS, 50.0, E1, "*1", 64),
        CounterReading("iface.rx_bytes", 30, TS, 50.0, E2, "*2", 64),
        CounterReading("iface.tx_bytes", 40, TS, 50.0, E2, "*2", 64),
    ]
    assert len(b) == 3


def test_samples_are_the_raw_values_as_floats_in_reading_order() -> None:
    samples = block([10, None, 30, 2**63 - 1]).samples()
    assert samples == [Sample("iface.rx_bytes", 10.0, TS, E1),
                       Sample("iface.rx_bytes", 30.0, TS, E2),
                       Sample("iface.tx_bytes", float(2**63 - 1), TS, E2)]
    assert all(type(s.value) is float for s in samples)


def test_an_empty_block_has_no_readings() -> None:
    empty = CounterBlock(KEYS, [], [], [], TS, 50.0)
    assert empty.readings() == []
    assert empty.samples() == []
    assert len(empty) == 0


@pytest.mark.parametrize(("identities", "values", "message"), [
    (["*1"], [1, 2, 3, 4], "1 identities for 2 rows"),
    (["*1", "*2"], [1, 2, 3], "3 values for 2 rows x 2 keys"),
])
def test_a_block_of_the_wrong_shape_is_refused(
    identities: list[str], values: list[int | None], message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        CounterBlock(KEYS, [E1, E2], identities, values, TS, 50.0)


def test_a_block_among_samples_stands_for_its_samples_where_it_is() -> None:
    """What a tier run hands to storage: each block counts, and is made into, the
    samples of its counters read, in its place among the others."""
    cpu = Sample("system.cpu.load_pct", 5.0, TS)
    b = block([10, None, 30, 40])
    items = [cpu, b, cpu]
    assert sample_count(items) == 5
    assert each_sample(items) == [cpu, *b.samples(), cpu]
    assert has_blocks(items)
    assert not has_blocks([cpu, cpu])
    assert sample_count([]) == 0
    assert each_sample([cpu]) == [cpu]
