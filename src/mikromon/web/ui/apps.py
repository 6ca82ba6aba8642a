"""Django app configuration of the web pages."""

from __future__ import annotations

from django.apps import AppConfig


class UiConfig(AppConfig):
    """The pages app (templates, static files, template tags)."""

    name = "mikromon.web.ui"
    label = "mikromon_ui"
    verbose_name = "mikromon pages"

    def ready(self) -> None:
        """Count failed sign-ins (:mod:`mikromon.web.security`)."""
        from mikromon.web import security

        security.connect()
