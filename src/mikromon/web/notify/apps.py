"""Django app configuration of :mod:`mikromon.web.notify`."""

from __future__ import annotations

from mikromon.web import appconfig


class NotifyConfig(appconfig.MikromonAppConfig):
    """Notification channels, routing, the outbox and delivery (label ``notify``)."""

    name = "mikromon.web.notify"
    label = "notify"
    verbose_name = "Notifications"
