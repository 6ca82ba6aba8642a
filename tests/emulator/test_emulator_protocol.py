"""The exact reply words, read with a raw socket client: !empty, !fatal, traps, tags,
/cancel, count-only, logins, framing edge cases."""

from __future__ import annotations

import hashlib
import socket
import time

import pytest
from emu_raw import RawClient, attrs

from mikromon.emulator import ManualClock
from mikromon.emulator.profiles import V6, V7, V7_EMPTY
from mikromon.emulator.testing import EmulatorHandle


@pytest.fixture
def v7(emulators) -> EmulatorHandle:
    return emulators(1, "v7", clock=ManualClock())[0]


@pytest.fixture
def client(v7: EmulatorHandle):
    with RawClient(v7.host, v7.port) as c:
        c.login(v7.username, v7.password)
        yield c


def test_empty_reply_on_7_18_and_later(emulators) -> None:
    _, old, new = emulators(3, "mixed")  # mixed: v6, v7, v7-empty, ...
    assert new.profile.sends_empty
    assert not old.profile.sends_empty
    with RawClient(new.host, new.port) as c:
        assert c.call("/login", "=name=admin", "=password=admin") == [["!done"]]
        assert c.call("/ip/route/print", "=.proplist=.id", "?=comment=test") == [
            ["!empty"], ["!done"]]
        assert c.call("/ip/route/print", "?comment=none", ".tag=5") == [
            ["!empty", ".tag=5"], ["!done", ".tag=5"]]
        # count-only carries data: no !empty
        assert c.call("/ip/route/print", "=count-only=", "?comment=none") == [
            ["!done", "=ret=0"]]
        rows = c.call("/system/identity/print")
        assert rows[0][0] == "!re"
        assert rows[-1] == ["!done"]
    with RawClient(old.host, old.port) as c:
        c.login()
        assert c.call("/ip/route/print", "=.proplist=.id", "?=comment=test") == [["!done"]]


def test_chr_health_is_empty(emulators) -> None:
    (chr_,) = emulators(1, "chr")
    with RawClient(chr_.host, chr_.port) as c:
        c.login()
        assert c.call("/system/health/print") == [["!done"]]
    (empty,) = emulators(1, V7_EMPTY.replace(packages=frozenset()))
    with RawClient(empty.host, empty.port) as c:
        c.login()
        assert c.call("/system/health/print") == [["!empty"], ["!done"]]


def test_quit_is_fatal(client: RawClient) -> None:
    client.send("/quit")
    assert client.read() == ["!fatal", "session terminated on request"]
    assert client.closed()


def test_command_before_login_is_fatal(v7: EmulatorHandle) -> None:
    with RawClient(v7.host, v7.port) as c:
        c.send("/interface/print")
        assert c.read() == ["!fatal", "not logged in"]
        assert c.closed()


