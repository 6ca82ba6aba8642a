"""Alerting as an operator lives it, in a real browser against real receivers: a rule
created in the UI fires against an emulated router whose CPU is pushed up; the alert
shows on the Alerts page and a mail (aiosmtpd) and a signed webhook arrive; it is
acknowledged in the UI; a restart of the collector and the notification worker in
the middle sends nothing twice; a silence created in the UI suppresses the next
notification; recovery resolves the alert; once the silence is expired, the next
firing notifies again."""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from browserkit import sign_in, wait_until
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.db_backend,
              pytest.mark.django_db(transaction=True)]

# The real SMTP server and webhook receiver of the notification tests.
_NOTIFY = Path(__file__).resolve().parents[1] / "web" / "notify"
sys.path.insert(0, str(_NOTIFY))
_spec = importlib.util.spec_from_file_location("notify_receivers", _NOTIFY / "conftest.py")
_receivers = importlib.util.module_from_spec(_spec)
sys.modules["notify_receivers"] = _receivers
_spec.loader.exec_module(_receivers)
smtp_server = _receivers.smtp_server
http_receiver = _receivers.http_receiver

#: Collector time scale: realtime polls every 0.5 s (rule durations are wall-clock).
SCALE = 0.1
#: How long "nothing more arrives" is watched for, seconds (several polls and
#: notification-worker passes).
QUIET_S = 3.0


@pytest.fixture
def emulated() -> Iterator[Any]:
    from mikromon.emulator.testing import running_emulators

    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


class Runtime:
    """The collector (with the rule engine) and the notification worker, restartable."""

    def __init__(self) -> None:
        self.service: Any = None
        self.worker: Any = None
        self.starts = 0

    def start(self) -> None:
        from mikromon.schedule import CollectorService
        from mikromon.web.alerts.store import DjangoAlertStore
        from mikromon.web.monitor.lock import DjangoCollectorLock
        from mikromon.web.monitor.sources import DjangoDeviceSource
        from mikromon.web.monitor.storage import DjangoStorage
        from mikromon.web.notify.worker import NotificationWorker

        self.service = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                                        DjangoCollectorLock(ttl=3.0), time_scale=SCALE,
                                        lock_retry_s=0.1, alerts=DjangoAlertStore())
        self.worker = NotificationWorker(interval=0.1)
        self.service.start()
        self.worker.start()
        self.starts += 1

    def stop(self) -> None:
        if self.worker is not None:
            assert self.worker.stop(timeout=10)
            self.worker = None
        if self.service is not None:
            self.service.stop(10)
            self.service = None


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime()
    yield rt
    rt.stop()


def quiet(counts: Callable[[], tuple[int, int]], seconds: float = QUIET_S) -> tuple[int, int]:
    """Watch ``counts`` for ``seconds``; fail if it changes; return it."""
    before = counts()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert counts() == before, f"expected nothing more to arrive, got {counts()} after {before}"
        time.sleep(0.1)
    return before


