"""Operational tables: API tokens, the collector lease, maintenance watermarks."""

from __future__ import annotations

import hashlib
import logging
import queue
import secrets
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)

#: Length of the visible token prefix kept for display, characters.
TOKEN_PREFIX_LENGTH = 8


def hash_token(raw: str) -> str:
    """Return the SHA-256 hex digest stored for an API token.

    Tokens are 256-bit random values, so a fast hash is enough (nothing to brute force).
    """
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API, owned by a user.

    Only the SHA-256 of the token is stored; the token itself is shown once, when
    :meth:`issue` creates it. ``prefix`` (its first characters) identifies it in lists.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "name"]
        verbose_name = "API token"
        constraints = [
            models.UniqueConstraint(fields=["key_hash"], name="monitor_apitoken_hash_unique"),
            models.UniqueConstraint(fields=["user", "name"], name="monitor_apitoken_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: models.Model, name: str) -> tuple[ApiToken, str]:
        """Create a token for ``user``; return the row and the raw token (shown once)."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[:TOKEN_PREFIX_LENGTH], key_hash=hash_token(raw)
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken | None:
        """Return the active token matching ``raw``, or ``None`` when it is unknown
        or its user is inactive.

        Reads only: ``last_used`` is recorded by :func:`record_token_use` off the
        request's path (at most once per :data:`LAST_USED_EVERY_S` per token), so a
        locked database never slows or fails a read.
        """
        if not raw:
            return None
        token = (
            cls.objects.select_related("user")
            .filter(key_hash=hash_token(raw), user__is_active=True)
            .first()
        )
        if token is not None:
            record_token_use(token)
        return token


#: ``ApiToken.last_used`` is written at most this often per token, seconds.
LAST_USED_EVERY_S = 60.0

_use_lock = threading.Lock()
#: (token id, key hash) -> monotonic time its last-used write was queued.
_use_queued: dict[tuple[int, str], float] = {}
_use_queue: queue.SimpleQueue[tuple[int, datetime] | threading.Event] = queue.SimpleQueue()
_use_thread: threading.Thread | None = None


def record_token_use(token: ApiToken) -> None:
    """Queue the write of ``token.last_used`` (now) unless the token was written in
    the last :data:`LAST_USED_EVERY_S` seconds; never blocks and never raises.

    The write runs in a daemon thread with its own database connection: a held
    write lock (SQLite) delays that thread, never the request. A write that fails
    is dropped (``last_used`` is informational).
    """
    now = timezone.now()
    if token.last_used is not None and (now - token.last_used).total_seconds() < \
            LAST_USED_EVERY_S:
        return
    mono = time.monotonic()
    with _use_lock:
        ident = (token.pk, token.key_hash)
        queued = _use_queued.get(ident)
        if queued is not None and mono - queued < LAST_USED_EVERY_S:
            return
        _use_queued[ident] = mono
        if len(_use_queued) > 10_000:  # forget old entries (many tokens)
            for key in [k for k, v in _use_queued.items() if mono - v >= LAST_USED_EVERY_S]:
                del _use_queued[key]
    _ensure_thread()
    _use_queue.put((token.pk, now))


def _ensure_thread() -> None:
    global _use_thread
    with _use_lock:
        if _use_thread is None or not _use_thread.is_alive():
            _use_thread = threading.Thread(target=_write_uses, name="mikromon-token-use",
                                           daemon=True)
            _use_thread.start()


def _write_uses() -> None:
    from django.db import connection

    while True:
        item = _use_queue.get()
        if isinstance(item, threading.Event):
            item.set()
            continue
        pk, when = item
        try:
            ApiToken.objects.filter(pk=pk).filter(
                Q(last_used__isnull=True) | Q(last_used__lt=when)
            ).update(last_used=when)
        except Exception:
            log.debug("could not record the use of API token %s", pk, exc_info=True)
        finally:
            if _use_queue.empty():
                connection.close()


def flush_token_uses(timeout: float = 30.0) -> bool:
    """Wait until the ``last_used`` writes queued so far are done (tests, shutdown);
    return whether they were within ``timeout`` seconds."""
    done = threading.Event()
    _ensure_thread()
    _use_queue.put(done)
    return done.wait(timeout)


class CollectorLease(models.Model):
    """The single row naming the collector that currently owns this database.

    Written by :class:`mikromon.web.monitor.lock.DjangoCollectorLock`; ``owner`` is
    empty when nobody holds it. ``heartbeat`` is refreshed while the owner runs;
    ``expires_at`` is when another collector may take over (SQLite lease mode);
    ``process`` identifies the holder's process on its machine
    (:func:`mikromon.web.monitor.lock.process_identity`), so that a collector
    restarted there after a crash sees the lease's process is gone and takes over
    at once.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    owner = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    process = models.CharField(max_length=160, blank=True, default="")
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "collector lease"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="monitor_collectorlease_single_row"),
        ]

    def __str__(self) -> str:
        if not self.owner:
            return "collector lease (free)"
        return f"collector lease held by {self.host} pid {self.pid}"


class MaintenanceState(models.Model):
    """Named integer watermarks of the maintenance jobs (``rollup_300``: every
    5-minute bucket starting before this Unix second is computed)."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
