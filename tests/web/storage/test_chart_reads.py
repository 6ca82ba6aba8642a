"""Chart reads (``readers.read_many`` and the series API) against a reference
computed in Python from the stored rows and the generated samples: rollup levels
to their watermarks, the last minutes not yet rolled up from raw samples (head
rows, chunks, or both merged), gaps (buckets without their closing rollup row),
buckets cut by the range and by the watermarks; and the joining of bucket parts
against the row-by-row merge the reader used before it worked on arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from chunk_layouts import LAYOUTS, store
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from mikromon.web.monitor import maintenance
from mikromon.web.monitor.bucket_join import join
from mikromon.web.monitor.models import ROLLUP_STEPS, MetricPoint, MetricRollup, Series, labels_key
from mikromon.web.monitor.points import Buckets
from mikromon.web.monitor.readers import read_many, read_series
from mikromon.web.monitor.rollup_marks import rollup_watermark

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

DAY = 86_400
T0 = 1_714_521_600  # 2024-05-01 00:00 UTC
#: Two days and a half of samples every 20 s (now and then a second late), an
#: hour missing and a few 5-minute holes.
END = T0 + 2 * DAY + 12 * 3600
NOW = END + maintenance.ROLLUP_GRACE - 1_000  # the last ~17 minutes not rolled up


def _samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = np.arange(T0, END, 20, dtype=np.int64) + (rng.random((END - T0) // 20) < 0.1)
    hole = ((ts >= T0 + DAY + 3600) & (ts < T0 + DAY + 7200)) | (ts // 300 % 7 == 3)
    values = np.round(rng.normal(1e6, 2e5, ts.shape[0]) * 4) / 4
    return ts[~hole], values[~hole]


@pytest.fixture(params=LAYOUTS)
def chart(request, device) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Three series of generated samples rolled up to ``NOW`` and stored in a layout:
    series id -> its samples ``(ts, values)`` (the values readers must give)."""
    out = {}
    for i in range(3):
        labels = {"interface": f"ether{i + 1}"}
        series = Series.objects.create(device=device, key="iface.rx_bps", labels=labels,
                                       labels_key=labels_key(labels.items()))
        out[series.pk] = _samples(i)
        store(series.pk, *out[series.pk], "head")
    maintenance.update_rollups(NOW)  # then compacted, as the compactor follows the rollups
    if request.param != "head":
        MetricPoint.objects.all().delete()
        for sid, (ts, values) in out.items():
            store(sid, ts, values, request.param)
    return out


