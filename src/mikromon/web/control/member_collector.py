"""The collector service's lock and device source when several collectors share
the fleet (``MIKROMON_COLLECTOR_MEMBERS``, or ``mikromon serve --collectors N``
with N of 2 or more): built over one :class:`~mikromon.web.control.members.Membership`.

- :class:`MemberLock` (a :class:`mikromon.storage.protocols.CollectorLock`):
  ``acquire`` joins the members, ``refresh`` is the heartbeat (every quarter of
  the member ``ttl``), ``release`` leaves. A refresh that finds this member
  declared dead, or that could not renew for 70 % of ``ttl``, answers ``False``:
  the service stops every collector and joins again.
- :class:`MemberAlertStore` (a :class:`mikromon.storage.protocols.AlertStore`):
  the rules with the devices this member polls (``RuleSet.polled``), so that it
  raises no "no data" alert for the others' devices and carries on the open
  alerts of the devices it takes over; and the syslog lines stored for its
  devices by whichever member received them
  (:class:`~mikromon.storage.protocols.PushedLogSource`), for its ``log`` rules.
- :class:`MemberSource` (a :class:`mikromon.storage.protocols.DeviceSource`):
  the devices this member holds (and the disabled devices hashed to it); its
  version token includes the held set, so the service reloads, stopping or
  starting collectors, whenever a heartbeat changed what this member holds. The
  syslog receiver (run by one member per machine) matches sources against every
  device of the database (:meth:`MemberSource.syslog_devices`), not only this
  member's.

The service calls both from its one host worker thread, so a reload (stopping
the collectors of devices that moved away) always ends before the next heartbeat
releases their rows.

The members and a single collector holding the database-wide lock
(:class:`~mikromon.web.monitor.lock.DjangoCollectorLock`) exclude each other:
members wait while a single collector holds its lease, a single collector waits
while a member lives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Collection, Sequence
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from mikromon.alerting.rules import Restored, RuleSet
from mikromon.domain.alerts import AlertTransition
from mikromon.domain.devices import DeviceConfig
from mikromon.syslog.sources import KnownDevice
from mikromon.web.alerts.store import DjangoAlertStore
from mikromon.web.control.members import Membership, pick
from mikromon.web.control.pushed_logs import PushedLogs
from mikromon.web.monitor.lock import holder_is_gone
from mikromon.web.monitor.models import CollectorLease
from mikromon.web.monitor.sources import DjangoDeviceSource

__all__ = ["MemberAlertStore", "MemberLock", "MemberSource", "single_collector_active"]

log = logging.getLogger("mikromon.schedule.service")


def single_collector_active(using: str = "default") -> bool:
    """Whether a collector not sharing the fleet holds the database-wide lease
    (owner set, not expired, its process not known gone)."""
    row = CollectorLease.objects.using(using).filter(pk=CollectorLease.SINGLETON_ID).first()
    if row is None or not row.owner:
        return False
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return False
    return not holder_is_gone(row.host, row.process)


class MemberLock:
    """This process's membership as the service's collector lock.

    Args:
        membership: shared with the :class:`MemberSource`.
    """

    def __init__(self, membership: Membership) -> None:
        self.membership = membership
        self._waiting = False

    @property
    def refresh_interval(self) -> float:
        """Seconds between heartbeats."""
        return self.membership.heartbeat_s

    def acquire(self) -> bool:
        """Join the members; ``False`` while a single collector holds the database
        or when the database refused (logged; the service tries again)."""
        try:
            if single_collector_active():
                if not self._waiting:
                    log.warning("a single collector (not sharing the fleet) holds this "
                                "database; waiting for it to stop")
                self._waiting = True
                return False
            self._waiting = False
            self.membership.join()
        except DatabaseError as err:
            log.warning("joining the collector members failed: %s", err)
            return False
        return True

    def refresh(self) -> bool:
        """Heartbeat; ``False``: stop polling (declared dead, or no renewal for too
        long)."""
        try:
            return self.membership.tick()
        except DatabaseError as err:
            valid = self.membership.valid
            log.warning("collector member heartbeat failed (%s): %s", err,
                        "still polling" if valid else "polling stops until it succeeds")
            return valid

    def release(self) -> None:
        """Leave the members (devices released at once); never raises."""
        self.membership.leave()

    def close(self) -> None:
        """Close this thread's database connection."""
        self.membership.close()


class MemberSource:
    """The devices of this member, read through a :class:`DjangoDeviceSource`.

    Args:
        membership: shared with the :class:`MemberLock`.
        base: the source of every device (default: a new one).
    """

    def __init__(self, membership: Membership, base: DjangoDeviceSource | None = None) -> None:
        self.membership = membership
        self._base = base or DjangoDeviceSource()

    def load_devices(self) -> list[DeviceConfig]:
        """The enabled devices this member holds, and the disabled ones hashed to it
        (so that each disabled device is shown by one member); none while this
        member's claims are not renewed (:attr:`Membership.valid`)."""
        members = self.membership
        if not members.valid:
            # No renewal for too long (database stalled or gone): stop polling before
            # the rows expire and others take the devices; no database call here.
            members.mark_polling(())
            return []
        live, me = members.live, members.member_id
        out = [c for c in self._base.load_devices()
               if (c.id in members.assigned if c.enabled else pick(c.id, live) == me)]
        members.mark_polling(c.id for c in out if c.enabled)
        return out

    def syslog_devices(self) -> list[KnownDevice]:
        """Every device of the database, whichever member polls it (see
        :meth:`DjangoDeviceSource.syslog_devices`): the syslog receiver of this
        member takes the lines of every router."""
        return self._base.syslog_devices()

    def config_version(self) -> str:
        """The devices' version token, then a digest of the live members and of the
        devices this member holds; a fixed token, without asking the database, while
        this member's claims are not renewed (the service then reloads: no device)."""
        members = self.membership
        if not members.valid:
            members.assigned = frozenset()
            return "member-not-renewed"
        text = ",".join(members.live) + ";" + ",".join(map(str, sorted(members.assigned)))
        digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
        return f"{self._base.config_version()}/{digest}"

    def close(self) -> None:
        """Close this thread's database connection."""
        self._base.close()


class MemberAlertStore:
    """A :class:`DjangoAlertStore` whose rules name the devices this member polls.

    Args:
        membership: shared with the :class:`MemberLock`.
        base: the store (default: a new one).
    """

    def __init__(self, membership: Membership, base: DjangoAlertStore | None = None) -> None:
        self.membership = membership
        self._base = base or DjangoAlertStore()
        self._pushed = PushedLogs()

    def load_rules(self) -> RuleSet:
        """The rules in force, ``polled``: the devices this member holds."""
        return dataclasses.replace(self._base.load_rules(),
                                   polled=frozenset(self.membership.assigned))

    def load_open(self) -> Restored:
        """Every stored open alert (the runner keeps those of its devices)."""
        return self._base.load_open()

    def save_transitions(self, transitions: Sequence[AlertTransition]) -> int:
        """Store ``transitions`` (see :meth:`DjangoAlertStore.save_transitions`)."""
        return self._base.save_transitions(transitions)

    def pushed_logs(self, device_ids: Collection[int]) -> dict[int, list[dict[str, Any]]]:
        """The syslog rows stored for ``device_ids`` since the last call
        (:meth:`PushedLogs.pushed_logs`)."""
        return self._pushed.pushed_logs(device_ids)

    def close(self) -> None:
        """Close this thread's database connection."""
        self._base.close()
