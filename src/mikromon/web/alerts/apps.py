"""Django app configuration of :mod:`mikromon.web.alerts`."""

from __future__ import annotations

from mikromon.web import appconfig


class AlertsConfig(appconfig.MikromonAppConfig):
    """Alert rules, alerts, alert history and silences (label ``alerts``); rule
    changes are told to the running engine (:mod:`.signals`)."""

    name = "mikromon.web.alerts"
    label = "alerts"
    verbose_name = "Alerts"
    connects = "mikromon.web.alerts.signals"
