"""Reading and writing the desired collector state and the published status.

Used by the running process (:mod:`mikromon.web.runtime`), by the
``mikromon collector`` command in another process, and by the web UI:
``request_state(False, by=user.username)`` stops the collector of whichever
process runs it within about a second, wherever it runs.
"""

from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.db.models.fields.json import KT
from django.utils import timezone

from mikromon.web.control.device_status import DeviceRowWriter, all_documents
from mikromon.web.control.models import CollectorControl, CollectorStatus

#: A published status older than this (seconds) belongs to a process that is gone.
STALE_AFTER_S = 5.0
#: Rows of dead processes older than this (seconds) are deleted by publishers.
FORGET_AFTER_S = 3600.0
#: Key of a stored status document whose ``devices`` entries are stored a row each
#: (:mod:`mikromon.web.control.device_status`); its value is their number. Readers
#: put ``devices`` back (:func:`read_published`) and never show this key.
DEVICE_ROWS = "device_rows"


@dataclass(frozen=True, slots=True, kw_only=True)
class Desired:
    """The desired collector state.

    Attributes:
        running: whether the collector should run.
        changed_at: when it was last set, UTC.
        changed_by: who set it ('' when never set).
    """

    running: bool
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    """One process's last published status.

    Attributes:
        instance: ``host:pid:start`` of the process.
        hostname, pid: where it runs.
        started_at: process start, UTC.
        published_at: last publication, UTC.
        running: whether its collector runs.
        status: the collector's status document (see ``CollectorService.status()``).
        age_s: seconds since ``published_at`` when read.
        pk: the stored status row (its device entries: ``CollectorDeviceStatus``
            rows of ``status_id=pk``); ``None`` when not stored.
        device_rows: the number of device entries stored in rows, ``None`` when
            the document holds its ``devices`` itself (or has none).
    """

    instance: str
    hostname: str
    pid: int
    started_at: datetime
    published_at: datetime
    running: bool
    status: dict[str, Any]
    age_s: float
    pk: int | None = None
    device_rows: int | None = None

    @property
    def alive(self) -> bool:
        """Whether the process published recently (within :data:`STALE_AFTER_S`)."""
        return self.age_s <= STALE_AFTER_S


def desired_state() -> Desired:
    """Return the desired state (running, if nobody ever asked otherwise)."""
    row, _ = CollectorControl.objects.get_or_create(pk=1)
    return Desired(
        running=row.desired_running, changed_at=row.changed_at, changed_by=row.changed_by
    )


def request_state(running: bool, *, by: str) -> Desired:
    """Ask every running mikromon process to start (``True``) or stop its collector.

    Args:
        running: the desired state.
        by: who asks (a user name, or ``cli``); at most 150 characters.

    Returns:
        The new desired state.
    """
    now = timezone.now()
    with transaction.atomic():
        row, _ = CollectorControl.objects.select_for_update().get_or_create(pk=1)
        row.desired_running = running
        row.changed_at = now
        row.changed_by = by[:150]
        row.save()
    return Desired(running=running, changed_at=now, changed_by=row.changed_by)


