"""The per-device entries of a published collector status, stored a row each
(:class:`~mikromon.web.control.models.CollectorDeviceStatus`).

The collector's status document (``CollectorService.status()``) holds an entry
per device (``status["devices"]``: 3.3 MB of JSON for 10,000 devices with three
tiers each). Stored in the status row itself, every page reading it parsed all
of it; stored a row per device, the collector page filters (device filters,
errors, late tiers), counts and pages in SQL and parses only the 50 entries it
shows.

The status publisher writes about once a second: :class:`DeviceRowWriter`
remembers what it wrote and writes only the entries that changed (an upsert
statement run for many rows at once, ``executemany``) and deletes the entries of
devices no longer polled; a publication is a bounded number of statements
whatever the number of devices.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from mikromon.web.control.models import CollectorDeviceStatus

#: A tier is late when its next run is due more than this long ago (besides
#: one interval): the scheduler should have started it by then.
LATE_GRACE_S = 5.0
#: ``late_at`` of an entry that is late whatever the time (a tier waits: ``blocked``).
ALWAYS_LATE = datetime(1970, 1, 1, tzinfo=UTC)


def when(text: Any) -> datetime | None:
    """An ISO 8601 time of a status entry as an aware datetime (``None`` when
    absent or not a time); a datetime is returned as it is."""
    if isinstance(text, datetime):
        return text
    if not isinstance(text, str):
        return None
    try:  # the publisher's ISO 8601 with "Z": the fast C parser (Python 3.11+)
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def has_errors(dev: Mapping[str, Any]) -> bool:
    """Whether a status entry reports an error: its own ``last_error``, rows
    dropped or failed, or a tier with errors or a ``last_error``."""
    if dev.get("last_error") or dev.get("rows_dropped") or dev.get("rows_failed"):
        return True
    return any(isinstance(t, dict) and (t.get("errors") or t.get("last_error"))
               for t in (dev.get("tiers") or {}).values())


def late_at(dev: Mapping[str, Any]) -> datetime | None:
    """When a tier of a status entry becomes late: the earliest, over its tiers,
    of ``running_since`` and ``next_due`` plus one (effective) interval plus
    :data:`LATE_GRACE_S`; :data:`ALWAYS_LATE` when a tier waits (``blocked``);
    ``None`` when no tier can be late. ``is_late(dev, now)`` is
    ``late_at(dev) < now``."""
    earliest: datetime | None = None
    for t in (dev.get("tiers") or {}).values():
        if not isinstance(t, dict):
            continue
        if t.get("blocked"):
            return ALWAYS_LATE
        interval = t.get("effective_interval_s") or t.get("interval_s") or 0
        if not isinstance(interval, int | float) or isinstance(interval, bool):
            interval = 0
        for key in ("running_since", "next_due"):
            at = when(t.get(key))
            if at is None or at.tzinfo is None:  # not a UTC time: cannot be compared
                continue
            at += timedelta(seconds=float(interval) + LATE_GRACE_S)
            if earliest is None or at < earliest:
                earliest = at
    return earliest


def is_late(dev: Mapping[str, Any], now: datetime) -> bool:
    """Whether a tier of a status entry is late at ``now``: its next run was due
    more than one (effective) interval plus :data:`LATE_GRACE_S` before, or a run
    in progress has lasted that long, or it waits (``blocked``)."""
    at = late_at(dev)
    return at is not None and at < now


def _row(position: int, dev: Mapping[str, Any], text: str) -> tuple[Any, ...]:
    at = late_at(dev)
    return (position, bool(has_errors(dev)),
            connection.ops.adapt_datetimefield_value(at) if at is not None else None, text)


class DeviceRowWriter:
    """Writes the device entries of one process's publications, only what changed.

    Remembers, for the status row it last wrote (its primary key), each device's
    position and JSON text; a new status row (first publication, or the row was
    deleted and made again) or a failed write starts again from nothing (all
    entries deleted, then written). Call :meth:`write` inside the transaction
    that writes the status row.
    """

    def __init__(self) -> None:
        self._status_pk: int | None = None
        # device id -> (position, the entry as last written, its JSON text)
        self._written: dict[int, tuple[int, dict[str, Any], str]] = {}

    def forget(self) -> None:
        """Write every entry at the next publication (after a failed one)."""
        self._status_pk = None
        self._written = {}

    def write(self, status_pk: int, devices: Sequence[Any]) -> int:
        """Store the entries of ``devices`` (``status["devices"]``; entries that are
        not objects with an int ``id`` are skipped) for the status row
        ``status_pk``; return how many rows were inserted or updated.

        An entry is compared by value with a snapshot of the one last written
        (only a changed one is serialised), so ``devices`` may be new objects each
        time (the publisher's ``tidy`` copies) or the same ones changed in place.

        Statements: at most one DELETE of the removed devices (or of all, for a
        new status row) and one upsert (``executemany``), whatever the number of
        devices.
        """
        fresh = status_pk != self._status_pk
        before = {} if fresh else self._written
        now: dict[int, tuple[int, dict[str, Any], str]] = {}
        changed: list[tuple[Any, ...]] = []
        position = 0
        for dev in devices:
            pk = dev.get("id") if isinstance(dev, dict) else None
            if not isinstance(pk, int) or isinstance(pk, bool) or pk in now:
                continue
            old = before.get(pk)
            if old is not None and old[0] == position and old[1] == dev:
                now[pk] = old
            else:
                text = json.dumps(dev, separators=(",", ":"))
                # A snapshot to compare with next time: a caller may change ``dev``
                # in place later.
                now[pk] = (position, json.loads(text), text)
                changed.append((status_pk, pk, *_row(position, dev, text)))
            position += 1
        table = CollectorDeviceStatus._meta.db_table
        with connection.cursor() as cursor:
            if fresh:
                cursor.execute(f"DELETE FROM {table} WHERE status_id = %s", [status_pk])
            else:
                gone = [(status_pk, pk) for pk in before if pk not in now]
                if gone:
                    cursor.executemany(
                        f"DELETE FROM {table} WHERE status_id = %s AND device_id = %s", gone)
            if changed:
                cursor.executemany(
                    f"INSERT INTO {table} (status_id, device_id, position, has_errors, late_at,"
                    " doc) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (status_id, device_id)"
                    " DO UPDATE SET position = excluded.position, has_errors ="
                    " excluded.has_errors, late_at = excluded.late_at, doc = excluded.doc",
                    changed)
        self._status_pk = status_pk
        self._written = now
        return len(changed)


def documents(docs: Iterable[str]) -> list[dict[str, Any]]:
    """The entries of stored JSON texts (an entry that is not an object is skipped)."""
    out = []
    for text in docs:
        try:
            dev = json.loads(text)
        except ValueError:
            continue
        if isinstance(dev, dict):
            out.append(dev)
    return out


def all_documents(status_pk: int) -> list[dict[str, Any]]:
    """Every device entry of the status row ``status_pk``, in published order."""
    return documents(CollectorDeviceStatus.objects.filter(status_id=status_pk)
                     .order_by("position").values_list("doc", flat=True))
