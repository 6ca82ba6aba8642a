"""One collector member runs the storage maintenance, as real processes
(``mikromon -v collector join``, each with its writer's storage) against emulated
routers, on SQLite (the storage in the writer thread, and in a child process)
and on PostgreSQL: the first member's storage runs the
rollups, retention and compaction and the second's runs none; when the first is
killed (SIGKILL) the second takes the duty over within the member ttl and a few
seconds; a third member that joins after leaves it there; when the second stops,
the third takes over. ``collector status`` names the member doing it. The
storages log each rollup pass, retention run and compaction slice at debug
level (``storage maintenance: ...``), which is what is counted here."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_processes import Server, import_routers, run_mikromon, spawn

from mikromon.emulator.testing import running_emulators
from waiting import until

pytestmark = pytest.mark.slow

ROUTER_PASSWORD = "router-pw-1"
#: Seconds without heartbeat before a member is dead (heartbeat every quarter).
TTL = 4
MEMBER_ENV = {"MIKROMON_MEMBER_TTL": str(TTL), "MIKROMON_TIME_SCALE": "0.2"}
RUNS = "this collector member runs the storage maintenance"
LEFT = re.escape("the storage maintenance (rollups, retention, compaction) is another "
                 "collector member's")
WORK = re.compile(r"storage maintenance: (rollups done|retention done|compaction)")
#: Seconds a member takes over in at most: the ttl, a heartbeat, and the storage's
#: next question of the duty (DUTY_RECHECK_S).
TAKE_OVER_S = 30


@pytest.fixture(params=["sqlite", "sqlite-storage-process",
                        pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request) -> Iterator[dict[str, str]]:
    """The environment naming the database the members share ({} for SQLite in the
    data folder), and the writer's storage in a child process for one case."""
    if request.param == "sqlite":
        yield {}
    elif request.param == "sqlite-storage-process":
        yield {"MIKROMON_WRITER": "process"}
    else:
        yield {"MIKROMON_DATABASE_URL": request.getfixturevalue("postgres_url")}


def _join(data_dir: Path, env: dict[str, str]) -> Server:
    member = spawn("-v", "collector", "join", data_dir=data_dir, **MEMBER_ENV, **env)
    member.wait_for_stderr(r"joined the collector members", 60)
    return member


def _work(member: Server, since: int = 0) -> list[str]:
    """The maintenance the member's storage ran (after ``since`` characters of its log)."""
    return [m.group(1) for m in WORK.finditer(member.stderr[since:])]


def _maintainer_lines(data_dir: Path, env: dict[str, str]) -> list[str]:
    status = run_mikromon("collector", "status", data_dir=data_dir, **env)
    assert status.returncode == 0, status.stderr
    return [line for line in status.stdout.splitlines()
            if line.startswith("member ") and "runs the storage maintenance" in line]


def test_one_member_maintains_and_another_takes_over(tmp_path, database) -> None:
    with running_emulators(count=4, profile="v7", username="mon",
                           password=ROUTER_PASSWORD) as routers:
        import_routers(tmp_path, routers, ROUTER_PASSWORD, **database)
        members: list[Server] = []
        try:
            first = _join(tmp_path, database)
            members.append(first)
            first.wait_for_stderr(RUNS, 60)
            first.wait_for_stderr(r"storage maintenance: rollups done", 60)
            second = _join(tmp_path, database)
            members.append(second)
            # The second polls its share (its writer writes) and leaves the duty.
            second.wait_for_stderr(LEFT, 60)
            assert until(lambda: len(_maintainer_lines(tmp_path, database)) == 1, 30, poll=0.5)
            assert f"pid {first.proc.pid}:" in _maintainer_lines(tmp_path, database)[0]
            time.sleep(3)  # more maintenance calls of both (the first compacts every second)
            assert _work(second) == [], second.stderr[-3000:]
            assert RUNS not in second.stderr

            # The maintainer dies: the second takes the duty over.
            first.proc.send_signal(signal.SIGKILL)
            assert first.proc.wait(10) == -signal.SIGKILL
            killed_at = time.monotonic()
            second.wait_for_stderr(RUNS, TAKE_OVER_S)
            second.wait_for_stderr(r"storage maintenance: rollups done", 15)
            assert time.monotonic() - killed_at < TAKE_OVER_S

            # A member joining later leaves the duty where it is ...
            third = _join(tmp_path, database)
            members.append(third)
            third.wait_for_stderr(LEFT, 60)
            mark = len(third.stderr)
            assert until(lambda: len(_maintainer_lines(tmp_path, database)) == 1
                         and f"pid {second.proc.pid}:" in _maintainer_lines(
                             tmp_path, database)[0], 30, poll=0.5)
            # ... until the maintainer stops: the third takes over.
            assert second.stop() == 0, second.stderr[-3000:]
            stopped_at = time.monotonic()
            assert _work(third, mark) == []
            third.wait_for_stderr(RUNS, TAKE_OVER_S)
            third.wait_for_stderr(r"storage maintenance: rollups done", 15)
            assert time.monotonic() - stopped_at < TAKE_OVER_S
            assert third.stop() == 0, third.stderr[-3000:]
        finally:
            for member in members:
                if member.proc.poll() is None:
                    member.proc.kill()
                    member.proc.wait(10)