def instance_name(started_at: datetime) -> str:
    """Return ``host:pid:start`` naming this process (for :func:`publish`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{started_at.timestamp():.0f}"


def publish(*, instance: str, started_at: datetime, running: bool, status: dict[str, Any],
            rows: DeviceRowWriter | None = None) -> None:
    """Write this process's status row and forget rows of long-dead processes.

    The ``devices`` entries of ``status`` are stored a row each
    (:mod:`mikromon.web.control.device_status`), in the same transaction as the
    status row; the stored document keeps the other keys and :data:`DEVICE_ROWS`.

    Args:
        instance: from :func:`instance_name`.
        started_at: process start, UTC.
        running: whether the collector runs.
        status: JSON-serializable status document (not changed).
        rows: the publisher's writer, which writes only the entries that changed
            since its previous publication; default: a new one (every entry written).
    """
    now = timezone.now()
    writer = rows if rows is not None else DeviceRowWriter()
    devices = status.get("devices")
    stored = dict(status)
    if isinstance(devices, list):
        del stored["devices"]
        stored[DEVICE_ROWS] = len(devices)
    try:
        with transaction.atomic():
            row, _ = CollectorStatus.objects.update_or_create(
                instance=instance,
                defaults={
                    "hostname": socket.gethostname(),
                    "pid": os.getpid(),
                    "started_at": started_at,
                    "published_at": now,
                    "running": running,
                    "status": stored,
                },
            )
            writer.write(row.pk, devices if isinstance(devices, list) else [])
    except BaseException:
        writer.forget()
        raise
    CollectorStatus.objects.filter(
        published_at__lt=now - timedelta(seconds=FORGET_AFTER_S)
    ).delete()


def withdraw(instance: str) -> None:
    """Delete this process's status row (on a clean stop)."""
    CollectorStatus.objects.filter(instance=instance).delete()


def read_published(*, documents: bool | Literal["top"] = True) -> list[Published]:
    """Return every published status: the running collector holding the lock first,
    then other live processes, then newest first.

    ``documents=True``: whole documents, their ``devices`` read back from their
    rows (megabytes for thousands of devices); ``"top"``: documents without the
    device entries (``device_rows`` says how many are stored, in rows of ``pk``);
    ``False``: no document: each ``status`` holds only ``lock_held``, read from
    the JSON in the database.
    """
    now = timezone.now()
    qs = CollectorStatus.objects.order_by("-published_at")
    counts: dict[int, int | None] = {}
    if documents:
        found = []
        for row in qs:
            status = dict(row.status or {}) if isinstance(row.status, dict) else {}
            count = status.pop(DEVICE_ROWS, None)
            counts[row.pk] = count if isinstance(count, int) else None
            if counts[row.pk] is not None and documents != "top":
                status["devices"] = all_documents(row.pk)
                counts[row.pk] = None
            found.append((row, status))
    else:
        found = [(row, {"lock_held": _json_true(row.lock_held)})
                 for row in qs.defer("status").annotate(lock_held=KT("status__lock_held"))]
    rows = [
        Published(
            instance=row.instance,
            hostname=row.hostname,
            pid=row.pid,
            started_at=row.started_at,
            published_at=row.published_at,
            running=row.running,
            status=status,
            age_s=max(0.0, (now - row.published_at).total_seconds()),
            pk=row.pk,
            device_rows=counts.get(row.pk),
        )
        for row, status in found
    ]
    rows.sort(key=lambda p: (not (p.alive and p.running), not p.alive, not _holds_lock(p),
                             p.age_s))
    return rows


def _holds_lock(published: Published) -> bool:
    # A second process on the same database runs a collector that waits for the
    # lock; the one holding it is the collector that polls.
    return bool(published.status.get("lock_held", True))


def _json_true(text: Any) -> bool:
    """``lock_held`` as the database's JSON text gives it (``true``/``1``; absent:
    true, as :func:`_holds_lock` reads a document without it)."""
    if text is None:
        return True
    return str(text).strip().lower() in ("true", "1", "t")


def current(*, documents: bool | Literal["top"] = True) -> Published | None:
    """Return the status of the live process whose collector runs, else of any live
    process, else ``None`` (no mikromon process is running against this database).
    ``documents=False``: without the status document; ``"top"``: without its
    device entries (:func:`read_published`); only the returned status's device
    entries are read."""
    light: bool | Literal["top"] = "top" if documents else False
    live = [p for p in read_published(documents=light) if p.alive]
    if not live:
        return None
    found = live[0]
    if documents is True and found.device_rows is not None and found.pk is not None:
        status = {**found.status, "devices": all_documents(found.pk)}
        return dataclasses.replace(found, status=status, device_rows=None)
    return found
