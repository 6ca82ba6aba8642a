"""Django app configuration of :mod:`mikromon.web.control`."""

from __future__ import annotations

from django.apps import AppConfig


class ControlConfig(AppConfig):
    """Collector control and published status."""

    name = "mikromon.web.control"
    label = "control"
    verbose_name = "Collector control"
    default_auto_field = "django.db.models.BigAutoField"
