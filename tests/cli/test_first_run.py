"""First runs in subprocesses: a fresh data folder gets its database and keys, bad or
unreachable databases give clear errors, and PostgreSQL works by URL."""

from __future__ import annotations

import json
import stat
from urllib.parse import urlsplit

import pytest
from cli_processes import run_mikromon, start_server

pytestmark = pytest.mark.slow


def test_first_command_creates_database_and_keys(tmp_path) -> None:
    """createadmin (like serve) on an empty folder migrates it and creates the keys
    with mode 0600; other commands then use it."""
    data = tmp_path / "fresh"
    result = run_mikromon("createadmin", "alice", "--password-env", "PW", data_dir=data,
                          PW="a-long-Passw0rd-xyz")
    assert result.returncode == 0, result.stderr
    assert json.loads(run_mikromon("device", "list", "--json", data_dir=data).stdout) == []
    assert (data / "mikromon.sqlite3").is_file()
    for key in ("fernet.key", "secret_key"):
        mode = stat.S_IMODE((data / key).stat().st_mode)
        assert mode == 0o600, f"{key} has mode {mode:o}"
    again = run_mikromon("device", "list", data_dir=data)
    assert again.returncode == 0
    assert "migrating" not in again.stderr


def test_keys_from_the_environment_are_not_written(tmp_path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    pw = tmp_path / "pw"
    pw.write_text("router-pass", encoding="utf-8")
    data = tmp_path / "data"
    first = run_mikromon("createadmin", "alice", "--password-env", "PW", data_dir=data,
                         PW="a-long-Passw0rd-xyz", MIKROMON_FERNET_KEY=key)
    assert first.returncode == 0, first.stderr
    result = run_mikromon(
        "device", "add", "--name", "r1", "--host", "127.0.0.1", "--username", "u",
        "--password-file", str(pw), data_dir=data, MIKROMON_FERNET_KEY=key,
    )
    assert result.returncode == 0, result.stderr
    assert not (data / "fernet.key").exists()
    # Without the key the stored password cannot be read: the device stays listed.
    assert run_mikromon("device", "list", data_dir=data, MIKROMON_FERNET_KEY=key).returncode == 0


def test_unreachable_database(tmp_path) -> None:
    """A database that does not answer: exit 3, the URL shown without its password."""
    url = "postgresql://mikromon:hunter2@127.0.0.1:1/mikromon"
    result = run_mikromon("device", "list", "--database-url", url, data_dir=tmp_path)
    assert result.returncode == 3
    assert "cannot reach the database (postgresql://mikromon:***@127.0.0.1:1/mikromon)" in (
        result.stderr
    )
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unreachable_database_from_the_environment(tmp_path) -> None:
    result = run_mikromon(
        "collector", "status", data_dir=tmp_path,
        MIKROMON_DATABASE_URL="postgresql://x:y@127.0.0.1:1/db",
    )
    assert result.returncode == 3
    assert "cannot reach the database" in result.stderr


def test_unsupported_database_url(tmp_path) -> None:
    result = run_mikromon("device", "list", "--database-url", "mysql://u:p@127.0.0.1/db",
                          data_dir=tmp_path)
    assert result.returncode == 2
    assert "unsupported database URL scheme 'mysql'" in result.stderr


def test_data_dir_that_is_a_file(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = run_mikromon("createadmin", "alice", "--password-env", "PW", data_dir=blocker,
                          PW="a-long-Passw0rd-xyz")
    assert result.returncode == 2
    assert "is not a directory" in result.stderr
    # A command that never creates a database says there is none.
    listed = run_mikromon("device", "list", data_dir=blocker)
    assert listed.returncode == 3
    assert "no mikromon database in" in listed.stderr


def test_postgresql_by_url(tmp_path, postgres_url) -> None:
    """The same commands work against PostgreSQL; nothing is written to SQLite."""
    pw = tmp_path / "pw"
    pw.write_text("router-pass", encoding="utf-8")
    add = run_mikromon(
        "device", "add", "--name", "pg-r1", "--host", "127.0.0.1", "--username", "u",
        "--password-file", str(pw), "--database-url", postgres_url, data_dir=tmp_path,
    )
    assert add.returncode == 0, add.stderr
    listed = run_mikromon("device", "list", "--json", data_dir=tmp_path,
                          MIKROMON_DATABASE_URL=postgres_url)
    assert [d["name"] for d in json.loads(listed.stdout)] == ["pg-r1"]
    bad = run_mikromon(
        "device", "edit", "pg-r1", "--long-interval", "10", "--host", "elsewhere",
        data_dir=tmp_path, MIKROMON_DATABASE_URL=postgres_url,
    )
    assert bad.returncode == 2
    shown = json.loads(run_mikromon("device", "show", "pg-r1", "--json", data_dir=tmp_path,
                                    MIKROMON_DATABASE_URL=postgres_url).stdout)
    assert shown["host"] == "127.0.0.1"
    assert not (tmp_path / "mikromon.sqlite3").exists()


@pytest.mark.postgres
def test_serve_on_postgresql(tmp_path, postgres_url, servers) -> None:
    """serve migrates an empty PostgreSQL database, collects, publishes, stops on SIGTERM."""
    server = start_server("serve", "--port", "0", "--database-url", postgres_url,
                          data_dir=tmp_path)
    servers.append(server)
    status = run_mikromon("collector", "status", "--json", data_dir=tmp_path,
                          MIKROMON_DATABASE_URL=postgres_url)
    assert json.loads(status.stdout)["running"] is True
    assert server.stop() == 0, server.stderr[-3000:]
    password = urlsplit(postgres_url).password
    assert not password or f":{password}@" not in server.stderr + server.stdout
