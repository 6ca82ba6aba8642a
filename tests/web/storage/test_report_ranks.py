"""The ranking of series by the bounds of their percentile over held summaries
(mikromon.web.monitor.report_ranks.ranked_series, numpy) equals the rules of its
docstring applied one summary at a time, and the summaries' sums equal their
rows added up; random summaries with missing percentiles, empty summaries,
missing and infinite upper bounds, ties."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from mikromon.web.monitor.report_ranks import HeldSummaries, ranked_series

Row = tuple[int, int, float | None, float | None, float]


def _held(rows: list[Row]) -> HeldSummaries:
    return HeldSummaries(
        sid=np.array([r[0] for r in rows], np.int64).reshape(len(rows)),
        samples=np.array([r[1] for r in rows], np.int64).reshape(len(rows)),
        p95=np.array([r[2] for r in rows], np.float64).reshape(len(rows)),
        p95_high=np.array([r[3] for r in rows], np.float64).reshape(len(rows)),
        rate_sum=np.array([r[4] for r in rows], np.float64).reshape(len(rows)))


def _reference(rows: list[Row], ids: list[int], added: int
               ) -> tuple[list[int], list[tuple[int, float]], dict[int, float]]:
    """The docstring's rules, a summary at a time."""
    unknown = {sid for sid, n, p95, _high, _sum in rows if p95 is None or n < 1}
    good = [r for r in rows if r[0] not in unknown]
    top: dict[int, float] = {}
    low: dict[int, float] = {}
    high: dict[int, float] = {}
    roomy: set[int] = set()
    for sid, n, p95, p95_high, _sum in good:
        assert p95 is not None
        top[sid] = max(top.get(sid, -math.inf), p95)
        low[sid] = min(low.get(sid, math.inf), p95)
        if n % 20 + added < 20:
            roomy.add(sid)
        if added and p95_high is not None and n >= 20 * added:
            high[sid] = min(high.get(sid, math.inf), p95_high)
    if not added:
        high = dict(top)
    known = sorted(((sid, max(high[sid], top[sid])) for sid in set(ids)
                    if sid in high and high[sid] < math.inf), key=lambda k: (-k[1], k[0]))
    left = sorted(set(ids) - {sid for sid, _bound in known})
    return left, known, {sid: low[sid] for sid in roomy}


@pytest.mark.parametrize("seed", range(40))
def test_ranked_series_equals_the_rules_summary_by_summary(seed: int) -> None:
    rng = random.Random(seed)
    rows: list[Row] = []
    for sid in rng.sample(range(1, 200), 60):
        for _ in range(rng.randint(1, 3)):
            n = rng.choice([0, 5, 19, 20, 39, 100, 288, 8640, 8641])
            level = rng.choice([1e6, 2e6, rng.uniform(0, 9e8)])
            p95 = None if rng.random() < 0.05 else float(level)
            high = rng.choice([None, math.inf, (p95 or 0.0) * rng.uniform(1, 1.5)])
            rows.append((sid, n, p95, high, rng.uniform(0, 1e12)))
    rng.shuffle(rows)
    ids = sorted({r[0] for r in rows if rng.random() < 0.8} | {rng.randint(300, 400)})
    for added in (0, 1, 3, 12):
        assert ranked_series(_held(rows), ids, added) == _reference(rows, ids, added), added


def test_no_summaries() -> None:
    assert ranked_series(_held([]), [4, 2], 3) == ([2, 4], [], {})


def test_sums_add_each_series_rows() -> None:
    rows: list[Row] = [(3, 10, 1.0, None, 5.0), (1, 10, 1.0, None, 2.5), (3, 10, None, 2.0, 1.5)]
    assert _held(rows).sums() == {1: 2.5, 3: 6.5}
