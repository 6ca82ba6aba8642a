"""Every reader of raw samples answers the same whether the samples are all head
rows, all in chunks, or split between both (late head rows inside a chunk's span,
a duplicate timestamp): the same samples are stored three times, once per layout
(:mod:`chunk_layouts`), and each reader's answers for the three series compared,
and checked against the samples themselves where the answer is simple to compute."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from chunk_layouts import DUPLICATE_AT, LAYOUTS, WINDOW, samples, store
from django.test import Client

from mikromon.domain.samples import Sample, make_labels
from mikromon.web.monitor import points
from mikromon.web.monitor.models import Device, MetricChunk, Series, labels_key
from mikromon.web.monitor.readers import read_series

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

T0 = 1_714_564_800  # 2024-05-01 12:00 UTC, a multiple of WINDOW
COUNT = 3 * 720  # three hours at 5 s
KEY = "iface.rx_bps"


@pytest.fixture
def stored(device: Device) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The same samples in three series of ``device`` (interfaces named after the
    layouts): ``(ts, values, layout -> series id)``."""
    ts, values = samples(T0, COUNT)
    ids = {}
    for layout in LAYOUTS:
        labels = {"interface": layout}
        series = Series.objects.create(device=device, key=KEY, labels=labels,
                                       labels_key=labels_key(labels.items()))
        store(series.pk, ts, values, layout)
        ids[layout] = series.pk
    return ts, values, ids


#: Ranges read: whole, cutting into chunks at both ends, inside one chunk, one
#: second, before and after the data, across the head/chunk split.
RANGES = [(T0 - 60, T0 + COUNT * 5 + 60), (T0 + 1234, T0 + 2 * WINDOW + 77),
          (T0 + 100, T0 + 200), (T0 + 500, T0 + 501), (T0 - 9000, T0 - 10),
          (T0 + 4 * WINDOW, T0 + 5 * WINDOW), (T0 + 7000, T0 + 9000)]


def _in_range(ts: np.ndarray, values: np.ndarray, start: int, end: int):
    keep = (ts >= start) & (ts < end)
    return ts[keep], values[keep]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_read_points_gives_the_stored_samples_in_every_layout(stored, start, end) -> None:
    """One call for the three series gives each exactly the samples of the range,
    the chunk's value at the duplicate timestamp."""
    ts, values, ids = stored
    got = points.read_points(ids.values(), start, end)
    want_ts, want_values = _in_range(ts, values, start, end)
    for layout, sid in ids.items():
        assert got[sid][0].tolist() == want_ts.tolist(), layout
        assert got[sid][1].tolist() == want_values.tolist(), layout
        assert got[sid][0].dtype == np.int64
        assert got[sid][1].dtype == np.float64


