"""Routing: severities, sites and tags per channel; resolved messages only where
the alert was announced; flapping notifies once; repeats stop when acknowledged;
secrets stay encrypted; the worker thread starts and stops."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from mikromon.web.notify import router
from mikromon.web.notify.models import AlertNotice, Delivery, NotificationChannel
from mikromon.web.notify.worker import NotificationWorker

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

URL = "http://127.0.0.1:9/hook"


@pytest.fixture
def chan(make_channel_fn):
    def make(name, **fields):
        return make_channel_fn(name, "webhook", URL, secret="k", **fields)
    return make


def routed(channel) -> list[tuple[str, list[str]]]:
    return [(d.kind, sorted(a["device"] for a in d.payload["alerts"]))
            for d in Delivery.objects.filter(channel=channel).order_by("id")]


def test_minimum_severity(alerts, chan):
    high_only = chan("pager", min_severity="high")
    everything = chan("log", min_severity="info")
    dev = alerts.device("edge-1")
    alerts.fire(dev, alerts.rule("Disk above 90 %", severity="warning"))
    alerts.fire(dev, alerts.rule("Device unreachable", severity="critical"))
    router.route_events()
    assert routed(high_only) == [("firing", ["edge-1"])]
    assert [d.payload["severity"] for d in Delivery.objects.filter(channel=high_only)] == \
        ["critical"]
    assert len(routed(everything)) == 2


def test_sites_and_tags(alerts, chan):
    from mikromon.web.monitor.models import Site, Tag

    other = Site.objects.create(name="Hamburg")
    berlin_core = chan("berlin-core")
    berlin_core.sites.add(alerts.site)
    berlin_core.tags.add(Tag.objects.create(name="core"))
    hamburg = chan("hamburg")
    hamburg.sites.add(other)
    rule = alerts.rule()
    alerts.fire(alerts.device("b-core", tags=["core"]), rule)
    alerts.fire(alerts.device("b-edge", tags=["edge"]), rule)
    alerts.fire(alerts.device("h-core", site=other, tags=["core"]), rule)
    alerts.fire(alerts.device("nowhere", site=None), rule)
    router.route_events()
    assert routed(berlin_core) == [("firing", ["b-core"])]
    assert routed(hamburg) == [("firing", ["h-core"])]


def test_resolved_goes_only_where_the_alert_was_announced(alerts, chan):
    from mikromon.web.monitor.models import Site

    told = chan("told")
    quiet = chan("no-resolved", send_resolved=False)
    elsewhere = chan("elsewhere")
    elsewhere.sites.add(Site.objects.create(name="Hamburg"))
    alert = alerts.fire(alerts.device("edge-1"), alerts.rule())
    router.route_events()
    late = chan("created-later")
    alerts.resolve(alert)
    router.route_events()
    assert routed(told) == [("firing", ["edge-1"]), ("resolved", ["edge-1"])]
    assert routed(quiet) == [("firing", ["edge-1"])]
    assert routed(elsewhere) == []
    assert routed(late) == []


def test_pending_and_acknowledged_events_send_nothing(alerts, chan):
    from mikromon.web.alerts.models import AlertEvent

    channel = chan("c")
    alert = alerts.fire(alerts.device("edge-1"), alerts.rule())
    AlertEvent.objects.filter(alert=alert).update(state="pending")
    alerts.acknowledge(alert)
    assert router.route_events() == 2
    assert routed(channel) == []


def test_flapping_alert_notifies_once(alerts, chan):
    channel = chan("c")
    dev, rule = alerts.device("edge-1"), alerts.rule()
    alert = alerts.fire(dev, rule, flapping=True)
    for _ in range(3):
        alerts.resolve(alert, flapping=True)
        alert = alerts.fire(dev, rule, flapping=True)
    router.route_events()
    assert routed(channel) == [("firing", ["edge-1"])]
    assert "flapping" in Delivery.objects.get().payload["text"]
    # It settles: the final resolution is told, and a later episode notifies again.
    alerts.resolve(alert)
    alert = alerts.fire(dev, rule)
    alerts.resolve(alert)
    alerts.fire(dev, rule, flapping=True)
    router.route_events()
    assert [kind for kind, _ in routed(channel)] == [
        "firing", "resolved", "firing", "resolved", "firing"]


def test_repeats_until_acknowledged(alerts, chan):
    channel = chan("c", repeat_interval_s=600)
    alert = alerts.fire(alerts.device("edge-1"), alerts.rule())
    alerts.fire(alerts.device("edge-2"), alerts.rule())
    router.route_events()
    now = timezone.now()
    assert router.schedule_repeats(now=now + timedelta(seconds=300)) == 0
    assert router.schedule_repeats(now=now + timedelta(seconds=601)) == 2
    assert routed(channel)[-1] == ("repeat", ["edge-1", "edge-2"])  # grouped
    assert router.schedule_repeats(now=now + timedelta(seconds=602)) == 0  # just repeated
    alerts.acknowledge(alert)
    router.route_events()
    assert router.schedule_repeats(now=now + timedelta(seconds=1300)) == 1  # only edge-2
    assert routed(channel)[-1] == ("repeat", ["edge-2"])
    assert AlertNotice.objects.get(channel=channel, alert=alert).repeats == 1


def test_no_repeat_for_silenced_or_resolved_alerts(alerts, chan):
    from mikromon.web.alerts.models import Silence

    chan("c", repeat_interval_s=60)
    dev = alerts.device("edge-1")
    alert = alerts.fire(dev, alerts.rule())
    other = alerts.fire(alerts.device("edge-2"), alerts.rule())
    router.route_events()
    now = timezone.now()
    Silence.objects.create(device=dev, starts_at=now, ends_at=now + timedelta(hours=2))
    alerts.resolve(other)
    router.route_events()
    assert router.schedule_repeats(now=now + timedelta(seconds=120)) == 0
    assert alert.pk  # still firing, but silenced


def test_group_window_keeps_collecting_then_closes(alerts, chan):
    channel = chan("c", group_window_s=60)
    rule = alerts.rule()
    alerts.fire(alerts.device("r1"), rule)
    now = timezone.now()
    router.route_events(now=now)
    alerts.fire(alerts.device("r2"), rule)
    router.route_events(now=now + timedelta(seconds=59))
    alerts.fire(alerts.device("r3"), rule)
    router.route_events(now=now + timedelta(seconds=61))  # window closed: a new message
    assert routed(channel) == [("firing", ["r1", "r2"]), ("firing", ["r3"])]


def test_two_workers_never_route_an_event_twice(alerts, chan):
    channel = chan("c")
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    assert router.route_events() == 1
    assert router.route_events() == 0
    assert len(routed(channel)) == 1


def test_secrets_are_stored_encrypted_and_shown_masked(alerts, make_channel_fn):
    apprise_url = "mailtos://alice:hunter22@mail.example.com?to=ops@example.com"
    mail = make_channel_fn("mail", "apprise", apprise_url)
    hook = make_channel_fn("hook", "webhook", "https://hooks.example.com/in?token=abc123",
                           secret="hmac-key-42")
    row = NotificationChannel.objects.values("url_encrypted", "secret_encrypted")
    stored = " ".join(v for r in row for v in r.values())
    for secret in ("hunter22", "abc123", "hmac-key-42"):
        assert secret not in stored
    assert "hunter22" not in mail.target_display()
    assert hook.target_display() == "https://hooks.example.com/in?token=****"
    assert NotificationChannel.objects.get(pk=mail.pk).get_url() == apprise_url
    assert NotificationChannel.objects.get(pk=hook.pk).get_secret() == "hmac-key-42"
    assert hook.has_secret
    assert "hmac-key-42" not in repr(hook) + str(hook)


def test_bad_target_is_refused_when_set(alerts):
    channel = NotificationChannel(name="x", kind="apprise")
    with pytest.raises(ValueError, match="does not recognise"):
        channel.set_url("nonsense://what")


def test_no_base_url_means_no_links(alerts, chan, settings):
    settings.MIKROMON_BASE_URL = ""
    chan("c")
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    router.route_events()
    assert Delivery.objects.get().payload["alerts"][0]["url"] == ""


@pytest.mark.django_db(transaction=True)
def test_worker_thread_delivers_and_stops(alerts, http_receiver, make_channel_fn):
    make_channel_fn("hook", "webhook", http_receiver.url, secret="k")
    worker = NotificationWorker(interval=0.05)
    worker.start()
    try:
        alerts.fire(alerts.device("edge-1"), alerts.rule())
        assert len(http_receiver.wait(1, timeout=10)) == 1
        end = time.monotonic() + 5
        while time.monotonic() < end and not Delivery.objects.filter(status="sent").exists():
            time.sleep(0.05)
        assert Delivery.objects.get().status == "sent"
        assert worker.status()["sent"] == 1
    finally:
        assert worker.stop(timeout=5)
    assert not worker.running


def test_cursor_waits_for_an_event_still_being_written(alerts, chan):
    """PostgreSQL assigns ids before commit: a newer event can be visible while an
    older one is not yet. The cursor must not pass it, unless it never appears."""
    from mikromon.web.alerts.models import AlertEvent

    channel = chan("c")
    rule = alerts.rule()
    alerts.fire(alerts.device("r1"), rule)
    now = timezone.now()
    assert router.route_events(now=now) == 1
    alerts.fire(alerts.device("r2"), rule)
    alerts.fire(alerts.device("r3"), rule)
    alerts.fire(alerts.device("r4"), rule)
    ids = list(AlertEvent.objects.order_by("pk").values_list("pk", flat=True))
    late = AlertEvent.objects.get(pk=ids[1])
    late_fields = {f.attname: getattr(late, f.attname) for f in AlertEvent._meta.fields}
    late.delete()  # r2's event: its transaction has not committed yet
    assert router.route_events(now=now + timedelta(seconds=1)) == 0
    AlertEvent.objects.create(**late_fields)  # it commits
    assert router.route_events(now=now + timedelta(seconds=2)) == 3
    assert [devs for _, devs in routed(channel)] == [["r1"], ["r2"], ["r3"], ["r4"]]


def test_cursor_passes_a_gap_that_never_fills(alerts, chan):
    from mikromon.web.alerts.models import AlertEvent

    channel = chan("c")
    rule = alerts.rule()
    for name in ("r1", "r2", "r3"):
        alerts.fire(alerts.device(name), rule)
    ids = list(AlertEvent.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    assert router.route_events(now=now) == 3
    alerts.fire(alerts.device("r4"), rule)
    alerts.fire(alerts.device("r5"), rule)
    AlertEvent.objects.filter(pk=ids[-1] + 1).delete()  # a rolled-back insert
    assert router.route_events(now=now + timedelta(seconds=1)) == 0
    assert router.route_events(now=now + timedelta(seconds=1 + router.GAP_WAIT_S)) == 1
    assert [devs for _, devs in routed(channel)][-1] == ["r5"]


def test_old_sent_and_failed_messages_are_purged(alerts, chan):
    from mikromon.web.notify import outbox

    channel = chan("c")
    now = timezone.now()
    for n, (status, age) in enumerate([("sent", 400), ("failed", 400), ("retrying", 400),
                                       ("sent", 10)]):
        Delivery.objects.create(channel=channel, key=f"k{n}", kind="firing", status=status,
                                payload={}, not_before=now, next_attempt_at=now,
                                created_at=now - timedelta(days=age))
    assert outbox.purge(now=now, days=365) == 2
    assert sorted(Delivery.objects.values_list("key", flat=True)) == ["k2", "k3"]


@pytest.mark.django_db(transaction=True)
def test_stopping_worker_records_the_attempt_in_flight(alerts, http_receiver, make_channel_fn):
    http_receiver.hanging = True
    make_channel_fn("hook", "webhook", http_receiver.url, secret="k")
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    worker = NotificationWorker(interval=0.05)
    worker.start()
    assert len(http_receiver.wait(1)) == 1  # the attempt is in flight
    threading.Timer(0.3, http_receiver.release.set).start()
    assert worker.stop(timeout=10)
    assert Delivery.objects.get().status == "sent"  # not left "sending" to be sent again


def test_no_repeat_once_the_channel_no_longer_routes_the_alert(alerts, chan):
    channel = chan("c", repeat_interval_s=60)
    alerts.fire(alerts.device("edge-1"), alerts.rule())
    router.route_events()
    NotificationChannel.objects.filter(pk=channel.pk).update(min_severity="critical")
    assert router.schedule_repeats(now=timezone.now() + timedelta(seconds=120)) == 0
