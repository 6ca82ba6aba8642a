"""Which silence (maintenance window) covers an alert, if any."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from mikromon.web.alerts.models import Silence

__all__ = ["silenced"]


def silenced(device_id: int, rule_id: int, at: datetime) -> Silence | None:
    """Return a silence in force at ``at`` for ``device_id`` and ``rule_id``, or ``None``.

    A silence matches when each of its filled fields matches: its device is the
    device, its site is the device's site, its tag is one of the device's tags, its
    rule is the rule. Of several, the one ending last is returned.

    Args:
        device_id: the device's primary key (an unknown id matches only silences
            with no device, site or tag).
        rule_id: the rule's primary key.
        at: the instant, timezone-aware.

    Raises:
        ValueError: ``at`` is naive.
    """
    if at.tzinfo is None:
        raise ValueError(f"silenced(): 'at' must be timezone-aware, got {at!r}")
    from mikromon.web.monitor.models import Device

    device = Device.objects.filter(pk=device_id).values("site_id").first()
    site_id = device["site_id"] if device else None
    tag_ids = list(
        Device.tags.through.objects.filter(device_id=device_id).values_list("tag_id", flat=True)
    )
    site_q = Q(site__isnull=True) | (Q(site_id=site_id) if site_id is not None else Q(pk__in=[]))
    tag_q = Q(tag__isnull=True) | Q(tag_id__in=tag_ids)
    return (
        Silence.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .filter(Q(device__isnull=True) | Q(device_id=device_id))
        .filter(Q(rule__isnull=True) | Q(rule_id=rule_id))
        .filter(site_q)
        .filter(tag_q)
        .order_by("-ends_at", "-id")
        .first()
    )
