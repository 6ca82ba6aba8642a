"""Syslog with several collector members, as real processes: ``serve
--collectors 2`` with ``MIKROMON_SYSLOG_PORT`` receives every router's lines on
one port (in its first collector) and stores them against the right device,
whichever member polls it; a member started on the same machine with the same
port (``collector join``) says clearly that the port is taken and joins the
members all the same."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
from pathlib import Path

import pytest
from cli_processes import run_mikromon, spawn, start_server

from mikromon.emulator.testing import running_emulators
from waiting import until

pytestmark = pytest.mark.slow

ROUTER_PASSWORD = "router-pw-1"
MEMBER_ENV = {"MIKROMON_MEMBER_TTL": "4", "MIKROMON_TIME_SCALE": "0.2"}


def _free_port() -> int:
    """A port free for UDP and TCP on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", port))
    return port


def _rows(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(data_dir / "mikromon.sqlite3", timeout=10)) as conn:
        return list(conn.execute(query).fetchall())


def test_one_port_receives_every_routers_lines_whichever_member_polls_it(tmp_path) -> None:
    port = _free_port()
    with running_emulators(count=4, profile="v7", username="mon",
                           password=ROUTER_PASSWORD) as routers:
        # All routers send from 127.0.0.1: the BSD format's host name (the
        # identity, here also the device's name) tells them apart.
        csv = tmp_path / "devices.csv"
        csv.write_text("name,host,port,username,password\n" + "".join(
            f"{r.identity},127.0.0.1,{r.port},mon,{ROUTER_PASSWORD}\n" for r in routers),
            encoding="utf-8")
        assert run_mikromon("device", "import", str(csv), data_dir=tmp_path).returncode == 0
        server = start_server("serve", "--port", "0", "--web-workers", "1",
                              "--collectors", "2", data_dir=tmp_path,
                              MIKROMON_SYSLOG_PORT=str(port), **MEMBER_ENV)
        joined = None
        try:
            server.wait_for_stderr(rf"collector: .*syslog receiver listening on 127\.0\.0\.1 "
                                   rf"port {port}", 60)
            owners_query = ("SELECT count(DISTINCT owner) FROM control_deviceowner "
                            "WHERE owner <> ''")
            assert until(lambda: _rows(tmp_path, owners_query) == [(2,)], 40, poll=0.2), \
                server.stderr[-3000:]

            def stored() -> set[object]:
                for r in routers:
                    r.send_syslog("system,error,critical", f"login failure at {r.identity}",
                                  host="127.0.0.1", port=port, fmt="syslog")
                rows = _rows(tmp_path, "SELECT d.name, l.message FROM monitor_logentry l "
                             "JOIN monitor_device d ON d.id = l.device_id "
                             "WHERE l.message LIKE 'login failure at %'")
                return {name for name, message in rows if message == f"login failure at {name}"}

            assert until(lambda: stored() == {r.identity for r in routers}, 20, poll=0.5), \
                server.stderr[-3000:]
            assert "which is no device's address" not in server.stderr
            assert "collector-2: syslog" not in server.stderr  # one receiver per machine

            # A third member on this machine asked for the same port: a clear line,
            # and it polls its share all the same.
            joined = spawn("collector", "join", data_dir=tmp_path,
                           MIKROMON_SYSLOG_PORT=str(port), **MEMBER_ENV)
            joined.wait_for_stderr(r"syslog receiver not started: cannot listen on "
                                   r"127\.0\.0\.1 port \d+: .*another mikromon collector", 60)
            # It is a member (the bounded loads may leave one of three members
            # without any of four devices: its share can be none), and every device
            # is held by a live member.
            assert until(lambda: _rows(tmp_path, "SELECT count(*) FROM "
                                       "control_collectormember") == [(3,)], 40, poll=0.2), \
                joined.stderr[-3000:]
            held = ("SELECT count(*) FROM control_deviceowner WHERE owner IN "
                    "(SELECT member_id FROM control_collectormember)")
            assert until(lambda: _rows(tmp_path, held) == [(4,)], 40, poll=0.2), \
                joined.stderr[-3000:]
            assert joined.proc.poll() is None
            assert joined.stop() == 0, joined.stderr[-3000:]
            assert server.stop() == 0, server.stderr[-3000:]
        finally:
            for proc in (server, joined):
                if proc is not None and proc.proc.poll() is None:
                    proc.proc.kill()
                    proc.proc.wait(10)
