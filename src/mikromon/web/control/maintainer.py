"""Which collector member runs the storage maintenance (rollups, retention,
compaction and the report summaries: :mod:`mikromon.web.monitor.storage_maintenance`).

The work covers the whole database, so one member does it for all: the live
member that joined first (the earliest ``started_at`` of the
:class:`~mikromon.web.control.models.CollectorMember` rows, ties by
``member_id``) among those polling devices (its row's ``devices``, written at
each heartbeat; a storage runs its maintenance after the sample writes, so a
member without devices would never run it), or, while no member polls any, the
one that joined first. Live is what the members' heartbeats say (:mod:`.members`): the
row has not expired (database clock on PostgreSQL, this machine's on SQLite), and
on this machine its process still runs
(:func:`~mikromon.web.monitor.lock.holder_is_gone`). Every member answers the
question from the same rows, so no member has to hand the duty over: when the
maintainer stops (its row is deleted as it leaves), is killed (its process is
gone, seen at once on its machine) or stalls past its ``ttl`` (from another
host), the next oldest member is the maintainer at its next question. A member
declared dead joins again with a new ``started_at``, behind the others, so the
duty does not move back and forth.

A collector that does not share the fleet (no member rows) runs its maintenance
itself, as always: its storage never asks.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mikromon.web.control.models import CollectorMember
from mikromon.web.monitor.dbutil import database_now
from mikromon.web.monitor.lock import holder_is_gone

__all__ = ["MaintenanceDuty", "maintainer", "maintainer_of"]


def maintainer_of(rows: QuerySet[CollectorMember] | list[CollectorMember]
                  ) -> CollectorMember | None:
    """The member of ``rows`` (live members' rows, any order) that runs the storage
    maintenance: of those whose process is not known gone, the first by
    ``(started_at, member_id)`` that polls devices, else the first; ``None`` for
    none."""
    alive = [r for r in sorted(rows, key=lambda r: (r.started_at, r.member_id))
             if not holder_is_gone(r.host, r.process)]
    return next((r for r in alive if r.devices > 0), alive[0] if alive else None)


def maintainer(using: str = "default") -> CollectorMember | None:
    """The live member that runs the storage maintenance now (see the module's
    description), ``None`` when no member lives.

    Raises:
        django.db.DatabaseError: the database did not answer.
    """
    rows = (CollectorMember.objects.using(using)
            .filter(expires_at__gt=database_now(using))
            .only("member_id", "host", "pid", "process", "started_at", "devices"))
    return maintainer_of(list(rows))


class MaintenanceDuty:
    """Whether the storage of the member ``member_id`` runs the maintenance now: a
    callable (``duty() -> bool``) for
    :class:`~mikromon.web.monitor.storage_maintenance.StorageMaintenance`, which
    asks it before its maintenance calls (one read of the member rows).

    Args:
        member_id: this process's :attr:`.members.Membership.member_id`.
        using: database alias.

    Attributes:
        current: ``member_id`` of the maintainer at the last question (``None``:
            no member lived, or not asked yet).

    Raises:
        django.db.DatabaseError: (from a call) the database did not answer.
    """

    def __init__(self, member_id: str, *, using: str = "default") -> None:
        self.member_id = member_id
        self.current: str | None = None
        self._using = using

    def __call__(self) -> bool:
        row = maintainer(self._using)
        self.current = row.member_id if row is not None else None
        return self.current == self.member_id
