"""Notification delivery, without Django: what a message says (:mod:`.message`),
how it is signed (:mod:`.signing`), where it goes (:mod:`.channels`: Apprise, our
signed JSON webhook, Prometheus Alertmanager API v2) and when a failed delivery
is tried again (:mod:`.policy`).

The Django app :mod:`mikromon.web.notify` routes alert events to channels,
keeps the outbox and runs the delivery worker on top of these pieces; another
host (an Odoo addon, a script) can use them the same way.
"""

from mikromon.notify.channels import (
    AlertmanagerChannel,
    AppriseChannel,
    Channel,
    ChannelKind,
    DeliveryError,
    WebhookChannel,
    build_channel,
)
from mikromon.notify.message import AlertItem, Notification, NotificationKind
from mikromon.notify.policy import RetryPolicy
from mikromon.notify.signing import sign, verify

__all__ = [
    "AlertItem",
    "AlertmanagerChannel",
    "AppriseChannel",
    "Channel",
    "ChannelKind",
    "DeliveryError",
    "Notification",
    "NotificationKind",
    "RetryPolicy",
    "WebhookChannel",
    "build_channel",
    "sign",
    "verify",
]
