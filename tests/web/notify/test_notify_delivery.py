"""Delivery to real receivers on 127.0.0.1: mail through Apprise to an aiosmtpd
server, the signed webhook to a local HTTP server, Prometheus Alertmanager's API
v2; retries with backoff, a hanging channel, grouping, silences, restarts."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.utils import timezone
from notify_helpers import make_channel

from mikromon.notify.signing import verify
from mikromon.web.notify import outbox, router
from mikromon.web.notify.models import Delivery, NotifyCursor
from mikromon.web.notify.worker import NotificationWorker

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


SECRET = "hook-s3cret-value"


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def step(worker: NotificationWorker, now=None) -> None:
    """One pass, then wait for the attempts it started and record them."""
    worker.run_once(now)
    worker.settle()


def test_mail_arrives_through_apprise_mailto(alerts, smtp_server):
    channel = make_channel("ops mail", "apprise", smtp_server.url())
    dev = alerts.device("edge-1")
    alerts.fire(dev, alerts.rule())
    NotificationWorker().drain()
    (mail,) = smtp_server.wait(1)
    assert mail.rcpt_tos == ["ops@example.com"]
    msg = message_from_bytes(mail.content)
    assert msg["Subject"] == "[FIRING] high: CPU above 90 %: edge-1"
    body = "\n".join(part.get_payload(decode=True).decode() for part in msg.walk()
                     if part.get_content_type() == "text/plain")
    for part in ("edge-1 (site Berlin)", "value 95.5", "threshold 90", "since ",
                 f"https://mon.example.net/devices/{dev.pk}/"):
        assert part in body
    row = Delivery.objects.get(channel=channel)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")


def test_webhook_arrives_with_a_valid_signature(alerts, http_receiver):
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    NotificationWorker().drain()
    (req,) = http_receiver.wait(1)
    verify(req.body, SECRET, signature=req.headers["X-Mikromon-Signature"],
           timestamp=req.headers["X-Mikromon-Timestamp"])
    with pytest.raises(ValueError, match="does not match"):
        verify(req.body, "wrong", signature=req.headers["X-Mikromon-Signature"],
               timestamp=req.headers["X-Mikromon-Timestamp"])
    doc = req.json()
    assert doc["id"] == req.headers["X-Mikromon-Delivery"]
    assert (doc["kind"], doc["status"], doc["rule"], doc["severity"]) == \
        ("firing", "firing", "CPU above 90 %", "high")
    (one,) = doc["alerts"]
    assert (one["device"], one["site"], one["value"], one["threshold"]) == \
        ("edge-1", "Berlin", 95.5, 90.0)


def test_alertmanager_receives_firing_then_resolved(alerts, alertmanager):
    make_channel("am", "alertmanager", alertmanager.url)
    name = f"am-{uuid.uuid4().hex[:8]}"  # the Alertmanager outlives this test
    dev = alerts.device(name)
    alert = alerts.fire(dev, alerts.rule())
    worker = NotificationWorker()
    worker.drain()
    found = alertmanager.wait_for(lambda a: len(a) == 1, device=name)
    assert len(found) == 1
    (am_alert,) = found
    assert am_alert["status"]["state"] == "active"
    assert am_alert["labels"]["alertname"] == "CPU above 90 %"
    assert am_alert["labels"]["severity"] == "high"
    assert am_alert["annotations"]["threshold"] == "90"
    assert am_alert["generatorURL"] == f"https://mon.example.net/devices/{dev.pk}/"

    alerts.resolve(alert)
    worker.drain()
    assert alertmanager.wait_for(lambda a: not a, device=name) == []
    assert list(Delivery.objects.values_list("kind", "status").order_by("id")) == [
        ("firing", "sent"), ("resolved", "sent")]


def test_failing_receiver_is_retried_with_backoff_until_it_answers(alerts, http_receiver):
    http_receiver.answers = [500, 500]
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET, retry_base_s=10)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    worker = NotificationWorker()

    step(worker)
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("retrying", 1)
    assert "HTTP 500" in row.last_error
    first_wait = (row.next_attempt_at - row.updated_at).total_seconds()
    assert 9 <= first_wait <= 11

    step(worker)  # not due yet: nothing sent
    assert len(http_receiver.requests) == 1

    step(worker, later(11))
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("retrying", 2)
    second_wait = (row.next_attempt_at - row.updated_at).total_seconds()
    assert 19 <= second_wait <= 21  # doubled

    step(worker, later(40))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    keys = {r.headers["X-Mikromon-Delivery"] for r in http_receiver.requests}
    assert len(http_receiver.requests) == 3
    assert keys == {row.key}


def test_attempts_are_bounded_then_failed(alerts, http_receiver):
    http_receiver.answers = [503, 503, 503]
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET, max_attempts=2)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    worker = NotificationWorker()
    step(worker)
    step(worker, later(3600))
    step(worker, later(7200))
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "HTTP 503" in row.last_error
    assert len(http_receiver.requests) == 2


def test_a_rejected_message_fails_at_once(alerts, http_receiver):
    http_receiver.answers = [400]
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    step(NotificationWorker())
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "HTTP 400" in row.last_error


def test_hanging_channel_does_not_block_another(alerts, http_receiver, second_receiver):
    http_receiver.hanging = True
    make_channel("slow", "webhook", http_receiver.url, secret=SECRET, timeout_s=2)
    make_channel("fast", "webhook", second_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    worker = NotificationWorker(hang_grace=0.5)
    started = time.monotonic()
    while time.monotonic() - started < 1.5 and not Delivery.objects.filter(
            channel__name="fast", status="sent").exists():
        worker.run_once()
        time.sleep(0.02)
    assert Delivery.objects.get(channel__name="fast").status == "sent"
    assert time.monotonic() - started < 1.5  # well before the slow one's timeout
    assert Delivery.objects.get(channel__name="slow").status == "sending"
    while time.monotonic() - started < 5 and \
            Delivery.objects.get(channel__name="slow").status == "sending":
        worker.run_once()
        time.sleep(0.05)
    slow = Delivery.objects.get(channel__name="slow")
    assert slow.status == "retrying"
    assert "within 2 s" in slow.last_error
    http_receiver.release.set()


def test_thirty_devices_down_together_make_one_message(alerts, http_receiver):
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET, group_window_s=30)
    rule = alerts.rule("Device unreachable", severity="critical")
    for n in range(1, 31):
        alerts.fire(alerts.device(f"router-{n:02d}"), rule)
    worker = NotificationWorker()
    step(worker)
    assert http_receiver.requests == []  # the group window is still open
    step(worker, later(31))
    (req,) = http_receiver.wait(1)
    doc = req.json()
    assert doc["title"] == ("[FIRING 30] critical: Device unreachable: router-01, router-02, "
                            "router-03 and 27 more")
    assert sorted(a["device"] for a in doc["alerts"]) == [f"router-{n:02d}" for n in range(1, 31)]
    assert all(f"router-{n:02d}" in doc["text"] for n in range(1, 31))
    assert Delivery.objects.count() == 1


def test_silence_suppresses_but_history_stays(alerts, http_receiver):
    from mikromon.web.alerts.models import AlertEvent, Silence

    make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    quiet = alerts.device("quiet-1")
    Silence.objects.create(device=quiet, starts_at=later(-60), ends_at=later(3600),
                           reason="maintenance")
    alerts.fire(quiet, alerts.rule())
    alerts.fire(alerts.device("loud-1"), alerts.rule())
    NotificationWorker().drain()
    (req,) = http_receiver.wait(1)
    assert [a["device"] for a in req.json()["alerts"]] == ["loud-1"]
    assert AlertEvent.objects.filter(device=quiet, state="firing").count() == 1


def test_crash_before_delivery_loses_nothing(alerts, http_receiver):
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    assert router.route_events() == 1  # routed, then the process "dies"
    NotificationWorker().drain()  # the next process
    NotificationWorker().drain()  # and another one
    assert len(http_receiver.wait(1)) == 1
    assert Delivery.objects.get().status == "sent"


def test_crash_while_routing_rolls_back_and_routes_once(alerts, http_receiver, monkeypatch):
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    alerts.fire(alerts.device("edge-2"), alerts.rule("Memory above 90 %"))
    real = router._Groups._write
    calls = []

    def dies_on_second(*args, **kwargs):  # after the first outbox row was written
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("process killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(router._Groups, "_write", dies_on_second)
    with pytest.raises(RuntimeError):
        router.route_events()
    assert Delivery.objects.count() == 0
    assert NotifyCursor.objects.get().last_event_id == 0
    monkeypatch.setattr(router._Groups, "_write", real)
    NotificationWorker().drain()
    assert len(http_receiver.wait(2)) == 2
    assert Delivery.objects.filter(status="sent").count() == 2


def test_crash_between_send_and_mark_is_retried_under_the_same_key(alerts, http_receiver):
    channel = make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    router.route_events()
    claimed = outbox.claim(channel)
    from mikromon.notify.message import Notification

    channel.build().send(Notification.from_json(claimed.payload))  # sent; then the crash
    assert Delivery.objects.get().status == "sending"

    restarted = NotificationWorker()
    restarted.drain(timeout=1)  # within the dead attempt's lease: not sent again yet
    assert len(http_receiver.requests) == 1
    step(restarted, claimed.lease_until + timedelta(seconds=1))
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("sent", 2)
    # A receiver sees one message: both requests carry the same key.
    assert {r.headers["X-Mikromon-Delivery"] for r in http_receiver.requests} == {row.key}
    step(NotificationWorker(), later(3600))  # another restart: nothing more
    assert len(http_receiver.requests) == 2


def test_crash_between_send_and_mark_leaves_one_alert_in_alertmanager(alerts, alertmanager):
    channel = make_channel("am", "alertmanager", alertmanager.url)
    name = f"am-{uuid.uuid4().hex[:8]}"
    alerts.fire(alerts.device(name), alerts.rule())
    router.route_events()
    claimed = outbox.claim(channel)
    from mikromon.notify.message import Notification

    channel.build().send(Notification.from_json(claimed.payload))
    step(NotificationWorker(), claimed.lease_until + timedelta(seconds=1))
    assert Delivery.objects.get().status == "sent"
    assert len(alertmanager.wait_for(lambda a: len(a) >= 1, device=name)) == 1


def test_sent_messages_are_never_sent_again_after_restart(alerts, http_receiver):
    make_channel("hook", "webhook", http_receiver.url, secret=SECRET, repeat_interval_s=0)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    NotificationWorker().drain()
    assert len(http_receiver.wait(1)) == 1
    for _ in range(3):
        step(NotificationWorker(), later(86400))
    assert len(http_receiver.requests) == 1


def test_send_test_reports_success_and_failure(alerts, http_receiver):
    good = make_channel("hook", "webhook", http_receiver.url, secret=SECRET)
    result = outbox.send_test(good.pk)
    assert result.ok
    assert result.detail == "HTTP 200"
    assert http_receiver.wait(1)[0].json()["kind"] == "test"
    bad = make_channel("nobody", "webhook", "http://127.0.0.1:9/hook", secret=SECRET)
    result = outbox.send_test(bad.pk)
    assert not result.ok
    assert "cannot reach http://127.0.0.1:9/hook" in result.detail
    assert Delivery.objects.get(pk=result.delivery_id).status == "failed"
    assert outbox.channel_status(bad)["counts"]["failed"] == 1
    assert outbox.channel_status(good)["counts"]["sent"] == 1


def test_send_test_by_mail(alerts, smtp_server):
    channel = make_channel("mail", "apprise", smtp_server.url("noc@example.com"))
    assert outbox.send_test(channel.pk).ok
    (mail,) = smtp_server.wait(1)
    assert message_from_bytes(mail.content)["Subject"] == "[TEST] mikromon test notification"


def test_send_test_to_alertmanager(alerts, alertmanager):
    channel = make_channel("am", "alertmanager", alertmanager.url)
    result = outbox.send_test(channel.pk)
    assert result.ok, result.detail
    key = Delivery.objects.get(pk=result.delivery_id).key
    assert alertmanager.wait_for(lambda a: len(a) == 1, mikromon_message=key)
