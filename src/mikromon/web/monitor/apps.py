"""App configuration: connects the signal handlers."""

from __future__ import annotations

from mikromon.web import appconfig


class MonitorConfig(appconfig.MikromonAppConfig):
    """The ``monitor`` app (label ``monitor``); its signal handlers bump the
    configuration version and sync the catalog (:mod:`.signals`)."""

    name = "mikromon.web.monitor"
    label = "monitor"
    verbose_name = "Monitoring"
    connects = "mikromon.web.monitor.signals"
