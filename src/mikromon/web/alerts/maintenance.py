"""Alert history retention: resolved alerts (and their history rows) older than
``settings.MIKROMON_RETENTION_DAYS["alerts"]`` days (``MIKROMON_RETENTION_ALERT_DAYS``,
default 365) are deleted. Open (pending or firing) alerts and their history are
kept whatever their age. Run with the rest of the database maintenance
(:func:`mikromon.web.monitor.maintenance.apply_retention`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from django.conf import settings

from mikromon.web.alerts.models import Alert, AlertEvent, AlertStateChoices

__all__ = ["DEFAULT_ALERT_RETENTION_DAYS", "apply_alert_retention"]

#: Days resolved alerts are kept when the setting does not say.
DEFAULT_ALERT_RETENTION_DAYS: Final = 365.0


def apply_alert_retention(now: float, *, using: str = "default") -> int:
    """Delete resolved alerts resolved before the retention window; return how many
    history rows (:class:`AlertEvent`) went with them.

    Args:
        now: UTC seconds since the epoch.
        using: database alias.
    """
    days = float(getattr(settings, "MIKROMON_RETENTION_DAYS", {})
                 .get("alerts", DEFAULT_ALERT_RETENTION_DAYS))
    cutoff = datetime.fromtimestamp(now, UTC) - timedelta(days=days)
    old = Alert.objects.using(using).filter(state=AlertStateChoices.RESOLVED,
                                            resolved_at__lt=cutoff)
    events = AlertEvent.objects.using(using).filter(alert__in=old).count()
    old.delete()
    return events