def _reference(samples: tuple[np.ndarray, np.ndarray], sid: int, start: int, end: int,
               step: int) -> list[tuple[int, int, float, float, float, float]]:
    """``(ts, count, min, max, sum, last)`` per bucket as docs/storage.md describes
    the read: each rollup level dividing the step from the coarsest to its
    watermark, then the raw samples; a bucket split between parts combined."""
    start = start // step * step
    groups: list[list[tuple[int, int, float, float, float, float]]] = []
    at = start
    resolution = next((r for r in reversed(ROLLUP_STEPS) if step >= r and not step % r), 0)
    for level in (r for r in reversed(ROLLUP_STEPS) if r <= resolution and not step % r):
        mark = min(end, rollup_watermark(level) or at)
        if mark <= at:
            continue
        part: dict[int, list[MetricRollup]] = {}
        for row in MetricRollup.objects.filter(series_id=sid, step=level, ts__gte=at,
                                               ts__lt=mark).order_by("ts"):
            part.setdefault(row.ts // step * step, []).append(row)
        groups.append([(b, sum(r.count for r in rs), min(r.min for r in rs),
                        max(r.max for r in rs), sum(r.avg * r.count for r in rs), rs[-1].last)
                       for b, rs in part.items() if sum(r.count for r in rs)])
        at = mark
    ts, values = samples
    inside = (ts >= at) & (ts < end)
    raw: dict[int, list[float]] = {}
    for t, v in zip(ts[inside].tolist(), values[inside].tolist(), strict=True):
        raw.setdefault(t // step * step, []).append(v)
    groups.append([(b, len(vs), min(vs), max(vs), sum(vs), vs[-1]) for b, vs in raw.items()])
    merged: list[tuple[int, int, float, float, float, float]] = []
    for row in (r for g in groups for r in g):
        if merged and merged[-1][0] == row[0]:
            b, n, lo, hi, total, _ = merged.pop()
            row = (b, n + row[1], min(lo, row[2]), max(hi, row[3]), total + row[4], row[5])
        merged.append(row)
    return merged


@pytest.mark.parametrize("step", [60, 300, 900, 1800, 3600, 7200, 10800, DAY])
def test_read_many_gives_the_reference_buckets(chart, step) -> None:
    start, end = T0 + 4 * 3600 + 17, END + 1
    got = read_many(list(chart), start, end, step)
    for sid, samples in chart.items():
        want = _reference(samples, sid, start, end, step)
        points = got[sid].points
        assert [(b.ts, b.count, b.min, b.max, b.last) for b in points] == \
            [(t, n, lo, hi, last) for t, n, lo, hi, _s, last in want]
        # Rollup averages are stored divided: their sums agree to rounding.
        assert [b.avg for b in points] == pytest.approx(
            [s / n for _t, n, _lo, _hi, s, _l in want], rel=1e-12)
        assert got[sid].points == read_series(sid, start, end, step).points


def test_buckets_without_their_closing_row_and_cut_by_the_watermark(chart) -> None:
    """The 5-minute holes leave 15-minute buckets whose last rollup row is not the
    closing one; the watermark cuts a bucket in two parts (rollups, raw)."""
    sid = next(iter(chart))
    mark = rollup_watermark(300)
    assert mark is not None
    assert mark % 900
    closing = set(MetricRollup.objects.filter(series_id=sid, step=300)
                  .values_list("ts", flat=True))
    open_buckets = {b for b in range(T0, mark - 900, 900) if b + 600 not in closing
                    and {b, b + 300} & closing}
    assert open_buckets
    got = {b.ts: b for b in read_many([sid], T0, END + 1, 900)[sid].points}
    ts, values = chart[sid]
    for b in [*sorted(open_buckets)[:5], mark // 900 * 900]:
        inside = (ts >= b) & (ts < b + 900)
        assert got[b].last == values[inside][-1]
        assert got[b].count == int(inside.sum())


def test_the_series_api_gives_the_buckets_of_read_many(chart, device) -> None:
    user = get_user_model().objects.create_superuser("chart", password="chart-pass-1")
    client = Client()
    client.force_login(user)
    resp = client.get(reverse("api:series", args=[device.pk]),
                      {"metric": "iface.rx_bps", "from": T0, "to": END, "points": 600})
    assert resp.status_code == 200, resp.content[:300]
    body = resp.json()
    got = read_many(list(chart), T0, END + 1, body["step"])
    assert (body["step"], body["source"], len(body["series"])) == (600, "5m", 3)
    for sid, series in zip(sorted(chart), body["series"], strict=True):
        points = got[sid].points
        assert series == {"labels": {"interface": Series.objects.get(pk=sid)
                                     .labels["interface"]},
                          "t": [b.ts for b in points], "v": [b.avg for b in points],
                          "min": [b.min for b in points], "max": [b.max for b in points],
                          "last": [b.last for b in points]}


def _rows_merged(parts: list[Buckets]) -> list[tuple[float, ...]]:
    """The row-by-row merge the reader used before :func:`join` (numbers as
    Python gives them: a NaN ``min``/``max`` kept only when it comes first)."""
    merged: list[tuple[float, ...]] = []
    for row in (r for p in parts for r in p.rows()):
        if merged and int(merged[-1][0]) == int(row[0]):
            ts, lo, hi, total, n, _ = merged.pop()
            row = (ts, min(float(lo), float(row[1])), max(float(hi), float(row[2])),
                   float(total) + float(row[3]), int(n) + int(row[4]), row[5])
        merged.append(row)
    return merged


def _part(ts: list[int], rng: np.random.Generator) -> Buckets:
    n = len(ts)
    lo = rng.normal(0, 1, n)
    lo[rng.random(n) < 0.2] = math.nan
    return Buckets(np.array(ts, np.int64), lo, lo + rng.random(n), rng.normal(0, 9, n),
                   rng.integers(1, 9, n), rng.normal(0, 1, n))


@pytest.mark.django_db(False)
@pytest.mark.parametrize("seed", range(20))
def test_join_combines_parts_as_the_row_merge_did(seed) -> None:
    """Random parts meeting at one bucket (two or three parts sharing it), empty
    parts, NaN mins and maxes: the same numbers, bit for bit (NaN for NaN)."""
    rng = np.random.default_rng(seed)
    cut1, cut2 = sorted(rng.integers(2, 40, 2).tolist())
    parts = [_part(list(range(0, cut1 + 1)), rng), _part([], rng),
             _part(list(range(cut1, cut2 + 1)), rng), _part([cut2] if seed % 2 else [], rng),
             _part(list(range(cut2, cut2 + 5)), rng)]
    got, want = join(parts).rows(), _rows_merged(parts)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(np.array(g, float), np.array(w, float), equal_nan=True)


@pytest.mark.django_db(False)
def test_join_of_nothing_and_of_one_part() -> None:
    rng = np.random.default_rng(1)
    one = _part([0, 5, 9], rng)
    assert join([]).ts.shape == (0,)
    assert join([_part([], rng), one]) is one


def test_the_series_api_writes_a_value_that_is_not_a_number_as_null(device) -> None:
    """Chunks can hold NaN samples: the bucket's average is then NaN, written as
    JSON's null (Python's json would write NaN, which JSON parsers refuse)."""
    labels = {"interface": "ether1"}
    series = Series.objects.create(device=device, key="iface.rx_bps", labels=labels,
                                   labels_key=labels_key(labels.items()))
    ts = np.arange(T0, T0 + 600, 20, dtype=np.int64)
    values = np.arange(ts.shape[0], dtype=np.float64)
    values[1] = math.nan  # in the first minute
    store(series.pk, ts, values, "chunks")
    user = get_user_model().objects.create_superuser("chart", password="chart-pass-1")
    client = Client()
    client.force_login(user)
    resp = client.get(reverse("api:series", args=[device.pk]),
                      {"metric": "iface.rx_bps", "from": T0, "to": T0 + 599, "step": 60})
    assert resp.status_code == 200
    body = resp.json()["series"][0]
    assert body["t"] == list(range(T0, T0 + 600, 60))
    assert body["v"][0] is None
    assert body["v"][1:] == [float(3 * k + 1) for k in range(1, 10)]
    assert (body["min"][0], body["max"][0], body["last"][0]) == (0.0, 2.0, 2.0)
