"""App configuration: connects the signal handlers."""

from __future__ import annotations

from django.apps import AppConfig


class MonitorConfig(AppConfig):
    """The ``monitor`` app (label ``monitor``)."""

    name = "mikromon.web.monitor"
    label = "monitor"
    verbose_name = "Monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Connect config-version and catalog-sync signal handlers."""
        from mikromon.web.monitor import signals

        signals.connect()
