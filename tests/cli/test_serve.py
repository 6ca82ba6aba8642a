"""``mikromon serve`` and ``collector start`` in the foreground, as subprocesses: HTTP
on 127.0.0.1, clean stops on SIGTERM/SIGINT, a busy port, the desired state."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest
from cli_processes import run_mikromon, spawn, start_server

pytestmark = pytest.mark.slow


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, str, dict[str, str]]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(url, timeout=10)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace"), dict(err.headers)
    return response.status, response.read().decode(errors="replace"), dict(response.headers)


def test_serve_answers_http_and_stops_on_sigterm(tmp_path, servers) -> None:
    server = start_server("serve", "--port", "0", data_dir=tmp_path)
    servers.append(server)
    assert server.url.startswith("http://127.0.0.1:")
    assert "migrating the database" in server.stderr

    code, _, headers = _get(server.url)
    assert code == 302
    assert "/accounts/login/" in headers["Location"]
    code, body, _ = _get(server.url + "accounts/login/")
    assert code == 200
    assert 'name="password"' in body
    assert "server: " in server.stderr  # uvicorn's lines go through our log format

    status = run_mikromon("collector", "status", "--json", data_dir=tmp_path)
    assert json.loads(status.stdout)["running"] is True

    assert server.stop(signal.SIGTERM) == 0, server.stderr[-3000:]
    assert "received SIGTERM, stopping" in server.stderr
    assert server.stderr.rstrip().endswith("runtime: stopped")
    after = run_mikromon("collector", "status", "--json", data_dir=tmp_path)
    assert json.loads(after.stdout)["process"] is None


def test_serve_stops_on_sigint(tmp_path, servers) -> None:
    server = start_server("serve", "--port", "0", data_dir=tmp_path)
    servers.append(server)
    assert server.stop(signal.SIGINT) == 0
    assert "received SIGINT, stopping" in server.stderr


def test_busy_port_is_a_clear_error(tmp_path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_mikromon("serve", "--port", str(port), data_dir=tmp_path)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_stopped_collector_stays_stopped_until_started(tmp_path, servers) -> None:
    """`collector stop` before serve: serve starts with the collector stopped;
    `collector start` from another process starts it."""
    assert run_mikromon("collector", "stop", data_dir=tmp_path).returncode == 0
    server = start_server("serve", "--port", "0", data_dir=tmp_path)
    servers.append(server)
    server.wait_for_stderr(r"the collector is stopped \(by cli", 5)
    status = json.loads(run_mikromon("collector", "status", "--json", data_dir=tmp_path).stdout)
    assert status["running"] is False
    assert status["desired"] == "stopped"
    assert status["process"] is not None

    started = run_mikromon("collector", "start", data_dir=tmp_path)
    assert started.returncode == 0, started.stderr
    assert "collector running" in started.stdout
    server.wait_for_stderr(r"starting the collector \(asked by cli\)", 5)
    assert server.stop() == 0


def test_collector_start_runs_in_the_foreground_without_a_server(tmp_path) -> None:
    """Without a server, `collector start` collects here until SIGTERM, publishing its status."""
    server = spawn("collector", "start", data_dir=tmp_path)
    proc = server.proc
    try:
        server.wait_for_stderr(r"collector: collector started", 60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = run_mikromon("collector", "status", "--json", data_dir=tmp_path)
            if json.loads(status.stdout)["running"]:
                break
        else:
            raise AssertionError("the foreground collector published no status")
        assert "collecting here until Ctrl-C" in server.stdout
        assert server.stop() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_bind_names_an_ipv6_address_in_brackets() -> None:
    import socket

    from mikromon.web.http_server import StartupError, bind

    with socket.socket(socket.AF_INET6) as taken:
        taken.bind(("::1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=rf"cannot listen on \[::1\]:{port}: "):
            bind("::1", port)
