"""The syslog receiver over real UDP and TCP sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.parse import MAX_MESSAGE_BYTES, SyslogMessage
from mikromon.syslog.receiver import SyslogReceiver
from mikromon.syslog.sources import DeviceAddresses, KnownDevice

HOST = "127.0.0.1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Got:
    def __init__(self) -> None:
        self.items: list[tuple[int, SyslogMessage]] = []
        self.event = asyncio.Event()

    def __call__(self, device_id: int, msg: SyslogMessage, received: datetime) -> None:
        assert received.tzinfo is not None
        self.items.append((device_id, msg))
        self.event.set()

    async def wait_for(self, n: int, limit_s: float = 3.0) -> None:
        async with asyncio.timeout(limit_s):
            while len(self.items) < n:
                self.event.clear()
                await self.event.wait()

    @property
    def messages(self) -> list[str]:
        return [m.message for _, m in self.items]


async def make(devices: list[KnownDevice] | None = None, **settings: object
               ) -> tuple[SyslogReceiver, Got, Clock]:
    addresses = DeviceAddresses()
    await addresses.update(devices if devices is not None else [KnownDevice(7, "edge-1", HOST)])
    got, clock = Got(), Clock()
    receiver = SyslogReceiver(SyslogSettings(port=0, bind=HOST, **settings),  # type: ignore[arg-type]
                              addresses, got, clock=clock)
    await receiver.start()
    return receiver, got, clock


@pytest.fixture
async def rx() -> AsyncIterator[tuple[SyslogReceiver, Got, Clock]]:
    receiver, got, clock = await make()
    try:
        yield receiver, got, clock
    finally:
        await receiver.stop()


def udp_send(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for d in datagrams:
            s.sendto(d, (HOST, port))


async def tcp_send(port: int, *chunks: bytes, pause: float = 0.0) -> None:
    _reader, writer = await asyncio.open_connection(HOST, port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
    writer.close()
    await writer.wait_closed()


async def settle(receiver: SyslogReceiver, counter: str, n: int) -> None:
    async with asyncio.timeout(3.0):
        while receiver.counters[counter] < n:  # noqa: ASYNC110 - counters have no event
            await asyncio.sleep(0.01)


async def test_udp_messages_reach_the_device(rx) -> None:
    receiver, got, _ = rx
    udp_send(receiver.port, b"<27>system,error,critical login failure for user admin",
             b"<30>Dec  6 19:26:33 edge-1 ether1 link down")
    await got.wait_for(2)
    assert sorted(got.messages) == ["ether1 link down", "login failure for user admin"]
    assert {d for d, _ in got.items} == {7}
    assert receiver.stats()["accepted"] == 2


async def test_tcp_newline_and_octet_counting_frames_across_chunks(rx) -> None:
    receiver, got, _ = rx
    one = b"<30>interface,info ether1 link up"
    two = b"<30>interface,info ether2 link up"
    three = b"<30>system,info last one without LF"
    counted = f"{len(two)} ".encode() + two
    stream = one + b"\n" + counted + b"\r\n" + three
    # Split in awkward places: inside a message, inside the octet count.
    cut1, cut2 = 10, len(one) + 3
    await tcp_send(receiver.port, stream[:cut1], stream[cut1:cut2], stream[cut2:], pause=0.02)
    await got.wait_for(3)
    assert got.messages == ["ether1 link up", "ether2 link up", "last one without LF"]


async def test_oversize_is_dropped_and_the_stream_goes_on(rx) -> None:
    receiver, got, _ = rx
    big = b"<30>system,info " + b"x" * MAX_MESSAGE_BYTES
    udp_send(receiver.port, big)
    counted = f"{len(big)} ".encode() + big
    # An over-long octet-counted frame is skipped, an over-long LF line discarded up
    # to its LF; the messages after each still arrive.
    await tcp_send(receiver.port, counted, b"<30>system,info after counted\n",
                   big, b"\n<30>system,info after line\n", pause=0.02)
    await got.wait_for(2)
    assert got.messages == ["after counted", "after line"]
    await settle(receiver, "oversize", 3)


async def test_malformed_input_is_counted_never_fatal(rx) -> None:
    receiver, got, _ = rx
    udp_send(receiver.port, b"", b"hello", b"<999>x", b"\xff\xfe\x00garbage")
    await tcp_send(receiver.port, b"no pri here\n<1x>bad\n")
    await tcp_send(receiver.port, b"12345678 endless count")  # bad octet count: closed
    udp_send(receiver.port, b"<30>system,info still alive")
    await got.wait_for(1)
    assert got.messages == ["still alive"]
    await settle(receiver, "malformed", 7)


async def test_unknown_and_ambiguous_sources_are_counted() -> None:
    receiver, got, _ = await make([KnownDevice(1, "a", "192.0.2.1")])
    try:
        udp_send(receiver.port, b"<30>system,info from nowhere")
        await settle(receiver, "unknown_source", 1)
    finally:
        await receiver.stop()
    two = [KnownDevice(1, "edge-1", HOST), KnownDevice(2, "edge-2", HOST)]
    receiver, got, _ = await make(two)
    try:
        udp_send(receiver.port, b"<30>system,info who am i",
                 b"<30>Dec  6 19:26:33 edge-2 named by its identity")
        await got.wait_for(1)
        await settle(receiver, "ambiguous_source", 1)
        assert [(d, m.message) for d, m in got.items] == [(2, "named by its identity")]
    finally:
        await receiver.stop()


async def test_per_source_rate_is_bounded() -> None:
    receiver, _got, clock = await make(rate_per_source=10.0, burst=5.0)
    try:
        udp_send(receiver.port, *[b"<30>system,info burst %d" % i for i in range(8)])
        await settle(receiver, "received", 8)
        assert receiver.counters["accepted"] == 5
        assert receiver.counters["rate_limited"] == 3
        clock.now += 0.25  # 2.5 tokens back
        udp_send(receiver.port, *[b"<30>system,info later %d" % i for i in range(4)])
        await settle(receiver, "received", 12)
        assert receiver.counters["accepted"] == 7
    finally:
        await receiver.stop()


async def test_tcp_connections_beyond_the_limit_are_refused() -> None:
    receiver, got, _ = await make(max_connections=2)
    try:
        held = [await asyncio.open_connection(HOST, receiver.port) for _ in range(2)]
        async with asyncio.timeout(3):
            while receiver.stats()["tcp_connections"] < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(HOST, receiver.port)
        async with asyncio.timeout(3):
            assert await reader.read() == b""  # closed by the receiver
        writer.close()
        assert receiver.counters["connections_refused"] == 1
        for _, w in held:
            w.write(b"<30>system,info held open\n")
            await w.drain()
        await got.wait_for(2)
        for _, w in held:
            w.close()
    finally:
        await receiver.stop()
    assert receiver.stats()["tcp_connections"] == 0


async def test_idle_connections_are_closed() -> None:
    receiver, _, _ = await make(idle_timeout_s=0.2)
    try:
        reader, writer = await asyncio.open_connection(HOST, receiver.port)
        async with asyncio.timeout(3):
            assert await reader.read() == b""
        writer.close()
    finally:
        await receiver.stop()


async def test_a_failing_consumer_is_counted_and_the_receiver_goes_on() -> None:
    addresses = DeviceAddresses()
    await addresses.update([KnownDevice(7, "edge-1", HOST)])
    calls: list[str] = []

    def deliver(device_id: int, msg: SyslogMessage, received: datetime) -> None:
        calls.append(msg.message)
        if msg.message == "boom":
            raise RuntimeError("storage full")

    receiver = SyslogReceiver(SyslogSettings(port=0, bind=HOST), addresses, deliver)
    await receiver.start()
    try:
        udp_send(receiver.port, b"<30>system,info boom")
        await settle(receiver, "deliver_errors", 1)
        udp_send(receiver.port, b"<30>system,info fine")
        await settle(receiver, "accepted", 2)
        assert calls == ["boom", "fine"]
    finally:
        await receiver.stop()


async def test_a_port_in_use_raises_and_binds_nothing() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind((HOST, 0))
        port = busy.getsockname()[1]
        receiver = SyslogReceiver(SyslogSettings(port=port, bind=HOST), DeviceAddresses(),
                                  lambda *a: None)
        with pytest.raises(OSError):
            await receiver.start()
        # The TCP side was closed again: the port is free for TCP.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((HOST, port))


async def test_tcp_without_delimiters_as_routeros_sends() -> None:
    """RouterOS's default and syslog formats over TCP follow each other with no
    delimiter: entries are told apart by the next <PRI>+time, by a read that
    starts a new entry, or by a pause."""
    receiver, got, _ = await make()
    try:
        # syslog format: two entries in one write.
        await tcp_send(receiver.port,
                       b"<27>Oct  2 17:36:35 edge-1 login failure for user guest"
                       b"<30>Oct  2 17:36:36 edge-1 user admin logged in")
        await got.wait_for(2)
        # default format: one entry per write, the connection kept open.
        _, writer = await asyncio.open_connection(HOST, receiver.port)
        writer.write(b"interface,info ether1 link down")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"interface,info ether1 link up")
        await writer.drain()
        await got.wait_for(4)  # the last one after a pause, with the connection open
        writer.close()
        assert got.messages == ["login failure for user guest", "user admin logged in",
                                "ether1 link down", "ether1 link up"]
        assert [m.hostname for _, m in got.items[:2]] == ["edge-1", "edge-1"]
    finally:
        await receiver.stop()


async def test_cef_over_tcp_with_its_delimiter() -> None:
    receiver, got, _ = await make()
    try:
        cef = (b"Oct  2 17:36:35 edge-1 CEF:0|MikroTik|CHR|7.19|10|system,error,critical|High|"
               b"dvchost=edge-1 msg=login failure for user guest from 192.0.2.7 via ssh "
               b"app=ssh\r\n")
        await tcp_send(receiver.port, cef * 2)
        await got.wait_for(2)
        assert got.messages == ["login failure for user guest from 192.0.2.7 via ssh"] * 2
        assert got.items[0][1].topics == ("system", "error", "critical")
    finally:
        await receiver.stop()


async def test_a_slow_lf_framed_sender_is_not_cut_mid_line() -> None:
    receiver, got, _ = await make()
    try:
        _, writer = await asyncio.open_connection(HOST, receiver.port)
        writer.write(b"<30>system,info first\n<30>system,info sec")
        await writer.drain()
        await asyncio.sleep(0.5)  # longer than the pause that ends undelimited entries
        writer.write(b"ond half\n")
        await writer.drain()
        await got.wait_for(2)
        writer.close()
        assert got.messages == ["first", "second half"]
        assert receiver.counters["malformed"] == 0
    finally:
        await receiver.stop()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1,
                        max_size=40).map(str.strip).filter(bool), min_size=1, max_size=8),
       st.lists(st.integers(1, 400), max_size=6), st.booleans())
def test_framing_survives_any_chunking(texts: list[str], cuts: list[int],
                                       counted: bool) -> None:
    """However TCP splits an LF-framed or octet-counted stream into reads, the same
    messages come out (the framer alone, no sockets)."""
    from mikromon.syslog.receiver import _Framer

    got: list[str] = []
    rx = SyslogReceiver(SyslogSettings(port=0, bind=HOST, rate_per_source=1e9, burst=1e9),
                        DeviceAddresses(), lambda *a: None)
    rx.handle = lambda data, source: got.append(data.decode())  # type: ignore[method-assign]
    frames = [f"<30>system,info {t}".encode() for t in texts]
    stream = b"".join((f"{len(f)} ".encode() + f) if counted else f + b"\n" for f in frames)
    framer = _Framer(rx, HOST)
    start = 0
    for cut in [*sorted({c % (len(stream) + 1) for c in cuts}), len(stream)]:
        if cut > start:
            assert framer.feed(stream[start:cut])
            start = cut
    framer.flush()
    assert got == [f.decode() for f in frames]
