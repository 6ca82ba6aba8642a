"""The measured write rate of raw points, per tier, for the disk forecast
(:mod:`mikromon.web.monitor.disk_usage`).

Each :class:`~.storage.DjangoStorage` counts the samples it hands to the
database per tier of their metric (samples whose history is kept:
:func:`mikromon.domain.catalog.keeps_history`), and about once a minute adds
the counts to ``MaintenanceState`` rows named ``written:<tier>:<minute>``
(``<minute>``: Unix minute of the flush) with one upsert per tier, so several
collectors sharing a database add up. Rows older than two hours are deleted.
:func:`rates` reads the last hour's rows (a few hundred, one key range).
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Final

from django.db import DatabaseError

from mikromon.domain import catalog
from mikromon.web.monitor.dbutil import usable_connection
from mikromon.web.monitor.models import MaintenanceState

log = logging.getLogger(__name__)

__all__ = ["PREFIX", "WriteTally", "rates"]

#: Name prefix of the counter rows.
PREFIX: Final = "written:"
#: Seconds between two flushes of a tally.
FLUSH_EVERY_S: Final = 60.0
#: Counter rows older than this are deleted, seconds.
KEEP_S: Final = 7200
#: The window the rate is measured over, seconds.
WINDOW_S: Final = 3600

@functools.lru_cache(maxsize=4096)
def history_tier(key: str) -> str:
    """The tier of ``key`` when its points are stored (``""``: a raw counter, only
    its latest value is kept; ``other``: a key the catalog does not know)."""
    if not catalog.keeps_history(key):
        return ""
    try:
        return str(catalog.lookup(key).tier.value)
    except KeyError:
        return "other"


class WriteTally:
    """Samples handed to the database per tier since the last flush.

    Args:
        clock: Unix seconds (injectable for tests).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: Counter[str] = Counter()
        self._next_flush = 0.0

    def add(self, keys_written: Iterable[Sequence[str]]) -> None:
        """Count the samples of one write, given as each device's samples' metric
        keys (per metric key in C, then per tier)."""
        keys: Counter[str] = Counter()
        for device_keys in keys_written:
            keys.update(device_keys)
        for key, n in keys.items():
            tier = history_tier(key)
            if tier:
                self._counts[tier] += n

    def flush_due(self, *, using: str = "default") -> None:
        """Add the counts to the database once :data:`FLUSH_EVERY_S` have passed
        since the last flush; a database error keeps them for the next try (logged
        at debug level: the write itself succeeded)."""
        now = self._clock()
        if now < self._next_flush or not self._counts:
            return
        try:
            flush(self._counts, now, using=using)
        except DatabaseError as err:
            log.debug("write rate not recorded now: %s", err)
            return
        self._counts.clear()
        self._next_flush = now + FLUSH_EVERY_S


def flush(counts: Mapping[str, int], now: float, *, using: str = "default") -> None:
    """Add ``counts`` (tier -> samples) to this minute's rows and delete rows
    older than :data:`KEEP_S` (one upsert per tier, one delete).

    Raises:
        django.db.DatabaseError: the database refused the write.
    """
    minute = int(now) // 60 * 60
    conn = usable_connection(using)
    table = conn.ops.quote_name(MaintenanceState._meta.db_table)
    rows = [(f"{PREFIX}{tier}:{minute}", int(n)) for tier, n in counts.items() if n > 0]
    with conn.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO {table} ("name", "value") VALUES (%s, %s) ON CONFLICT ("name") '
            f'DO UPDATE SET "value" = {table}."value" + excluded."value"', rows)
    stale = [name for name, _value in _rows(using)
             if (_minute_of(name) or 0) < minute - KEEP_S]
    if stale:
        MaintenanceState.objects.using(using).filter(name__in=stale).delete()


def _rows(using: str) -> list[tuple[str, int]]:
    # A key range (the primary key), not LIKE: SQLite's LIKE ignores the index.
    return list(MaintenanceState.objects.using(using)
                .filter(name__gte=PREFIX, name__lt=PREFIX[:-1] + ";")
                .values_list("name", "value"))


def _minute_of(name: str) -> int | None:
    try:
        return int(name.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def rates(now: float | None = None, *, using: str = "default") -> tuple[dict[str, float], int]:
    """The raw points written per second over the last hour, per tier (``other``:
    metrics the catalog does not know), and the seconds that covers (less than
    an hour while the counts are younger; 0 when there are none).

    Raises:
        django.db.DatabaseError: the counts cannot be read.
    """
    now_s = time.time() if now is None else now
    start = now_s - WINDOW_S
    totals: Counter[str] = Counter()
    oldest: int | None = None
    for name, value in _rows(using):
        minute = _minute_of(name)
        if minute is None or minute <= start:
            continue
        totals[name[len(PREFIX):].rsplit(":", 1)[0]] += int(value)
        oldest = minute if oldest is None else min(oldest, minute)
    if oldest is None:
        return {}, 0
    # A flush holds up to a minute of samples before its own minute.
    window = int(min(WINDOW_S, now_s - oldest + FLUSH_EVERY_S))
    return {tier: n / window for tier, n in totals.items()}, window
