"""Syslog with several collectors sharing the fleet: the collector that receives
syslog stores every router's lines against the right device, whichever member
polls it; the member polling each device reads its lines back from the database
for its ``log`` rules (so no line raises an alert twice and no member carries an
alert of a device it does not poll).

Two memberships in one process stand for two collector processes (as in
tests/web/test_collector_members_db.py); the routers are source addresses on
loopback (127.0.0.11 ...), which nothing polls successfully. Runs on SQLite and,
with the db_backend marker, on PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mikromon.schedule import CollectorDeps, CollectorService
from mikromon.syslog.config import SyslogSettings
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

SCALE = 0.1
DEVICES = 6


def _send(source_ip: str, port: int, text: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source_ip, 0))
        sock.sendto(text.encode(), ("127.0.0.1", port))


@pytest.fixture
def other_member() -> Iterator[object]:
    """A second member (another collector process) holding part of the fleet."""
    from mikromon.web.control.members import Membership

    member = Membership(ttl=60, beat=False, member_id="b" * 32)
    yield member
    member.leave()


def _member(name: str, *, syslog: bool) -> CollectorService:
    """A collector service sharing the fleet as member ``name`` (ttl 2 s)."""
    from mikromon.web.control.member_collector import MemberAlertStore, MemberLock, MemberSource
    from mikromon.web.control.members import Membership
    from mikromon.web.monitor.storage import DjangoStorage

    membership = Membership(ttl=2.0, member_id=name * 32)
    return CollectorService(
        MemberSource(membership), DjangoStorage(), MemberLock(membership),
        deps=CollectorDeps(shared_fleet=True), time_scale=SCALE, lock_retry_s=0.1,
        alerts=MemberAlertStore(membership),
        syslog=SyslogSettings(port=0, bind="127.0.0.1") if syslog else None)


def test_every_routers_lines_are_stored_once_and_raise_their_alert_once(
    services: list[CollectorService]
) -> None:
    """Member ``a`` receives syslog; member ``b`` polls part of the fleet. Each
    line is stored against its device, and the ``log`` rule fires once for each,
    in the member polling the device."""
    from mikromon.web.alerts.models import AlertEvent, AlertRule
    from mikromon.web.monitor.models import Device, LogEntry

    devices = []
    for i in range(DEVICES):
        # Nothing listens on port 9 of these addresses: polls fail at once.
        dev = Device(name=f"r{i}", host=f"127.0.0.{11 + i}", port=9, username="api")
        dev.set_password("pw")
        dev.save()
        devices.append(dev)
    rule = AlertRule.objects.create(
        name="Failed logins (test)", kind="log", severity="high",
        params={"pattern": "login failure", "hold_seconds": 60})
    receiving, other = _member("a", syslog=True), _member("b", syslog=False)
    services += [receiving, other]
    receiving.start()
    other.start()

    def polled(svc: CollectorService) -> set[int]:
        return {d["id"] for d in svc.status()["devices"] if d["state"] != "disabled"}

    def shared() -> bool:
        mine, theirs = polled(receiving), polled(other)
        return bool(mine) and bool(theirs) and len(mine | theirs) == DEVICES \
            and receiving.syslog_port is not None

    assert until(shared, 30, poll=0.2)
    theirs = next(d for d in devices if d.pk in polled(other))
    mine = next(d for d in devices if d.pk in polled(receiving))
    port = receiving.syslog_port
    assert port is not None

    _send(theirs.host, port, "system,error,critical login failure for user b via ssh")
    _send(mine.host, port, "system,error,critical login failure for user a via ssh")

    def stored(dev: Device) -> bool:
        return LogEntry.objects.filter(device=dev, message__startswith="login failure").exists()

    assert until(lambda: stored(theirs) and stored(mine), 10)
    assert LogEntry.objects.get(device=theirs).data["source"] == "syslog"

    def firing() -> list[int]:
        return sorted(AlertEvent.objects.filter(rule=rule, state="firing")
                      .values_list("alert__device_id", flat=True))

    assert until(lambda: firing() == sorted([mine.pk, theirs.pk]), 10), firing()
    status = receiving.status()["syslog"]
    assert status["accepted"] == 2
    assert status["unknown_source"] == 0
    assert status["stored_only"] == 2  # the alert rules read them from the database
    for svc in services:
        svc.stop(10)
    assert firing() == sorted([mine.pk, theirs.pk])  # once each


def test_shared_addresses_are_told_apart_by_identities_stored_by_other_members(
    services: list[CollectorService], other_member
) -> None:
    """Routers behind one address polled by another member: the receiving member
    knows their identities from the database (its own collectors never read them)."""
    from mikromon.web.control.member_collector import MemberLock, MemberSource
    from mikromon.web.control.members import Membership
    from mikromon.web.monitor.models import Device, LogEntry
    from mikromon.web.monitor.storage import DjangoStorage

    for i in range(2):
        dev = Device(name=f"nat-{i}", host="127.0.0.21", port=9, username="api",
                     identity=f"branch-{i}")
        dev.set_password("pw")
        dev.save()
    other_member.join()  # holds both routers: the receiving member polls none
    membership = Membership(ttl=2.0, member_id="a" * 32)
    svc = CollectorService(
        MemberSource(membership), DjangoStorage(), MemberLock(membership),
        deps=CollectorDeps(shared_fleet=True), time_scale=SCALE, lock_retry_s=0.1,
        syslog=SyslogSettings(port=0, bind="127.0.0.1"))
    services.append(svc)
    svc.start()
    assert until(lambda: svc.syslog_port is not None and svc.status()["lock_held"], 10)
    port = svc.syslog_port
    assert port is not None
    _send("127.0.0.21", port, "<30>Dec  7 10:00:00 branch-1 script,info from the second")
    assert until(lambda: LogEntry.objects.filter(message="from the second").exists(), 10)
    assert list(LogEntry.objects.filter(message="from the second")
                .values_list("device__name", flat=True)) == ["nat-1"]
