"""From a router to a mailbox: an emulated router's CPU is pushed up, the collector's
rule engine fires, the notification worker sends a mail (Apprise to aiosmtpd) and
a signed webhook; recovery sends the resolved messages."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes

import pytest
from notify_helpers import make_channel

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.notify.signing import verify
from mikromon.web.notify.worker import NotificationWorker
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def emulated() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


def test_cpu_pushed_up_mails_and_posts_then_resolves(emulated, smtp_server, http_receiver,
                                                      settings):
    from mikromon.schedule import CollectorService
    from mikromon.web.alerts.models import AlertRule
    from mikromon.web.alerts.store import DjangoAlertStore
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    settings.MIKROMON_BASE_URL = "https://mon.example.net"
    dev = Device(name="edge-1", host=emulated.host, port=emulated.port,
                 username=emulated.username)
    dev.set_password(emulated.password)
    dev.save()
    AlertRule.objects.create(name="CPU hot (test)", kind="threshold", severity="high",
                             metric="system.cpu.load_pct", comparison=">", threshold=80.0,
                             recovery=50.0, for_seconds=1, device=dev)
    make_channel("mail", "apprise", smtp_server.url())
    make_channel("hook", "webhook", http_receiver.url, secret="e2e-secret")
    service = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                               DjangoCollectorLock(ttl=3.0), time_scale=0.1,
                               lock_retry_s=0.1, alerts=DjangoAlertStore())
    worker = NotificationWorker(interval=0.1)
    service.start()
    worker.start()
    try:
        emulated.set_cpu_load(95)
        assert len(smtp_server.wait(1, timeout=20)) == 1
        mail = message_from_bytes(smtp_server.messages[0].content)
        assert mail["Subject"] == "[FIRING] high: CPU hot (test): edge-1"
        assert until(lambda: len(http_receiver.requests) >= 1, 10)
        first = http_receiver.requests[0]
        verify(first.body, "e2e-secret", signature=first.headers["X-Mikromon-Signature"],
               timestamp=first.headers["X-Mikromon-Timestamp"])
        (item,) = first.json()["alerts"]
        assert item["value"] >= 95
        assert item["threshold"] == 80
        assert item["url"] == f"https://mon.example.net/devices/{dev.pk}/"

        emulated.set_cpu_load(10)
        assert len(smtp_server.wait(2, timeout=20)) == 2
        resolved = message_from_bytes(smtp_server.messages[1].content)
        assert resolved["Subject"] == "[RESOLVED] high: CPU hot (test): edge-1"
        assert until(lambda: len(http_receiver.requests) >= 2, 10)
        assert http_receiver.requests[1].json()["status"] == "resolved"
    finally:
        assert worker.stop(timeout=10)
        service.stop(10)
    assert len(smtp_server.messages) == 2  # nothing sent twice
