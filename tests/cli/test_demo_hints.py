"""The commands the ``mikromon demo`` banner prints work when pasted into another
shell: they name the ``mikromon`` executable that runs by its full path and the
demo's data folder (docs/operations.md, "The demo")."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_processes import run_mikromon, subprocess_env

from mikromon.cli import _hints, demo
from mikromon.emulator.testing import EmulatorHandle, running_emulators


@pytest.fixture(scope="module")
def router() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as fleet:
        yield fleet[0]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo's data folder (a space in its path, as in "My Documents")."""
    path = tmp_path_factory.mktemp("demo data")
    added = run_mikromon("device", "add", "--name", "demo-1-v7", "--host", "127.0.0.1",
                         "--username", "mon", "--password-env", "PW", data_dir=path, PW="x")
    assert added.returncode == 0, added.stderr
    return path


def banner_commands(capsys: pytest.CaptureFixture[str], router: EmulatorHandle,
                    data_dir: Path) -> list[list[str]]:
    """Print the banner and return the command lines in it, split as a shell would."""
    demo.print_welcome("http://127.0.0.1:1/", "pw", [router], ["demo-1-v7"],
                       data_dir=data_dir)
    out = capsys.readouterr().out
    commands = []
    for line in out.splitlines():
        words = shlex.split(line) if "mikromon" in line else []
        if words and os.path.isabs(words[0]) and "mikromon" in " ".join(words[:3]):
            commands.append(words)
    return commands


def subcommand(words: list[str]) -> str:
    """The mikromon command a banner line runs: the word after the executable
    (``/x/mikromon device ...``) or after ``-m mikromon`` (``/x/python -m mikromon
    device ...``). The folders of the path may be called mikromon too."""
    if Path(words[0]).name == "mikromon":
        return words[1]
    return words[words.index("mikromon") + 1]


def test_subcommand_ignores_folders_named_mikromon() -> None:
    assert subcommand(["/srv/mikromon/.venv/bin/mikromon", "device", "list"]) == "device"
    assert subcommand(["/srv/mikromon/.venv/bin/python", "-m", "mikromon",
                       "collector", "status"]) == "collector"


def test_banner_commands_run_in_another_shell(capsys: pytest.CaptureFixture[str],
                                              router: EmulatorHandle, demo_dir: Path,
                                              tmp_path: Path) -> None:
    commands = banner_commands(capsys, router, demo_dir)
    kinds = {subcommand(words) for words in commands}
    assert {"device", "collector", "collect-once"} <= kinds, commands
    # Another shell: another folder, no MIKROMON_* variables.
    env = subprocess_env(tmp_path)
    env.pop("MIKROMON_DATA_DIR")
    for words in commands:
        assert os.access(words[0], os.X_OK), words
        extra = []
        if "collect-once" in words:
            # The banner says it asks for the router password; give it without a terminal.
            extra = ["--password-env", "ROUTER_PW", "--tier", "realtime"]
            env["ROUTER_PW"] = router.password
        done = subprocess.run([*words, *extra], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
        assert done.returncode == 0, (words, done.stderr)
        if "device" in words:
            assert "demo-1-v7" in done.stdout
        if "collect-once" in words:
            assert "system.cpu.load_pct" in done.stdout
    assert not (tmp_path / "mikromon.sqlite3").exists()
    assert not (tmp_path / "data").exists()


def test_executable_is_the_running_one(monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    script = tmp_path / "bin" / "mikromon"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["bin/mikromon", "demo"])
    assert _hints.mikromon_command() == [str(script)]
    # Run as `python -c`/`python -m`: the console script next to the interpreter,
    # else the interpreter with `-m mikromon`.
    monkeypatch.setattr(sys, "argv", ["-c", "demo"])
    command = _hints.mikromon_command()
    beside = Path(sys.executable).parent / "mikromon"
    if beside.is_file():
        assert command == [str(beside)]
    else:
        assert command == [sys.executable, "-m", "mikromon"]


def test_python_m_mikromon_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "mikromon", "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mikromon ")
