"""A bad environment variable stops a command with one line naming it (exit 2),
never a traceback: one variable of each kind mikromon.config checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_processes import run_mikromon


@pytest.mark.parametrize(("name", "value", "must"), [
    ("MIKROMON_RETENTION_RAW_DAYS", "7x", "a number greater than 0"),
    ("MIKROMON_CONN_MAX_AGE", "ten", "a whole number of at least 0"),
    ("MIKROMON_SECURE_COOKIES", "maybe", "one of 1, true, yes, on"),
    ("MIKROMON_WRITER", "proc", "auto, thread or process"),
    ("MIKROMON_EVENT_LOOP", "trio", "auto, uvloop or asyncio"),
])
def test_a_bad_variable_is_named_in_one_line(tmp_path: Path, name: str, value: str,
                                             must: str) -> None:
    result = run_mikromon("collector", "start", data_dir=tmp_path / "data", **{name: value})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{name}={value!r}: must be {must}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("name", "value", "must"), [
    ("MIKROMON_TIME_SCALE", "fast", "a number greater than 0"),
    ("MIKROMON_EVENT_LOOP", "trio", "auto, uvloop or asyncio"),
])
def test_serve_says_a_bad_variable_before_migrating(tmp_path: Path, name: str, value: str,
                                                   must: str) -> None:
    result = run_mikromon("serve", "--port", "0", data_dir=tmp_path / "data",
                          **{name: value})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"mikromon: error: {name}={value!r}: must be {must}"
    assert not (tmp_path / "data" / "mikromon.sqlite3").exists()
