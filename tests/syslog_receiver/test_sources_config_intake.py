"""Matching sources to devices, the settings, and turning messages into log rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mikromon.domain.errors import ConfigError
from mikromon.domain.inventory import InventorySnapshot
from mikromon.syslog.config import SyslogSettings
from mikromon.syslog.intake import SyslogIntake, row_for
from mikromon.syslog.parse import parse
from mikromon.syslog.sources import AMBIGUOUS, DeviceAddresses, KnownDevice, normalize_ip

NOW = datetime(2026, 12, 6, 19, 30, 5, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("text", "want"), [
    ("127.0.0.1", "127.0.0.1"), ("::ffff:127.0.0.1", "127.0.0.1"), ("::1", "::1"),
    ("[::1]", "::1"), ("fe80::1%eth0", "fe80::1"), ("router.example", None), ("", None),
])
def test_normalize_ip(text: str, want: str | None) -> None:
    assert normalize_ip(text) == want


async def test_match_by_address_then_host_name() -> None:
    a = DeviceAddresses()
    await a.update([KnownDevice(1, "core", "192.0.2.1"), KnownDevice(2, "r2", "127.0.0.1"),
                    KnownDevice(3, "r3", "127.0.0.1"), KnownDevice(4, "local", "localhost")])
    assert a.match("192.0.2.1") == 1
    assert a.match("::ffff:192.0.2.1") == 1
    assert a.match("198.51.100.9") is None
    assert a.match("127.0.0.1") == AMBIGUOUS
    assert a.match("127.0.0.1", "r3") == 3
    a.set_identity(2, "MikroTik-2")
    assert a.match("127.0.0.1", "MikroTik-2") == 2
    # Changed devices: the map follows.
    await a.update([KnownDevice(1, "core", "192.0.2.2")])
    assert a.match("192.0.2.1") is None
    assert a.match("192.0.2.2") == 1


async def test_an_unresolvable_host_leaves_only_that_device_unmatched(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    asked: list[str] = []

    async def refuse(self, host, *args, **kw):  # no name service is asked in tests
        asked.append(host)
        raise OSError(-2, "Name or service not known")

    monkeypatch.setattr(type(asyncio.get_running_loop()), "getaddrinfo", refuse)
    a = DeviceAddresses()
    await a.update([KnownDevice(1, "bad", "router.example"), KnownDevice(2, "ok", "127.0.0.1")])
    assert a.match("127.0.0.1") == 2
    assert asked == ["router.example"]
    # A failure is tried again at the next change of the device list.
    await a.update([KnownDevice(1, "bad", "router.example"), KnownDevice(2, "ok", "127.0.0.1")])
    assert asked == ["router.example", "router.example"]


async def test_a_host_name_is_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import socket

    asked: list[str] = []

    async def answer(self, host, *args, **kw):
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_DGRAM, 17, "", ("127.0.0.1", 0)),
                (socket.AF_INET6, socket.SOCK_DGRAM, 17, "", ("::1", 0, 0, 0))]

    monkeypatch.setattr(type(asyncio.get_running_loop()), "getaddrinfo", answer)
    a = DeviceAddresses()
    for _ in range(2):
        await a.update([KnownDevice(5, "named", "edge.example")])
    assert asked == ["edge.example"]
    assert a.match("127.0.0.1") == 5
    assert a.match("::1") == 5


def test_settings_from_env() -> None:
    assert SyslogSettings.from_env({}) is None
    assert SyslogSettings.from_env({"MIKROMON_SYSLOG_PORT": "0"}) is None
    s = SyslogSettings.from_env({"MIKROMON_SYSLOG_PORT": "5514"})
    assert s is not None
    assert (s.port, s.bind, s.rate_per_source, s.max_connections) == (
        5514, "127.0.0.1", 200.0, 64)
    s = SyslogSettings.from_env({"MIKROMON_SYSLOG_PORT": "514", "MIKROMON_SYSLOG_BIND": "::",
                                 "MIKROMON_SYSLOG_RATE": "50",
                                 "MIKROMON_SYSLOG_MAX_CONNECTIONS": "8"})
    assert s is not None
    assert (s.bind, s.rate_per_source, s.burst, s.max_connections) == (
        "::", 50.0, 100.0, 8)


@pytest.mark.parametrize(("env", "name"), [
    ({"MIKROMON_SYSLOG_PORT": "abc"}, "MIKROMON_SYSLOG_PORT"),
    ({"MIKROMON_SYSLOG_PORT": "70000"}, "MIKROMON_SYSLOG_PORT"),
    ({"MIKROMON_SYSLOG_PORT": "514", "MIKROMON_SYSLOG_BIND": "mon.example"},
     "MIKROMON_SYSLOG_BIND"),
    ({"MIKROMON_SYSLOG_PORT": "514", "MIKROMON_SYSLOG_RATE": "0"}, "MIKROMON_SYSLOG_RATE"),
    ({"MIKROMON_SYSLOG_PORT": "514", "MIKROMON_SYSLOG_RATE": "nan"}, "MIKROMON_SYSLOG_RATE"),
    ({"MIKROMON_SYSLOG_PORT": "514", "MIKROMON_SYSLOG_MAX_CONNECTIONS": "0"},
     "MIKROMON_SYSLOG_MAX_CONNECTIONS"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        SyslogSettings.from_env(env)


def test_row_matches_the_polled_log_shape() -> None:
    with_time = parse(b"<28>Dec  6 19:26:33 edge-1 interface,warning ether2 link down", NOW)
    assert row_for(with_time, NOW) == {
        "time": "2026-12-06T19:26:33", "topics": "interface,warning",
        "message": "ether2 link down", "source": "syslog", "severity": "warning",
        "host": "edge-1"}
    without = parse(b"<30>system,info hello", NOW)
    assert row_for(without, NOW)["time"] == "2026-12-06T19:30:05"


class RecordingQueue:
    def __init__(self) -> None:
        self.got: list[tuple[int, InventorySnapshot]] = []

    def put_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        self.got.append((device_id, snapshot))


def test_intake_batches_per_device_and_bounds_its_queue() -> None:
    queue = RecordingQueue()
    intake = SyslogIntake(queue, max_pending=3)
    for i in range(4):
        intake.deliver(1 if i < 3 else 2, parse(b"<30>system,info line %d" % i, NOW), NOW)
    assert intake.dropped == 1  # the fourth line: the queue was full
    assert intake.flush(NOW) == 3
    assert [(d, [r["message"] for r in s.rows]) for d, s in queue.got] == [
        (1, ["line 0", "line 1", "line 2"])]
    snap = queue.got[0][1]
    assert snap.table == "logs"
    assert snap.append_only
    assert snap.key_fields == (
        "time", "topics", "message")
    assert intake.flush(NOW) == 0


def test_intake_hands_devices_polled_elsewhere_to_the_store_only() -> None:
    """With several collectors sharing the fleet, the receiving one evaluates
    (``queue``: the alerting queue) only the lines of devices it polls; the others'
    are stored as they are (``store_only``: the writer), their owner's ``log`` rules
    reading them from ``/log`` (DESIGN: one engine per device)."""
    evaluated, stored = RecordingQueue(), RecordingQueue()
    intake = SyslogIntake(evaluated, max_pending=10, store_only=stored,
                          polled_here=lambda device_id: device_id == 1)
    intake.deliver(1, parse(b"<30>system,info mine", NOW), NOW)
    intake.deliver(2, parse(b"<30>system,info theirs", NOW), NOW)
    assert intake.flush(NOW) == 2
    assert [(d, [r["message"] for r in s.rows]) for d, s in evaluated.got] == [(1, ["mine"])]
    assert [(d, [r["message"] for r in s.rows]) for d, s in stored.got] == [(2, ["theirs"])]
    assert (intake.stored, intake.stored_only) == (2, 1)
