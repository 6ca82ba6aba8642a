"""Sample writes of :class:`~.storage.DjangoStorage`: series, points, latest values.

Points go in with one ``executemany`` (SQLite) or multi-row ``INSERT`` (PostgreSQL)
per call (``INSERT ... ON CONFLICT DO NOTHING``, so a repeated (series, second) is
skipped); series ids are cached in memory; latest values are upserted and never
move backwards in time; raw router counters are kept only as latest values
(:func:`mikromon.domain.catalog.keeps_history`). Metric keys and label sets longer
than their columns are shortened (:mod:`.storage_text`); the ``labels`` column keeps
the full values.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from django.db import IntegrityError, transaction

from mikromon.domain import catalog
from mikromon.domain.samples import Labels, Sample
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MetricLatest, MetricPoint, Series, labels_key
from mikromon.web.monitor.storage_sql import CHUNK, chunks, insert_rows
from mikromon.web.monitor.storage_text import (
    MAX_SERIES_KEY_BYTES,
    bounded,
    digest_key,
    max_length,
)

SeriesKey = tuple[str, str]

#: Column widths of ``Series.key`` and ``Series.labels_key``.
_SERIES_KEY_CHARS: Final = max_length(Series, "key")
_LABELS_KEY_CHARS: Final = max_length(Series, "labels_key")


class SampleWriter:
    """Writes samples of several devices in one transaction, caching series ids.

    Args:
        using: database alias.

    Not thread-safe: one instance per writer thread (it belongs to one
    :class:`~.storage.DjangoStorage`).
    """

    def __init__(self, using: str) -> None:
        self._using = using
        #: device id -> {(metric key, labels key): series id}.
        self._series: dict[int, dict[SeriesKey, int]] = {}
        self._labels_text: dict[Labels, str] = {}
        #: labels key digest -> the labels key text it stands for.
        self._digested: dict[str, str] = {}

    def forget(self, device_id: int | None = None) -> None:
        """Drop cached series ids (of one device, or all): after a rolled-back
        transaction the series it created are gone."""
        if device_id is None:
            self._series.clear()
        else:
            self._series.pop(device_id, None)

    def write(self, by_device: Mapping[int, Sequence[Sample]]) -> int:
        """Write the (finite) samples of each device in ONE transaction: one insert
        of all points (``ON CONFLICT DO NOTHING``) and one upsert for the newest
        sample of each series; return the number of points stored.

        Raises:
            django.db.DatabaseError: the transaction failed (rolled back; the
                cached series of these devices may be stale: call :meth:`forget`).
            IntegrityError: a device was deleted meanwhile (its series could not
                be created).
        """
        if len(self._digested) > 10_000:
            self._digested.clear()
        with transaction.atomic(using=self._using):
            conn = usable_connection(self._using)
            if conn.vendor == "postgresql":
                # Like SQLite's synchronous=NORMAL: commit without waiting for the WAL
                # flush. A server crash can lose the last fraction of a second of
                # points, never consistency; other writes keep full durability.
                with conn.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            history = self._keeps_history
            labels_key_of = self._labels_key
            series_key = self._series_key
            keys = {
                device_id: [(series_key(s.key), labels_key_of(s.labels)) for s in samples]
                for device_id, samples in by_device.items()
            }
            ids = self._series_ids({d: set(k) for d, k in keys.items()})
            points = []
            latest: dict[int, Sample] = {}
            epoch: dict[datetime, int] = {}
            for device_id, samples in by_device.items():
                device_ids = ids[device_id]
                for sample, key in zip(samples, keys[device_id], strict=True):
                    series_id = device_ids[key]
                    ts = sample.ts
                    second = epoch.get(ts)
                    if second is None:
                        second = epoch[ts] = int(ts.timestamp())
                    if history(sample.key):
                        points.append((series_id, second, float(sample.value)))
                    current = latest.get(series_id)
                    if current is None or ts >= current.ts:
                        latest[series_id] = sample
            written = self._insert_points(conn, points)
            self._upsert_latest(conn, latest)
        return written

    @staticmethod
    @functools.cache
    def _keeps_history(key: str) -> bool:
        """Whether ``key``'s samples are stored as points too, not only as the latest
        value (:func:`mikromon.domain.catalog.keeps_history`; cached per key)."""
        return catalog.keeps_history(key)

    def _labels_key(self, labels: Labels) -> str:
        """The stored labels key of ``labels``: :func:`labels_key`, or ``sha256:<hex>``
        of it when it does not fit the column (the full labels are kept in
        :attr:`_digested` for creating the series)."""
        text = self._labels_text.get(labels)
        if text is None:
            if len(self._labels_text) > 100_000:
                self._labels_text.clear()
            full = labels_key(labels)
            text = digest_key(full, _LABELS_KEY_CHARS)
            if text != full:
                self._digested[text] = full
            self._labels_text[labels] = text
        return text

    @staticmethod
    def _series_key(key: str) -> str:
        return bounded(key, _SERIES_KEY_CHARS, MAX_SERIES_KEY_BYTES)

    def _series_ids(
        self, wanted: Mapping[int, set[SeriesKey]]
    ) -> dict[int, dict[SeriesKey, int]]:
        """Return ``{device_id: {series key: series id}}`` covering ``wanted``,
        creating missing series (one load, one insert and one reload for all
        devices together)."""
        caches = {d: self._series.setdefault(d, {}) for d in wanted}
        missing = {d: keys - caches[d].keys() for d, keys in wanted.items()}
        missing = {d: keys for d, keys in missing.items() if keys}
        if missing:
            self._load_series(missing, caches)
            missing = {d: keys - caches[d].keys() for d, keys in missing.items()}
            missing = {d: keys for d, keys in missing.items() if keys}
        if missing:
            Series.objects.using(self._using).bulk_create(
                [
                    Series(device_id=d, key=key, labels_key=lk,
                           labels=dict(json.loads(self._digested.get(lk, lk))))
                    for d in sorted(missing)
                    for key, lk in sorted(missing[d])
                ],
                ignore_conflicts=True,
                batch_size=CHUNK,
            )
            self._load_series(missing, caches)
            for d, keys in missing.items():
                if keys - caches[d].keys():
                    # The device was deleted meanwhile: handled by the caller's retry.
                    raise IntegrityError(f"series of device id {d} could not be created")
        return caches

    def _load_series(
        self, keys: Mapping[int, set[SeriesKey]], caches: Mapping[int, dict[SeriesKey, int]]
    ) -> None:
        """Cache the ids of stored series of ``keys``' devices and metric keys."""
        devices = sorted(keys)
        names = {key for wanted in keys.values() for key, _ in wanted}
        for chunk in chunks(devices):
            rows = Series.objects.using(self._using).filter(device_id__in=chunk, key__in=names)
            for series_id, device_id, key, lk in rows.values_list(
                "id", "device_id", "key", "labels_key"
            ):
                caches[device_id][(key, lk)] = series_id

    @staticmethod
    def _insert_points(conn: Any, points: list[tuple[int, int, float]]) -> int:
        table = conn.ops.quote_name(MetricPoint._meta.db_table)
        head = f"INSERT INTO {table} (series_id, ts, value)"
        return insert_rows(conn, head, "ON CONFLICT DO NOTHING", points)

    @staticmethod
    def _upsert_latest(conn: Any, latest: Mapping[int, Sample]) -> None:
        name = conn.ops.quote_name(MetricLatest._meta.db_table)
        tail = (
            "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value "
            f"WHERE excluded.ts >= {name}.ts"
        )
        adapted: dict[datetime, Any] = {}
        rows = []
        for sid, sample in sorted(latest.items()):
            ts = adapted.get(sample.ts)
            if ts is None:
                ts = adapted[sample.ts] = conn.ops.adapt_datetimefield_value(sample.ts)
            rows.append((sid, ts, float(sample.value)))
        insert_rows(conn, f"INSERT INTO {name} (series_id, ts, value)", tail, rows)
