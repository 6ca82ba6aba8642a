"""Django app configuration of :mod:`mikromon.web.control`."""

from __future__ import annotations

from mikromon.web import appconfig


class ControlConfig(appconfig.MikromonAppConfig):
    """Collector control and published status."""

    name = "mikromon.web.control"
    label = "control"
    verbose_name = "Collector control"
    connects = "mikromon.web.control.outputs"
