"""Django app configuration of :mod:`mikromon.web.alerts`."""

from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Alert rules, alerts, alert history and silences (label ``alerts``)."""

    name = "mikromon.web.alerts"
    label = "alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect the signal handlers that tell the running engine about rule changes."""
        from mikromon.web.alerts import signals

        signals.connect()
