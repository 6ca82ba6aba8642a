"""DjangoCollectorLock: one active collector per database
(:class:`mikromon.storage.protocols.CollectorLock`).

Two mechanisms, chosen by database:

``advisory`` (PostgreSQL, the default there): ``pg_try_advisory_lock`` on a
dedicated connection. The server releases it the moment the holder's session
ends (process exit, crash, network loss), so a waiting collector takes over on
its next ``acquire()``. ``refresh()`` checks that the connection is still alive.

``lease`` (SQLite, the default there; available everywhere): the single
``CollectorLease`` row names the owner and an expiry ``ttl`` seconds ahead.
``refresh()`` renews it; another collector takes over once it has expired
(the holder died or stalled), and the old holder's next ``refresh()`` returns
``False``. Call ``refresh()`` every ``ttl / 3`` seconds (``refresh_interval``).
Clocks: all collectors of one SQLite file run on one machine, so they share a clock.

In both modes the ``CollectorLease`` row shows who holds the lock (host, pid,
heartbeat) for the UI, and the holder's process identity
(:func:`process_identity`): a collector restarted on the same machine after a
crash (SIGKILL, OOM kill) sees that the lease's process is gone and takes the
lease at once instead of waiting for it to expire. Methods may be called from
any thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone

from mikromon.web.monitor.dbutil import (
    close_connection,
    sqlite_busy_timeout,
    usable_connection,
)
from mikromon.web.monitor.models import CollectorLease

log = logging.getLogger(__name__)

#: SQLite: milliseconds a lease renewal waits for the write lock; a busy
#: database does not lose the lease, so a short wait is enough.
RENEW_BUSY_TIMEOUT_MS = 1000

#: The advisory lock key: a signed 64-bit number derived from a fixed name.
ADVISORY_KEY = int.from_bytes(
    hashlib.sha256(b"mikromon.collector").digest()[:8], "big", signed=True
)


#: Where Linux keeps the per-boot random id, and the processes.
BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
PROC = Path("/proc")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of
    ``/proc/<pid>/stat``, proc(5)); '' when there is no such process."""
    stat = _read(PROC / str(pid) / "stat")
    # The command name (field 2) is in parentheses and may hold spaces or ")".
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_namespace() -> str:
    try:
        return os.readlink(PROC / "self" / "ns" / "pid")
    except OSError:
        return ""


def process_identity(pid: int | None = None) -> str:
    """Return ``"<boot id> <pid namespace> <pid> <start ticks>"`` for a process of
    this machine (default: this one), a string no other process gets while the
    machine runs (a pid is reused only with another start time); '' where it cannot
    be read (not Linux, no ``/proc``, the process is gone). Source: proc(5)."""
    pid = os.getpid() if pid is None else pid
    boot, namespace, ticks = _read(BOOT_ID_PATH), _pid_namespace(), _start_ticks(pid)
    if not (boot and namespace and ticks):
        return ""
    return f"{boot} {namespace} {pid} {ticks}"


def holder_is_gone(host: str, identity: str) -> bool:
    """Whether a lease written by ``identity`` (:func:`process_identity`) on
    ``host`` belongs to a process that no longer runs.

    Only a process of this machine, this boot and this pid namespace can be checked;
    for any other (another host, a container, an empty or unreadable identity) the
    answer is ``False``: its lease is left to expire."""
    if host != socket.gethostname() or not identity:
        return False
    parts = identity.split(" ")
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    boot, namespace, pid, ticks = parts
    if boot != _read(BOOT_ID_PATH) or namespace != _pid_namespace() or not boot:
        return False
    return _start_ticks(int(pid)) != ticks


def members_alive(using: str = "default") -> bool:
    """Whether collectors sharing the fleet (:mod:`mikromon.web.control.members`)
    live on this database: a single collector then waits (the two modes exclude
    each other)."""
    from mikromon.web.control.models import CollectorMember

    rows = CollectorMember.objects.using(using).filter(expires_at__gt=timezone.now())
    return any(not holder_is_gone(r.host, r.process) for r in rows.only("host", "process"))


