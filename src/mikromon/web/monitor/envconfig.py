"""Settings helpers: the data directory, the database URL and the secret keys kept
beside the database (the variables themselves are read by :mod:`mikromon.config`).

Used by :mod:`mikromon.web.settings` at import time; nothing here imports Django
models, so it is safe to import before ``django.setup()``.
"""

from __future__ import annotations

import atexit
import base64
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from mikromon import config
from mikromon.domain.errors import ConfigError

log = logging.getLogger(__name__)


#: SQLite's page cache a connection, KiB (its default is 2 MiB). 8 MiB lets a sort
#: of a 7-day chart's 48,000 5-minute rollup rows (24 series at 15 minutes) stay in
#: memory instead of spilling to a temporary file: 48 -> 42 ms (bench/RESULTS.md,
#: "A 7-day chart of 12 interfaces on SQLite"). Pages are cached as they are read.
SQLITE_CACHE_KIB = 8192


def sqlite_busy_options(timeout_ms: int) -> dict[str, Any]:
    """Return the SQLite connection ``OPTIONS`` entries that set the busy timeout
    (``init_command`` with the WAL pragmas and the page cache,
    :data:`SQLITE_CACHE_KIB`, and ``timeout`` in seconds).

    Raises:
        ConfigError: ``timeout_ms`` is negative.
    """
    if timeout_ms < 0:
        raise ConfigError(f"SQLite busy timeout must be >= 0 ms, got {timeout_ms}")
    return {
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            f"PRAGMA cache_size=-{SQLITE_CACHE_KIB};"
            f"PRAGMA busy_timeout={int(timeout_ms)}"
        ),
        "timeout": timeout_ms / 1000,
    }


def _busy_timeout_ms() -> int:
    """How long a writer waits for another one's SQLite lock, milliseconds
    (``MIKROMON_SQLITE_BUSY_TIMEOUT_MS``, 20 s); after it the write fails as
    "database is locked" and the collector's writer keeps the rows queued."""
    return config.whole("MIKROMON_SQLITE_BUSY_TIMEOUT_MS")


def data_dir_from_env(value: str | None = None) -> Path:
    """Return the data directory (``value``, else ``$MIKROMON_DATA_DIR``, else ``./data``),
    absolute, creating it (mode 0700) when missing; see :func:`secure_data_dir`.

    Raises:
        ConfigError: when the path exists but is not a directory.
    """
    raw = value or config.text("MIKROMON_DATA_DIR")
    path = Path(raw).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"data directory {path} exists and is not a directory")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    secure_data_dir(path)
    return path


def secure_data_dir(path: Path) -> None:
    """Make the data folder owner-only (0700): it holds the database and the keys.

    ``mkdir`` applies the umask and leaves an existing folder's mode alone, so the
    mode is checked here: a folder others may enter or read is changed to 0700
    with a warning when this user owns it, and only warned about otherwise.
    """
    info = path.stat()
    if not info.st_mode & 0o077:
        return
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid == os.geteuid():
        os.chmod(path, 0o700)
        log.warning("data folder %s was readable by other users (mode %04o); "
                    "changed it to 0700", path, mode)
    else:
        log.warning("data folder %s is readable by other users (mode %04o) and owned by "
                    "another user; run: chmod 700 %s", path, mode, path)


def refuse_readable_by_others(path: Path, what: str) -> None:
    """Refuse a secret file (the database, a key) that other users may read.

    Raises:
        ConfigError: naming the file, its mode and the ``chmod`` that fixes it.
    """
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        raise ConfigError(
            f"{what} {path} is readable by other users (mode {mode:04o}): any local user "
            f"could copy it; run: chmod 600 {path}"
        )


