"""DjangoStorage: the :class:`mikromon.storage.protocols.Storage` implementation
(this module also re-exports :class:`DjangoDeviceSource` and :class:`DjangoCollectorLock`).

Called from the collector's writer thread. Each method runs in one transaction
on that thread's own connection (``write_samples_many``: one for all the devices
of a writer cycle).

Failures stay with their device: when a call covering several devices fails for
a reason other than an unavailable database (a value the database refuses), it
is rolled back and each device is written again in a transaction of its own; the
devices that fail again are reported in :class:`~mikromon.domain.errors.PartialWrite`
(with the others' rows stored). A database that takes no writes now (SQLite busy
or locked past its busy timeout, disk full, connection lost: Django's
``OperationalError`` and ``InterfaceError``) raises
:class:`~mikromon.domain.errors.StorageUnavailable` with nothing stored, so the
writer keeps the rows queued and retries.

Text the router supplies never exceeds its column: :func:`bounded` shortens it
(a prefix and a digest of the whole, so distinct names stay distinct) where
it does not fit, in characters and in UTF-8 bytes (PostgreSQL's btree index
entries hold at most about 2,700 bytes). Points go in with one ``executemany`` per call
(``INSERT ... ON CONFLICT DO NOTHING``, so a repeated (series, second) is
skipped); series ids are cached in memory; latest values are upserted and never
move backwards in time. Rollups and retention run from the same thread every
``maintenance_interval`` seconds (see :mod:`.maintenance`): after a sample write
commits, or, with ``defer_maintenance``, when the owner calls :meth:`maintain`
(the storage process does that after it replied, so that maintenance never
delays a write's answer).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction

from mikromon.domain.errors import PartialWrite, StorageUnavailable
from mikromon.domain.events import DeviceStatus, Event, EventKind
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Labels, Sample
from mikromon.web.monitor import maintenance
from mikromon.web.monitor.dbutil import (
    close_connection,
    sqlite_busy_timeout,
    usable_connection,
)
from mikromon.web.monitor.lock import DjangoCollectorLock
from mikromon.web.monitor.models import (
    Device,
    InventoryItem,
    InventorySync,
    LogEntry,
    MetricLatest,
    MetricPoint,
    Series,
    labels_key,
)
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.sources import DjangoDeviceSource

__all__ = ["DjangoCollectorLock", "DjangoDeviceSource", "DjangoStorage"]

log = logging.getLogger(__name__)

#: Longest inventory key stored as is; longer keys are stored as a digest.
MAX_KEY_LENGTH = 500
#: Most UTF-8 bytes of an indexed key column (inventory key, series labels key):
#: the unique index entries stay within PostgreSQL's btree limit (about 2,700
#: bytes per entry, with the other columns of the index).
MAX_KEY_BYTES = 1600
#: Most UTF-8 bytes of a series' metric key (beside its labels key in the index).
MAX_SERIES_KEY_BYTES = 800
#: SQLite: milliseconds a write waits for the write lock (see DjangoStorage).
WRITE_BUSY_TIMEOUT_MS = 2000
#: Rows per UPDATE ... WHERE id IN (...) statement.
_CHUNK = 500

SeriesKey = tuple[str, str]

#: Column widths of ``Series.key`` and ``Series.labels_key``.
_SERIES_KEY_CHARS: int = Series._meta.get_field("key").max_length  # type: ignore[assignment]
_LABELS_KEY_CHARS: int = Series._meta.get_field("labels_key").max_length  # type: ignore[assignment]


def bounded(text: str, max_chars: int, max_bytes: int | None = None) -> str:
    """Return ``text`` when it has at most ``max_chars`` characters (and
    ``max_bytes`` UTF-8 bytes), else its longest prefix that fits followed by
    ``~`` and 16 hex digits of the SHA-256 of the whole text (so two long texts
    with a common prefix stay distinct, and the same text gives the same result).

    Raises:
        ValueError: ``max_chars`` is below 24 (no room for prefix and digest).
    """
    if max_chars < 24:
        raise ValueError(f"max_chars must be at least 24, got {max_chars}")
    if len(text) <= max_chars and (
        max_bytes is None or len(text) * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes
    ):
        return text
    tail = "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    prefix = text[: max_chars - len(tail)]
    if max_bytes is not None:
        prefix = prefix.encode("utf-8")[: max_bytes - len(tail)].decode("utf-8", "ignore")
    return prefix + tail


def _fits(text: str | None, model: type, field: str) -> str | None:
    """``text`` bounded to the ``max_length`` of ``model.field`` (``None`` stays)."""
    if text is None:
        return None
    limit = model._meta.get_field(field).max_length  # type: ignore[attr-defined]
    return text if len(text) <= limit else bounded(text, limit)


def unavailable(err: BaseException) -> bool:
    """Whether ``err`` says the database takes no writes now (busy, locked, full,
    connection lost: ``OperationalError``, ``InterfaceError``) rather than that it
    refused these rows."""
    return isinstance(err, (OperationalError, InterfaceError))


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}".strip()


def inventory_key(snapshot: InventorySnapshot, row: Mapping[str, Any]) -> str:
    """Return the stored identity of ``row``: ``snapshot.row_key(row)``, or
    ``sha256:<hex>`` of it when longer than :data:`MAX_KEY_LENGTH` characters or
    :data:`MAX_KEY_BYTES` UTF-8 bytes."""
    key = snapshot.row_key(row)
    if len(key) > MAX_KEY_LENGTH or (len(key) * 4 > MAX_KEY_BYTES
                                     and len(key.encode("utf-8")) > MAX_KEY_BYTES):
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


#: ``source`` of log rows received by syslog (:mod:`mikromon.syslog.intake`).
SYSLOG_SOURCE = "syslog"
#: How far back a syslog copy hides the same line read later from ``/log``.
SYSLOG_DEDUP_WINDOW = timedelta(days=7)


def log_key(snapshot: InventorySnapshot, row: Mapping[str, Any]) -> str:
    """Return the 32-hex-digit digest identifying a log line: of its key fields, or
    of every field (sorted by name) when the snapshot names no key fields."""
    if snapshot.key_fields:
        ident = snapshot.row_key(row)
    else:
        ident = "\x1f".join(f"{k}={row[k]}" for k in sorted(row))
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32]


def jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``row`` as a JSON-safe dict: non-finite floats become ``None``,
    other non-JSON values their ``str``."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if value is None or isinstance(value, (str, bool, int)):
            out[str(name)] = value
        elif isinstance(value, float):
            out[str(name)] = value if math.isfinite(value) else None
        else:
            out[str(name)] = str(value)
    return out


def _short_wait(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run a write method with the storage's SQLite busy timeout (restored after)."""

    @functools.wraps(method)
    def wrapper(self: DjangoStorage, *args: Any, **kwargs: Any) -> Any:
        if self._busy_timeout_ms is None:
            return method(self, *args, **kwargs)
        try:
            conn = usable_connection(self._using)
            waiting = sqlite_busy_timeout(conn, self._busy_timeout_ms)
            waiting.__enter__()
        except DatabaseError as err:
            if unavailable(err):
                raise StorageUnavailable(_reason(err)) from err
            raise
        try:
            return method(self, *args, **kwargs)
        finally:
            waiting.__exit__(None, None, None)

    return wrapper


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DjangoStorage:
    """Stores samples, inventory, device status and events in the Django database.

    Args:
        using: database alias.
        maintenance_interval: seconds between rollup runs from the sample writes
            (retention runs hourly); ``None`` disables maintenance here (run
            :func:`maintenance.run` elsewhere). The first run is due at once.
        clock: returns Unix seconds (injectable for tests).
        busy_timeout_ms: SQLite: milliseconds a write waits for another
            process's write lock before it raises :class:`StorageUnavailable`
            (the writer keeps the rows and retries); ``None``: the connection's
            own (``MIKROMON_SQLITE_BUSY_TIMEOUT_MS``, 20 s). Short by default:
            measured in bench/db_stall.py, long busy waits in the collector's
            process delayed polling.
        defer_maintenance: ``False``: a sample write that committed runs the
            maintenance that is due before it returns. ``True``: sample writes
            never run it; the owner calls :meth:`maintain` when it suits it.

    Not thread-safe: use one instance per writer thread, and call :meth:`close`
    when that thread ends.
    """

    def __init__(
        self,
        *,
        using: str = "default",
        maintenance_interval: float | None = 60.0,
        clock: Callable[[], float] = time.time,
        defer_maintenance: bool = False,
        busy_timeout_ms: int | None = WRITE_BUSY_TIMEOUT_MS,
    ) -> None:
        self._using = using
        self._busy_timeout_ms = busy_timeout_ms
        self._defer_maintenance = defer_maintenance
        self._series: dict[int, dict[SeriesKey, int]] = {}
        self._labels_text: dict[Labels, str] = {}
        #: labels key digest -> the labels key text it stands for.
        self._digested: dict[str, str] = {}
        self._maintenance_interval = maintenance_interval
        self._clock = clock
        self._next_rollup = 0.0
        self._next_retention = 0.0

    # -- samples -----------------------------------------------------------------

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Append points and upsert latest values.

        Samples with a non-finite value are skipped; a second sample for the same
        series and second is ignored. Timestamps are stored as whole Unix seconds.

        Returns:
            The number of points stored (0 when the device no longer exists).
        """
        return self.write_samples_many(((device_id, samples),))

    @_short_wait
    def write_samples_many(self, batches: Sequence[tuple[int, Sequence[Sample]]]) -> int:
        """Write several devices' samples in ONE transaction: one multi-row insert
        (SQLite: one ``executemany``) for all points and one upsert for the latest
        value of each series (the newest sample of the call, deduplicated here).

        Per ``(device_id, samples)`` pair: non-finite values skipped, repeated
        (series, second) ignored, latest never moving back; metric keys and label
        sets longer than their columns are :func:`bounded` (the ``labels`` column
        keeps the full label values).
        Samples of devices deleted meanwhile are dropped (logged) and the other
        devices' samples are written. When the call fails otherwise, each device
        is written again in its own transaction.

        Args:
            batches: ``(device_id, samples)`` pairs; a device may appear more than once.

        Returns:
            The number of points stored.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            PartialWrite: some devices' samples were refused (``failed``: device id
                to reason) or not tried because the database became unavailable
                (``pending``); the other devices' points were stored (``written``).
        """
        by_device: dict[int, list[Sample]] = {}
        for device_id, samples in batches:
            finite = [s for s in samples if math.isfinite(s.value)]
            if finite:
                by_device.setdefault(device_id, []).extend(finite)
        if not by_device:
            return 0
        try:
            self._connection()
            written = self._write_samples(by_device)
        except DatabaseError as err:
            # Series created in the rolled-back transaction are gone: forget them.
            for device_id in by_device:
                self._series.pop(device_id, None)
            if unavailable(err):
                raise StorageUnavailable(_reason(err)) from err
            # A device deleted meanwhile (foreign keys are checked at commit), a
            # cached series deleted, or one device's rows refused: each device again
            # on its own, so that one device's failure stays its own.
            written = self._write_each(by_device)
        if not self._defer_maintenance:
            self.maintain()
        return written

    def _write_each(self, by_device: Mapping[int, Sequence[Sample]]) -> int:
        """Write each device's samples in its own transaction (after a failed
        batch); raise :class:`PartialWrite` when some failed or were not tried."""
        written = 0
        failed: dict[int, str] = {}
        devices = list(by_device)
        for index, device_id in enumerate(devices):
            try:
                written += self._write_samples({device_id: by_device[device_id]})
            except DatabaseError as err:
                self._series.pop(device_id, None)
                if unavailable(err):
                    if not written and not failed:
                        raise StorageUnavailable(_reason(err)) from err
                    raise PartialWrite(written, failed, tuple(devices[index:])) from err
                if not self._device_exists(device_id):
                    log.warning("samples for deleted device id %s dropped", device_id)
                    continue
                failed[device_id] = _reason(err)
        if failed:
            raise PartialWrite(written, failed)
        return written

    def _device_exists(self, device_id: int) -> bool:
        try:
            return Device.objects.using(self._using).filter(pk=device_id).exists()
        except DatabaseError:
            return True

    def _labels_key(self, labels: Labels) -> str:
        """The stored labels key of ``labels``: :func:`labels_key`, or ``sha256:<hex>``
        of it when it does not fit the column (the full labels are kept in
        :attr:`_digested` for creating the series)."""
        text = self._labels_text.get(labels)
        if text is None:
            if len(self._labels_text) > 100_000:
                self._labels_text.clear()
            text = labels_key(labels)
            if len(text) > _LABELS_KEY_CHARS or (
                len(text) * 4 > MAX_KEY_BYTES and len(text.encode("utf-8")) > MAX_KEY_BYTES
            ):
                digest = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
                self._digested[digest] = text
                text = digest
            self._labels_text[labels] = text
        return text

    def _series_key(self, key: str) -> str:
        if len(key) <= _SERIES_KEY_CHARS and len(key) * 4 <= MAX_SERIES_KEY_BYTES:
            return key
        return bounded(key, _SERIES_KEY_CHARS, MAX_SERIES_KEY_BYTES)

    def _write_samples(self, by_device: Mapping[int, Sequence[Sample]]) -> int:
        if len(self._digested) > 10_000:
            self._digested.clear()
        with transaction.atomic(using=self._using):
            conn = self._connection()
            if conn.vendor == "postgresql":
                # Like SQLite's synchronous=NORMAL: commit without waiting for the WAL
                # flush. A server crash can lose the last fraction of a second of
                # points, never consistency; other writes keep full durability.
                with conn.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
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
                for sample, series_key in zip(samples, keys[device_id], strict=True):
                    series_id = device_ids[series_key]
                    ts = sample.ts
                    second = epoch.get(ts)
                    if second is None:
                        second = epoch[ts] = int(ts.timestamp())
                    points.append((series_id, second, float(sample.value)))
                    current = latest.get(series_id)
                    if current is None or ts >= current.ts:
                        latest[series_id] = sample
            written = self._insert_points(points)
            self._upsert_latest(latest)
        return written

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
                           labels=_labels(self._digested.get(lk, lk)))
                    for d in sorted(missing)
                    for key, lk in sorted(missing[d])
                ],
                ignore_conflicts=True,
                batch_size=_CHUNK,
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
        for chunk in _chunks(devices):
            rows = Series.objects.using(self._using).filter(device_id__in=chunk, key__in=names)
            for series_id, device_id, key, lk in rows.values_list(
                "id", "device_id", "key", "labels_key"
            ):
                caches[device_id][(key, lk)] = series_id

    def _insert_points(self, points: list[tuple[int, int, float]]) -> int:
        conn = usable_connection(self._using)
        table = conn.ops.quote_name(MetricPoint._meta.db_table)
        head = f"INSERT INTO {table} (series_id, ts, value)"
        return _insert_rows(conn, head, "ON CONFLICT DO NOTHING", points)

    def _upsert_latest(self, latest: Mapping[int, Sample]) -> None:
        conn = usable_connection(self._using)
        qn = conn.ops.quote_name
        name = qn(MetricLatest._meta.db_table)
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
        _insert_rows(conn, f"INSERT INTO {name} (series_id, ts, value)", tail, rows)

    # -- inventory ---------------------------------------------------------------

    @_short_wait
    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Sync one table (see the Protocol); ``append_only`` snapshots go to LogEntry
        (a line read from ``/log`` that was already received by syslog is skipped).

        Every snapshot, also one without rows, records ``snapshot.ts`` as the table's
        read time (:class:`InventorySync`, one upsert), so a table the router reported
        empty reads "none reported" with its time rather than "nothing collected".
        Missing device: the snapshot is dropped with a warning. A table name
        longer than its column is :func:`bounded`.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            django.db.DatabaseError: the database refused the snapshot.
        """
        table = _fits(snapshot.table, InventoryItem, "table")
        if table != snapshot.table:
            snapshot = dataclasses.replace(snapshot, table=table)
        try:
            self._connection()
            with transaction.atomic(using=self._using):
                if snapshot.append_only:
                    self._append_log(device_id, snapshot)
                else:
                    self._sync_inventory(device_id, snapshot)
                self._record_sync(device_id, snapshot)
        except IntegrityError:
            if self._device_exists(device_id):
                raise
            log.warning("inventory %s for deleted device id %s dropped", snapshot.table, device_id)
        except DatabaseError as err:
            if unavailable(err):
                raise StorageUnavailable(_reason(err)) from err
            raise

    def _sync_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        ts = snapshot.ts
        reported = {inventory_key(snapshot, row): jsonable(row) for row in snapshot.rows}
        items = InventoryItem.objects.using(self._using)
        existing = {
            key: (pk, data, gone)
            for pk, key, data, gone in items.filter(
                device_id=device_id, table=snapshot.table
            ).values_list("pk", "key", "data", "gone")
        }
        create, changed, unchanged = [], [], []
        for key, data in reported.items():
            known = existing.get(key)
            if known is None:
                create.append(
                    InventoryItem(
                        device_id=device_id, table=snapshot.table, key=key, data=data,
                        first_seen=ts, last_seen=ts, changed_at=ts,
                    )
                )
            elif known[1] != data or known[2]:
                changed.append(
                    InventoryItem(
                        pk=known[0], data=data, last_seen=ts, gone=False, gone_at=None,
                        changed_at=ts if known[1] != data else None,
                    )
                )
            else:
                unchanged.append(known[0])
        items.bulk_create(create, batch_size=_CHUNK)
        data_changed = [item for item in changed if item.changed_at is not None]
        items.bulk_update(
            data_changed, ["data", "last_seen", "gone", "gone_at", "changed_at"], batch_size=_CHUNK
        )
        back = [item.pk for item in changed if item.changed_at is None]
        for chunk in _chunks(back):
            items.filter(pk__in=chunk).update(last_seen=ts, gone=False, gone_at=None)
        for chunk in _chunks(unchanged):
            items.filter(pk__in=chunk).update(last_seen=ts)
        vanished = [
            pk for key, (pk, _, gone) in existing.items() if key not in reported and not gone
        ]
        for chunk in _chunks(vanished):
            items.filter(pk__in=chunk).update(gone=True, gone_at=ts)

    def _record_sync(self, device_id: int, snapshot: InventorySnapshot) -> None:
        InventorySync.objects.using(self._using).bulk_create(
            [InventorySync(device_id=device_id, table=snapshot.table, synced_at=snapshot.ts)],
            update_conflicts=True, unique_fields=["device", "table"], update_fields=["synced_at"],
        )

    def _append_log(self, device_id: int, snapshot: InventorySnapshot) -> None:
        entries: dict[str, LogEntry] = {}
        skip = self._received_by_syslog(device_id, snapshot)
        for i, row in enumerate(snapshot.rows):
            if i in skip:
                continue
            key = log_key(snapshot, row)
            entries[key] = LogEntry(
                device_id=device_id,
                key=key,
                time=str(row.get("time") or "")[:40],
                topics=str(row.get("topics") or "")[:200],
                message=str(row.get("message") or ""),
                data=jsonable(row),
                seen_at=snapshot.ts,
            )
        LogEntry.objects.using(self._using).bulk_create(
            list(entries.values()), ignore_conflicts=True, batch_size=_CHUNK
        )

    def _received_by_syslog(self, device_id: int, snapshot: InventorySnapshot) -> set[int]:
        """Indexes of polled rows (no ``source``) already stored as received by
        syslog: same message, the syslog copy's topics all among the row's (the BSD
        format carries only the severity), received within
        :data:`SYSLOG_DEDUP_WINDOW`. Each stored copy stands for one row; the newest
        rows are matched first (the router prints oldest first). Heuristic: the
        router's clock zone is unknown, so times are not compared."""
        polled = [(i, row) for i, row in enumerate(snapshot.rows)
                  if row.get("source") != SYSLOG_SOURCE]
        if not polled:
            return set()
        messages = {str(row.get("message") or "") for _, row in polled}
        copies: dict[str, list[frozenset[str]]] = {}
        found = LogEntry.objects.using(self._using).filter(
            device_id=device_id, seen_at__gte=snapshot.ts - SYSLOG_DEDUP_WINDOW,
            message__in=messages,
        ).values_list("message", "topics", "data")
        for message, topics, data in found:
            if isinstance(data, dict) and data.get("source") == SYSLOG_SOURCE:
                copies.setdefault(message, []).append(frozenset(topics.split(",")))
        skip: set[int] = set()
        if not copies:
            return skip
        for i, row in reversed(polled):
            candidates = copies.get(str(row.get("message") or ""))
            if not candidates:
                continue
            topics = set(str(row.get("topics") or "").split(","))
            for n, pushed in enumerate(candidates):
                if pushed <= topics:
                    del candidates[n]
                    skip.add(i)
                    break
        return skip

    # -- status and events -------------------------------------------------------

    @_short_wait
    def write_status(self, status: DeviceStatus) -> None:
        """Update the device's state, last seen, last error and facts.

        ``status_changed_at`` is set to ``status.ts`` when the state changes. Uses
        ``QuerySet.update``: status writes do not change the configuration version.
        Identity, board and version longer than their columns are :func:`bounded`.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            django.db.DatabaseError: the database refused the status.
        """
        fields: dict[str, Any] = {"state": status.state.value, "last_error": status.last_error}
        if status.last_seen is not None:
            fields["last_seen"] = status.last_seen
        for name, value in (
            ("identity", status.identity), ("board", status.board),
            ("ros_version", status.version),
        ):
            if value is not None:
                fields[name] = _fits(value, Device, name)
        try:
            self._connection()
            devices = Device.objects.using(self._using).filter(pk=status.device_id)
            with transaction.atomic(using=self._using):
                devices.exclude(state=status.state.value).update(
                    status_changed_at=status.ts, **fields
                )
                devices.filter(state=status.state.value).update(**fields)
        except DatabaseError as err:
            if unavailable(err):
                raise StorageUnavailable(_reason(err)) from err
            raise

    @_short_wait
    def write_events(self, events: Sequence[Event]) -> None:
        """Append events (events of devices deleted meanwhile are dropped).

        A ``path_absent`` event is skipped when it repeats the newest
        ``path_absent`` event of that device and ``path`` word for word and no
        ``version_changed`` event of that device came after that one (each
        collector start finds the absent paths again; an operator is told once per
        router version).

        When the call fails for a reason other than an unavailable database, each
        device's events are written again in a transaction of their own.

        Raises:
            StorageUnavailable: the database takes no writes now; nothing was stored.
            PartialWrite: some devices' events were refused (``failed``) or not
                tried (``pending``: the database became unavailable); the other
                devices' events were stored (``written``: their number).
        """
        if not events:
            return
        try:
            self._connection()
            self._write_events(events)
            return
        except DatabaseError as err:
            if unavailable(err):
                raise StorageUnavailable(_reason(err)) from err
        by_device: dict[int, list[Event]] = {}
        for e in events:
            by_device.setdefault(e.device_id, []).append(e)
        written = 0
        failed: dict[int, str] = {}
        devices = list(by_device)
        for index, device_id in enumerate(devices):
            try:
                written += self._write_events(by_device[device_id])
            except DatabaseError as err:
                if unavailable(err):
                    if not written and not failed:
                        raise StorageUnavailable(_reason(err)) from err
                    raise PartialWrite(written, failed, tuple(devices[index:])) from err
                failed[device_id] = _reason(err)
        if failed:
            raise PartialWrite(written, failed)

    def _write_events(self, events: Sequence[Event]) -> int:
        """Write ``events`` in one transaction; return how many were stored."""
        with transaction.atomic(using=self._using):
            known = set(
                Device.objects.using(self._using)
                .filter(pk__in={e.device_id for e in events})
                .values_list("pk", flat=True)
            )
            rows: list[EventRow] = []
            #: (device id, path) -> the standing announcement, for this batch.
            announced: dict[tuple[int, str], str] = {}
            #: devices whose version changed in this batch.
            upgraded: set[int] = set()
            for e in events:
                if e.device_id not in known:
                    continue
                if e.kind is EventKind.VERSION_CHANGED:
                    upgraded.add(e.device_id)
                    announced = {k: v for k, v in announced.items() if k[0] != e.device_id}
                elif e.kind is EventKind.PATH_ABSENT:
                    key = (e.device_id, e.path)
                    if key not in announced and e.device_id not in upgraded:
                        announced[key] = self._standing_absent(*key)
                    if announced.get(key) == e.message:
                        continue
                    announced[key] = e.message
                rows.append(
                    EventRow(device_id=e.device_id, ts=e.ts, kind=e.kind.value,
                             message=e.message, path=e.path, severity=e.severity.value)
                )
            EventRow.objects.using(self._using).bulk_create(rows, batch_size=_CHUNK)
        return len(rows)

    def _standing_absent(self, device_id: int, path: str) -> str:
        """Return the message of the newest ``path_absent`` event of the device and
        path, or ``""`` when there is none or a ``version_changed`` event came after it."""
        events = EventRow.objects.using(self._using).filter(device_id=device_id)
        newest = (
            events.filter(kind=EventKind.PATH_ABSENT.value, path=path)
            .order_by("-id").values_list("id", "message").first()
        )
        if newest is None:
            return ""
        later = events.filter(kind=EventKind.VERSION_CHANGED.value, id__gt=newest[0])
        return "" if later.exists() else newest[1]

    # -- housekeeping ------------------------------------------------------------

    def maintenance_due(self) -> bool:
        """Whether :meth:`maintain` would run rollups now (always ``False`` when
        ``maintenance_interval`` is ``None``)."""
        return self._maintenance_interval is not None and self._clock() >= self._next_rollup

    def maintain(self) -> bool:
        """Run the maintenance that is due: rollups every ``maintenance_interval``
        seconds, retention every :data:`maintenance.RETENTION_INTERVAL` seconds.

        Each part runs in its own transaction on this thread's connection; a
        failure is logged (collection continues) and the part is tried again at
        its next turn. Never raises for a database error.

        Returns:
            Whether anything was due (and was run).
        """
        if not self.maintenance_due():
            return False
        assert self._maintenance_interval is not None
        now = self._clock()
        self._next_rollup = now + self._maintenance_interval
        try:
            self._connection()
            maintenance.update_rollups(now, using=self._using)
            if now >= self._next_retention:
                self._next_retention = now + maintenance.RETENTION_INTERVAL
                maintenance.apply_retention(now, using=self._using)
        except Exception:
            log.exception("storage maintenance failed; collection continues")
        return True

    def _connection(self) -> Any:
        """This thread's connection, reconnected if it broke."""
        return usable_connection(self._using)

    def forget_series(self, device_id: int | None = None) -> None:
        """Drop cached series ids (of one device, or all)."""
        if device_id is None:
            self._series.clear()
        else:
            self._series.pop(device_id, None)

    def close(self) -> None:
        """Close this thread's database connection."""
        close_connection(self._using)


#: Rows per multi-row INSERT statement on PostgreSQL.
_VALUES_CHUNK = 1000


def _insert_rows(conn: Any, head: str, tail: str, rows: Sequence[tuple[Any, ...]]) -> int:
    """Run ``head VALUES (...) tail`` for ``rows``; return the rows affected.

    SQLite: ``executemany`` (one prepared statement, reused). PostgreSQL: multi-row
    ``VALUES`` lists, so the server parses one statement per chunk, not per row.
    """
    if not rows:
        return 0
    width = len(rows[0])
    group = "(" + ", ".join(["%s"] * width) + ")"
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.executemany(f"{head} VALUES {group} {tail}", rows)
            return max(cursor.rowcount, 0)
        total = 0
        for chunk in _chunks(rows, _VALUES_CHUNK):
            sql = f"{head} VALUES {', '.join([group] * len(chunk))} {tail}"
            cursor.execute(sql, [value for row in chunk for value in row])
            total += max(cursor.rowcount, 0)
        return total


def _labels(text: str) -> dict[str, str]:
    return dict(json.loads(text))
