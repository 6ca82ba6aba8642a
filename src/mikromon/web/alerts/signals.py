"""Signal handlers: a saved or deleted rule or override bumps the monitor app's
:class:`~mikromon.web.monitor.models.ConfigVersion`, so the running collector
(which watches that token, :mod:`mikromon.schedule.reload`) reloads its rules
within its reload interval (about a second)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

_UID = "mikromon.alerts.config_version"


def _bump(sender: type, **kwargs: Any) -> None:
    from mikromon.web.monitor.models import ConfigVersion

    ConfigVersion.bump(using=kwargs.get("using") or "default")


def connect() -> None:
    """Connect every handler (idempotent; called from ``AlertsConfig.ready``)."""
    from mikromon.web.alerts.models import AlertRule, RuleOverride

    for model in (AlertRule, RuleOverride):
        post_save.connect(_bump, sender=model, dispatch_uid=f"{_UID}.save.{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"{_UID}.delete.{model.__name__}")
