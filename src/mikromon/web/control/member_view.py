"""The collector members as the pages, the API and ``mikromon collector status``
show them: each live member with its load, and which member polls which device
(:mod:`mikromon.web.control.members` writes both)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from mikromon.web.control.formats import iso
from mikromon.web.control.maintainer import maintainer_of
from mikromon.web.control.models import CollectorMember, CollectorStatus, DeviceOwner
from mikromon.web.control.state import DEVICE_ROWS, STALE_AFTER_S

__all__ = ["holders", "live_members", "publications"]


def _label(host: str, pid: int) -> str:
    return f"{host} pid {pid}"


def live_members() -> list[dict[str, Any]]:
    """The members whose heartbeat has not expired, oldest first, JSON-ready.

    Each: ``member`` (id), ``where`` (``"<host> pid <pid>"``), ``host``, ``pid``,
    ``started_at``, ``heartbeat`` (ISO 8601 UTC), ``heartbeat_age_s``, ``devices``
    (devices it holds now, from the ownership rows), ``cpu_pct`` (CPU of its process
    over its last heartbeat interval, % of one core), ``rows_written`` and
    ``queue_depth`` (its writer, from the status it publishes; ``None`` when it
    publishes none), ``maintenance`` (whether it is the member whose storage runs
    the rollups, retention and compaction: :mod:`.maintainer`), ``status_pk``
    (that publication's row, or ``None``).
    """
    now = timezone.now()
    rows = list(CollectorMember.objects.filter(expires_at__gt=now))
    if not rows:
        return []
    maintaining = maintainer_of(rows)
    held: dict[str, int] = {}
    for owner in DeviceOwner.objects.exclude(owner="").values_list("owner", flat=True):
        held[owner] = held.get(owner, 0) + 1
    published = _publications_by_process()
    out = []
    for row in rows:
        pub = published.get((row.host, row.pid))
        writer = (pub.status or {}).get("writer") if pub is not None else None
        writer = writer if isinstance(writer, dict) else {}
        out.append({
            "member": row.member_id,
            "where": _label(row.host, row.pid),
            "host": row.host,
            "pid": row.pid,
            "started_at": iso(row.started_at),
            "heartbeat": iso(row.heartbeat),
            "heartbeat_age_s": round(max(0.0, (now - row.heartbeat).total_seconds()), 1),
            "devices": held.get(row.member_id, 0),
            "cpu_pct": row.cpu_pct,
            "rows_written": writer.get("rows_written"),
            "queue_depth": writer.get("queue_depth"),
            "maintenance": maintaining is not None and row.member_id == maintaining.member_id,
            "status_pk": pub.pk if pub is not None else None,
        })
    return out


def _publications_by_process() -> dict[tuple[str, int], CollectorStatus]:
    fresh = timezone.now() - timedelta(seconds=STALE_AFTER_S)
    found: dict[tuple[str, int], CollectorStatus] = {}
    for pub in CollectorStatus.objects.filter(published_at__gte=fresh).order_by("published_at"):
        found[(pub.hostname, pub.pid)] = pub
    return found


def publications(members: list[dict[str, Any]]
                 ) -> tuple[list[int], int, dict[str, Any] | None]:
    """The status rows the members publish their device entries in, how many
    entries they hold in all, and the ``syslog`` section of the member running the
    syslog receiver (one per machine: the others publish ``null``; ``None`` when
    none runs it)."""
    pks = [m["status_pk"] for m in members if m["status_pk"] is not None]
    total = 0
    syslog: dict[str, Any] | None = None
    for document in CollectorStatus.objects.filter(pk__in=pks).order_by("pk").values_list(
            "status", flat=True):
        if not isinstance(document, dict):
            continue
        count = document.get(DEVICE_ROWS)
        total += count if isinstance(count, int) else 0
        found = document.get("syslog")
        if syslog is None and isinstance(found, dict):
            syslog = found
    return pks, total, syslog


def holders(device_ids: Iterable[int]) -> dict[int, str]:
    """Device id -> ``"<host> pid <pid>"`` of the live member holding it (devices
    nobody holds are left out)."""
    ids = list(device_ids)
    owners = dict(DeviceOwner.objects.filter(device_id__in=ids).exclude(owner="")
                  .values_list("device_id", "owner"))
    members = {m.member_id: _label(m.host, m.pid)
               for m in CollectorMember.objects.filter(member_id__in=set(owners.values()),
                                                       expires_at__gt=timezone.now())}
    return {d: members[o] for d, o in owners.items() if o in members}
