"""Retention settings as stored (:class:`~mikromon.web.control.models.RetentionSetting`)
over the environment's defaults: what the maintenance deletes by, what the
settings page and ``mikromon retention`` show and change.

Precedence, per key (:data:`mikromon.domain.retention.KEYS`): a stored row wins;
without one the environment's default applies (``MIKROMON_RETENTION_RAW_DAYS``
for the raw points of every tier, ``MIKROMON_RETENTION_5M_DAYS``,
``MIKROMON_RETENTION_1H_DAYS``, ``MIKROMON_RETENTION_1D_DAYS``; read once at start into
``settings.MIKROMON_RETENTION_DAYS``). Only stored values are checked against
the minimums; the environment's are used as given. The other retentions (log
lines, events, alerts, vanished inventory rows) stay environment variables and
are listed read-only (:func:`document`).

The maintenance reads :func:`effective` at every retention run, in whichever
process runs it (the writer thread or the storage process): a change applies at
the next run without a restart, and :func:`version` tells a running storage
that a run is due now (:meth:`~mikromon.web.monitor.storage.DjangoStorage.maintain`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from mikromon.domain import catalog
from mikromon.domain import retention as rules
from mikromon.domain.retention import KEYS, LEVELS, TIER_KEYS, RetentionError
from mikromon.web.control.models import RetentionSetting

__all__ = ["Effective", "RetentionForm", "document", "effective", "problems", "save",
           "tier_of", "version"]

_DAY: Final = 86400
#: Key -> (key of settings.MIKROMON_RETENTION_DAYS, its environment variable).
DEFAULT_SOURCES: Final[dict[str, tuple[str, str]]] = {
    **{key: ("raw", "MIKROMON_RETENTION_RAW_DAYS") for key in TIER_KEYS},
    "5m": ("5m", "MIKROMON_RETENTION_5M_DAYS"),
    "1h": ("1h", "MIKROMON_RETENTION_1H_DAYS"),
    "1d": ("1d", "MIKROMON_RETENTION_1D_DAYS"),
}
#: Retentions that only the environment sets: (settings key, variable, what).
ENV_ONLY: Final = (
    ("inventory_gone", "MIKROMON_RETENTION_GONE_DAYS",
     "inventory rows the router no longer reports"),
    ("logs", "MIKROMON_RETENTION_LOG_DAYS", "router log lines"),
    ("events", "MIKROMON_RETENTION_EVENT_DAYS", "events"),
    ("alerts", "MIKROMON_RETENTION_ALERT_DAYS", "resolved alerts and their history"),
)
#: What each key keeps, in words.
MEANING: Final[dict[str, str]] = {
    **{key: f"raw points of the {key} tier" for key in TIER_KEYS},
    "5m": "5-minute rollups (count, min, max, average, last)",
    "1h": "1-hour rollups (count, min, max, average, last) and the report summaries",
    "1d": "1-day rollups (count, min, max, average, last; UTC days)",
}


@dataclass(frozen=True)
class Effective:
    """The retentions in force: ``seconds`` per key of :data:`KEYS`; ``stored``:
    the keys set in the database, with (changed_at, changed_by)."""

    seconds: dict[str, int]
    stored: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def raw_seconds(self, metric_key: str) -> int:
        """Seconds the raw points of ``metric_key`` are kept: its tier's retention;
        a key the catalog does not know keeps the longest tier's."""
        tier = tier_of(metric_key)
        return self.seconds[tier] if tier else self.longest_raw

    @property
    def longest_raw(self) -> int:
        """The longest raw point retention of any tier, seconds."""
        return max(self.seconds[key] for key in TIER_KEYS)


def defaults() -> dict[str, int]:
    """The environment's retention of every key, seconds."""
    days = settings.MIKROMON_RETENTION_DAYS
    return {key: round(float(days[name]) * _DAY) for key, (name, _v) in DEFAULT_SOURCES.items()}


def effective(*, using: str = "default") -> Effective:
    """The retentions in force now: stored rows over the environment's defaults.

    Raises:
        django.db.DatabaseError: the settings table cannot be read.
    """
    seconds = defaults()
    stored: dict[str, tuple[datetime, str]] = {}
    for row in RetentionSetting.objects.using(using).filter(key__in=KEYS):
        seconds[row.key] = int(row.seconds)
        stored[row.key] = (row.changed_at, row.changed_by)
    return Effective(seconds, stored)


def version(*, using: str = "default") -> tuple[int, Any]:
    """A value that changes whenever a stored retention is set or removed: the
    number of rows and their latest change (one small query)."""
    agg = RetentionSetting.objects.using(using).aggregate(n=Count("pk"), last=Max("changed_at"))
    return int(agg["n"] or 0), agg["last"]


@functools.lru_cache(maxsize=4096)
def tier_of(metric_key: str) -> str:
    """The tier (``realtime``...) whose collectors produce ``metric_key``, ``""``
    when the catalog does not know it (:func:`mikromon.domain.catalog.lookup`)."""
    try:
        return str(catalog.lookup(metric_key).tier.value)
    except KeyError:
        return ""


