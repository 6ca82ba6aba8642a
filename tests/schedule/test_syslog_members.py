"""Syslog with several collectors sharing the fleet: the collector that receives
syslog stores every router's lines against the right device, whichever member
polls it, and evaluates the ``log`` rules only of the devices it polls (the
owner evaluates the others' from ``/log``, so no line raises an alert twice and
no member carries an alert of a device it does not poll).

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


def test_the_receiving_member_stores_every_routers_lines_and_evaluates_its_own(
    services: list[CollectorService], other_member
) -> None:
    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.control.member_collector import MemberAlertStore, MemberLock, MemberSource
    from mikromon.web.control.members import Membership
    from mikromon.web.monitor.models import Device, LogEntry
    from mikromon.web.monitor.storage import DjangoStorage

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
    membership = Membership(ttl=2.0, member_id="a" * 32)
    svc = CollectorService(
        MemberSource(membership), DjangoStorage(), MemberLock(membership),
        deps=CollectorDeps(shared_fleet=True), time_scale=SCALE, lock_retry_s=0.1,
        alerts=MemberAlertStore(membership), syslog=SyslogSettings(port=0, bind="127.0.0.1"))
    services.append(svc)
    svc.start()
    assert until(lambda: svc.syslog_port is not None and svc.status()["device_count"], 10)
    other_member.join()

    def shared() -> bool:
        other_member.tick()
        other_member.mark_polling(other_member.assigned)
        theirs = len(other_member.assigned)
        return 0 < theirs < DEVICES and svc.status()["device_count"] == DEVICES - theirs

    assert until(shared, 20, poll=0.2)
    theirs = next(d for d in devices if d.pk in other_member.assigned)
    mine = next(d for d in devices if d.pk not in other_member.assigned)
    port = svc.syslog_port
    assert port is not None

    _send(theirs.host, port, "system,error,critical login failure for user b via ssh")
    _send(mine.host, port, "system,error,critical login failure for user a via ssh")

    def stored(dev: Device) -> bool:
        return LogEntry.objects.filter(device=dev, message__startswith="login failure").exists()

    assert until(lambda: stored(theirs) and stored(mine), 10)
    assert LogEntry.objects.get(device=theirs).data["source"] == "syslog"
    assert until(lambda: Alert.objects.filter(rule=rule, device=mine).exists(), 10)
    # The line of the other member's device was handled before (one flush, in
    # order) and raised nothing here: its owner evaluates it.
    assert not Alert.objects.filter(rule=rule, device=theirs).exists()
    status = svc.status()["syslog"]
    assert status["accepted"] == 2
    assert status["unknown_source"] == 0
    assert status["stored_elsewhere"] == 1


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