class DjangoCollectorLock:
    """Make sure only one collector runs per database.

    Args:
        using: database alias.
        ttl: lease lifetime, seconds (lease mode; also shown as expiry in advisory mode).
        mode: ``"advisory"`` or ``"lease"``; default: advisory on PostgreSQL, else lease.
        clock: returns the current aware UTC datetime (injectable for tests).
        owner: this holder's id (default: a random UUID).

    Raises:
        ValueError: for an unknown mode, advisory mode on a database other than
            PostgreSQL, or a non-positive ttl.
    """

    def __init__(
        self,
        *,
        using: str = "default",
        ttl: float = 30.0,
        mode: str | None = None,
        clock: Callable[[], datetime] = timezone.now,
        owner: str | None = None,
    ) -> None:
        vendor = connections[using].vendor
        self.mode = mode or ("advisory" if vendor == "postgresql" else "lease")
        if self.mode not in ("advisory", "lease"):
            raise ValueError(f"unknown collector lock mode {self.mode!r} (advisory or lease)")
        if self.mode == "advisory" and vendor != "postgresql":
            raise ValueError(f"advisory collector lock needs PostgreSQL, not {vendor}")
        if ttl <= 0:
            raise ValueError(f"lock ttl must be positive seconds (got {ttl})")
        self.ttl = float(ttl)
        self.owner = owner or uuid.uuid4().hex
        self._using = using
        self._clock = clock
        self._conn: Any = None
        self._held = False
        self._busy = False  # the last refresh found the database busy
        self._mutex = threading.Lock()
        self._process = process_identity()

    @property
    def refresh_interval(self) -> float:
        """Seconds between :meth:`refresh` calls that keep the lease safely alive."""
        return self.ttl / 3

    @property
    def held(self) -> bool:
        """Whether this object believes it holds the lock (as of the last call)."""
        return self._held

    # -- Protocol ------------------------------------------------------------------

    def acquire(self) -> bool:
        """Try to become the active collector; ``True`` on success. Non-blocking.

        Not acquired while collectors sharing the fleet live on this database
        (:func:`members_alive`). Database errors count as "not acquired" (logged)
        so a caller can retry.
        """
        with self._mutex:
            try:
                if not self._held and members_alive(self._using):
                    return False
                if self.mode == "advisory":
                    self._held = self._advisory_acquire()
                else:
                    self._held = self._lease_acquire()
            except DatabaseError as err:
                log.warning("collector lock: acquire failed: %s", err)
                self._held = False
            return self._held

    def refresh(self) -> bool:
        """Renew the lock; ``False`` when it was lost (stop collecting).

        Lost means another holder: the lease row names another owner, or the
        advisory lock's session ended. A renewal that fails because the database
        is busy or unavailable (SQLite locked past its busy timeout, disk full,
        ``OperationalError``/``InterfaceError``) is not a loss: the lock is kept
        (logged once per stall) and renewed at the next refresh; if another
        collector took the lease over meanwhile (it expired), that refresh
        returns ``False``.
        """
        with self._mutex:
            if not self._held:
                return False
            try:
                if self.mode == "advisory":
                    self._held = self._advisory_alive()
                    if self._held:
                        self._write_row(self._clock(), renew_only=True)
                else:
                    self._held = self._lease_renew()
            except (OperationalError, InterfaceError) as err:
                if not self._busy:
                    log.warning("collector lock: the database is busy, lease not renewed "
                                "(still held; renewed when the database answers): %s", err)
                self._busy = True
                return True
            except DatabaseError as err:
                log.warning("collector lock: refresh failed, lock given up: %s", err)
                self._held = False
                self._close_dedicated()
            if self._busy and self._held:
                log.info("collector lock: lease renewed again after the database was busy")
            self._busy = False
            return self._held

    def release(self) -> None:
        """Give the lock up; never raises."""
        with self._mutex:
            was_held, self._held = self._held, False
            try:
                if self.mode == "advisory" and self._conn is not None and was_held:
                    with self._conn.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
                if was_held:
                    usable_connection(self._using)
                    CollectorLease.objects.using(self._using).filter(
                        pk=CollectorLease.SINGLETON_ID, owner=self.owner
                    ).update(owner="", expires_at=None)
            except Exception as err:  # release must never raise
                log.warning("collector lock: release incomplete: %s", err)
            finally:
                self._close_dedicated()

    def close(self) -> None:
        """Close the lock's connections (the advisory one, and this thread's); call
        from the thread that used the lock when it ends. Call :meth:`release` first
        to free a lease at once rather than at its expiry."""
        with self._mutex:
            self._close_dedicated()
            self._held = False
        close_connection(self._using)

    # -- lease mode ----------------------------------------------------------------

    def _lease_acquire(self) -> bool:
        usable_connection(self._using)
        now = self._clock()
        with transaction.atomic(using=self._using):
            row = (
                CollectorLease.objects.using(self._using)
                .select_for_update()
                .filter(pk=CollectorLease.SINGLETON_ID)
                .first()
            )
            if row is not None and row.owner and row.owner != self.owner:
                if row.expires_at is not None and row.expires_at > now:
                    if not holder_is_gone(row.host, row.process):
                        return False
                    log.warning(
                        "collector lock: taking over the lease of %s pid %s at once: "
                        "that process is gone (crashed or killed)", row.host, row.pid,
                    )
                else:
                    log.warning(
                        "collector lock: taking over the expired lease of %s pid %s",
                        row.host, row.pid,
                    )
            self._write_row(now)
        return True

    def _lease_renew(self) -> bool:
        conn = usable_connection(self._using)
        now = self._clock()
        with sqlite_busy_timeout(conn, RENEW_BUSY_TIMEOUT_MS):
            updated = (
                CollectorLease.objects.using(self._using)
                .filter(pk=CollectorLease.SINGLETON_ID, owner=self.owner)
                .update(heartbeat=now, expires_at=now + timedelta(seconds=self.ttl))
            )
        if not updated:
            log.warning("collector lock: lease lost to another collector")
        return bool(updated)

    def _write_row(self, now: datetime, *, renew_only: bool = False) -> None:
        usable_connection(self._using)
        leases = CollectorLease.objects.using(self._using)
        expires = now + timedelta(seconds=self.ttl)
        if renew_only:
            leases.filter(pk=CollectorLease.SINGLETON_ID, owner=self.owner).update(
                heartbeat=now, expires_at=expires
            )
            return
        leases.update_or_create(
            pk=CollectorLease.SINGLETON_ID,
            defaults={
                "owner": self.owner, "host": socket.gethostname(), "pid": os.getpid(),
                "process": self._process,
                "acquired_at": now, "heartbeat": now, "expires_at": expires,
            },
        )

    # -- advisory mode -------------------------------------------------------------

    def _advisory_acquire(self) -> bool:
        if self._held and self._advisory_alive():
            return True
        if self._conn is None:
            conn = connections.create_connection(self._using)
            conn.inc_thread_sharing()
            self._conn = conn
        with self._conn.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            got = bool(cursor.fetchone()[0])
        if not got:
            self._close_dedicated()
            return False
        self._write_row(self._clock())
        return True

    def _advisory_alive(self) -> bool:
        if self._conn is None:
            return False
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid::bigint = %s AND objid::bigint = %s",
                    [(ADVISORY_KEY >> 32) & 0xFFFFFFFF, ADVISORY_KEY & 0xFFFFFFFF],
                )
                return bool(cursor.fetchone()[0])
        except DatabaseError as err:
            log.warning("collector lock: lock connection lost: %s", err)
            self._close_dedicated()
            return False

    def _close_dedicated(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception as err:
                log.debug("collector lock: closing the lock connection: %s", err)