def save(values: Mapping[str, int | None], *, by: str, using: str = "default") -> Effective:
    """Store retentions (key -> seconds; ``None`` removes the stored value, so the
    environment's default applies again) after checking the whole resulting set.

    Raises:
        RetentionError: a key is unknown, or the resulting set breaks a minimum or
            the order raw <= 5m <= 1h <= 1d (``problems`` names each key).
    """
    with transaction.atomic(using=using):
        current = effective(using=using)
        found = problems(current, values)
        if found:
            raise RetentionError(found)
        now = timezone.now()
        for key, seconds in values.items():
            if seconds is None:
                RetentionSetting.objects.using(using).filter(key=key).delete()
            elif current.stored.get(key) is None or current.seconds[key] != seconds:
                RetentionSetting.objects.using(using).update_or_create(
                    key=key, defaults={"seconds": int(seconds), "changed_at": now,
                                       "changed_by": by[:150]})
        return effective(using=using)


def problems(current: Effective, values: Mapping[str, int | None]) -> dict[str, str]:
    """What is wrong with storing ``values`` (key -> seconds, ``None``: back to the
    default) over ``current``: unknown keys, and the problems of
    :func:`mikromon.domain.retention.check` on the resulting set (an environment
    default below its minimum is checked as its minimum: it is used as given).
    """
    unknown = {k: f"unknown retention {k!r}; known: {', '.join(KEYS)}"
               for k in values if k not in KEYS}
    if unknown:
        return unknown
    merged = dict(current.seconds)
    base = defaults()
    for key, seconds in values.items():
        merged[key] = base[key] if seconds is None else int(seconds)
    stored = ({k for k, v in values.items() if v is not None}
              | (set(current.stored) - {k for k, v in values.items() if v is None}))
    # An environment default below its minimum is not blamed: it is checked as
    # its minimum (the order raw <= 5m <= 1h <= 1d still holds against it).
    for key in KEYS:
        if key not in stored:
            merged[key] = max(merged[key], rules.MINIMUM_SECONDS[key])
    return rules.check(merged)


def document(eff: Effective) -> dict[str, Any]:
    """The retentions as JSON (CLI ``--json``, the API): ``settings``, one entry per
    key of :data:`KEYS` with ``seconds``, ``text`` (``7d``), ``days``,
    ``minimum_seconds``, ``source`` (``stored`` or the environment variable),
    ``changed_at``, ``changed_by``; ``environment_only``: the retentions only
    variables set (``days``, ``variable``)."""
    out = []
    for key in KEYS:
        seconds = eff.seconds[key]
        stored = eff.stored.get(key)
        out.append({
            "key": key, "meaning": MEANING[key], "seconds": seconds,
            "text": rules.format_duration(seconds), "days": round(seconds / _DAY, 4),
            "minimum_seconds": rules.MINIMUM_SECONDS[key],
            "step_s": LEVELS.get(key),
            "source": "stored" if stored else DEFAULT_SOURCES[key][1],
            "changed_at": stored[0].isoformat() if stored else None,
            "changed_by": stored[1] if stored else None,
        })
    days = settings.MIKROMON_RETENTION_DAYS
    others = [{"key": key, "meaning": what, "days": float(days.get(key, 0) or 0),
               "variable": variable} for key, variable, what in ENV_ONLY if key in days]
    return {"settings": out, "environment_only": others}


class RetentionForm(forms.Form):
    """One text field per key (``7d``, ``36h``, ``2w``; a bare number is days;
    empty: back to the environment's default). The whole set is checked by
    :func:`mikromon.domain.retention.check`; each problem is shown on its field."""

    def __init__(self, *args: Any, current: Effective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        base = defaults()
        for key in KEYS:
            self.fields[key] = forms.CharField(
                required=False, label=MEANING[key],
                initial=(rules.format_duration(current.seconds[key])
                         if key in current.stored else ""),
                help_text=(f"minimum {rules.format_duration(rules.MINIMUM_SECONDS[key])}; "
                           f"empty: {rules.format_duration(base[key])} from "
                           f"{DEFAULT_SOURCES[key][1]}"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.values: dict[str, int | None] = {}
        for key in KEYS:
            text = str(data.get(key) or "").strip()
            if not text:
                self.values[key] = None
                continue
            try:
                self.values[key] = rules.parse_duration(text)
            except ValueError as err:
                self.add_error(key, str(err))
                self.values[key] = self.current.seconds[key] if key in self.current.stored else None
        # The parsed values are checked even when another field did not parse.
        for key, message in problems(self.current, self.values).items():
            if key not in self.errors:
                self.add_error(key if key in self.fields else None, message)
        return data

    def save(self, *, by: str) -> Effective:
        """Store the cleaned values (call after ``is_valid()``).

        Raises:
            RetentionError: the set became invalid meanwhile.
        """
        return save(self.values, by=by)
