"""The emulated router sends syslog as RouterOS does: on command (Python and
``simulate`` control lines) and for its own state changes once a remote logging
action is set. Received on real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest

from mikromon.cli.simulate import run_control
from mikromon.emulator.fleet import Fleet
from mikromon.emulator.remote_log import format_message, send
from mikromon.emulator.testing import running_emulators
from mikromon.syslog.parse import parse

HOST = "127.0.0.1"


class Listener:
    """A UDP socket and a TCP server on one loopback port, collecting what arrives."""

    def __init__(self) -> None:
        self.tcp = socket.create_server((HOST, 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((HOST, self.port))
        self.udp.settimeout(3)
        self.tcp.settimeout(3)

    def datagram(self) -> tuple[bytes, str]:
        data, addr = self.udp.recvfrom(65536)
        return data, addr[0]

    def stream(self) -> bytes:
        conn, _ = self.tcp.accept()
        with conn:
            conn.settimeout(3)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def test_formats_as_routeros_sends() -> None:
    # As in the RouterOS manual's "Message formats" (error,critical -> severity 3).
    assert format_message("system,error,critical", "login failure for user x") == (
        b"system,error,critical login failure for user x")
    assert format_message("system,error,critical", "login failure for user x", fmt="syslog",
                          identity="MikroTik", now=datetime(2026, 10, 2, 17, 36, 35)) == (
        b"<27>Oct  2 17:36:35 MikroTik login failure for user x")
    bsd = format_message("interface,info", "ether1 link down", fmt="syslog", identity="edge-1",
                         now=datetime(2026, 12, 6, 9, 5, 7))
    assert bsd == b"<30>Dec  6 09:05:07 edge-1 ether1 link down"
    msg = parse(bsd, datetime(2026, 12, 6, 10, 0).astimezone())
    assert (msg.hostname, msg.message, msg.severity) == ("edge-1", "ether1 link down", "info")
    with pytest.raises(ValueError, match="format"):
        format_message("a,info", "b", fmt="cef")
    with pytest.raises(ValueError, match="framing"):
        send(b"x,info y", HOST, 514, protocol="tcp", framing="crlf")


def test_refuses_non_loopback_destinations() -> None:
    with pytest.raises(ValueError, match="loopback"):
        send(b"<30>x,info y", "192.0.2.1", 514)
    with pytest.raises(ValueError, match="protocol"):
        send(b"<30>x,info y", HOST, 514, protocol="sctp")


def test_handle_sends_udp_and_tcp_and_state_changes(listener: Listener) -> None:
    with running_emulators(count=1, profile="v7") as (router,):
        router.send_syslog("system,error,critical", "login failure for user admin",
                           host=HOST, port=listener.port)
        data, source = listener.datagram()
        assert data == b"system,error,critical login failure for user admin"
        assert source == router.host

        got: list[bytes] = []
        t = threading.Thread(target=lambda: got.append(listener.stream()))
        t.start()
        router.send_syslog("script,info", "hello over tcp", host=HOST, port=listener.port,
                           protocol="tcp")
        t.join(5)
        assert got == [b"script,info hello over tcp"]  # no delimiter, as RouterOS

        router.set_remote_logging(HOST, listener.port)
        router.set_link("ether1", False)
        assert listener.datagram()[0] == b"interface,info ether1 link down"
        router.reboot()
        assert listener.datagram()[0] == b"system,info router rebooted"
        router.set_remote_logging(None)
        router.set_link("ether1", True)
        listener.udp.settimeout(0.3)
        with pytest.raises(TimeoutError):
            listener.datagram()
        with pytest.raises(ValueError, match="no syslog destination"):
            router.send_syslog("system,info", "nowhere")


async def test_simulate_control_lines(listener: Listener) -> None:
    fleet = Fleet(1, profile="v7", base_port=0)
    await fleet.start()
    try:
        p = listener.port
        assert run_control(fleet, f"syslog 0 {HOST}:{p} udp system,error,critical "
                                  "login failure for user x") == "ok: syslog 0"
        assert listener.datagram()[0] == b"system,error,critical login failure for user x"
        assert run_control(fleet, f"syslog all {HOST}:{p} syslog-udp interface,info "
                                  "ether2 link up") == "ok: syslog all"
        msg = parse(listener.datagram()[0])
        assert (msg.fmt, msg.message) == ("rfc3164", "ether2 link up")
        assert run_control(fleet, f"logging 0 {HOST}:{p} udp").startswith("ok: logging 0")
        assert run_control(fleet, "link 0 ether2 down") == "ok: link 0"
        assert listener.datagram()[0] == b"interface,info ether2 link down"
        assert run_control(fleet, "logging 0 off") == "ok: logging 0 off"
        assert run_control(fleet, "syslog 0 192.0.2.1:514 udp a,info b").startswith(
            "error: syslog:")
        assert run_control(fleet, "syslog 0 127.0.0.1 udp a,info b").startswith(
            "error: syslog: '127.0.0.1' is not HOST:PORT")
        assert run_control(fleet, f"syslog 0 {HOST}:{p} udp").startswith("error: usage")
        assert run_control(fleet, "logging 0 x").startswith("error: usage")
        assert "syslog I HOST:PORT" in run_control(fleet, "help")
    finally:
        await fleet.stop()
