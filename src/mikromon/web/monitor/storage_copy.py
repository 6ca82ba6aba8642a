"""PostgreSQL bulk writes of the sample writer: rows go to the server with one
binary ``COPY`` into a staging table, then one ``INSERT ... SELECT`` moves them
into their table with its conflict rule.

The staging tables are temporary tables of the session (``pg_temp``: no WAL, no
index, emptied at every commit by ``ON COMMIT DELETE ROWS``), created when
missing by :func:`fill_stages` before each use. A seq scan of a freshly emptied
staging table returns the rows in the order they were copied (temporary tables
never take part in synchronized scans), so of two staged rows with the same key
``ON CONFLICT DO NOTHING`` keeps the first, as a multi-row ``INSERT`` does
(tested in tests/web/storage/test_storage_copy.py).

Binary format (PostgreSQL documentation, ``COPY``, "Binary Format"): the
signature ``PGCOPY\\n\\377\\r\\n\\0``, an int32 flags field and an int32 header
extension length (both 0); per row an int16 field count, then per field an
int32 byte length and the value in network byte order (``int4``, ``int8``,
``float8`` as IEEE 754 binary64; ``timestamptz`` as int8 microseconds since
2000-01-01 00:00 UTC); after the last row the int16 -1.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

#: Header of a binary COPY stream: signature, flags, header extension length.
COPY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
#: Trailer of a binary COPY stream: a field count of -1.
COPY_TRAILER: Final = struct.pack(">h", -1)
#: One (int4, int8, float8) row: 3 fields of 4, 8 and 8 bytes.
_ROW: Final = struct.Struct(">hiiiqid")
#: The origin of PostgreSQL's binary timestamps.
PG_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)

#: Staging tables: name -> column list (each three columns: int4, int8/timestamptz, float8).
STAGES: Final = {
    "mikromon_point_stage": "series_id integer, ts bigint, value double precision",
    "mikromon_latest_stage": "series_id integer, ts timestamptz, value double precision",
}
_CREATE: Final = "; ".join(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS"
    for name, columns in STAGES.items()
)


def binary_rows(rows: Sequence[tuple[int, int, float]]) -> bytes:
    """Return ``rows`` as a whole binary COPY stream of (``int4``, ``int8``,
    ``float8``) rows, header and trailer included.

    Raises:
        struct.error: a series id outside int4, a second or microsecond count
            outside int8, or a value that is no number.
    """
    pack = _ROW.pack
    return b"".join([COPY_HEADER, *[pack(3, 4, a, 8, b, 8, c) for a, b, c in rows],
                     COPY_TRAILER])


def pg_microseconds(ts: datetime) -> int:
    """``ts`` as PostgreSQL's binary ``timestamptz``: microseconds since
    2000-01-01 00:00 UTC (a naive ``ts`` is taken as UTC, as the server takes a
    naive timestamp in the session's UTC time zone)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (ts - PG_EPOCH) // _MICROSECOND


def may_stage(cursor: Any) -> bool:
    """Whether the session's user may create temporary tables in its database
    (the ``TEMPORARY`` privilege: granted to ``PUBLIC`` by default, may be
    revoked; PostgreSQL documentation, ``GRANT``)."""
    cursor.execute("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
    return bool(cursor.fetchone()[0])


def fill_stages(cursor: Any, rows: Mapping[str, Sequence[tuple[int, int, float]]], *,
                nested: bool = False) -> None:
    """Make the staging tables of the connection's server session hold exactly
    ``rows`` (one binary ``COPY`` per table with rows), for the statements that
    move them on.

    The tables are made sure of first (``CREATE TEMPORARY TABLE IF NOT EXISTS``,
    one statement for both): the same Django connection may reach another server
    session between transactions (a pooler in transaction mode) or have its
    temporary tables discarded (``DISCARD``), and a table created by a
    transaction that rolled back is gone. In a transaction of its own (the
    writer's case) a table is empty at the start (``ON COMMIT DELETE ROWS``);
    inside a transaction opened by the caller (``nested``) it may hold the rows
    of an earlier write of that transaction, so it is emptied first.

    Args:
        cursor: a Django cursor on a PostgreSQL (psycopg 3) connection, inside a
            transaction.
        rows: staging table name (of :data:`STAGES`) -> its (int4, int8, float8)
            rows, in the order the move should see them.
        nested: the transaction was opened by the caller.

    Raises:
        django.db.DatabaseError: the server refused the rows.
        struct.error: a row does not fit its columns (see :func:`binary_rows`).
    """
    cursor.execute(_CREATE)
    if nested:
        cursor.execute("TRUNCATE " + ", ".join(f"pg_temp.{name}" for name in STAGES))
    for name, staged in rows.items():
        if not staged:
            continue
        data = binary_rows(staged)
        # Django's cursor wrapper passes copy() through unwrapped: errors of the
        # driver become Django's here, as for execute().
        with cursor.db.wrap_database_errors, cursor.copy(
            f"COPY pg_temp.{name} FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(data)
