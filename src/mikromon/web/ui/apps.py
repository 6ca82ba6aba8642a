"""Django app configuration of the web pages."""

from __future__ import annotations

from mikromon.web import appconfig


class UiConfig(appconfig.MikromonAppConfig):
    """The pages app (templates, static files, template tags); failed sign-ins are
    counted (:mod:`mikromon.web.security`)."""

    name = "mikromon.web.ui"
    label = "mikromon_ui"
    verbose_name = "mikromon pages"
    connects = "mikromon.web.security"

    def ready(self) -> None:
        """Connect the sign-in counters and the time zone read at sign-in."""
        super().ready()
        from mikromon.web.ui import timezones

        timezones.connect()
