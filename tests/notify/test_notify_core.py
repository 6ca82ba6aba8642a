"""The Django-free notification core: signing, backoff, message text, channel
payloads and settings checks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.notify import (
    AlertItem,
    AlertmanagerChannel,
    AppriseChannel,
    Notification,
    NotificationKind,
    RetryPolicy,
    WebhookChannel,
    build_channel,
    sign,
    verify,
)
from mikromon.notify.channels import mask_http_url

T0 = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def item(n: int = 1, **changes) -> AlertItem:
    base = dict(alert_id=n, rule_id=7, rule_name="CPU above 90 %", device_id=n,
                device_name=f"router-{n:02d}", site="Berlin", subject="", state="firing",
                severity="high", since=T0, ts=T0 + timedelta(minutes=5), value=95.5,
                threshold=90.0, message=f"CPU load 95.5 % above 90 % on router-{n:02d}",
                url=f"https://mon.example.net/devices/{n}/", event_id=100 + n)
    base.update(changes)
    return AlertItem(**base)


# Signing -------------------------------------------------------------------


def test_signature_verifies_and_covers_body_and_timestamp():
    body = b'{"id":"event-1"}'
    headers = sign(body, "s3cret", timestamp=1_800_000_000)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", headers["X-Mikromon-Signature"])
    verify(body, "s3cret", signature=headers["X-Mikromon-Signature"],
           timestamp=headers["X-Mikromon-Timestamp"], now=1_800_000_010)
    with pytest.raises(ValueError, match="does not match"):
        verify(body + b" ", "s3cret", signature=headers["X-Mikromon-Signature"],
               timestamp=headers["X-Mikromon-Timestamp"], now=1_800_000_010)
    with pytest.raises(ValueError, match="does not match"):
        verify(body, "other", signature=headers["X-Mikromon-Signature"],
               timestamp=headers["X-Mikromon-Timestamp"], now=1_800_000_010)
    # The timestamp is signed: moving it forward to pass the replay check fails.
    with pytest.raises(ValueError, match="does not match"):
        verify(body, "s3cret", signature=headers["X-Mikromon-Signature"],
               timestamp="1800000600", now=1_800_000_610)


def test_old_timestamp_is_a_replay():
    body = b"{}"
    headers = sign(body, "k", timestamp=1_800_000_000)
    with pytest.raises(ValueError, match="replayed"):
        verify(body, "k", signature=headers["X-Mikromon-Signature"],
               timestamp=headers["X-Mikromon-Timestamp"], now=1_800_000_000 + 301)


@pytest.mark.parametrize(("signature", "timestamp", "match"), [
    ("sha256=00", "", "X-Mikromon-Timestamp"),
    ("sha256=00", "soon", "X-Mikromon-Timestamp"),
    ("md5=00", "1800000000", "sha256=<hex>"),
    ("", "1800000000", "sha256=<hex>"),
])
def test_malformed_headers_are_named(signature, timestamp, match):
    with pytest.raises(ValueError, match=match):
        verify(b"{}", "k", signature=signature, timestamp=timestamp, now=1_800_000_000)


def test_empty_secret_is_refused():
    with pytest.raises(ValueError, match="secret is empty"):
        sign(b"{}", "")


# Backoff -------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_then_gives_up():
    policy = RetryPolicy(max_attempts=6, base_s=10, factor=2, max_s=60)
    assert [policy.delay_after(n) for n in range(1, 7)] == [10, 20, 40, 60, 60, None]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"max_attempts": 0}, "max_attempts"),
    ({"base_s": 0}, "base_s"),
    ({"factor": 0.5}, "factor"),
    ({"base_s": 10, "max_s": 5}, "max_s"),
])
def test_backoff_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RetryPolicy(**kwargs)


# Messages ------------------------------------------------------------------


def test_message_says_what_where_since_value_threshold_and_links():
    note = Notification("event-101", NotificationKind.FIRING, "CPU above 90 %", "high",
                        (item(1),), created=T0)
    assert note.title() == "[FIRING] high: CPU above 90 %: router-01"
    text = note.text()
    for part in ("router-01 (site Berlin)", "CPU load 95.5 % above 90 %", "value 95.5",
                 "threshold 90", "since 2026-12-06 16:00:00 UTC",
                 "https://mon.example.net/devices/1/", "event-101"):
        assert part in text


def test_group_title_names_the_first_devices_and_counts_the_rest():
    note = Notification("k", NotificationKind.FIRING, "Device unreachable", "critical",
                        tuple(item(n) for n in range(1, 31)))
    assert note.title() == ("[FIRING 30] critical: Device unreachable: router-01, router-02, "
                            "router-03 and 27 more")
    assert all(f"router-{n:02d}" in note.text() for n in range(1, 31))


def test_resolved_item_says_when_and_how_long():
    text = item(state="resolved", ts=T0 + timedelta(minutes=12)).text()
    assert "resolved 2026-12-06 16:12:00 UTC after 12m 0s" in text


def test_notification_json_round_trip():
    note = Notification("k1", NotificationKind.RESOLVED, "r", "warning",
                        (item(1, state="resolved"), item(2, value=None, threshold=None)),
                        created=T0)
    again = Notification.from_json(json.loads(json.dumps(note.to_json())))
    assert again == note


def test_notification_json_names_a_missing_field():
    with pytest.raises(ValueError, match="'id'"):
        Notification.from_json({"kind": "firing"})


@pytest.mark.parametrize("field", ["since", "ts"])
@pytest.mark.parametrize("value", [None, "", "yesterday"])
def test_alert_item_json_refuses_an_empty_or_unreadable_time(field, value):
    data = item(1).to_json()
    data[field] = value
    with pytest.raises(ValueError, match=f"'{field}'"):
        AlertItem.from_json(data)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="naive"):
        item(since=datetime(2026, 1, 1)).to_json()


# Channels ------------------------------------------------------------------


def test_alertmanager_alerts_carry_labels_annotations_and_times():
    firing = AlertmanagerChannel.alerts(Notification("k", NotificationKind.FIRING, "r", "high",
                                                     (item(1, subject="ether1"),)))
    assert firing == [{
        "labels": {"alertname": "CPU above 90 %", "severity": "high", "device": "router-01",
                   "site": "Berlin", "subject": "ether1", "mikromon_rule_id": "7",
                   "mikromon_device_id": "1"},
        "annotations": {"summary": "CPU above 90 % on router-01 ether1 (site Berlin)",
                        "description": "CPU load 95.5 % above 90 % on router-01",
                        "value": "95.5", "threshold": "90"},
        "startsAt": "2026-12-06T16:00:00Z",
        "generatorURL": "https://mon.example.net/devices/1/",
    }]
    resolved = AlertmanagerChannel.alerts(Notification(
        "k", NotificationKind.RESOLVED, "r", "high",
        (item(1, state="resolved", ts=T0 + timedelta(minutes=9), url=""),)))
    assert resolved[0]["endsAt"] == "2026-12-06T16:09:00Z"
    assert "generatorURL" not in resolved[0]


def test_alertmanager_url_gets_the_api_path_once():
    assert AlertmanagerChannel("http://127.0.0.1:9093/").url == \
        "http://127.0.0.1:9093/api/v2/alerts"
    assert AlertmanagerChannel("http://127.0.0.1:9093/api/v2/alerts").url == \
        "http://127.0.0.1:9093/api/v2/alerts"


@pytest.mark.parametrize(("kind", "url", "secret", "match"), [
    ("webhook", "ftp://x/hook", "k", "http:// or https://"),
    ("webhook", "http:///hook", "k", "no host name"),
    ("webhook", "http://127.0.0.1/hook", "", "needs a secret"),
    ("alertmanager", "127.0.0.1:9093", "", "http:// or https://"),
    ("apprise", "nonsense://whatever", "", "does not recognise"),
    ("apprise", "", "", "does not recognise"),
    ("sms", "http://x", "", "unknown channel kind 'sms'"),
])
def test_bad_channel_settings_are_named(kind, url, secret, match):
    with pytest.raises(ValueError, match=match):
        build_channel(kind, url=url, secret=secret)


def test_timeout_is_bounded():
    with pytest.raises(ValueError, match="timeout"):
        WebhookChannel("http://127.0.0.1/h", "k", timeout_s=0)


def test_targets_are_shown_masked():
    apprise_url = "mailtos://alice:hunter22@mail.example.com?to=ops@example.com"
    assert "hunter22" not in AppriseChannel(apprise_url).describe()
    hook = WebhookChannel("https://bob:pw123@hooks.example.com/in?token=abc123", "k")
    assert hook.describe() == "https://bob:****@hooks.example.com/in?token=****"
    assert mask_http_url("http://h/x") == "http://h/x"


def test_unreachable_webhook_is_a_retryable_delivery_error():
    from mikromon.notify import DeliveryError

    channel = WebhookChannel("http://127.0.0.1:9/hook", "k", timeout_s=2)
    with pytest.raises(DeliveryError, match="cannot reach") as err:
        channel.send(Notification("k", NotificationKind.TEST, "test", "info"))
    assert err.value.retryable
