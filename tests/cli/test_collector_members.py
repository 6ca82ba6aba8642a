"""Several collectors sharing one fleet, as real processes (``mikromon collector
join``) against emulated routers, on SQLite and on PostgreSQL: a member that
joins takes its share while the others keep polling (no restart, no reconnect of
the devices they keep); a member killed with SIGKILL has its devices taken over
within the member ttl; and, seen from the routers, no device ever has two
collectors connected at once (the emulator counts concurrent connections)."""

from __future__ import annotations

import contextlib
import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_processes import Server, import_routers, run_mikromon, spawn

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from waiting import until

pytestmark = pytest.mark.slow

ROUTER_PASSWORD = "router-pw-1"
ROUTERS = 6
#: Seconds without heartbeat before a member is dead (heartbeat every quarter).
TTL = "4"
MEMBER_ENV = {"MIKROMON_MEMBER_TTL": TTL, "MIKROMON_TIME_SCALE": "0.2"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> Iterator[dict[str, str]]:
    """The environment naming the database the members share ({} for SQLite in the
    data folder)."""
    if request.param == "sqlite":
        yield {}
    else:
        yield {"MIKROMON_DATABASE_URL": request.getfixturevalue("postgres_url")}


class Owners:
    """Reads who holds which device straight from the database."""

    QUERY = ("SELECT d.name, m.pid FROM control_deviceowner o "
             "JOIN monitor_device d ON d.id = o.device_id "
             "LEFT JOIN control_collectormember m ON m.member_id = o.owner "
             "WHERE o.owner <> ''")

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self._url = env.get("MIKROMON_DATABASE_URL")
        self._file = data_dir / "mikromon.sqlite3"

    def _rows(self, query: str) -> list[tuple[Any, ...]]:
        if self._url:
            import psycopg

            with psycopg.connect(self._url) as conn:
                return list(conn.execute(query).fetchall())
        with contextlib.closing(sqlite3.connect(self._file, timeout=10)) as conn:
            return list(conn.execute(query).fetchall())

    def by_device(self) -> dict[str, int | None]:
        """Device name -> pid of the member holding it."""
        return dict(self._rows(self.QUERY))

    def members(self) -> set[int]:
        return {row[0] for row in self._rows("SELECT pid FROM control_collectormember")}


def _wait(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Wait for ``predicate`` (:func:`waiting.until`) and return its value."""
    found: list[Any] = []

    def holds() -> bool:
        found[:] = [predicate()]
        return bool(found[0])

    assert until(holds, timeout, poll=0.1), f"timed out after {timeout} s waiting for {what}"
    return found[0]


def _join(data_dir: Path, env: dict[str, str]) -> Server:
    member = spawn("collector", "join", data_dir=data_dir, **MEMBER_ENV, **env)
    member.wait_for_stderr(r"joined the collector members", 60)
    return member


def _all_polled_once(routers: list[EmulatorHandle]) -> bool:
    return all(r.sessions()[0] == 1 for r in routers)


def test_members_share_take_over_and_never_poll_a_device_twice(tmp_path, database) -> None:
    with running_emulators(count=ROUTERS, profile="v7", username="mon",
                           password=ROUTER_PASSWORD) as routers:
        names = {f"r{i}": r for i, r in enumerate(routers)}
        csv = tmp_path / "devices.csv"
        csv.write_text("name,host,port,username,password\n" + "".join(
            f"{name},127.0.0.1,{r.port},mon,{ROUTER_PASSWORD}\n" for name, r in names.items()),
            encoding="utf-8")
        imported = run_mikromon("device", "import", str(csv), data_dir=tmp_path, **database)
        assert imported.returncode == 0, imported.stderr
        owners = Owners(tmp_path, database)
        members: list[Server] = []
        try:
            first = _join(tmp_path, database)
            members.append(first)
            _wait(lambda: len(owners.by_device()) == ROUTERS and _all_polled_once(routers),
                  60, "the first member to poll every router")
            assert set(owners.by_device().values()) == {first.proc.pid}

            # A second member takes its share; the first keeps polling the rest.
            before = {name: r.sessions()[1] for name, r in names.items()}
            second = _join(tmp_path, database)
            members.append(second)
            pids = {first.proc.pid, second.proc.pid}

            def shared() -> dict[str, int | None] | None:
                held = owners.by_device()
                if set(held.values()) != pids or len(held) != ROUTERS:
                    return None
                # The routers that moved have a new connection (the second member's),
                # and only that one.
                moved = [n for n, pid in held.items() if pid == second.proc.pid]
                if all(names[n].sessions()[:2] == (1, before[n] + 1) for n in moved):
                    return held
                return None

            held = _wait(shared, 60, "the second member to take its share and poll it")
            kept = [n for n, pid in held.items() if pid == first.proc.pid]
            moved = [n for n, pid in held.items() if pid == second.proc.pid]
            assert kept, held
            assert moved, held
            assert first.proc.poll() is None
            assert first.stderr.count("joined the collector members") == 1, first.stderr[-3000:]
            # Devices the first member kept were never reconnected.
            assert all(names[n].sessions()[:2] == (1, before[n]) for n in kept), held

            # SIGKILL the second member: the first takes its devices over.
            second.proc.send_signal(signal.SIGKILL)
            assert second.proc.wait(10) == -signal.SIGKILL
            killed_at = time.monotonic()
            _wait(lambda: set(owners.by_device().values()) == {first.proc.pid}
                  and len(owners.by_device()) == ROUTERS
                  and all(names[n].sessions()[:2] == (1, before[n] + 2) for n in moved),
                  30, "the first member to take the killed member's devices over")
            assert time.monotonic() - killed_at < 30
            assert owners.members() == {first.proc.pid}
            # Seen from the routers: never two collectors connected at once.
            assert {name: r.sessions()[2] for name, r in names.items()} == dict.fromkeys(
                names, 1)
            assert first.stop() == 0, first.stderr[-3000:]
            # A member that stops leaves: its row and its claims go at once.
            assert owners.members() == set()
            assert owners.by_device() == {}
        finally:
            for member in members:
                if member.proc.poll() is None:
                    member.proc.kill()
                    member.proc.wait(10)


def test_serve_with_two_collectors_shows_members_and_stops_them_all(tmp_path) -> None:
    """``serve --collectors 2``: two collector children share the routers; the API,
    the collector page and ``collector status`` show which member polls which
    device, each member's load and the member running the storage maintenance;
    ``collector stop`` stops both, ``start`` both."""
    import json
    import urllib.request

    from cli_processes import start_server

    with running_emulators(count=4, profile="v7", username="mon",
                           password=ROUTER_PASSWORD) as routers:
        import_routers(tmp_path, routers, ROUTER_PASSWORD)
        assert run_mikromon("createadmin", "admin", "--password-env", "PW", data_dir=tmp_path,
                            PW="admin-password-123").returncode == 0
        token = run_mikromon("token", "create", "admin", data_dir=tmp_path).stdout.strip()
        server = start_server("serve", "--port", "0", "--web-workers", "1",
                              "--collectors", "2", data_dir=tmp_path, **MEMBER_ENV)
        try:
            server.wait_for_stderr(r"serving on http://\S+: collector pids \d+, \d+", 60)

            def document() -> dict[str, Any]:
                request = urllib.request.Request(server.url + "api/v1/collector",
                                                 headers={"Authorization": f"Token {token}"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    return json.loads(response.read())

            def shared() -> dict[str, Any] | None:
                doc = document()
                members = doc["members"]
                if len(members) != 2 or sum(m["devices"] for m in members) != 4:
                    return None
                if not all(m["devices"] for m in members):
                    return None
                if len(doc["status"].get("devices") or []) != 4:
                    return None
                return doc if _all_polled_once(routers) else None

            doc = _wait(shared, 60, "two members sharing the four routers")
            assert {m["pid"] for m in doc["members"]} == {
                int(p) for p in re.findall(r"collector pids (\d+), (\d+)", server.stderr)[0]}
            assert sorted(d["name"] for d in doc["status"]["devices"]) == ["r0", "r1", "r2", "r3"]
            status = run_mikromon("collector", "status", data_dir=tmp_path)
            assert status.stdout.count("polled by ") == 4, status.stdout
            assert status.stdout.count("member ") == 2, status.stdout
            assert status.stdout.count("; runs the storage maintenance") == 1, status.stdout

            stopped = run_mikromon("collector", "stop", data_dir=tmp_path)
            assert stopped.returncode == 0, stopped.stderr
            _wait(lambda: all(r.sessions()[0] == 0 for r in routers), 20,
                  "both members to stop polling")
            assert run_mikromon("collector", "start", data_dir=tmp_path).returncode == 0
            _wait(lambda: _all_polled_once(routers) and len(document()["members"]) == 2, 30,
                  "both members to poll again")
            assert all(r.sessions()[2] == 1 for r in routers)
            assert server.stop() == 0, server.stderr[-3000:]
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(10)
