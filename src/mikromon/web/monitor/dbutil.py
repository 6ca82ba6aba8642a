"""Database connection helpers for code that runs outside request handling
(the collector's writer and worker threads)."""

from __future__ import annotations

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


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


def close_connection(using: str = "default") -> None:
    """Close this thread's connection for ``using`` (call when a thread ends)."""
    connections[using].close()


def table(model: type) -> str:
    """Return the quoted table name of ``model`` for raw SQL."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]
