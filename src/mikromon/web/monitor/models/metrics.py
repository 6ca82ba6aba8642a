"""Time series: the metric catalog, one row per series, raw points, rollups and
the latest value of each series.

Storage layout (measured in bench/storage_bytes.py): ``MetricPoint`` and
``MetricRollup`` have composite primary keys and no other index; on SQLite they
are ``WITHOUT ROWID`` tables (see ``migrations/0001_initial.py``), so each point
is stored once, in primary-key order, as (series id, epoch seconds, value).
Timestamps in these two tables are integer Unix seconds, UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.db import models
from django.db.models import Q

from mikromon.domain.samples import Labels
from mikromon.web.monitor.choices import TierChoices
from mikromon.web.monitor.models.devices import Device
from mikromon.web.monitor.report_sql import NARROW_INDEX

#: Rollup steps, seconds: 5 minutes, 1 hour and 1 UTC day.
ROLLUP_STEPS: tuple[int, ...] = (300, 3600, 86400)


def labels_key(labels: Labels | Iterable[tuple[str, str]]) -> str:
    """Return the canonical text of ``labels``: compact JSON of the sorted pairs as an
    object (``{"interface":"ether1"}``; ``{}`` for none). Equal label sets give equal text.
    """
    return json.dumps(dict(sorted(labels)), separators=(",", ":"), ensure_ascii=False)


class MetricCatalog(models.Model):
    """A mirror of :data:`mikromon.domain.catalog.CATALOG` for the UI (filled by
    :func:`mikromon.web.monitor.catalog.sync_catalog` after every migrate)."""

    key = models.CharField(max_length=100, help_text="Metric key, e.g. iface.rx_bps.")
    unit = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)
    tier = models.CharField(max_length=16, choices=TierChoices.choices, blank=True)
    kind = models.CharField(max_length=32, blank=True, help_text="gauge, rate, counter ...")

    class Meta:
        ordering = ["key"]
        verbose_name = "metric"
        constraints = [
            models.UniqueConstraint(fields=["key"], name="monitor_metriccatalog_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Series(models.Model):
    """One time series: a device, a metric key and a label set.

    ``labels_key`` is the canonical text used for uniqueness; ``labels`` holds the
    same pairs as a JSON object for queries (``labels__interface="ether1"``).
    Router-supplied names (health sensors in ``key``, interfaces in the labels)
    can be long: the storage shortens a ``key`` that does not fit to a prefix and
    a digest, and stores a ``labels_key`` that does not fit as ``sha256:<hex>``
    (``labels`` keeps the full names); see :func:`..storage_text.bounded`.
    The 32-bit id keeps every stored point small.
    """

    id = models.AutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="series")
    key = models.CharField(max_length=255)
    labels_key = models.CharField(max_length=500, default="{}")
    labels = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device", "key", "labels_key"]
        verbose_name_plural = "series"
        constraints = [
            models.UniqueConstraint(
                fields=["device", "key", "labels_key"], name="monitor_series_unique"
            ),
        ]
        indexes = [models.Index(fields=["key"], name="monitor_series_key_idx"),
                   # the series browser's label filter (series_listing.label_sets)
                   models.Index(fields=["labels_key"], name="monitor_series_labels_idx",
                                condition=models.Q(labels_key__lt="{}"))]

    def __str__(self) -> str:
        labels = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"{self.key}{{{labels}}}" if labels else self.key


class MetricPoint(models.Model):
    """One raw sample: (series, ``ts`` Unix seconds UTC, value in the catalog unit).

    Composite primary key (series, ts), no other index; a WITHOUT ROWID table on
    SQLite. Written in bulk by DjangoStorage; read with
    :func:`mikromon.web.monitor.readers.read_series`.

    No foreign key constraint in the database (``db_constraint=False``, migration
    ``monitor 0020``): checking it cost the PostgreSQL server about a third of its
    CPU per stored point (bench/RESULTS.md). The series of every point written
    exists all the same: the same transaction upserts the series' latest value,
    whose foreign key is checked, and deleting a device deletes its series'
    latest values first (:mod:`..signals`), then the points (Django's cascade).
    """

    pk = models.CompositePrimaryKey("series", "ts")
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="points", db_index=False,
        db_constraint=False,
    )
    ts = models.BigIntegerField(help_text="Unix seconds, UTC.")
    value = models.FloatField()

    class Meta:
        ordering = ["series", "ts"]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts}={self.value:g}"


class MetricChunk(models.Model):
    """Compressed samples of one series over ``[start_ts, end_ts]``: the compacted
    part of the time-series store (the uncompressed head is :class:`MetricPoint`).

    ``data`` is one chunk of :mod:`mikromon.storage.chunks` (format in
    docs/storage.md); ``start_ts`` and ``end_ts`` are its first and last sample,
    Unix seconds UTC, ``count`` its number of samples. Composite primary key
    (series, start_ts), no other index: a range read is one index range scan per
    series. Written by the compactor, read through :mod:`..points`.
    """

    pk = models.CompositePrimaryKey("series", "start_ts")
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    start_ts = models.BigIntegerField(help_text="First sample, Unix seconds, UTC.")
    end_ts = models.BigIntegerField(help_text="Last sample, Unix seconds, UTC.")
    count = models.IntegerField(help_text="Samples in the chunk.")
    data = models.BinaryField(help_text="The chunk (mikromon.storage.chunks format).")

    class Meta:
        ordering = ["series", "start_ts"]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.start_ts}..{self.end_ts} ({self.count})"


class MetricRollup(models.Model):
    """Count, min, max, average and last value of a series over one bucket of
    ``step`` seconds (:data:`ROLLUP_STEPS`: 300, 3600 or 86400).

    ``ts`` is the bucket start (Unix seconds UTC, a multiple of ``step``: day
    buckets are UTC days); ``count`` the number of raw points it summarises;
    ``last`` the value of its latest raw point (for rows stored before migration
    0018 and never recomputed since: their average, docs/storage.md). The 5-minute
    level is computed from raw points, the hourly one from 5-minute rows and the
    daily one from hourly rows, by
    :func:`mikromon.web.monitor.maintenance.update_rollups`.
    """

    pk = models.CompositePrimaryKey("series", "step", "ts")
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="rollups", db_index=False
    )
    step = models.IntegerField(help_text="Bucket width, seconds (300, 3600 or 86400).")
    ts = models.BigIntegerField(help_text="Bucket start, Unix seconds, UTC.")
    count = models.IntegerField()
    min = models.FloatField()
    max = models.FloatField()
    avg = models.FloatField()
    last = models.FloatField(help_text="Value of the bucket's latest raw point.")

    class Meta:
        ordering = ["series", "step", "ts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step__in=ROLLUP_STEPS), name="monitor_metricrollup_step_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.ts}/{self.step}s avg={self.avg:g}"


class MetricLatest(models.Model):
    """The newest value of each series (upserted on every write)."""

    series = models.OneToOneField(
        Series, on_delete=models.CASCADE, primary_key=True, related_name="latest"
    )
    ts = models.DateTimeField(help_text="When the router answered, UTC.")
    value = models.FloatField()

    class Meta:
        ordering = ["series"]
        verbose_name = "latest value"

    def __str__(self) -> str:
        return f"{self.series_id}={self.value:g}"


class ReportSummary(models.Model):
    """What the traffic reports need of one rate series over one UTC day or calendar
    month, kept as the 5-minute rollups are written
    (:mod:`mikromon.web.monitor.report_summaries`; docs/operations.md, "Reports").

    ``start`` is the period start (Unix seconds UTC); ``samples`` the 5-minute
    averages it holds (hourly stand-ins of aged-out data count twelve, ``hourly``
    says how many); ``rate_sum`` the sum of the positive averages, bps; ``p95`` the
    billing percentile of the averages held (``None`` when ``top`` does not hold
    it); ``p95_high`` a value the percentile cannot pass when up to an hour of
    averages join these (:func:`mikromon.domain.traffic.percentile_high`); ``top``
    the largest averages (:data:`mikromon.domain.traffic.TOP_KEPT`), largest first,
    as little-endian float64. Primary key (level, start, series): one period of
    every series is one range of the key. The index ``monitor_rs_narrow`` holds
    every column but ``top``: the reports that rank or sum a whole fleet read a
    period of every series from it (a row with its ``top`` fills a page of its
    own on SQLite; bench/RESULTS.md).
    """

    pk = models.CompositePrimaryKey("level", "start", "series")
    level = models.CharField(max_length=5, help_text="day or month.")
    start = models.BigIntegerField(help_text="Period start, Unix seconds, UTC.")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="summaries")
    samples = models.IntegerField()
    hourly = models.IntegerField(default=0)
    rate_sum = models.FloatField()
    p95 = models.FloatField(null=True)
    p95_high = models.FloatField(null=True)
    top = models.BinaryField()

    class Meta:
        ordering = ["level", "start", "series"]
        indexes = [models.Index(
            fields=["level", "start", "series", "samples", "hourly", "rate_sum", "p95",
                    "p95_high"], name=NARROW_INDEX)]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.level}:{self.start} n={self.samples}"


class ReportDayRates(models.Model):
    """Every 5-minute average of one rate series over one finished UTC day, in time
    order (``rates``: 288 little-endian float64, NaN where there is none), so that
    the part of a day a report range starts or ends in is read from one row
    (:mod:`mikromon.web.monitor.report_day_rates`). Kept while the day's 5-minute
    rollups are, for days without hourly stand-ins; a table of its own so that
    the summaries' rows stay small. Primary key (day, series).
    """

    pk = models.CompositePrimaryKey("day", "series")
    day = models.BigIntegerField(help_text="Day start, Unix seconds, UTC.")
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="day_rates")
    rates = models.BinaryField()

    class Meta:
        ordering = ["day", "series"]

    def __str__(self) -> str:
        return f"{self.series_id}@{self.day}"
