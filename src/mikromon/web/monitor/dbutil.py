"""Database connection helpers for code that runs outside request handling
(the collector's writer and worker threads)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone


def usable_connection(using: str = "default") -> BaseDatabaseWrapper:
    """Return this thread's connection for ``using``, reconnecting if it broke.

    Unlike ``close_old_connections`` this keeps a healthy connection open across
    calls (a writer thread should not reconnect for every batch); a connection
    that saw an error and no longer answers is closed so the next query reconnects.
    """
    conn = connections[using]
    if conn.connection is not None and conn.errors_occurred:
        if conn.is_usable():
            conn.errors_occurred = False
        else:
            conn.close()
    return conn


def database_now(using: str = "default") -> datetime:
    """The database's clock on PostgreSQL (``statement_timestamp()``: hosts sharing
    it need not agree), this machine's on other databases (SQLite: one machine);
    an aware UTC datetime.

    Raises:
        django.db.DatabaseError: the database did not answer.
    """
    conn = usable_connection(using)
    if conn.vendor != "postgresql":
        return timezone.now()
    with conn.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        value: datetime = cursor.fetchone()[0]
    return value


def close_connection(using: str = "default") -> None:
    """Close this thread's connection for ``using`` (call when a thread ends)."""
    connections[using].close()


def table(model: type[models.Model]) -> str:
    """Return the quoted table name of ``model`` for raw SQL."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


@contextmanager
def sqlite_busy_timeout(conn: BaseDatabaseWrapper, timeout_ms: int) -> Iterator[None]:
    """Within the block, statements on ``conn`` wait at most ``timeout_ms`` for
    SQLite's write lock (then fail as "database is locked"); afterwards the
    connection's configured busy timeout (its ``OPTIONS["timeout"]``, Python's
    default 5 s without one) applies again. No-op on other databases.

    Used where a short wait is better than a long one: the collector lock's
    renewal (a busy database does not lose the lock), so that its thread never
    sits in a long busy wait (measured in bench/db_stall.py: a 20 s busy wait
    there stalled the collector's event loop for seconds).
    """
    if conn.vendor != "sqlite":
        yield
        return
    previous = int(float(conn.settings_dict.get("OPTIONS", {}).get("timeout", 5.0)) * 1000)
    with conn.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    try:
        yield
    finally:
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {previous}")
        except Exception:  # the connection broke: the next one starts afresh
            conn.close()


def take_turn(conn: BaseDatabaseWrapper, key: int) -> None:
    """Wait until no other transaction holds the turn ``key`` (a signed 64-bit
    number naming a kind of work), and hold it to the end of the current
    transaction. PostgreSQL: a transaction-level advisory lock
    (``pg_advisory_xact_lock``, released at commit or rollback; the same session
    may take it again). SQLite: nothing: one writer at a time, and a transaction
    that read before another's commit fails when it writes (so it is tried again)."""
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
