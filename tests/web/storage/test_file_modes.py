"""Owner-only data files: the folder 0700, the database, its WAL/shared-memory/
journal files and the keys 0600, whatever the umask or an existing folder's mode."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mikromon.domain.errors import ConfigError
from mikromon.web.monitor import envconfig

REPO = Path(__file__).resolve().parents[3]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_existing_open_folder_is_made_owner_only(tmp_path, caplog, loose_umask):
    """A data folder others can read is changed to 0700, with a warning naming it."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    with caplog.at_level(logging.WARNING):
        assert envconfig.data_dir_from_env(str(folder)) == folder
    assert _mode(folder) == 0o700
    assert str(folder) in caplog.text
    assert "0755" in caplog.text


def test_new_folder_is_owner_only(tmp_path, loose_umask):
    folder = tmp_path / "a" / "data"
    envconfig.data_dir_from_env(str(folder))
    assert _mode(folder) == 0o700


def test_database_created_owner_only_with_side_files(tmp_path, loose_umask):
    """The database is created 0600 before SQLite opens it, and SQLite's WAL and
    shared-memory files (made later, under a 022 umask) are 0600 too."""
    db = tmp_path / "mikromon.sqlite3"
    envconfig.secure_sqlite_file(db)
    assert _mode(db) == 0o600
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert (tmp_path / "mikromon.sqlite3-wal").exists()
    for name in ("mikromon.sqlite3", "mikromon.sqlite3-wal", "mikromon.sqlite3-shm"):
        assert _mode(tmp_path / name) == 0o600, name
    conn.close()


def test_rollback_journal_is_owner_only(tmp_path, loose_umask):
    db = tmp_path / "j.sqlite3"
    envconfig.secure_sqlite_file(db)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=PERSIST")
    conn.execute("CREATE TABLE t (x)")
    assert _mode(tmp_path / "j.sqlite3-journal") == 0o600
    conn.close()


def test_database_readable_by_others_is_refused(tmp_path):
    """An existing database others can read: a clear error naming the file and the
    chmod that fixes it."""
    db = tmp_path / "mikromon.sqlite3"
    db.write_bytes(b"")
    os.chmod(db, 0o644)
    with pytest.raises(ConfigError) as err:
        envconfig.secure_sqlite_file(db)
    assert str(db) in str(err.value)
    assert f"chmod 600 {db}" in str(err.value)


def test_key_file_readable_by_others_is_refused(tmp_path):
    key = tmp_path / "secret_key"
    key.write_text("k" * 40)
    os.chmod(key, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        envconfig.load_or_create_key(key, lambda: "x")


def test_restrict_after_connect_fixes_side_files(tmp_path):
    """Files an older version left world-readable are made 0600 on connect."""
    db = tmp_path / "m.sqlite3"
    for name in ("m.sqlite3", "m.sqlite3-wal", "m.sqlite3-shm"):
        (tmp_path / name).write_bytes(b"")
        os.chmod(tmp_path / name, 0o644)
    envconfig.restrict_sqlite_files(db)
    for name in ("m.sqlite3", "m.sqlite3-wal", "m.sqlite3-shm"):
        assert _mode(tmp_path / name) == 0o600


@pytest.mark.slow
def test_fresh_install_is_owner_only(tmp_path):
    """A fresh data folder set up and migrated under umask 022: folder 0700, every
    file in it 0600 (database, WAL, shared memory, keys)."""
    folder = tmp_path / "data"
    code = (
        "import os; os.umask(0o022)\n"
        "from mikromon.web import bootstrap\n"
        f"bootstrap.setup(data_dir={str(folder)!r})\n"
        "bootstrap.migrate(progress=False)\n"
        "from django.contrib.auth import get_user_model\n"
        "get_user_model().objects.create_user('x', password='y-long-pass-1')\n"
    )
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MIKROMON_", "DJANGO_"))}
    env["PYTHONPATH"] = str(REPO / "src")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120,
                   cwd=tmp_path)
    assert _mode(folder) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert "mikromon.sqlite3" in files
    assert "secret_key" in files
    assert "fernet.key" in files
    for path in folder.iterdir():
        assert _mode(path) == 0o600, (path.name, oct(_mode(path)))
