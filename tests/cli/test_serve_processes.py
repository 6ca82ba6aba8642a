"""``mikromon serve`` as processes: the supervisor, one collector child and web
workers sharing the port. Real processes on 127.0.0.1 with one emulated router
polled ten times faster: pages answer from a web worker that is not the
collector, a killed web worker or collector is started again and serves or polls,
start/stop through the API reach the collector child, SIGTERM and SIGKILL of the
supervisor leave no process behind."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_processes import Server, run_mikromon, start_server

from mikromon.emulator.testing import running_emulators

pytestmark = pytest.mark.slow

STARTED = re.compile(r"runtime: started (collector|web-\d+) \(pid (\d+)\)")
ROUTER_PASSWORD = "router-pw-1"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _pids(server: Server) -> dict[str, int]:
    """The newest pid of every child, from the supervisor's "started" lines."""
    return {role: int(pid) for role, pid in STARTED.findall(server.stderr)}


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie or a missing process does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def _parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def call(self, path: str, method: str = "GET") -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None,
            headers={"Authorization": f"Token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, {}

    def collector(self) -> dict:
        code, doc = self.call("api/v1/collector")
        assert code == 200, code
        return doc


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[tuple[Server, Api]]:
    data_dir = tmp_path_factory.mktemp("procs")
    with running_emulators(count=1, profile="v7", username="mon",
                           password=ROUTER_PASSWORD) as routers:
        added = run_mikromon("device", "add", "--name", "edge-1", "--host", "127.0.0.1",
                             "--port", str(routers[0].port), "--username", "mon",
                             "--password-env", "PW", data_dir=data_dir, PW=ROUTER_PASSWORD)
        assert added.returncode == 0, added.stderr
        admin = run_mikromon("createadmin", "admin", "--password-env", "PW",
                             data_dir=data_dir, PW="admin-password-123")
        assert admin.returncode == 0, admin.stderr
        token = run_mikromon("token", "create", "admin", data_dir=data_dir)
        assert token.returncode == 0, token.stderr
        server = start_server("serve", "--port", "0", "--web-workers", "2",
                              "--time-scale", "0.1", data_dir=data_dir,
                              MIKROMON_SIGNIN_FAILURES_PER_USER="2")
        try:
            yield server, Api(server.url, token.stdout.strip())
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(10)


def test_pages_come_from_a_web_worker_the_collector_runs_apart(fleet) -> None:
    server, api = fleet
    pids = _pids(server)
    assert set(pids) == {"collector", "web-1", "web-2"}
    assert all(_parent_of(pid) == server.proc.pid for pid in pids.values())
    server.wait_for_stderr(r"runtime: serving on http://127\.0\.0\.1:\d+/: collector pid", 5)
    doc = api.collector()
    # The page's process has no collector: it reads the collector child's status.
    assert doc["where"].endswith(f" pid {pids['collector']}"), doc["where"]
    assert doc["running"] is True
    # Every child's lines carry its role.
    assert re.search(r"INFO    collector: collector: collector started", server.stderr)
    assert re.search(r"INFO    web-\d: server: ", server.stderr)


def _sign_in(url: str, username: str, password: str) -> int:
    """One sign-in attempt on fresh connections; the answer's status code."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = url + "accounts/login/"
    page = opener.open(login, timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": csrf}).encode()
    try:
        return opener.open(urllib.request.Request(login, data=body, headers={
            "Referer": login}), timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code


def test_sign_in_limits_hold_across_web_workers(fleet) -> None:
    """The failures are counted in a cache the web workers share: after the limit
    (2 here), every worker refuses the name, whichever connection it takes."""
    server, _ = fleet
    assert [_sign_in(server.url, "mallory", "wrong") for _ in range(2)] == [200, 200]
    assert {_sign_in(server.url, "mallory", "wrong") for _ in range(8)} == {429}
    assert any((server.data_dir / "web-cache").iterdir())


def test_api_stop_and_start_reach_the_collector_child(fleet) -> None:
    server, api = fleet
    began = time.monotonic()
    code, doc = api.call("api/v1/collector/stop", "POST")
    assert code == 200
    assert doc["desired"]["running"] is False
    _wait(lambda: not api.collector()["running"], 3, "the collector to stop")
    stopped_after = time.monotonic() - began
    server.wait_for_stderr(r"collector: runtime: stopping the collector \(asked by admin\)", 2)

    began = time.monotonic()
    code, doc = api.call("api/v1/collector/start", "POST")
    assert code == 200
    _wait(lambda: api.collector()["running"], 3, "the collector to start again")
    started_after = time.monotonic() - began
    assert max(stopped_after, started_after) < 3.0


def test_a_killed_web_worker_is_started_again(fleet) -> None:
    server, api = fleet
    old = _pids(server)["web-1"]
    os.kill(old, signal.SIGKILL)
    server.wait_for_stderr(rf"web-1 \(pid {old}\) was killed by SIGKILL after \d+ s; "
                           r"starting it again in 1 s", 5)
    new = _wait(lambda: _pids(server)["web-1"] != old and _pids(server)["web-1"], 10,
                "a new web-1")
    server.wait_for_stderr(rf"web-1 \(pid {new}\) is running again", 20)
    assert _parent_of(new) == server.proc.pid
    for _ in range(10):  # both workers take connections; every request is answered
        assert api.call("api/v1/collector")[0] == 200


def test_a_killed_collector_is_started_again_and_polls(fleet) -> None:
    server, api = fleet
    old = _pids(server)["collector"]
    killed_at = datetime.now(UTC).replace(microsecond=0)
    os.kill(old, signal.SIGKILL)
    server.wait_for_stderr(rf"collector \(pid {old}\) was killed by SIGKILL", 5)
    new = _wait(lambda: _pids(server)["collector"] != old and _pids(server)["collector"], 10,
                "a new collector")

    def polled_by_the_new_one() -> bool:
        doc = api.collector()
        if not (doc["running"] and doc["where"].endswith(f" pid {new}")):
            return False
        runs = [d["tiers"]["realtime"]["last_run"] for d in doc["status"]["devices"]]
        return bool(runs) and all(r and r >= killed_at.isoformat().replace("+00:00", "Z")
                                  for r in runs)

    # The new collector takes over the dead one's lease at once (same machine,
    # its process is gone) rather than after the lease's 30 s.
    _wait(polled_by_the_new_one, 20, "the restarted collector to poll edge-1")
    assert "another collector is active" not in server.stderr


def test_sigterm_stops_every_process_and_exits_0(fleet) -> None:
    server, _ = fleet
    pids = _pids(server)
    assert server.stop(signal.SIGTERM) == 0, server.stderr[-3000:]
    log = server.stderr
    assert log.index("runtime: stopping 2 web workers") < log.index(
        "runtime: stopping the collector (pid")
    assert re.search(r"collector: runtime: writer flushed: \d+ rows written", log)
    assert log.rstrip().endswith("runtime: stopped")
    _wait(lambda: not any(_alive(p) for p in pids.values()), 5, "no child left")


def test_children_leave_when_the_supervisor_is_killed(tmp_path, servers) -> None:
    server = start_server("serve", "--port", "0", "--web-workers", "1", data_dir=tmp_path)
    servers.append(server)
    pids = _pids(server)
    assert set(pids) == {"collector", "web-1"}
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    # No orphan keeps polling routers or holding the port.
    _wait(lambda: not any(_alive(p) for p in pids.values()), 20, "the children to leave")


def test_single_process_keeps_the_collector_in_the_web_process(tmp_path, servers) -> None:
    server = start_server("serve", "--port", "0", "--single-process", data_dir=tmp_path)
    servers.append(server)
    server.wait_for_stderr(r"runtime: serving on http://127\.0\.0\.1:", 5)
    assert not _pids(server)
    status = json.loads(run_mikromon("collector", "status", "--json",
                                     data_dir=tmp_path).stdout)
    assert status["process"]["pid"] == server.proc.pid
    assert server.stop() == 0