def _expected_buckets(ts: np.ndarray, values: np.ndarray, step: int):
    out: dict[int, list[float]] = {}
    for t, v in zip(ts.tolist(), values.tolist(), strict=True):
        out.setdefault(t // step * step, []).append(v)
    return [(b, min(vs), max(vs), sum(vs), len(vs), vs[-1]) for b, vs in sorted(out.items())]


@pytest.mark.parametrize("step", [1, 7, 60, 300, 3600])
@pytest.mark.parametrize(("start", "end"), RANGES[:3])
def test_aggregate_points_is_the_same_in_every_layout(stored, step, start, end) -> None:
    """Buckets (start, min, max, sum, count, last) equal those computed from the samples."""
    ts, values, ids = stored
    got = points.aggregate_points(ids.values(), start, end, step)
    want = _expected_buckets(*_in_range(ts, values, start, end), step)
    for layout, sid in ids.items():
        assert got[sid].rows() == want, layout


@pytest.mark.parametrize("step", [7, 300])
@pytest.mark.parametrize(("start", "end"), RANGES[:3])
def test_bucket_averages_are_the_same_in_every_layout(stored, step, start, end) -> None:
    """``(series, bucket, average)`` rows equal the buckets' ``sum / count``."""
    ts, values, ids = stored
    got = points.bucket_averages(ids.values(), start, end, step)
    want = _expected_buckets(*_in_range(ts, values, start, end), step)
    assert want
    for layout, sid in ids.items():
        mine = [(b, avg) for s, b, avg in got if s == sid]
        assert [b for b, _ in mine] == [b for b, *_ in want], layout
        assert [a for _, a in mine] == pytest.approx([t / n for _, _, _, t, n, _ in want],
                                                     rel=1e-12), layout
    with pytest.raises(ValueError, match="step must be a positive whole number"):
        points.bucket_averages([1], T0, T0 + 60, 0)


@pytest.mark.parametrize("step", [7, 300])
@pytest.mark.parametrize(("start", "end"), RANGES)
def test_bucket_averages_of_a_condition_are_those_of_its_series(stored, device, step, start,
                                                                end) -> None:
    """The series picked by an SQL condition (head rows in one statement, those a
    chunk meets as by id) give the same rows as their ids; a series of another key
    is left out, one without samples gives none."""
    from mikromon.web.monitor import report_sql

    _ts, _values, ids = stored
    other = Series.objects.create(device=device, key="iface.tx_bps", labels={"interface": "x"},
                                  labels_key=labels_key([("interface", "x")]))
    store(other.pk, *samples(T0, 50), "head")
    Series.objects.create(device=device, key=KEY, labels={"interface": "empty"},
                          labels_key=labels_key([("interface", "empty")]))
    cond = report_sql.series_filter(lambda name: f'"{name}"', [KEY], device.pk)
    got = points.bucket_averages_where(cond, start, end, step)
    assert sorted(got) == sorted(points.bucket_averages(ids.values(), start, end, step))
    assert {sid for sid, _b, _a in got} <= set(ids.values())
    with pytest.raises(ValueError, match="step must be a positive whole number"):
        points.bucket_averages_where(cond, T0, T0 + 60, 0)
    assert points.bucket_averages_where(cond, T0 + 60, T0, 60) == []


def test_aggregate_points_refuses_a_bad_step(stored) -> None:
    for step in (0, -5, 2.5):
        with pytest.raises(ValueError, match="step must be a positive whole number"):
            points.aggregate_points([1], T0, T0 + 60, step)  # type: ignore[arg-type]


@pytest.mark.parametrize(("step", "source"), [(60, "raw"), (15, "raw"), (900, "5m")])
def test_read_series_is_the_same_in_every_layout(stored, step, source) -> None:
    """Charts of raw samples (no rollups yet: a 5-minute step reads raw too)."""
    ts, values, ids = stored
    start, end = T0 + 333, T0 + COUNT * 5
    answers = {layout: read_series(sid, start, end, step) for layout, sid in ids.items()}
    aligned = start // step * step
    want = _expected_buckets(*_in_range(ts, values, aligned, end), step)
    for layout, data in answers.items():
        assert data.source == source
        assert [(b.ts, b.min, b.max, b.avg * b.count, b.count, b.last)
                for b in data.points] == want, layout


def test_series_api_is_the_same_in_every_layout(stored, admin_token, device) -> None:
    """The series endpoint (raw step and chosen step) answers alike for the three."""
    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    start, end = T0 + 600, T0 + COUNT * 5 - 1
    docs = {}
    for layout in LAYOUTS:
        for extra in ("&step=30", ""):
            doc = api.get(f"/api/v1/devices/{device.pk}/series?metric={KEY}&from={start}"
                          f"&to={end}&label=interface={layout}{extra}").json()
            (series,) = doc.pop("series")
            assert series.pop("labels") == {"interface": layout}
            assert series["t"], doc
            docs.setdefault(extra, []).append((doc, series))
    for answers in docs.values():
        assert answers[0] == answers[1] == answers[2]


def test_export_rows_are_the_same_in_every_layout(stored) -> None:
    """Raw export rows (and their count) of the three series are the stored samples."""
    from mikromon.web.monitor.series_export import series_rows

    ts, values, ids = stored
    start, end = T0 + 1000, T0 + COUNT * 5 - 1000
    want_ts, want_values = _in_range(ts, values, start, end)
    for layout, sid in ids.items():
        total, rows = series_rows([sid], start, end, None)
        got = list(rows)
        assert got == [(sid, t, v) for t, v in zip(want_ts.tolist(), want_values.tolist(),
                                                   strict=True)], layout
        # The duplicate timestamp is counted twice in the split layout: an upper bound.
        assert total - len(got) == (1 if layout == "split" else 0)


def test_export_reads_long_ranges_a_day_at_a_time(device) -> None:
    """A range of several days across chunk and day boundaries loses nothing."""
    ts, values = samples(T0 - 86_400, 3 * 17_280, seed=3)
    series = Series.objects.create(device=device, key=KEY, labels_key="{}")
    store(series.pk, ts, values, "split")
    got = list(points.iter_points([series.pk], int(ts[0]), int(ts[-1]) + 1))
    assert [t for _s, t, _v in got] == ts.tolist()
    assert [v for _s, _t, v in got] == values.tolist()
    assert points.count_points([series.pk], int(ts[0]), int(ts[-1]) + 1) == ts.shape[0] + 1


def test_reports_are_the_same_in_every_layout(stored) -> None:
    """5-minute averages, percentile and bytes (no rollups: all from raw samples)."""
    from mikromon.web.monitor import reports

    ts, values, ids = stored
    start, end = T0, T0 + COUNT * 5
    answers = {layout: (reports.interval_rates(sid, start, end),
                        reports.series_percentile(sid, start, end),
                        reports.series_bytes(sid, start, end)) for layout, sid in ids.items()}
    assert answers["head"] == answers["chunks"] == answers["split"]
    (rates, resolution), (p95, n, _res), moved = answers["chunks"]
    want = _expected_buckets(ts, values, 300)
    assert resolution == "5m"
    assert n == len(want) == len(rates)
    assert sorted(v for v, _n in rates) == sorted(s / c for _b, _lo, _hi, s, c, _l in want)
    assert moved == pytest.approx(sum(s / c for *_x, s, c, _l in want) * 300 / 8, rel=1e-12)
    assert p95 is not None


def test_fleet_report_edges_are_the_same_in_every_layout(stored) -> None:
    """series_parts (the fleet reports' edges read from raw samples)."""
    from mikromon.web.monitor.report_traffic import series_parts

    _ts, _values, ids = stored
    parts = series_parts(T0 + 310, T0 + COUNT * 5 - 7, [KEY])
    assert parts[ids["head"]] == parts[ids["chunks"]] == parts[ids["split"]]
    assert parts[ids["head"]].parts[0].samples > 30


def test_previous_point_is_the_same_in_every_layout(stored, device) -> None:
    """The alert preview's point before the latest value, in the head and in chunks
    (and at a timestamp where a late head row and a chunk's sample meet)."""
    from mikromon.web.alerts.services.preview import _previous_points

    ts, values, _ids = stored
    moments = (ts[DUPLICATE_AT] + 1, ts[DUPLICATE_AT + 1], ts[300], ts[-1] + 1, ts[0] + 1, ts[0])
    for at in map(int, moments):
        when = datetime.fromtimestamp(at, tz=UTC)
        got = {layout: _previous_points(device.pk, [Sample(KEY, 1.0, when, make_labels(
            interface=layout))]) for layout in LAYOUTS}
        before = ts < at
        want = [] if not before.any() else [
            (int(ts[before][-1]), float(values[before][-1]))]
        for layout, found in got.items():
            assert [(int(s.ts.timestamp()), s.value) for s in found] == want, (layout, at)


def test_series_list_first_time_is_the_same_in_every_layout(stored, device) -> None:
    """The series browser's and the API's oldest raw sample: head or chunks."""
    from mikromon.web.api.views import kept_step
    from mikromon.web.monitor.series_listing import _first_times, oldest_stored

    ts, _values, ids = stored
    first = _first_times(list(ids.values()))
    assert {first[sid] for sid in ids.values()} == {int(ts[0])}
    oldest = oldest_stored(list(ids.values()))
    assert set(oldest.values()) == {(int(ts[0]), None, None, None)}
    for sid in ids.values():
        assert kept_step(60, T0, [sid], oldest) == 60


def test_a_damaged_chunk_is_left_out_and_logged(stored, caplog) -> None:
    """A chunk that fails its checksum costs its own samples only: the rest of its
    series and the other series are read, and the log names the series."""
    ts, values, ids = stored
    sid = ids["chunks"]
    first = MetricChunk.objects.filter(series_id=sid).order_by("start_ts").first()
    assert first is not None
    damaged = bytearray(first.data)
    damaged[-3] ^= 0xFF
    MetricChunk.objects.filter(series_id=sid, start_ts=first.start_ts).update(
        data=bytes(damaged))
    start, end = T0, T0 + COUNT * 5
    got = points.read_points(ids.values(), start, end)
    kept = ts > first.end_ts
    assert got[sid][0].tolist() == ts[kept].tolist()
    assert got[sid][1].tolist() == values[kept].tolist()
    assert got[ids["head"]][0].tolist() == ts.tolist()
    assert f"series {sid}: a stored chunk cannot be read" in caplog.text
    assert "checksum" in caplog.text
    buckets = points.aggregate_points([sid], start, end, 3600)[sid]
    assert int(buckets.samples.sum()) == int(kept.sum())


def test_empty_and_reversed_ranges_read_nothing(stored) -> None:
    _ts, _values, ids = stored
    for start, end in ((T0 + 50, T0 + 50), (T0 + 60, T0)):
        got = points.read_points(ids.values(), start, end)
        assert all(t.shape == (0,) for t, _v in got.values())
        assert all(not b.ts.shape[0] for b in
                   points.aggregate_points(ids.values(), start, end, 60).values())
        assert points.count_points(ids.values(), start, end) == 0


@pytest.mark.parametrize("step", [15, 900, 3600])
def test_read_many_answers_as_read_series_in_as_many_queries_as_one(stored, step) -> None:
    """Several series over one range (rollups up to their watermark, raw samples
    after it): each answer equals read_series of that series alone, and the
    statements do not grow with the series: per level read its watermark and its
    rollups (the hourly step reads the 5-minute rollups past the hourly
    watermark), the chunk probe, the head rows of series with chunks, the head
    buckets of the others."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mikromon.web.monitor import maintenance
    from mikromon.web.monitor.readers import read_many

    _ts, _values, ids = stored
    maintenance.update_rollups(T0 + 2 * WINDOW + maintenance.ROLLUP_GRACE)
    start, end = T0 + 333, T0 + COUNT * 5
    alone = {sid: read_series(sid, start, end, step) for sid in ids.values()}
    assert {data.source for data in alone.values()} == {"raw" if step == 15 else
                                                         "5m" if step == 900 else "1h"}
    with CaptureQueriesContext(connection) as queries:
        together = read_many([*ids.values(), ids["head"]], start, end, step)
    assert together == alone
    assert len(queries.captured_queries) <= {15: 3, 900: 5, 3600: 7}[step]
    assert read_many([], start, end, 900) == {}
    with pytest.raises(ValueError, match="must be after start"):
        read_many(ids.values(), end, start)


def test_the_step_choice_reads_the_oldest_times_in_one_query(stored,
                                                             django_assert_num_queries
                                                             ) -> None:
    """The series API's step choice reads every series' oldest stored times in one
    query, then decides without another."""
    from mikromon.web.api.views import first_stored, kept_step
    from mikromon.web.monitor.series_listing import oldest_stored

    ts, _values, ids = stored
    with django_assert_num_queries(1):
        oldest = oldest_stored([*ids.values(), 10**9])
    with django_assert_num_queries(0):
        assert kept_step(60, T0, [*ids.values(), 10**9], oldest) == 60
        assert kept_step(3600, T0, list(ids.values()), oldest) == 3600
        assert first_stored(list(ids.values()), int(ts[0]) - 1, oldest) == int(ts[0])
        assert first_stored(list(ids.values()), int(ts[0]), oldest) is None


def test_a_bucket_cut_by_the_rollup_watermark_combines_rollups_and_raw_samples(stored
                                                                                ) -> None:
    """A 30-minute bucket half in the 5-minute rollups, half after their watermark:
    one bucket with the samples of both parts, in every layout (rollups are
    computed from head rows before they are compacted: the other layouts get the
    head layout's)."""
    from mikromon.web.monitor import maintenance
    from mikromon.web.monitor.models import MetricRollup
    from mikromon.web.monitor.readers import read_many

    ts, values, ids = stored
    maintenance.update_rollups(T0 + 2 * WINDOW + 600 + maintenance.ROLLUP_GRACE)
    computed = list(MetricRollup.objects.filter(series_id=ids["head"]))
    MetricRollup.objects.exclude(series_id=ids["head"]).delete()
    for layout in ("chunks", "split"):
        MetricRollup.objects.bulk_create(
            MetricRollup(series_id=ids[layout], step=r.step, ts=r.ts, count=r.count,
                         min=r.min, max=r.max, avg=r.avg, last=r.last) for r in computed)
    assert maintenance.rollup_watermark(300) == T0 + 2 * WINDOW + 600
    start, end = T0, T0 + COUNT * 5
    want = _expected_buckets(*_in_range(ts, values, start, end), 1800)
    for layout, data in read_many(ids.values(), start, end, 1800).items():
        assert data.source == "5m"
        got = [(b.ts, b.min, b.max, b.count, b.last) for b in data.points]
        assert got == [(b, lo, hi, n, last) for b, lo, hi, _s, n, last in want], layout
        assert [b.avg for b in data.points] == pytest.approx(
            [s / n for _b, _lo, _hi, s, n, _l in want], rel=1e-12)
