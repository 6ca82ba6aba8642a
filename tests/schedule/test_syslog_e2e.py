"""Router logs in real time, end to end: an emulated router sends syslog to the
collector service's receiver (127.0.0.1, a free port), the line is stored with the
device's logs and a ``log`` rule raises an alert in the database. Runs on SQLite
and, with the db_backend marker, on PostgreSQL."""

from __future__ import annotations

import pytest

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.schedule import CollectorService
from mikromon.syslog.config import SyslogSettings
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

SCALE = 0.1

def start(started: list[CollectorService]) -> CollectorService:
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    svc = CollectorService(DjangoDeviceSource(), DjangoStorage(), DjangoCollectorLock(ttl=3.0),
                           time_scale=SCALE, lock_retry_s=0.1, alerts=DjangoAlertStore(),
                           syslog=SyslogSettings(port=0, bind="127.0.0.1"))
    started.append(svc)
    svc.start()
    assert until(lambda: svc.syslog_port is not None, 10)
    return svc


def test_syslog_line_is_stored_shown_and_fires_a_log_rule(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    from mikromon.web.alerts.models import Alert, AlertEvent, AlertRule
    from mikromon.web.monitor.inventory import read_table
    from mikromon.web.monitor.models import Device, LogEntry

    dev = Device(name="edge-1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    rule = AlertRule.objects.create(
        name="Failed logins (test)", kind="log", severity="high", device=dev,
        params={"pattern": "login failure for user", "topics": ["system"],
                "hold_seconds": 2})
    svc = start(services)
    port = svc.syslog_port
    assert port is not None
    router.send_syslog("system,error,critical",
                       "login failure for user admin from 10.0.0.9 via ssh",
                       host="127.0.0.1", port=port)
    assert until(lambda: Alert.objects.filter(rule=rule, state="firing").exists(), 10)
    alert = Alert.objects.get(rule=rule)
    assert "login failure for user admin" in alert.message
    # The writer stores the line in its own thread: soon, not necessarily before the alert.
    assert until(lambda: LogEntry.objects.filter(device=dev, message__startswith="login failure")
                 .exists(), 10)
    entry = LogEntry.objects.get(device=dev, message__startswith="login failure")
    assert entry.topics == "system,error,critical"
    assert entry.data["source"] == "syslog"
    # The device page's log table (refreshed live) lists it.
    messages = [r["message"] for r in read_table(dev, "logs").rows]
    assert "login failure for user admin from 10.0.0.9 via ssh" in messages
    # Quiet for the rule's hold time: resolved by itself.
    assert until(lambda: Alert.objects.filter(rule=rule, state="resolved").exists(), 10)
    assert list(AlertEvent.objects.filter(rule=rule).order_by("id")
                .values_list("state", flat=True)) == ["pending", "firing", "resolved"]
    stats = svc.status()["syslog"]
    assert stats["accepted"] == 1
    assert stats["malformed"] == 0


def test_router_state_changes_arrive_over_tcp(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.monitor.models import Device, LogEntry

    dev = Device(name="edge-1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    # The BSD format carries no topics, so this rule filters on the text only.
    rule = AlertRule.objects.create(name="Link down in the log (test)", kind="log",
                                    severity="warning", params={"pattern": r"link down"})
    topical = AlertRule.objects.create(name="Interface topic (test)", kind="log",
                                       severity="info", params={"topics": ["interface"]})
    svc = start(services)
    router.set_remote_logging("127.0.0.1", svc.syslog_port, "tcp", "syslog")
    router.set_link("ether2", False)
    assert until(lambda: LogEntry.objects.filter(device=dev, message="ether2 link down")
                 .exists(), 10)
    assert until(lambda: Alert.objects.filter(rule=rule, device=dev, state="firing").exists(),
                 10)
    entry = LogEntry.objects.get(device=dev, message="ether2 link down")
    assert entry.data["host"] == router.identity
    assert entry.topics == "info"  # the BSD format carries no topics: only the severity
    assert not Alert.objects.filter(rule=topical).exists()
    # The default format keeps the topics.
    router.set_remote_logging("127.0.0.1", svc.syslog_port, "tcp", "default")
    router.set_link("ether3", False)
    assert until(lambda: Alert.objects.filter(rule=topical, state="firing").exists(), 10)
    assert until(lambda: LogEntry.objects.filter(device=dev, message="ether3 link down")
                 .exists(), 10)
    assert LogEntry.objects.get(device=dev, message="ether3 link down").topics == (
        "interface,info")


def test_receiver_off_by_default_and_a_busy_port_does_not_stop_polling(
    router: EmulatorHandle, services: list[CollectorService]
) -> None:
    import socket

    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="edge-1", host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        svc = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                               DjangoCollectorLock(ttl=3.0), time_scale=SCALE,
                               lock_retry_s=0.1, alerts=DjangoAlertStore(),
                               syslog=SyslogSettings(port=port, bind="127.0.0.1"))
        services.append(svc)
        svc.start()
        assert until(lambda: Device.objects.filter(pk=dev.pk, state="up").exists(), 10)
        status = svc.status()["syslog"]
        assert status["listening"] is False
        assert f"port {port}" in status["error"]
        assert svc.syslog_port is None


def test_routers_sharing_an_address_are_told_apart_by_identity(
    services: list[CollectorService]
) -> None:
    from mikromon.web.monitor.models import Device, LogEntry

    with running_emulators(count=2, profile="v7") as routers:
        devices = []
        for n, r in enumerate(routers, 1):
            dev = Device(name=f"edge-{n}", host=r.host, port=r.port, username=r.username)
            dev.set_password(r.password)
            dev.save()
            devices.append(dev)
        svc = start(services)
        assert routers[0].identity != routers[1].identity
        # The default format carries no identity: ambiguous, dropped and counted.
        routers[1].send_syslog("script,info", "who sent this", host="127.0.0.1",
                               port=svc.syslog_port)
        assert until(lambda: (svc.status()["syslog"] or {}).get("ambiguous_source") == 1, 10)
        # The BSD format names the router: once the collector learnt the identities
        # (first poll), each line goes to its device.
        assert until(lambda: Device.objects.filter(state="up").count() == 2, 10)

        def sent_and_stored() -> bool:
            routers[1].send_syslog("script,info", "from the second", host="127.0.0.1",
                                   port=svc.syslog_port, fmt="syslog")
            return LogEntry.objects.filter(message="from the second").exists()

        assert until(sent_and_stored, 15)
        assert set(LogEntry.objects.filter(message="from the second")
                   .values_list("device_id", flat=True)) == {devices[1].pk}
        assert not LogEntry.objects.filter(message="who sent this").exists()
