"""A data folder without a database: only the commands that set an installation up
(serve, demo, createadmin, device add, collector start|stop) create one; every other
command refuses, naming the folder, and creates nothing. Logs of every
command use one format."""

from __future__ import annotations

import re

import pytest
from cli_processes import run_mikromon


@pytest.mark.parametrize("args", [
    ["device", "list"],
    ["device", "show", "r1"],
    ["device", "edit", "r1", "--notes", "x"],
    ["collector", "status"],
    ["export", "r1"],
    ["token", "list"],
])
def test_missing_database_is_an_error(tmp_path, args) -> None:
    missing = tmp_path / "x" / "nonexistent"
    result = run_mikromon(*args, "--data-dir", str(missing), data_dir=tmp_path, PW="pw")
    assert result.returncode == 3, result.stderr
    assert f"no mikromon database in {missing}" in result.stderr
    assert "mikromon serve --data-dir" in result.stderr
    assert not missing.exists()


def test_log_lines_use_the_one_format(tmp_path) -> None:
    data = tmp_path / "d"
    result = run_mikromon("createadmin", "alice", "--password-env", "PW", "--data-dir",
                          str(data), data_dir=tmp_path, PW="a-long-Passw0rd-xyz")
    assert result.returncode == 0, result.stderr
    # One line per migration, as docs/operations.md promises; not Django's listing.
    assert re.search(r"^applied monitor\.0001_initial \(\d+/\d+\)$", result.stderr, re.M)
    assert "Operations to perform" not in result.stderr
    logs = [line for line in result.stderr.splitlines() if " INFO " in line]
    assert logs, result.stderr
    for line in logs:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO ", line), line
    # The database exists now: other commands work on it.
    listed = run_mikromon("device", "list", "--data-dir", str(data), data_dir=tmp_path)
    assert listed.returncode == 0, listed.stderr


def test_createadmin_weak_password_is_one_readable_message(tmp_path) -> None:
    result = run_mikromon("createadmin", "alice", "--password-env", "PW", "--data-dir",
                          str(tmp_path / "d"), data_dir=tmp_path, PW="1234")
    assert result.returncode == 2
    line = [x for x in result.stderr.splitlines() if "error" in x][-1]
    assert ".;" not in line, line