def test_rule_from_the_ui_fires_notifies_acks_silences_resolves(
        page, live_url, users, emulated, smtp_server, http_receiver, runtime, settings):
    from mikromon.web.alerts.models import Alert, AlertRule
    from mikromon.web.monitor.models import Device

    settings.MIKROMON_BASE_URL = "https://mon.example.net"
    AlertRule.objects.update(enabled=False)  # only the rule made here speaks
    dev = Device(name="edge-1", host=emulated.host, port=emulated.port,
                 username=emulated.username)
    dev.set_password(emulated.password)
    dev.save()
    emulated.set_cpu_load(10)
    runtime.start()
    sign_in(page, live_url, *users["admin"])

    # Channels, through the channel form: mail through Apprise, a signed webhook.
    for name, kind, url, secret in (("ops mail", "apprise", smtp_server.url(), ""),
                                    ("ops hook", "webhook", http_receiver.url, "ui-secret")):
        page.goto(f"{live_url}/alerts/channels/add/")
        page.fill("#id_name", name)
        page.select_option("#id_kind", kind)
        page.fill("#id_url", url)
        if secret:
            page.fill("#id_secret", secret)
        page.select_option("#id_min_severity", "info")
        page.fill("#id_group_window_s", "0")
        page.click("#save-channel")
        page.wait_for_url(f"{live_url}/alerts/channels/")
        expect(page.locator(".messages")).to_contain_text(f"Channel {name} created")
    assert smtp_server.url() not in page.content()

    # 1. A rule made in the form; its preview says nothing would fire yet.
    page.goto(f"{live_url}/alerts/rules/")
    page.click("#add-rule")
    page.fill("#id_name", "CPU hot (ui)")
    page.select_option("#id_kind", "threshold")
    expect(page.locator("[data-field=states]")).to_be_hidden()
    page.select_option("#id_severity", "high")
    page.fill("#id_metric", "system.cpu.load_pct")
    page.select_option("#id_comparison", ">")
    page.fill("#id_threshold", "80")
    page.fill("#id_recovery", "50")
    page.fill("#id_for_seconds", "1")
    page.select_option("#id_device", label="edge-1")
    wait_until(lambda: dev.series.filter(key="system.cpu.load_pct").exists(), 20,
               "the first CPU reading")
    page.click("#preview-rule")
    expect(page.locator("#preview-table")).to_contain_text("Nothing would fire now")
    page.click("#save-rule")
    page.wait_for_url(f"{live_url}/alerts/rules/")
    expect(page.locator("#rules")).to_contain_text("CPU hot (ui)")
    rule = AlertRule.objects.get(name="CPU hot (ui)")
    assert rule.enabled
    assert rule.device_id == dev.pk
    assert rule.threshold == 80

    # 2. CPU pushed up: it fires, shows on the Alerts page, a mail and a webhook arrive.
    emulated.set_cpu_load(95)
    assert len(smtp_server.wait(1, timeout=30)) == 1
    mail = message_from_bytes(smtp_server.messages[0].content)
    assert mail["Subject"] == "[FIRING] high: CPU hot (ui): edge-1"
    assert len(http_receiver.wait(1, timeout=10)) == 1
    assert http_receiver.requests[0].json()["alerts"][0]["url"] == \
        f"https://mon.example.net/devices/{dev.pk}/"
    alert = Alert.objects.get(rule=rule, state="firing")
    page.goto(f"{live_url}/alerts/")
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    expect(row).to_contain_text("CPU hot (ui)")
    expect(row).to_contain_text("firing")
    expect(row).to_contain_text("> 80 %")
    expect(page.locator("#nav-alerts .nav-badge")).to_have_text("1")
    # The overview lists it first; the device's dashboard lists it and marks it on
    # the CPU chart.
    page.goto(f"{live_url}/")
    expect(page.locator(f"#firing-alerts tr[data-alert='{alert.pk}']")).to_be_visible()
    page.goto(f"{live_url}/devices/{dev.pk}/")
    expect(page.locator(f"#device-open-alerts tr[data-alert='{alert.pk}']")).to_be_visible()
    expect(page.locator("#chart-cpu")).to_have_attribute("data-alert-marks", "1")
    expect(page.locator("#chart-mem")).to_have_attribute("data-alert-marks", "0")
    page.goto(f"{live_url}/alerts/")
    row = page.locator(f"tr[data-alert='{alert.pk}']")

    # 3. Acknowledged in the UI, with a comment; the page says who.
    row.locator("input[name=comment]").fill("looking at it")
    row.locator("button", has_text="Acknowledge").click()
    page.wait_for_url(f"{live_url}/alerts/")
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    expect(row).to_contain_text("ops")
    expect(row).to_contain_text("looking at it")
    alert.refresh_from_db()
    assert alert.acknowledged_by.username == "ops"

    def counts() -> tuple[int, int]:
        return len(smtp_server.messages), len(http_receiver.requests)

    # A restart of the collector and the notification worker in the middle: the
    # firing alert is taken back, nothing is sent twice.
    runtime.stop()
    runtime.start()
    assert quiet(counts) == (1, 1)
    assert Alert.objects.filter(rule=rule).count() == 1
    assert alert.events.filter(state="firing").count() == 1

    # 4. A silence made in the UI (from the alert's Silence button) suppresses the
    # next notification: the recovery's.
    page.goto(f"{live_url}/alerts/")
    page.locator(f"tr[data-alert='{alert.pk}'] a", has_text="Silence").click()
    page.wait_for_url(f"{live_url}/alerts/silences/add/*")
    expect(page.locator("#id_device")).to_have_value(str(dev.pk))
    expect(page.locator("#id_rule")).to_have_value(str(rule.pk))
    page.fill("#id_duration", "1h")
    page.fill("#id_reason", "replacing the fan")
    page.click("#save-silence")
    page.wait_for_url(f"{live_url}/alerts/silences/")
    expect(page.locator("#silences-active")).to_contain_text("replacing the fan")

    # 5. Recovery resolves it (shown in the history), and the silence kept it quiet.
    emulated.set_cpu_load(10)
    wait_until(lambda: Alert.objects.filter(pk=alert.pk, state="resolved").exists(), 20,
               "the alert to resolve")
    assert quiet(counts) == (1, 1)
    page.goto(f"{live_url}/alerts/")
    expect(page.locator("#no-alerts")).to_be_visible()
    page.goto(f"{live_url}/alerts/history/?state=resolved")
    expect(page.locator(f"tr[data-alert='{alert.pk}']")).to_contain_text("resolved")

    # The silence expired in the UI: the next firing notifies again.
    page.goto(f"{live_url}/alerts/silences/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#silences-active button", has_text="Expire now").click()
    page.wait_for_url(f"{live_url}/alerts/silences/")
    expect(page.locator("#silences-expired")).to_contain_text("replacing the fan")
    emulated.set_cpu_load(97)
    assert len(smtp_server.wait(2, timeout=30)) == 2
    assert len(http_receiver.wait(2, timeout=10)) == 2
    assert message_from_bytes(smtp_server.messages[1].content)["Subject"] == \
        "[FIRING] high: CPU hot (ui): edge-1"
