"""Fixtures for the command tests: run ``mikromon`` in-process (parsing, database
commands against the test database) or as subprocesses (see cli_processes.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cli_processes import Server

from mikromon.cli import main


@dataclass
class Result:
    """Exit code and captured output of one in-process command."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run ``mikromon ARGS`` in this process; return a :class:`Result`.

    argparse errors (``SystemExit``) are turned into their exit code.
    """

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers started by a test; any still running afterwards is killed."""
    started: list[Server] = []
    yield started
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(10)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A private, empty PostgreSQL database for one test (dropped afterwards);
    skips without ``MIKROMON_TEST_POSTGRES_URL``."""
    base = os.environ.get("MIKROMON_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("MIKROMON_TEST_POSTGRES_URL is not set")
    import psycopg

    name = f"mikromon_cli_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