def test_wrong_password_keeps_connection_then_fatal(v7: EmulatorHandle) -> None:
    with RawClient(v7.host, v7.port) as c:
        reply = c.call("/login", "=name=admin", "=password=nope")
        assert reply == [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
        c.send("/system/resource/print")
        assert c.read() == ["!fatal", "not logged in"]
        assert c.closed()


def md5_response(password: str, challenge: str) -> str:
    digest = hashlib.md5(b"\x00" + password.encode() + bytes.fromhex(challenge),
                         usedforsecurity=False).hexdigest()
    return "00" + digest


def test_challenge_login(emulators) -> None:
    (old,) = emulators(1, "v6-legacy")
    with RawClient(old.host, old.port) as c:
        (done,) = c.call("/login")
        challenge = attrs(done)["ret"]
        assert done[0] == "!done"
        assert len(challenge) == 32
        int(challenge, 16)
        assert c.call("/login", "=name=admin",
                      f"=response={md5_response('admin', challenge)}") == [["!done"]]
        assert c.call("/system/identity/print")[0] == ["!re", f"=name={old.identity}"]


def test_pre_6_43_router(emulators) -> None:
    (old,) = emulators(1, V6.replace(name="old", version="6.42.12"))
    with RawClient(old.host, old.port) as c:
        # a plaintext login is answered with the challenge, as old routers do
        (done,) = c.call("/login", "=name=admin", "=password=admin")
        challenge = attrs(done)["ret"]
        assert c.call("/login", "=name=admin", "=response=00" + "0" * 32) == [
            ["!trap", "=message=cannot log in"], ["!done"]]
        (done,) = c.call("/login")
        challenge = attrs(done)["ret"]
        assert c.call("/login", "=name=admin",
                      f"=response={md5_response('admin', challenge)}") == [["!done"]]


@pytest.mark.parametrize("profile", ["v6", "v7"])
def test_md5_response_refused_after_6_45_1(emulators, profile: str) -> None:
    """A bare /login still gets a challenge; the right MD5 answer is refused
    (shared/ROUTEROS-API.md §5, the 6.47.6 transcript); plaintext login works."""
    (r,) = emulators(1, profile)
    with RawClient(r.host, r.port) as c:
        (done,) = c.call("/login")
        reply = c.call("/login", "=name=admin",
                       f"=response={md5_response('admin', attrs(done)['ret'])}")
        assert reply == [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
        assert c.call("/login", "=name=admin", "=password=admin") == [["!done"]]


def test_md5_login_can_be_forced(emulators) -> None:
    (r,) = emulators(1, V7.replace(md5_login=True))
    with RawClient(r.host, r.port) as c:
        (done,) = c.call("/login")
        reply = c.call("/login", "=name=admin",
                       f"=response={md5_response('admin', attrs(done)['ret'])}")
        assert reply == [["!done"]]
    (r,) = emulators(1, V6.replace(version="6.40.9", md5_login=False))
    with RawClient(r.host, r.port) as c:
        (done,) = c.call("/login")
        reply = c.call("/login", "=name=admin",
                       f"=response={md5_response('admin', attrs(done)['ret'])}")
        assert reply == [["!trap", "=message=cannot log in"], ["!done"]]


def test_unknown_commands_trap(client: RawClient) -> None:
    assert client.call("/ip/adress/print") == [
        ["!trap", "=category=0", "=message=no such command prefix"], ["!done"]]
    assert client.call("/interface/frobnicate", ".tag=t") == [
        ["!trap", ".tag=t", "=category=0",
         "=message=no such command or directory (frobnicate)"], ["!done", ".tag=t"]]
    assert client.call("/routing/bgp/peer/print") == [
        ["!trap", "=category=0", "=message=no such command prefix"], ["!done"]]


def test_tags_on_every_sentence_and_getall(client: RawClient, v7: EmulatorHandle) -> None:
    reply = client.call("/interface/getall", "=.proplist=name", ".tag=abc")
    assert len(reply) == len(v7.rates) + 1
    assert all(s[1] == ".tag=abc" for s in reply)
    assert [s[2] for s in reply[:2]] == ["=name=ether1", "=name=ether2"]


def test_count_only_and_proplist(client: RawClient) -> None:
    assert client.call("/interface/print", "=count-only=", "?type=vlan") == [
        ["!done", "=ret=2"]]
    reply = client.call("/interface/print", "=.proplist=.id,name", "?name=ether2")
    assert reply == [["!re", "=.id=*2", "=name=ether2"], ["!done"]]
    # properties a row lacks are simply missing: a bare !re
    # (the bridges carry no comment; the VLANs carry their configured ones)
    reply = client.call("/interface/print", "=.proplist=comment", "?type=bridge")
    assert reply == [["!re"], ["!done"]]
    reply = client.call("/interface/print", "=.proplist=comment", "?type=vlan")
    assert reply == [["!re", "=comment=management"], ["!re", "=comment=guests"], ["!done"]]


def test_attribute_without_value(client: RawClient) -> None:
    """RouterOS-api sends flag arguments as ``=once`` (no second ``=``)."""
    reply = client.call("/interface/monitor-traffic", "=interface=ether1", "=once")
    assert [s[0] for s in reply] == ["!re", "!done"]


def test_bad_monitor_arguments(client: RawClient) -> None:
    reply = client.call("/interface/monitor-traffic", "=interface=nope", "=once=")
    assert reply[0][:2] == ["!trap", "=category=1"]
    assert reply[-1] == ["!done"]
    reply = client.call("/interface/monitor-traffic", "=once=")
    assert reply[0][0] == "!trap"


def test_concurrent_tags_and_cancel_order(client: RawClient) -> None:
    client.send("/interface/monitor-traffic", "=interface=ether1,ether2", ".tag=10")
    first = [client.read(), client.read()]
    assert [attrs(s)["name"] for s in first] == ["ether1", "ether2"]
    assert all(".tag=10" in s for s in first)
    # another command runs while the monitor streams
    client.send("/system/identity/print", ".tag=11")
    seen = []
    while not (seen and seen[-1] == ["!done", ".tag=11"]):
        seen.append(client.read())
    assert ["!re", ".tag=11", "=name=rtr-0001"] in seen
    client.send("/cancel", "=tag=10", ".tag=20")
    tail = []
    while ["!done", ".tag=10"] not in tail:
        tail.append(client.read())
    tail = [s for s in tail if s[0] != "!re"]
    assert tail == [
        ["!trap", ".tag=10", "=category=2", "=message=interrupted"],
        ["!done", ".tag=20"],
        ["!done", ".tag=10"],
    ]


def test_monitor_streams_every_second(client: RawClient) -> None:
    client.send("/interface/monitor-traffic", "=interface=ether1", ".tag=m")
    start = time.monotonic()
    rows = [client.read(), client.read()]
    assert time.monotonic() - start >= 0.9
    assert rows[0] == rows[1]
    assert rows[0][0] == "!re"
    client.send("/cancel", "=tag=m")
    reply = client.read_until_done("m")
    assert ["!trap", ".tag=m", "=category=2", "=message=interrupted"] in reply


def test_cancel_all_and_listen(client: RawClient) -> None:
    client.send("/interface/listen", ".tag=a")
    client.send("/log/print", "=follow-only=", ".tag=b")
    client.send("/system/identity/print", ".tag=c")
    assert client.read_until_done("c")[-1] == ["!done", ".tag=c"]
    client.send("/cancel", ".tag=z")
    reply = client.read_until_done("b")
    while not any(s == ["!done", ".tag=a"] for s in reply):
        reply.append(client.read())
    traps = [s for s in reply if s[0] == "!trap"]
    assert sorted(s[1] for s in traps) == [".tag=a", ".tag=b"]
    assert ["!done", ".tag=z"] in reply
    assert reply.index(["!done", ".tag=z"]) > max(reply.index(t) for t in traps)
    # cancelling nothing still answers
    assert client.call("/cancel", "=tag=nothing") == [["!done"]]


def test_framing_edge_cases(v7: EmulatorHandle) -> None:
    with RawClient(v7.host, v7.port) as c:
        # empty sentences are ignored; a 5-byte length prefix is accepted
        c.send_bytes(b"\x00\x00" + b"\xf0\x00\x00\x00\x06/login"
                     + b"\x0b=name=admin\x0f=password=admin\x00")
        assert c.read() == ["!done"]
    with RawClient(v7.host, v7.port) as c:
        c.send_bytes(b"\xf8garbage")  # a reserved control byte ends the session
        assert c.closed()


def test_large_words_round_trip(client: RawClient) -> None:
    value = "x" * 70000  # a 3-byte length prefix on the way in
    reply = client.call("/interface/print", f"?comment={value}")
    assert reply == [["!done"]]


def test_only_loopback_is_bound(v7: EmulatorHandle, emulators) -> None:
    addresses = [a[0] for a in v7.emulator.sockets]
    assert addresses == ["127.0.0.1"]
    (tls,) = emulators(1, "v6", tls=True)
    assert [a[0] for a in tls.emulator.sockets] == ["127.0.0.1", "127.0.0.1"]
    with socket.create_connection(("127.0.0.1", v7.port), timeout=2):
        pass
