"""Helpers shared by the notification tests (importable: ``from notify_helpers import ...``)."""

from __future__ import annotations


def make_channel(name: str, kind: str, url: str, *, secret: str = "", **fields):
    """Save a channel (routing fields as keyword arguments; ``group_window_s`` 0 unless given)."""
    from mikromon.web.notify.models import NotificationChannel

    fields.setdefault("group_window_s", 0)
    fields.setdefault("min_severity", "info")
    channel = NotificationChannel(name=name, kind=kind, **fields)
    channel.set_url(url)
    channel.set_secret(secret)
    channel.save()
    return channel
