"""Faults seen from clients: delay, drop mid-sentence, garbage, trickle, refused
logins, blackhole; per router and changeable at runtime."""

from __future__ import annotations

import socket
import time

import librouteros
import pytest
from emu_raw import RawClient
from librouteros.exceptions import ConnectionClosed, ProtocolError, TrapError

from mikromon.emulator import tls
from mikromon.emulator.codec import encode_sentence


@pytest.fixture
def pair(emulators):
    return emulators(2, "v7")


def connect(r, **kw):
    return librouteros.connect(r.host, r.username, r.password, port=r.port, **kw)


def test_delay(pair) -> None:
    r, other = pair
    api = connect(r, timeout=5)
    try:
        r.set_fault(delay=0.4)
        start = time.monotonic()
        assert list(api.path("/system/identity"))
        assert time.monotonic() - start >= 0.4
        # another router is not affected
        fast = connect(other)
        start = time.monotonic()
        list(fast.path("/system/identity"))
        assert time.monotonic() - start < 0.3
        fast.close()
        r.clear_faults()
        start = time.monotonic()
        list(api.path("/system/identity"))
        assert time.monotonic() - start < 0.3
    finally:
        api.close()


def test_delay_trips_a_client_timeout(pair) -> None:
    r, _ = pair
    r.set_fault(delay=1.0)
    with pytest.raises(socket.timeout):
        connect(r, timeout=0.3)


def test_drop_mid_sentence(pair) -> None:
    r, _ = pair
    api = connect(r)
    r.set_fault(drop_mid_sentence=True)
    with pytest.raises(ConnectionClosed):
        list(api.path("/system/resource"))
    api.close()
    r.clear_faults()
    api = connect(r)
    assert list(api.path("/system/resource"))
    api.close()


def test_drop_is_visible_as_a_partial_sentence(pair) -> None:
    r, _ = pair
    with RawClient(r.host, r.port) as c:
        c.login()
        r.set_fault(drop_mid_sentence=True)
        c.send("/system/resource/print")
        with pytest.raises(EOFError, match="unparsed tail"):
            c.read()
        assert c.buffer  # half a sentence arrived


def test_garbage(pair) -> None:
    r, _ = pair
    api = connect(r)
    r.set_fault(garbage=True)
    with pytest.raises(ProtocolError):
        list(api.path("/interface"))
    api.close()


def test_trickle(pair) -> None:
    r, _ = pair
    with RawClient(r.host, r.port) as c:
        c.login()
        r.set_fault(trickle=2000)
        c.send("/system/resource/print")
        start = time.monotonic()
        chunks, _size = 0, 0
        data = b""
        while not data.endswith(encode_sentence(["!done"])):
            piece = c.sock.recv(65536)
            assert piece
            data += piece
            chunks += 1
        elapsed = time.monotonic() - start
        assert len(data) > 300
        assert elapsed >= 0.7 * len(data) / 2000
        assert chunks > 3


def test_refuse_login(pair) -> None:
    r, _ = pair
    r.set_fault(refuse_login=True)
    with pytest.raises(TrapError, match=r"invalid user name or password \(6\)"):
        connect(r)
    r.clear_faults()
    connect(r).close()


def test_blackhole(pair) -> None:
    r, _ = pair
    r.set_fault(blackhole=True)
    with socket.create_connection((r.host, r.port), timeout=0.5) as s:
        s.sendall(encode_sentence(["/login", "=name=admin", "=password=admin"]))
        with pytest.raises(socket.timeout):
            s.recv(1)
    r.clear_faults()
    connect(r).close()


def test_blackhole_on_api_ssl(emulators) -> None:
    (r,) = emulators(1, "v7", tls=True)
    r.set_fault(blackhole=True)
    ctx = tls.client_context("cert")
    with socket.create_connection((r.host, r.tls_port), timeout=0.5) as raw, \
            ctx.wrap_socket(raw) as s:
        s.sendall(encode_sentence(["/login", "=name=admin", "=password=admin"]))
        with pytest.raises(socket.timeout):
            s.recv(1)


