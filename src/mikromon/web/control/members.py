"""Collector members: several collector processes sharing one fleet.

Each member (a collector process, on this machine or another one pointing at
the same database) writes a heartbeat row (:class:`CollectorMember`) every
quarter of its ``ttl`` and holds the devices it polls through per-device
ownership rows (:class:`DeviceOwner`: owner member and expiry, renewed with
every heartbeat). Which member should poll a device is rendezvous hashing over
the live members with bounded loads (:func:`assign`): a member that joins takes
only its share, the others keep theirs and keep running, and no member holds
more than 10 % over an even share (plain hashing leaves one of two members idle
for four devices one time in eight).

One heartbeat (:meth:`Membership.tick`), all in the database:

1. renew this member's row (gone: others declared it dead; it stops polling and
   joins again) and its ownership rows;
2. read the members; a dead one (expired, or its process gone on this machine:
   :func:`mikromon.web.monitor.lock.holder_is_gone`) is deleted;
3. release the rows of devices that moved to another member and that this member
   no longer polls (the service stopped their collectors at the reload before);
4. claim the devices hashed to it whose row is free, expired or held by a dead
   member, in one conditional ``UPDATE`` (atomic on PostgreSQL and SQLite: a row
   is never held by two members);
5. the devices to poll: those it holds and that hash to it.

Times written and compared are the database's clock on PostgreSQL (hosts need
not agree), this machine's on SQLite (one machine). A member that cannot renew
its rows for 70 % of ``ttl`` (database stalled or gone) stops polling before
others may take its devices over.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import DatabaseError, connections
from django.db.models import Q

from mikromon.web.control.models import CollectorMember, DeviceOwner
from mikromon.web.monitor.dbutil import database_now, sqlite_busy_timeout, usable_connection
from mikromon.web.monitor.lock import holder_is_gone, process_identity

__all__ = ["DEFAULT_TTL_S", "Membership", "assign", "pick"]

log = logging.getLogger("mikromon.schedule.service")

#: Seconds without a heartbeat after which a member is dead and its devices move.
DEFAULT_TTL_S = 15.0
#: Share of ``ttl`` a member keeps polling without a successful renewal: with a
#: heartbeat every quarter of ``ttl`` the failed heartbeat at 3/4 of ``ttl`` is
#: the last one before it stops, a quarter of ``ttl`` before its rows expire.
VALID_SHARE = 0.7
#: SQLite: the most milliseconds a heartbeat waits for another process's write
#: lock (at most one heartbeat interval: it must not sit in a long wait while its
#: claims run out).
BUSY_TIMEOUT_MS = 5000
#: A member holds at most ``(1 + BALANCE_SLACK)`` times an even share. Measured on
#: 3,000 devices and 3 members: with 0 (exactly even) about 0.5 % of the devices
#: move between the old members when one joins and 2 move when one is added; with
#: 0.1 none move but the new member's share.
BALANCE_SLACK = 0.1
#: Ids per ``IN (...)`` list.
CHUNK = 500


def _score(member_id: str, device_id: int) -> int:
    digest = hashlib.blake2b(f"{member_id}/{device_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def pick(device_id: int, members: Sequence[str]) -> str | None:
    """The member (its ``member_id``) that should poll ``device_id``: the highest
    rendezvous score among ``members``; ``None`` when there are none. Adding a
    member moves only the devices it now scores highest on."""
    if not members:
        return None
    return max(members, key=lambda m: (_score(m, device_id), m))


def assign(device_ids: Iterable[int], members: Sequence[str]) -> dict[int, str]:
    """Device id -> the member (``member_id``) that should poll it: rendezvous
    hashing with bounded loads. Devices in id order go to the highest-scoring
    member (:func:`pick`) that holds fewer than ``ceil((1 + BALANCE_SLACK) *
    devices / members)``; the same inputs in any order give the same owners on
    every member. ``{}`` when there are no members."""
    ids = sorted(set(device_ids))
    if not members or not ids:
        return {}
    ranked = sorted(set(members))
    cap = math.ceil((1 + BALANCE_SLACK) * len(ids) / len(ranked))
    load = dict.fromkeys(ranked, 0)
    owners: dict[int, str] = {}
    for device_id in ids:
        first = pick(device_id, ranked)
        if first is not None and load[first] < cap:
            chosen = first
        else:
            chosen = next(m for m in sorted(ranked, key=lambda m: (_score(m, device_id), m),
                                            reverse=True) if load[m] < cap)
        load[chosen] += 1
        owners[device_id] = chosen
    return owners


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


class Membership:
    """This process's membership (call from one thread at a time).

    Args:
        using: database alias.
        ttl: seconds without heartbeat before this member counts as dead (at least 1).
        member_id: default a random id.

    A heartbeat thread (``beat``) renews the member row and the claims every
    :attr:`heartbeat_s` besides :meth:`tick`, so that a member whose collector loop
    is busy for a while (a long reload on a loaded machine) is not taken for dead;
    claims and releases happen in :meth:`tick` only.

    Attributes:
        assigned: device ids this member holds and should poll (after the last tick).
        polling: device ids handed to the service at its last reload (see
            :meth:`mark_polling`); released only once out of it.
        live: member ids alive at the last tick.

    Raises:
        ValueError: ``ttl`` below 1 s.
    """

    def __init__(self, *, using: str = "default", ttl: float = DEFAULT_TTL_S,
                 member_id: str | None = None, beat: bool = True) -> None:
        if ttl < 1.0:
            raise ValueError(f"member ttl must be at least 1 s (got {ttl:g})")
        self.ttl = float(ttl)
        self.member_id = member_id or uuid.uuid4().hex
        self.assigned: frozenset[int] = frozenset()
        self.polling: frozenset[int] = frozenset()
        self.live: tuple[str, ...] = ()
        self.joined = False
        self._using = using
        self._valid_until = 0.0
        self._cpu = (time.monotonic(), _cpu_seconds())
        self._cpu_last = 0.0
        self._process = process_identity()
        self._beat = beat
        self._beat_stop = threading.Event()
        self._beat_thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @property
    def heartbeat_s(self) -> float:
        """Seconds between two heartbeats (a quarter of ``ttl``)."""
        return self.ttl / 4

    @property
    def valid(self) -> bool:
        """Whether the last successful renewal is recent enough to keep polling."""
        return self.joined and time.monotonic() < self._valid_until

    def db_now(self) -> datetime:
        """The database's clock (PostgreSQL), else this machine's; aware UTC
        (:func:`~mikromon.web.monitor.dbutil.database_now`)."""
        return database_now(self._using)

    def join(self) -> None:
        """Write this member's row and take a first heartbeat (claims included).

        Raises:
            DatabaseError: the database refused.
        """
        started = time.monotonic()
        now = self.db_now()
        CollectorMember.objects.using(self._using).update_or_create(
            member_id=self.member_id,
            defaults={"host": socket.gethostname(), "pid": os.getpid(),
                      "process": self._process, "started_at": now, "heartbeat": now,
                      "expires_at": now + timedelta(seconds=self.ttl)},
        )
        self.joined = True
        self.assigned = frozenset()
        self.polling = frozenset()
        self._valid_until = started + self.ttl * VALID_SHARE
        log.info("joined the collector members as %s (heartbeat every %g s, dead after %g s)",
                 self.member_id[:8], self.heartbeat_s, self.ttl)
        self.tick()
        self._start_beat()

    def _start_beat(self) -> None:
        if not self._beat or (self._beat_thread is not None and self._beat_thread.is_alive()):
            return
        self._beat_stop.clear()
        self._beat_thread = threading.Thread(target=self._beating, daemon=True,
                                             name="mikromon-member-heartbeat")
        self._beat_thread.start()

    def _beating(self) -> None:
        try:
            while not self._beat_stop.wait(self.heartbeat_s):
                try:
                    if not self.renew():
                        return  # declared dead: the next tick says so
                except DatabaseError as err:
                    log.debug("collector member heartbeat (thread) failed: %s", err)
        finally:
            connections[self._using].close()

    def _stop_beat(self) -> None:
        self._beat_stop.set()
        thread, self._beat_thread = self._beat_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def renew(self) -> bool:
        """Renew this member's row and its claims (any thread); ``False`` when the
        row is gone (declared dead).

        Raises:
            DatabaseError: the database refused.
        """
        conn = usable_connection(self._using)
        with sqlite_busy_timeout(conn, min(BUSY_TIMEOUT_MS, int(self.heartbeat_s * 1000))):
            return self._renew(time.monotonic(), self.db_now())

    def _renew(self, started: float, now: datetime) -> bool:
        expires = now + timedelta(seconds=self.ttl)
        with self._mutex:
            cpu = self._cpu_pct()
        if not CollectorMember.objects.using(self._using).filter(
                member_id=self.member_id).update(heartbeat=now, expires_at=expires,
                                                 devices=len(self.polling), cpu_pct=cpu):
            return False
        DeviceOwner.objects.using(self._using).filter(owner=self.member_id).update(
            expires_at=expires)
        with self._mutex:
            self._valid_until = max(self._valid_until, started + self.ttl * VALID_SHARE)
        return True

    def tick(self) -> bool:
        """One heartbeat (see the module's description); ``False`` when this member
        was declared dead by the others (its row is gone: stop polling, join again).

        Raises:
            DatabaseError: the database refused (the caller keeps polling while
                :attr:`valid`).
        """
        conn = usable_connection(self._using)
        with sqlite_busy_timeout(conn, min(BUSY_TIMEOUT_MS, int(self.heartbeat_s * 1000))):
            return self._tick()

    def _tick(self) -> bool:
        started = time.monotonic()
        now = self.db_now()
        expires = now + timedelta(seconds=self.ttl)
        members = CollectorMember.objects.using(self._using)
        owners = DeviceOwner.objects.using(self._using)
        if not self._renew(started, now):
            log.warning("this collector member was declared dead by the others; "
                        "polling stops, joining again")
            self._stop_beat()
            self.joined = False
            self.assigned = frozenset()
            return False
        dead: list[str] = []
        live: list[str] = []
        for row in members.only("member_id", "host", "process", "expires_at"):
            gone = row.expires_at < now or holder_is_gone(row.host, row.process)
            (dead if gone and row.member_id != self.member_id else live).append(row.member_id)
        if dead:
            members.filter(member_id__in=dead).delete()
            log.warning("collector member(s) %s dead: taking their devices over",
                        ", ".join(m[:8] for m in dead))
        self.live = tuple(sorted(live))
        enabled = _enabled_devices(self._using)
        desired = {d for d, m in assign(enabled, self.live).items() if m == self.member_id}
        held = set(owners.filter(owner=self.member_id).values_list("device_id", flat=True))
        release = held - desired - set(self.polling)
        for chunk in _chunks(release):
            owners.filter(owner=self.member_id, device_id__in=chunk).update(
                owner="", expires_at=None)
        self._claim(desired - held, now, expires, dead)
        held = set(owners.filter(owner=self.member_id).values_list("device_id", flat=True))
        self.assigned = frozenset(held & desired)
        return True

    def _claim(self, wanted: set[int], now: datetime, expires: datetime,
               dead: list[str]) -> None:
        if not wanted:
            return
        owners = DeviceOwner.objects.using(self._using)
        have: set[int] = set()
        for chunk in _chunks(wanted):
            have.update(owners.filter(device_id__in=chunk).values_list("device_id", flat=True))
        owners.bulk_create([DeviceOwner(device_id=d) for d in sorted(wanted - have)],
                           ignore_conflicts=True)
        free = Q(owner="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now)
        if dead:
            free |= Q(owner__in=dead)
        for chunk in _chunks(wanted):
            owners.filter(free, device_id__in=chunk).update(
                owner=self.member_id, expires_at=expires, claimed_at=now)

    def mark_polling(self, device_ids: Iterable[int]) -> None:
        """Record the devices handed to the service (its reload stops the others)."""
        self.polling = frozenset(device_ids)

    def leave(self) -> None:
        """Release every device and delete this member's row; never raises."""
        self._stop_beat()
        was, self.joined = self.joined, False
        self.assigned = self.polling = frozenset()
        if not was:
            return
        try:
            usable_connection(self._using)
            DeviceOwner.objects.using(self._using).filter(owner=self.member_id).update(
                owner="", expires_at=None)
            CollectorMember.objects.using(self._using).filter(
                member_id=self.member_id).delete()
            log.info("left the collector members")
        except DatabaseError as err:
            log.warning("leaving the collector members incompletely: %s", err)

    def _cpu_pct(self) -> float:
        """CPU of this process since the previous measure, % of one core; over half
        a heartbeat at least (the heartbeat thread and :meth:`tick` both ask)."""
        wall, cpu = time.monotonic(), _cpu_seconds()
        last_wall, last_cpu = self._cpu
        if wall - last_wall < self.heartbeat_s / 2:
            return self._cpu_last
        self._cpu = (wall, cpu)
        self._cpu_last = round(100.0 * (cpu - last_cpu) / max(wall - last_wall, 1e-3), 1)
        return self._cpu_last

    def close(self) -> None:
        """Stop the heartbeat thread; close this thread's connection."""
        self._stop_beat()
        connections[self._using].close()


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _enabled_devices(using: str) -> list[int]:
    from mikromon.web.monitor.models import Device

    return list(Device.objects.using(using).filter(enabled=True)
                .values_list("pk", flat=True))
