"""Django app configuration of :mod:`mikromon.web.notify`."""

from __future__ import annotations

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Notification channels, routing, the outbox and delivery (label ``notify``)."""

    name = "mikromon.web.notify"
    label = "notify"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
