"""The latest values a scrape exposes, read through a per-process cache of what each
series is.

A scrape reads only ``(series id, time, value)`` from the latest-value table. What
a series is (its device, catalog key and labels) and the label values of its
sample come from :class:`SeriesCache`, kept by the web process from one scrape to
the next: at 1,000 routers the join with the series table, the parsing of each
series' labels and the building of each sample's label values were most of a
scrape's time (bench/metrics_scrape.py, bench/RESULTS.md).

Why the cache stays true:

- a ``Series`` row never changes once written (device, key and labels are its
  identity; the storage only inserts them), and ids are not reused in a live
  database (SQLite ``AUTOINCREMENT``, PostgreSQL sequences);
- a sample's label values also carry its device's name, address, RouterOS version
  and board: the devices are read on every scrape, and a sample is rebuilt when
  the facts of its device differ from those it was built from (a renamed device,
  a new address, an upgrade);
- a series the cache does not know (a new interface, queue or peer) is read from
  the series table during the same scrape;
- a deleted device or series takes its latest rows with it (cascade): nothing of
  it is read; when the cache holds far more series than a whole-fleet scrape
  read, it starts over;
- after a rolled-back transaction or a database restore an id could name another
  series: every scrape compares the newest series the cache has seen (id and
  creation time) with the table, and any difference empties the cache.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.db import connection

from mikromon import config
from mikromon.domain import catalog
from mikromon.domain.samples import Labels
from mikromon.domain.tiers import DEFAULT_INTERVALS, Tier
from mikromon.exporters.families import row_labels
from mikromon.exporters.mktxp import FAMILIES, HEALTH_FAMILIES
from mikromon.web.monitor.models import MetricLatest, Series
from mikromon.web.monitor.series_newest import NewestSeries

#: A latest value older than this many of its tier's intervals is not exposed.
STALE_INTERVALS: Final = 3
#: The catalog keys the exposition reads (health sensors come by prefix).
EXPORTED_KEYS: Final = frozenset(
    [spec.key for spec in FAMILIES] + [catalog.HEALTH_PREFIX + s for s in HEALTH_FAMILIES])
_KEYS: Final = {key: key for key in EXPORTED_KEYS}
#: Rows per database fetch.
FETCH: Final = 5000
#: Unknown series looked up by id, per query; more than :data:`_BY_ID_MAX` in one
#: scrape and every exported series is read at once.
_CHUNK: Final = 500
_BY_ID_MAX: Final = 2000
#: How SQLite stores Django's UTC datetimes (naive text).
SQLITE_TIME: Final = "%Y-%m-%d %H:%M:%S.%f"
#: The tiers in the order of a device's cutoffs (:func:`cutoffs`).
TIERS: Final = tuple(Tier)

#: A device's facts that label values carry: name, address, version, board.
Facts = tuple[str, str, str, str]
#: Rows of :attr:`~mikromon.exporters.families.FleetSnapshot.series`.
Rows = dict[str, list[tuple[Sequence[str], float]]]


class _Entry:
    """One exported series: what it is, and its sample's label values as built
    from ``facts``."""

    __slots__ = ("device_id", "facts", "key", "labels", "tier", "values")

    def __init__(self, device_id: int, key: str, labels: Labels, tier: int) -> None:
        self.device_id = device_id
        self.key = key
        self.labels = labels
        self.tier = tier
        self.facts: Facts | None = None
        self.values: tuple[str, ...] = ()

    def build(self, facts: Facts, shared: dict[tuple[str, ...], tuple[str, ...]]) -> None:
        """Build the label values from ``facts``; equal ones are one tuple
        (``shared``: an interface's values serve its eleven families)."""
        values = row_labels(self.key, self.labels, *facts) or ()
        self.values = shared.setdefault(values, values)
        self.facts = facts


class SeriesCache:
    """Series id -> what a scrape needs of it (``None``: a series no family reads).
    One per web process (:data:`CACHE`); :meth:`read` is serialized by a lock."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry | None] = {}
        self._facts: dict[int, Facts] = {}
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._newest = NewestSeries()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def read(self, facts: Mapping[int, Facts], cutoffs: Mapping[int, Sequence[Any]],
             device_ids: Sequence[int] | None = None) -> Rows:
        """Fresh latest values of the devices in ``facts`` (device id -> name,
        address, version, board), as rows per catalog key; only those of
        ``device_ids`` when given (else the whole fleet). ``cutoffs``: device id ->
        the oldest fresh time per tier (:func:`cutoffs`)."""
        with self._lock:
            self._check_newest()
            contexts = self._contexts(facts, cutoffs)
            out: Rows = {key: [] for key in EXPORTED_KEYS}
            pending: list[tuple[int, Any, float]] = []
            read = 0
            with connection.cursor() as cursor:
                cursor.execute(*_latest_sql(device_ids))
                while rows := cursor.fetchmany(FETCH):
                    read += len(rows)
                    pending += _take(rows, self._entries, contexts, out, self._shared)
            if pending:
                self._learn([sid for sid, _ts, _value in pending])
                _take(pending, self._entries, contexts, out, self._shared)
            if device_ids is None and len(self._entries) > 1.5 * read + 1000:
                self._entries = {}
            if len(self._shared) > 2 * len(self._entries) + 1000:
                self._shared = {}
            return {key: rows for key, rows in out.items() if rows}

    def _contexts(self, facts: Mapping[int, Facts], cutoffs: Mapping[int, Sequence[Any]]
                  ) -> dict[int, tuple[Facts, Sequence[Any]]]:
        """Device id -> (its facts, its cutoffs). A device's facts keep their object
        while unchanged, so entries compare them by identity."""
        known = self._facts
        contexts: dict[int, tuple[Facts, Sequence[Any]]] = {}
        for device_id, current in facts.items():
            kept = known.get(device_id)
            if kept != current:
                kept = known[device_id] = current
            if (own := cutoffs.get(device_id)) is not None:
                contexts[device_id] = (kept, own)
        return contexts

    def _check_newest(self) -> None:
        """Empty the cache when the newest series it has seen is gone or is another
        row (a rollback or a restore: :class:`.series_newest.NewestSeries`)."""
        with connection.cursor() as cursor:
            if not self._newest.advance(cursor):
                self._entries = {}
                self._facts = {}
                self._shared = {}

    def _learn(self, ids: list[int]) -> None:
        """Read the series ``ids`` (every exported one when there are many)."""
        table = Series._meta.db_table
        found: list[tuple[int, int, str, Any]] = []
        with connection.cursor() as cursor:
            if len(ids) > _BY_ID_MAX:
                keys = sorted(EXPORTED_KEYS)
                cursor.execute(f"SELECT id, device_id, key, labels FROM {table} WHERE key IN "
                               f"({', '.join(['%s'] * len(keys))})", keys)
                while rows := cursor.fetchmany(FETCH):
                    found += rows
            else:
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start:start + _CHUNK]
                    cursor.execute(f"SELECT id, device_id, key, labels FROM {table} WHERE id IN "
                                   f"({', '.join(['%s'] * len(chunk))})", chunk)
                    found += cursor.fetchall()
        entries = self._entries
        for sid in ids:
            entries[sid] = None
        parsed: dict[Any, Labels] = {}
        for sid, device_id, key, labels in found:
            if key in EXPORTED_KEYS:
                text = labels if isinstance(labels, str) else json.dumps(labels, sort_keys=True)
                if (own := parsed.get(text)) is None:
                    own = parsed[text] = _labels(text)
                key = _KEYS[key]  # one string object per key
                entries[sid] = _Entry(device_id, key, own, TIERS.index(_tier(key)))


#: The web process' cache.
CACHE: Final = SeriesCache()


def cutoffs(intervals: Mapping[int, Mapping[Tier, int | None]]) -> dict[int, tuple[Any, ...]]:
    """Device id -> the oldest time still fresh per tier (in :data:`TIERS` order):
    :data:`STALE_INTERVALS` of the device's interval for the tier (``intervals``:
    device id -> tier -> seconds; ``None`` or 0: the default), in the form the
    database hands times back (SQLite: text; PostgreSQL: an aware datetime). A
    value older than its cutoff is not exposed: an interface removed from the
    router, a device that stopped answering."""
    now = datetime.now(UTC)
    scale = config.time_scale()
    text = connection.vendor == "sqlite"
    made: dict[float, Any] = {}
    out: dict[int, tuple[Any, ...]] = {}
    for device_id, own in intervals.items():
        marks = []
        for tier in TIERS:
            seconds = STALE_INTERVALS * (own.get(tier) or DEFAULT_INTERVALS[tier]) * scale
            if (mark := made.get(seconds)) is None:
                mark = made[seconds] = _cutoff(now, seconds, text)
            marks.append(mark)
        out[device_id] = tuple(marks)
    return out


#: What :func:`_take` finds for a series the cache does not know.
_UNKNOWN: Final = _Entry(-1, "", (), 0)


def _take(rows: Sequence[tuple[int, Any, float | None]], entries: dict[int, _Entry | None],
          contexts: Mapping[int, tuple[Facts, Sequence[Any]]], out: Rows,
          shared: dict[tuple[str, ...], tuple[str, ...]]) -> list[tuple[int, Any, float]]:
    """Add the fresh, finite values of ``rows`` to ``out``; return the rows whose
    series the cache does not know yet."""
    unknown: list[tuple[int, Any, float]] = []
    isfinite, find, device, missing = math.isfinite, entries.get, contexts.get, _UNKNOWN
    for sid, ts, value in rows:
        entry = find(sid, missing)
        if entry is None or value is None:
            continue
        if entry is missing:
            unknown.append((sid, ts, value))
            continue
        context = device(entry.device_id)
        if context is None or ts < context[1][entry.tier] or not isfinite(value):
            continue
        if entry.facts is not context[0]:
            entry.build(context[0], shared)
        out[entry.key].append((entry.values, float(value)))
    return unknown


def _latest_sql(device_ids: Sequence[int] | None) -> tuple[str, list[Any]]:
    latest = MetricLatest._meta.db_table
    # On SQLite the time is read as text: no per-row conversion to a datetime.
    ts = "CAST(l.ts AS TEXT)" if connection.vendor == "sqlite" else "l.ts"
    sql = f"SELECT l.series_id, {ts}, l.value FROM {latest} l"
    if device_ids is None:
        return sql, []
    marks = ", ".join(["%s"] * len(device_ids))
    return (f"{sql} JOIN {Series._meta.db_table} s ON s.id = l.series_id "
            f"WHERE s.device_id IN ({marks})", list(device_ids))


def _cutoff(now: datetime, seconds: float, text: bool) -> Any:
    """The oldest fresh time, as the database hands times back (SQLite: text;
    PostgreSQL: an aware datetime)."""
    oldest = now - timedelta(seconds=seconds)
    return oldest.strftime(SQLITE_TIME) if text else oldest


@functools.cache
def _tier(key: str) -> Tier:
    """The tier producing ``key`` (health sensors: realtime)."""
    return catalog.lookup(key).tier


def _labels(text: str) -> Labels:
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in data.items())) if isinstance(
        data, dict) else ()
