"""PostgreSQL: the weekly partitions of the chunk table (``monitor_metricchunk``,
partitioned by range of ``start_ts``; created by migration 0013). SQLite has
one plain table: every function here does nothing there.

A partition holds the chunks starting in one week, Monday 00:00 UTC to the next
Monday, and is named ``monitor_metricchunk_p<YYYYMMDD>`` after that Monday. A
default partition (``monitor_metricchunk_default``) takes anything else, so an
insert never fails for want of a partition; the compactor creates the partition
of a chunk's week before it inserts the chunk, and the maintenance creates
:data:`WEEKS_AHEAD` weeks ahead. Each partition's ``data`` column has
``STORAGE EXTERNAL`` (chunks are compressed already: no pglz attempt by TOAST).

Retention drops a whole partition (detach, then drop) once its week ended
before the cutoff of the longest raw retention: every chunk in it ends within
its week (a chunk never spans a UTC day boundary), so all are past retention
for every tier.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Final

from django.db import DatabaseError, transaction

from mikromon.web.monitor.dbutil import usable_connection

__all__ = [
    "PARENT",
    "WEEKS_AHEAD",
    "WEEK_S",
    "drop_expired",
    "ensure_ahead",
    "ensure_for",
    "name_of",
    "partitions",
    "week_of",
]

log = logging.getLogger(__name__)

PARENT: Final = "monitor_metricchunk"
WEEK_S: Final = 7 * 86400
#: Weeks of partitions created ahead of the current one.
WEEKS_AHEAD: Final = 2
#: 1970-01-05, the first Monday after the epoch, Unix seconds.
_MONDAY: Final = 4 * 86400


def week_of(ts: int) -> int:
    """Return the Unix second of the Monday 00:00 UTC starting ``ts``'s week."""
    return (ts - _MONDAY) // WEEK_S * WEEK_S + _MONDAY


def name_of(week: int) -> str:
    """Return the partition name of the week starting at ``week`` (Unix s)."""
    return f"{PARENT}_p{datetime.fromtimestamp(week, UTC):%Y%m%d}"


def _partitioned(conn: Any) -> bool:
    return bool(conn.vendor == "postgresql")


def partitions(conn: Any) -> dict[str, int]:
    """Return the weekly partitions as ``{name: week start, Unix s}`` (PostgreSQL;
    ``{}`` on SQLite). The default partition is not listed."""
    if not _partitioned(conn):
        return {}
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass", [PARENT])
        names = [name for (name,) in cursor.fetchall()]
    found = {}
    for name in names:
        suffix = name.removeprefix(f"{PARENT}_p")
        if suffix != name and suffix.isdigit():
            day = datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=UTC)
            found[name] = int(day.timestamp())
    return found


def ensure_for(conn: Any, ts: int) -> None:
    """Create the partition of ``ts``'s week unless it exists (PostgreSQL), in
    the caller's transaction. A default partition holding rows of that week
    makes the creation fail: then it is logged and the chunk goes to the
    default partition (the creation is inside a savepoint)."""
    if not _partitioned(conn):
        return
    week = week_of(ts)
    name = name_of(week)
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{name}"'])
        if cursor.fetchone()[0]:
            return
    try:
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{PARENT}" '
                f"FOR VALUES FROM ({week}) TO ({week + WEEK_S})")
            cursor.execute(f'ALTER TABLE "{name}" ALTER COLUMN data SET STORAGE EXTERNAL')
    except DatabaseError as err:
        log.warning("chunk partition %s not created (chunks of that week stay in the "
                    "default partition): %s", name, err)


def ensure_ahead(now: int, *, using: str = "default") -> None:
    """Create the partitions of the current week and :data:`WEEKS_AHEAD` more."""
    conn = usable_connection(using)
    if not _partitioned(conn):
        return
    with transaction.atomic(using=using):
        for k in range(WEEKS_AHEAD + 1):
            ensure_for(conn, now + k * WEEK_S)


def drop_expired(cutoff: int, *, using: str = "default") -> int:
    """Drop the partitions whose week ends at or before ``cutoff`` (Unix s: now
    less the longest raw retention); return how many (0 on SQLite)."""
    conn = usable_connection(using)
    dropped = 0
    for name, week in sorted(partitions(conn).items(), key=lambda item: item[1]):
        if week + WEEK_S > cutoff:
            continue
        with transaction.atomic(using=using), conn.cursor() as cursor:
            # Deferred foreign-key checks of chunks inserted earlier in this
            # transaction would forbid the DROP: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{PARENT}" DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
        dropped += 1
    return dropped
