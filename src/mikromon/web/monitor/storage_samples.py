"""Sample writes of :class:`~.storage.DjangoStorage`: series, points, latest values.

Points go in with one ``executemany`` (SQLite) or one binary ``COPY`` into a
staging table and one ``INSERT ... SELECT`` (PostgreSQL, :mod:`.storage_copy`)
per call (``ON CONFLICT DO NOTHING``, so a repeated (series, second) is skipped);
series ids are cached in memory, by the samples' own (key, labels); the samples
of a write are read column by column (:class:`~.sample_cells.Cells`: a block
without a sample made of each value); latest values
are upserted the same way, once per series and call, and never move backwards in
time; raw router counters are kept only as latest values
(:func:`mikromon.domain.catalog.keeps_history`). Metric keys and label sets longer
than their columns are shortened (:mod:`.storage_text`); the ``labels`` column keeps
the full values.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from django.db import IntegrityError, transaction

from mikromon.domain import catalog
from mikromon.domain.samples import Labels
from mikromon.web.monitor import storage_copy
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MetricLatest, MetricPoint, Series, labels_key
from mikromon.web.monitor.sample_cells import Cells
from mikromon.web.monitor.storage_sql import CHUNK, chunks, insert_rows
from mikromon.web.monitor.storage_text import (
    MAX_SERIES_KEY_BYTES,
    bounded,
    digest_key,
    max_length,
)

log = logging.getLogger(__name__)

SeriesKey = tuple[str, str]

# Like SQLite's synchronous=NORMAL: commit without waiting for the WAL flush (as
# SET LOCAL, for the sample writes' transactions only). A server crash can lose
# the last fraction of a second of points, never consistency; other writes keep
# full durability.
_ASYNC_COMMIT: Final = "set_config('synchronous_commit', 'off', true)"

#: PostgreSQL: calls whose points are moved with a conflict check after a call
#: met a stored point (the plain insert is tried again after them).
CHECKED_CALLS = 100
#: The savepoint around the plain insert of points, and SQLSTATE unique_violation
#: (PostgreSQL documentation, Appendix A "PostgreSQL Error Codes").
_PLAIN: Final = "mikromon_points"
_UNIQUE_VIOLATION: Final = "23505"

#: Column widths of ``Series.key`` and ``Series.labels_key``.
_SERIES_KEY_CHARS: Final = max_length(Series, "key")
_LABELS_KEY_CHARS: Final = max_length(Series, "labels_key")
#: Shortened label keys whose full text a writer remembers; past it both maps are
#: emptied together (the full text is needed to create a series).
DIGESTS_KEPT = 10_000


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
        #: device id -> {(sample key, sample labels): series id}: the same ids as
        #: ``_series``, found without working out the stored keys.
        self._by_sample: dict[int, dict[tuple[str, Labels], int]] = {}
        #: PostgreSQL: whether the staging tables may be used (None: not asked yet).
        self._staging: bool | None = None
        #: PostgreSQL: calls left whose points are moved with a conflict check.
        self._checked_calls = 0

    def forget(self, device_id: int | None = None) -> None:
        """Drop cached series ids (of one device, or all): after a rolled-back
        transaction the series it created are gone."""
        if device_id is None:
            self._series.clear()
            self._by_sample.clear()
        else:
            self._series.pop(device_id, None)
            self._by_sample.pop(device_id, None)

    def write(self, by_device: Mapping[int, Cells]) -> int:
        """Write the (finite) samples of each device in ONE transaction: one insert
        of all points (``ON CONFLICT DO NOTHING``: of two points of a series in the
        same second the first is kept) and one upsert of the newest sample of each
        series; return the number of points stored.

        PostgreSQL: each of the two is a binary ``COPY`` into a staging table and
        one ``INSERT ... SELECT`` (:mod:`.storage_copy`), or, when the database
        user may not create temporary tables, multi-row ``INSERT`` statements;
        SQLite: one ``executemany`` each.

        Raises:
            django.db.DatabaseError: the transaction failed (rolled back; the
                cached series of these devices may be stale: call :meth:`forget`).
            IntegrityError: a device was deleted meanwhile (its series could not
                be created).
        """
        if len(self._digested) > DIGESTS_KEPT:
            self._digested.clear()
            self._labels_text.clear()  # its shortened keys need the full texts above
        # In a caller's transaction the staging tables need more care (fill_stages).
        nested = usable_connection(self._using).in_atomic_block
        with transaction.atomic(using=self._using):
            conn = usable_connection(self._using)
            points, latest = self._rows(by_device, self._sample_series(by_device))
            if conn.vendor == "postgresql" and self._may_stage(conn):
                return self._store_copied(conn, points, latest, nested)
            return self._store_inserted(conn, points, latest)

    def _may_stage(self, conn: Any) -> bool:
        """PostgreSQL: whether the staging tables can be used (asked once per
        writer; without them the writes go in by multi-row ``INSERT``, slower)."""
        if self._staging is None:
            with conn.cursor() as cursor:
                self._staging = storage_copy.may_stage(cursor)
            if not self._staging:
                log.warning(
                    "the database user may not create temporary tables (privilege "
                    "TEMPORARY): samples are written by multi-row INSERT, slower than "
                    "by COPY (GRANT TEMPORARY ON DATABASE to it)"
                )
        return self._staging

    def _sample_series(self, by_device: Mapping[int, Cells]) -> dict[int, list[int]]:
        """Return ``{device_id: [series id of each sample, in order]}``, creating
        missing series. A known (key, labels) pair costs one dict lookup; the
        stored keys are worked out only for pairs not seen before."""
        out: dict[int, list[Any]] = {}
        unknown: dict[int, dict[tuple[str, Labels], SeriesKey]] = {}
        for device_id, samples in by_device.items():
            cache = self._by_sample.get(device_id)
            if cache is None:
                cache = self._by_sample[device_id] = {}
            ids = out[device_id] = list(map(cache.get, samples.series()))
            if None in ids:
                unknown[device_id] = {
                    pair: (self._series_key(pair[0]), self._labels_key(pair[1]))
                    for pair, sid in zip(samples.series(), ids, strict=True)
                    if sid is None
                }
        if unknown:
            found = self._series_ids({d: set(pairs.values()) for d, pairs in unknown.items()})
            for device_id, pairs in unknown.items():
                cache = self._by_sample[device_id]
                stored = found[device_id]
                for pair, key in pairs.items():
                    cache[pair] = stored[key]
                samples = by_device[device_id]
                out[device_id] = list(map(cache.__getitem__, samples.series()))
        return out

    def _rows(
        self, by_device: Mapping[int, Cells], ids: Mapping[int, list[int]]
    ) -> tuple[list[tuple[int, int, float]], dict[int, tuple[datetime, float]]]:
        """Return the points to insert, ``(series id, Unix second, value)`` in the
        order of the samples (those of keys that keep history), and the newest
        ``(ts, value)`` of each series (the later sample wins a tie)."""
        history = self._keeps_history
        points: list[tuple[int, int, float]] = []
        append = points.append
        latest: dict[int, tuple[datetime, float]] = {}
        newest = latest.get
        epoch: dict[datetime, int] = {}
        last_ts: datetime | None = None
        second = 0
        for device_id, samples in by_device.items():
            for key, ts, value, series_id in zip(samples.keys, samples.ts, samples.values,
                                                 ids[device_id], strict=True):
                if ts is not last_ts:  # a device's samples mostly share one instant
                    last_ts = ts
                    cached = epoch.get(ts)
                    if cached is None:
                        cached = epoch[ts] = int(ts.timestamp())
                    second = cached
                if history(key):
                    append((series_id, second, value))
                current = newest(series_id)
                if current is None or ts >= current[0]:
                    latest[series_id] = (ts, value)
        return points, latest

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
    def _statements(conn: Any) -> tuple[str, str, str]:
        """The head of both inserts, the points' conflict rule and the latest
        values' upsert rule (never moving a stored value back in time)."""
        latest = conn.ops.quote_name(MetricLatest._meta.db_table)
        return (
            "INSERT INTO {} (series_id, ts, value)",
            "ON CONFLICT DO NOTHING",
            "ON CONFLICT (series_id) DO UPDATE SET ts = excluded.ts, value = excluded.value "
            f"WHERE excluded.ts >= {latest}.ts",
        )

    def _store_inserted(
        self, conn: Any, points: list[tuple[int, int, float]],
        latest: Mapping[int, tuple[datetime, float]],
    ) -> int:
        """One :func:`insert_rows` of the points, one of the latest values
        (SQLite: ``executemany``; PostgreSQL: multi-row ``VALUES`` lists)."""
        head, keep_first, keep_newest = self._statements(conn)
        table = conn.ops.quote_name
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                cursor.execute(f"SELECT {_ASYNC_COMMIT}")
        written = insert_rows(conn, head.format(table(MetricPoint._meta.db_table)),
                              keep_first, points)
        insert_rows(conn, head.format(table(MetricLatest._meta.db_table)), keep_newest,
                    _latest_rows(latest, conn.ops.adapt_datetimefield_value))
        return written

    def _store_copied(
        self, conn: Any, points: list[tuple[int, int, float]],
        latest: Mapping[int, tuple[datetime, float]], nested: bool,
    ) -> int:
        """PostgreSQL: both row sets copied into the staging tables, then moved on
        in one round trip: the latest values' upsert, then the points by a plain
        ``INSERT ... SELECT`` in a savepoint (no conflict check per row: about a
        quarter of the server's CPU per point, bench/RESULTS.md). A point already
        stored (same series and second, also twice in the call) makes that insert
        fail; it is rolled back to the savepoint and the points are moved again
        with ``ON CONFLICT DO NOTHING``, as are the next :data:`CHECKED_CALLS`
        calls' (conflicts come in runs: a router's clock, a write repeated after
        an outage).
        """
        head, keep_first, keep_newest = self._statements(conn)
        table = conn.ops.quote_name
        move = "SELECT series_id, ts, value FROM pg_temp.{}"
        into_points = (f"{head.format(table(MetricPoint._meta.db_table))} "
                       f"{move.format('mikromon_point_stage')}")
        newest = (f"{head.format(table(MetricLatest._meta.db_table))} "
                  f"{move.format('mikromon_latest_stage')} {keep_newest}")
        checked = f"WITH stored AS ({into_points} {keep_first} RETURNING 1)"
        with conn.cursor() as cursor:
            storage_copy.fill_stages(cursor, {
                "mikromon_point_stage": points,
                "mikromon_latest_stage": _latest_rows(latest, storage_copy.pg_microseconds),
            }, nested=nested)
            if self._checked_calls:
                self._checked_calls -= 1
                cursor.execute(f"{checked}, newest AS ({newest}) "
                               f"SELECT (SELECT count(*) FROM stored), {_ASYNC_COMMIT}")
                return int(cursor.fetchone()[0])
            try:
                cursor.execute(f"{newest}; SELECT {_ASYNC_COMMIT}; SAVEPOINT {_PLAIN}; "
                               f"{into_points}; RELEASE SAVEPOINT {_PLAIN}")
                return len(points)
            except IntegrityError as err:
                if not _conflict(err, MetricPoint._meta.db_table):
                    raise
            self._checked_calls = CHECKED_CALLS
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_PLAIN}")
            cursor.execute(f"{checked} SELECT count(*) FROM stored")
            return int(cursor.fetchone()[0])


def _conflict(err: IntegrityError, table: str) -> bool:
    """Whether ``err`` is a unique violation in ``table`` (a point already stored),
    not a refused row of another kind."""
    cause = err.__cause__
    diag = getattr(cause, "diag", None)
    return (getattr(cause, "sqlstate", None) == _UNIQUE_VIOLATION
            and getattr(diag, "table_name", None) == table)


def _latest_rows(
    latest: Mapping[int, tuple[datetime, float]], adapt: Callable[[datetime], Any]
) -> list[tuple[int, Any, float]]:
    """``(series id, adapt(ts), value)`` of ``latest`` in series id order (so that
    concurrent writers lock rows in the same order); ``adapt`` runs once per
    distinct instant."""
    adapted: dict[datetime, Any] = {}
    rows = []
    for sid in sorted(latest):
        ts, value = latest[sid]
        stored = adapted.get(ts)
        if stored is None:
            stored = adapted[ts] = adapt(ts)
        rows.append((sid, stored, value))
    return rows