def test_bad_fault_values(pair) -> None:
    r, _ = pair
    with pytest.raises(ValueError, match="unknown fault"):
        r.set_fault(explode=True)
    with pytest.raises(ValueError, match="delay"):
        r.set_fault(delay=-1)
    with pytest.raises(ValueError, match="trickle"):
        r.set_fault(trickle=0)
    with pytest.raises(ValueError, match="True or False"):
        r.set_fault(blackhole="yes")
    assert r.emulator.faults.active() == {}


def read_forever(c: RawClient) -> None:
    while True:
        c.read()


def wait_for_no_sessions(r, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while r.session_count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.session_count == 0


@pytest.mark.parametrize("fault", ["garbage", "drop_mid_sentence"])
def test_connection_faults_end_the_session_during_a_large_reply(emulators, fault: str) -> None:
    from mikromon.emulator.profiles import V7

    (r,) = emulators(1, V7.replace(routes=20_000))
    with RawClient(r.host, r.port) as c:
        c.login()
        c.send("/ip/route/print")
        assert c.read()[0] == "!re"
        r.set_fault(**{fault: True})
        with pytest.raises((EOFError, ValueError, ConnectionError)):
            read_forever(c)
    wait_for_no_sessions(r)


def test_endless_rows(pair) -> None:
    """``endless_rows``: the reply streams ``!re`` rows and never ``!done``; the other
    router is not affected; clearing it ends the fault for new commands."""
    r, other = pair
    r.set_fault(endless_rows=True)
    with RawClient(r.host, r.port) as c:
        c.login()  # the login still works: the fault is in command replies
        c.send("/system/identity/print")
        words = [c.read() for _ in range(5000)]
        assert all(s[0] == "!re" for s in words)
        assert len({tuple(s) for s in words}) == 5000  # distinct rows, not a loop of one
    with RawClient(other.host, other.port) as c:
        c.login()
        assert c.call("/system/identity/print")[-1][0] == "!done"
    r.clear_faults()
    with RawClient(r.host, r.port) as c:
        c.login()
        assert c.call("/system/identity/print")[-1][0] == "!done"


def test_endless_sentence(pair) -> None:
    """``endless_sentence``: a reply sentence starts and its words never end."""
    r, _ = pair
    r.set_fault(endless_sentence=True)
    with RawClient(r.host, r.port) as c:
        c.login()
        c.send("/system/identity/print")
        received = b""
        while len(received) < 1_000_000:
            data = c.sock.recv(65536)
            assert data
            received += data
        assert received.startswith(b"\x03!re")
        sentences, _ = __import__("mikromon.emulator.codec", fromlist=["x"]).decode_sentences(
            received)
        assert sentences == []  # no sentence ever ended
    r.clear_faults()


def test_endless_faults_through_set_fault_and_control_lines(pair) -> None:
    from mikromon.cli.simulate import run_control
    from mikromon.emulator.faults import Faults

    f = Faults()
    f.update(endless_rows=True, endless_sentence=False)
    assert f.active() == {"endless_rows": True}
    with pytest.raises(ValueError, match="True or False"):
        f.update(endless_sentence="yes")

    class _Fleet:
        routers = [type("R", (), {"set_fault": lambda self, **kw: f.update(**kw)})()]

    assert run_control(_Fleet(), "fault 0 endless_sentence=true").startswith("ok")
    assert f.endless_sentence
    assert "endless_rows" in run_control(_Fleet(), "help")


def test_a_client_gone_mid_reply_is_dropped_quietly(pair, caplog) -> None:
    """A client that resets its connection while rows are still being sent (the
    collector giving up on a command) ends the session: the emulator stops writing
    to the dead socket, as a router does, instead of asyncio logging a warning for
    every write after the loss; the other router is not affected."""
    import logging
    import struct

    r, other = pair
    r.set_fault(endless_rows=True)
    caplog.set_level(logging.WARNING, logger="asyncio")
    c = RawClient(r.host, r.port)
    c.login()
    c.send("/interface/print")
    for _ in range(200):
        c.read()
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.sock.close()  # a reset, with the emulator's buffers full of rows
    wait_for_no_sessions(r)
    time.sleep(0.3)
    assert not [rec for rec in caplog.records if "socket.send() raised" in rec.getMessage()]
    with RawClient(other.host, other.port) as c2:
        c2.login()
        assert c2.call("/system/identity/print")[-1][0] == "!done"
