"""Every printing command stops quietly when the reader of its standard output
has gone away (``mikromon collect-once --json | head``): exit code 141, nothing
on stderr, no traceback (docs/operations.md, "Exit codes")."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_processes import MIKROMON, run_mikromon, subprocess_env

from mikromon.cli._common import EXIT_BROKEN_PIPE
from mikromon.emulator.testing import EmulatorHandle, running_emulators


def run_closed_stdout(*args: str, data_dir: Path, **env: str) -> tuple[int, str]:
    """Run the command with a standard output whose reader closed before the
    first byte was written (what ``| head`` does once it has its lines)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [*MIKROMON, *args], env=subprocess_env(data_dir, **env),
            stdout=write_end, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, timeout=120, check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def router() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as fleet:
        yield fleet[0]


@pytest.mark.slow
@pytest.mark.parametrize("output", [["--json"], ["--tier", "realtime"]])
def test_collect_once_stops_quietly(router: EmulatorHandle, tmp_path: Path,
                                    output: list[str]) -> None:
    code, stderr = run_closed_stdout(
        "collect-once", "--host", "127.0.0.1", "--port", str(router.port),
        "--username", router.username, "--password-env", "ROUTER_PASSWORD", *output,
        data_dir=tmp_path, ROUTER_PASSWORD=router.password,
    )
    assert stderr == ""
    assert code == EXIT_BROKEN_PIPE


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a database holding one device."""
    path = tmp_path_factory.mktemp("data")
    added = run_mikromon("device", "add", "--name", "r1", "--host", "127.0.0.1",
                         "--username", "mon", "--password-env", "PW", data_dir=path, PW="x")
    assert added.returncode == 0, added.stderr
    return path


@pytest.mark.parametrize("args", [
    ["device", "list", "--json"],
    ["device", "list"],
    ["device", "show", "r1"],
    ["collector", "status", "--json"],
])
def test_printing_commands_stop_quietly(data_dir: Path, args: list[str]) -> None:
    code, stderr = run_closed_stdout(*args, data_dir=data_dir)
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert code == EXIT_BROKEN_PIPE, stderr