def secure_sqlite_file(path: Path) -> None:
    """Check or create the SQLite database file owner-only (0600), before SQLite
    opens it: SQLite creates its ``-wal``, ``-shm`` and ``-journal`` files with the
    database file's mode, so they are 0600 too whatever the umask.

    Raises:
        ConfigError: when the existing file is readable by other users.
        OSError: when it cannot be created.
    """
    if path.exists():
        refuse_readable_by_others(path, "the database")
        return
    if not path.parent.is_dir():
        return  # SQLite reports the missing folder on connect
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        refuse_readable_by_others(path, "the database")


#: The files SQLite keeps beside a database.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def restrict_sqlite_files(path: str | Path) -> None:
    """Make the database and its side files that exist and this user owns 0600
    (after a connection opened them: covers files made by an older version or
    another tool). Never raises."""
    for name in (str(path), *(f"{path}{suffix}" for suffix in SQLITE_SIDE_FILES)):
        try:
            info = os.stat(name)
            if info.st_mode & 0o077 and info.st_uid == os.geteuid():
                os.chmod(name, 0o600)
        except OSError:
            pass


def sqlite_database(path: Path) -> dict[str, Any]:
    """Return a Django ``DATABASES`` entry for an SQLite file in WAL mode.

    WAL lets the web UI read while the collector writes; ``synchronous=NORMAL`` is
    durable across application crashes (a power cut may lose the last commits);
    ``IMMEDIATE`` transactions take the write lock up front so two writers queue on
    the busy timeout instead of failing with "database is locked" on upgrade.
    """
    test_name = os.path.join(tempfile.gettempdir(), f"mikromon-test-{os.getpid()}.sqlite3")
    atexit.register(_remove_sqlite_files, test_name)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            **sqlite_busy_options(_busy_timeout_ms()),
            "transaction_mode": "IMMEDIATE",
        },
        # A private file per test process: several test runs can share a checkout.
        "TEST": {"NAME": test_name},
    }


def _remove_sqlite_files(path: str) -> None:
    """Remove this process's test database and its WAL/shared-memory files, which
    Django's test teardown leaves behind while another thread's connection is open."""
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except OSError:
            pass


def parse_database_url(url: str, data_dir: Path) -> dict[str, Any]:
    """Turn a database URL into a Django ``DATABASES["default"]`` entry.

    Accepted forms:
      ``postgresql://user:password@host:port/dbname?sslmode=require`` (also
      ``postgres://``; query parameters become psycopg connection options), and
      ``sqlite:///relative/path.sqlite3`` / ``sqlite:////absolute/path.sqlite3``
      (relative paths are taken from ``data_dir``).

    Raises:
        ConfigError: for an unknown scheme or a URL without a database name.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        if raw_path.startswith("/"):
            raw_path = raw_path[1:]
        if not raw_path:
            raise ConfigError(f"database URL {redact_url(url)!r} names no SQLite file")
        path = Path(raw_path)
        return sqlite_database(path if path.is_absolute() else data_dir / path)
    if scheme in ("postgresql", "postgres", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"database URL {redact_url(url)!r} names no database")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_HEALTH_CHECKS": True,
            # A private database per test process: several test runs can share a server.
            "TEST": {"NAME": f"test_{name}_{os.getpid()}"},
        }
    raise ConfigError(
        f"unsupported database URL scheme {parts.scheme!r} "
        "(use postgresql://user:password@host/dbname or sqlite:///path)"
    )


def redact_url(url: str) -> str:
    """Return ``url`` with its password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def load_or_create_key(path: Path, generate: Callable[[], str]) -> str:
    """Return the key stored in ``path``, creating it with ``generate()`` (mode 0600)
    on first use. Creation is atomic: two processes starting at once read the same key.

    Raises:
        ConfigError: when the file exists but is empty, or other users may read it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if not text:
            raise ConfigError(f"key file {path} is empty; delete it to create a new key") from None
        refuse_readable_by_others(path, "the key file")
        return text
    key = generate()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def new_secret_key() -> str:
    """Return a random Django ``SECRET_KEY`` (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def new_fernet_key() -> str:
    """Return a random Fernet key (32 bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
