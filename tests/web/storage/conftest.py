"""Fixtures for the storage tests (these run on SQLite and, with the db_backend
marker, a second time on PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest


@pytest.fixture
def t0() -> datetime:
    """A fixed UTC instant on a 1-hour boundary."""
    return datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def device(db):
    """A saved device with a password."""
    from mikromon.web.monitor.models import Device

    dev = Device(name="edge-1", host="127.0.0.1", username="monitor")
    dev.set_password("s3cret-pass")
    dev.save()
    return dev


HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@contextmanager
def _write_lock_held(seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Hold the SQLite database's write lock from another process."""
    from django.db import connection

    path = connection.settings_dict["NAME"]
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait(10)


@contextmanager
def _busy_timeout(seconds: float) -> Iterator[None]:
    """Shorten the SQLite busy timeout of connections opened inside the block."""
    from django.db import connections

    from mikromon.web.monitor.envconfig import sqlite_busy_options

    options = connections.settings["default"]["OPTIONS"]
    saved = dict(options)
    options.update(sqlite_busy_options(int(seconds * 1000)))
    connections.close_all()
    try:
        yield
    finally:
        options.clear()
        options.update(saved)
        connections.close_all()


@pytest.fixture
def write_lock_held() -> Callable[[float], Any]:
    """``with write_lock_held(seconds):`` another process holds the SQLite write
    lock (``BEGIN IMMEDIATE``) for at most ``seconds``, until the block ends."""
    return _write_lock_held


@pytest.fixture
def busy_timeout() -> Callable[[float], Any]:
    """``with busy_timeout(seconds):`` connections opened inside wait at most
    ``seconds`` for SQLite's write lock."""
    return _busy_timeout


@contextmanager
def _refusing(table: str, condition: str, message: str) -> Iterator[None]:
    """Make every INSERT into ``table`` of a row meeting ``condition`` (an SQL
    expression on ``NEW``, the same on SQLite and PostgreSQL) fail in the
    database with ``message`` (a trigger), as a value the database refuses would."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                f"CREATE TRIGGER poison BEFORE INSERT ON {table} WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        else:
            cur.execute(
                "CREATE FUNCTION poison_fn() RETURNS trigger AS $$ BEGIN "
                f"IF {condition} THEN RAISE EXCEPTION '{message}'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cur.execute(f"CREATE TRIGGER poison BEFORE INSERT ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION poison_fn()")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("DROP TRIGGER IF EXISTS poison")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS poison ON {table}")
                cur.execute("DROP FUNCTION IF EXISTS poison_fn()")


def _poisoned(table: str, device_id: int) -> Any:
    """Make every INSERT into ``table`` for ``device_id`` fail in the database."""
    return _refusing(table, f"NEW.device_id = {int(device_id)}", "poisoned device")


@pytest.fixture
def refusing() -> Callable[[str, str, str], Any]:
    """``with refusing(table, condition, message):`` the database refuses every
    row of ``table`` meeting ``condition`` (an SQL expression on ``NEW``)."""
    return _refusing


@pytest.fixture
def poison() -> Callable[[str, int], Any]:
    """``with poison(table, device_id):`` the database refuses every row of that
    device in that table (a trigger raising an error)."""
    return _poisoned
