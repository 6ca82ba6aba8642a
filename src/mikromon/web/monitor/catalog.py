"""Keep :class:`MetricCatalog` equal to :data:`mikromon.domain.catalog.CATALOG`."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from mikromon.web.monitor.models import MetricCatalog

log = logging.getLogger(__name__)

_FIELDS = ("unit", "description", "tier", "kind")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def load_specs() -> list[Any]:
    """Return the domain catalog's MetricSpecs, or ``[]`` while the module is absent."""
    try:
        module = importlib.import_module("mikromon.domain.catalog")
    except ModuleNotFoundError as err:
        if err.name != "mikromon.domain.catalog":
            raise
        return []
    catalog = module.CATALOG
    return list(catalog.values() if isinstance(catalog, dict) else catalog)


def sync_catalog(specs: Iterable[Any] | None = None, *, using: str = "default") -> int:
    """Insert, update and delete MetricCatalog rows so they match ``specs``.

    Args:
        specs: objects with ``key, unit, description, tier, kind`` attributes
            (default: ``mikromon.domain.catalog.CATALOG``; a mapping's values or a
            sequence). Enum values are stored by their ``value``.
        using: database alias.

    Returns:
        The number of rows inserted, updated or deleted (0 when already equal,
        and when the domain catalog does not exist yet).
    """
    wanted = {
        spec.key: {name: _text(getattr(spec, name, "")) for name in _FIELDS}
        for spec in (load_specs() if specs is None else specs)
    }
    if specs is None and not wanted:
        return 0
    changes = 0
    with transaction.atomic(using=using):
        existing = {row.key: row for row in MetricCatalog.objects.using(using).all()}
        create, update = [], []
        for key, fields in wanted.items():
            row = existing.get(key)
            if row is None:
                create.append(MetricCatalog(key=key, **fields))
            elif any(getattr(row, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(row, name, value)
                update.append(row)
        stale = [key for key in existing if key not in wanted]
        MetricCatalog.objects.using(using).bulk_create(create)
        MetricCatalog.objects.using(using).bulk_update(update, list(_FIELDS))
        if stale:
            MetricCatalog.objects.using(using).filter(key__in=stale).delete()
        changes = len(create) + len(update) + len(stale)
    if changes:
        log.info("metric catalog synced: %d row(s) changed", changes)
    return changes
