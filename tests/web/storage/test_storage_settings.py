"""Settings helpers: database URLs, key files, environment lists."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mikromon.domain.errors import ConfigError
from mikromon.web.monitor.envconfig import (
    data_dir_from_env,
    load_or_create_key,
    new_fernet_key,
    parse_database_url,
    redact_url,
)


def test_postgres_url_is_split_into_django_fields(tmp_path: Path) -> None:
    """User, password (percent-decoded), host, port, name and options come from the URL."""
    db = parse_database_url(
        "postgresql://mon:p%40ss@127.0.0.1:5433/metrics?sslmode=disable", tmp_path
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "mon", "p@ss", "127.0.0.1", "5433", "metrics",
    )
    assert db["OPTIONS"] == {"sslmode": "disable"}


def test_postgres_url_without_port_or_password(tmp_path: Path) -> None:
    """Missing parts stay empty, so libpq uses its defaults."""
    db = parse_database_url("postgres://mon@127.0.0.1/metrics", tmp_path)
    assert (db["USER"], db["PASSWORD"], db["PORT"]) == ("mon", "", "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///mm.sqlite3", "DATA/mm.sqlite3"),
        ("sqlite:////var/tmp/mm.sqlite3", "/var/tmp/mm.sqlite3"),
    ],
)
def test_sqlite_url_relative_to_data_dir(tmp_path: Path, url: str, expected: str) -> None:
    """Relative SQLite paths live in the data directory; absolute ones stay."""
    db = parse_database_url(url, tmp_path)
    assert db["NAME"] == expected.replace("DATA", str(tmp_path))
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@127.0.0.1/db", "unsupported database URL scheme 'mysql'"),
        ("postgresql://u:pw@127.0.0.1/", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_bad_database_urls_are_named(tmp_path: Path, url: str, message: str) -> None:
    """An unusable URL raises ConfigError saying what is wrong, without the password."""
    with pytest.raises(ConfigError, match=message) as info:
        parse_database_url(url, tmp_path)
    assert "pw" not in str(info.value).replace("postgresql", "")


def test_redact_url_hides_password() -> None:
    """Passwords never reach messages."""
    assert redact_url("postgresql://u:secret@127.0.0.1/db") == "postgresql://u:***@127.0.0.1/db"
    assert redact_url("sqlite:///x") == "sqlite:///x"


def test_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    """The first call writes a private file; later calls read the same key."""
    path = tmp_path / "fernet.key"
    first = load_or_create_key(path, new_fernet_key)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path, lambda: "other") == first
    assert len(first) == 44


def test_empty_key_file_is_an_error(tmp_path: Path) -> None:
    """An empty key file is reported, not silently replaced (it may hold a lost key)."""
    path = tmp_path / "secret_key"
    path.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        load_or_create_key(path, lambda: "x")


def test_data_dir_must_be_a_directory(tmp_path: Path) -> None:
    """A file in place of the data directory is a ConfigError; a missing one is created."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        data_dir_from_env(str(blocker))
    created = data_dir_from_env(str(tmp_path / "new" / "data"))
    assert created.is_dir()


def test_settings_defaults() -> None:
    """Secure defaults: DEBUG off, local hosts only, 8 h sessions, UTC, login required."""
    from django.conf import settings

    assert settings.DEBUG is False
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE
    if not os.environ.get("MIKROMON_ALLOWED_HOSTS"):
        # The test runner appends "testserver".
        assert settings.ALLOWED_HOSTS[:3] == ["localhost", "127.0.0.1", "[::1]"]
    if not os.environ.get("MIKROMON_WRITER"):
        assert settings.MIKROMON_WRITER == "auto"


@pytest.mark.django_db
def test_sqlite_connection_uses_wal_and_busy_timeout() -> None:
    """SQLite connections run in WAL mode with synchronous=NORMAL, a busy timeout
    and a page cache of 8 MiB (a chart's sort of 48,000 rollup rows in memory)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        pragmas = {}
        for name in ("journal_mode", "synchronous", "busy_timeout", "cache_size"):
            cursor.execute(f"PRAGMA {name}")
            pragmas[name] = cursor.fetchone()[0]
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 20000,
                       "cache_size": -8192}


@pytest.mark.db_backend
@pytest.mark.django_db
def test_bootstrap_reports_no_pending_migrations_and_setup_is_idempotent() -> None:
    """After migrate nothing is pending; setup() in a set-up process changes nothing."""
    from mikromon.web import bootstrap

    before = os.environ.get("MIKROMON_DATA_DIR")
    bootstrap.setup(data_dir="/nonexistent/elsewhere")
    assert os.environ.get("MIKROMON_DATA_DIR") == before
    assert bootstrap.pending_migrations() == []


@pytest.mark.db_backend
@pytest.mark.django_db
@pytest.mark.parametrize("table", ["monitor_metricpoint", "monitor_metricrollup"])
def test_point_tables_are_compact(table: str) -> None:
    """Points and rollups have their primary key as the only index (WITHOUT ROWID on
    SQLite), so each row is stored once."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [table])
            assert cursor.fetchone()[0].endswith("WITHOUT ROWID")
            cursor.execute(f"PRAGMA index_list({table})")
            assert [row[3] for row in cursor.fetchall()] == ["pk"]
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
            assert [row[0] for row in cursor.fetchall()] == [f"{table}_pkey"]
