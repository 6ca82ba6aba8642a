"""Event writes of :class:`~.storage.DjangoStorage`.

Events of devices deleted meanwhile are dropped. A ``path_absent`` event that
repeats the standing announcement of its device and path (the newest
``path_absent`` event of them, with no ``version_changed`` event of the device
after it) is skipped: each collector start finds the absent paths again, and an
operator is told once per router version.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from mikromon.domain.events import Event, EventKind
from mikromon.web.monitor.models import Device
from mikromon.web.monitor.models import Event as EventRow
from mikromon.web.monitor.storage_sql import CHUNK


def write_events(events: Sequence[Event], *, using: str) -> int:
    """Write ``events`` in one transaction; return how many were stored.

    Raises:
        django.db.DatabaseError: the database refused them (rolled back).
    """
    with transaction.atomic(using=using):
        known = set(
            Device.objects.using(using)
            .filter(pk__in={e.device_id for e in events})
            .values_list("pk", flat=True)
        )
        rows: list[EventRow] = []
        #: (device id, path) -> the standing announcement, for this batch.
        announced: dict[tuple[int, str], str] = {}
        #: devices whose version changed in this batch.
        upgraded: set[int] = set()
        for e in events:
            if e.device_id not in known:
                continue
            if e.kind is EventKind.VERSION_CHANGED:
                upgraded.add(e.device_id)
                announced = {k: v for k, v in announced.items() if k[0] != e.device_id}
            elif e.kind is EventKind.PATH_ABSENT:
                key = (e.device_id, e.path)
                if key not in announced and e.device_id not in upgraded:
                    announced[key] = standing_absent(*key, using=using)
                if announced.get(key) == e.message:
                    continue
                announced[key] = e.message
            rows.append(
                EventRow(device_id=e.device_id, ts=e.ts, kind=e.kind.value,
                         message=e.message, path=e.path, severity=e.severity.value)
            )
        EventRow.objects.using(using).bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def standing_absent(device_id: int, path: str, *, using: str) -> str:
    """Return the message of the newest ``path_absent`` event of the device and
    path, or ``""`` when there is none or a ``version_changed`` event came after it."""
    events = EventRow.objects.using(using).filter(device_id=device_id)
    newest = (
        events.filter(kind=EventKind.PATH_ABSENT.value, path=path)
        .order_by("-id").values_list("id", "message").first()
    )
    if newest is None:
        return ""
    later = events.filter(kind=EventKind.VERSION_CHANGED.value, id__gt=newest[0])
    return "" if later.exists() else newest[1]
