"""Signal handlers: bump :class:`ConfigVersion` on configuration changes, delete a
device's latest values first when it is deleted, and sync the metric catalog
after ``migrate``.

Bumps happen inside the saving transaction, so another process sees the new
version exactly when it can see the change. Only ORM saves/deletes and M2M
changes send signals: ``QuerySet.update``, ``bulk_create`` and raw SQL bypass
them; call ``ConfigVersion.bump()`` after such writes.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.signals import connection_created
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_delete,
)

_UID = "mikromon.monitor.config_version"


def _bump(sender: type, **kwargs: Any) -> None:
    from mikromon.web.monitor.models import ConfigVersion

    ConfigVersion.bump(using=kwargs.get("using") or "default")


def _bump_m2m(sender: type, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _bump(sender, **kwargs)


def _latest_first(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
    """Before a device's rows are deleted: delete its series' latest values, in
    the deleting transaction, before Django's cascade deletes the head points.

    Head points have no foreign key constraint in the database (migration
    ``monitor 0020``); every sample write upserts the latest value of each series
    it writes points for, in the same transaction. Deleting the latest values
    first waits for a write that holds them (PostgreSQL row locks) to commit, so
    the cascade's later ``DELETE`` of points sees that write's points; a write
    that comes after finds no latest value, inserts one and fails on its
    foreign key (the device is gone), storing nothing. Either way no point
    outlives its series.
    """
    from mikromon.web.monitor.models import MetricLatest

    MetricLatest.objects.using(using).filter(series__device_id=instance.pk).delete()


def _after_migrate(sender: Any, **kwargs: Any) -> None:
    from mikromon.web.monitor.catalog import sync_catalog

    sync_catalog(using=kwargs.get("using", "default"))


def connect() -> None:
    """Connect every handler (idempotent; called from ``MonitorConfig.ready``)."""
    from django.apps import apps

    from mikromon.web.monitor.models import Device, Site, Tag

    for model in (Device, Site, Tag):
        post_save.connect(_bump, sender=model, dispatch_uid=f"{_UID}.save.{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"{_UID}.delete.{model.__name__}")
    pre_delete.connect(_latest_first, sender=Device, dispatch_uid=f"{_UID}.latest_first")
    m2m_changed.connect(_bump_m2m, sender=Device.tags.through, dispatch_uid=f"{_UID}.tags")
    post_migrate.connect(
        _after_migrate,
        sender=apps.get_app_config("monitor"),
        dispatch_uid="mikromon.monitor.sync_catalog",
    )
    connection_created.connect(_restrict_sqlite, dispatch_uid="mikromon.monitor.file_modes")


def _restrict_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """After an SQLite connection opens: the database and its -wal/-shm/-journal
    files owner-only (0600)."""
    if connection.vendor == "sqlite":
        from mikromon.web.monitor.envconfig import restrict_sqlite_files

        name = str(connection.settings_dict.get("NAME") or "")
        if name and name != ":memory:" and not name.startswith("file:"):
            restrict_sqlite_files(name)
