"""Limits on failed sign-ins and bad API tokens, counted per user name and per
client address in Django's cache.

A key (a user name, an address) is refused once it has ``failures`` failures in
the last ``window_s`` seconds, until the oldest of them is ``window_s`` old. A
successful sign-in clears the user name's count, not the address's (one good
account must not reset the count of an address guessing at others).

The cache is Django's default one: in-process memory unless ``CACHES`` names
another, so with several web processes each counts on its own (``mikromon
serve`` runs one). Counting is read-modify-write without a lock: two failures at
the same instant may count once, which only makes the limit slightly looser.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failures per key within ``window_s`` seconds."""

    failures: int
    window_s: float


class FailureCounter:
    """Failures per key in a sliding window (Unix seconds kept in the cache).

    Args:
        name: the counter's name, part of the cache keys (``signin-user``).
        setting: the key of ``settings.MIKROMON_RATE_LIMITS`` holding its
            :class:`Limit` (read on each use, so tests and settings may change it).
    """

    def __init__(self, name: str, setting: str) -> None:
        self.name = name
        self.setting = setting

    @property
    def limit(self) -> Limit:
        """The current :class:`Limit` (``settings.MIKROMON_RATE_LIMITS[setting]``:
        a ``(failures, window_s)`` pair)."""
        failures, window_s = settings.MIKROMON_RATE_LIMITS[self.setting]
        return Limit(int(failures), float(window_s))

    def _key(self, key: str) -> str:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"mikromon:ratelimit:{self.name}:{digest}"

    def _recent(self, key: str, now: float) -> list[float]:
        stamps = cache.get(self._key(key)) or []
        return [t for t in stamps if now - t < self.limit.window_s]

    def blocked_for(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again (0.0 when it may now)."""
        now = time.time() if now is None else now
        limit = self.limit
        recent = self._recent(key, now)
        if len(recent) < limit.failures:
            return 0.0
        return max(0.0, recent[-limit.failures] + limit.window_s - now)

    def record(self, key: str, now: float | None = None) -> None:
        """Count one failure of ``key``."""
        now = time.time() if now is None else now
        limit = self.limit
        recent = ([*self._recent(key, now), now])[-limit.failures:]
        cache.set(self._key(key), recent, timeout=math.ceil(limit.window_s) + 1)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key``."""
        cache.delete(self._key(key))


#: Failed sign-ins per user name (the sign-in page and the admin's).
SIGNIN_PER_USER = FailureCounter("signin-user", "signin_per_user")
#: Failed sign-ins per client address.
SIGNIN_PER_ADDRESS = FailureCounter("signin-address", "signin_per_address")
#: Unknown or revoked API tokens per client address.
TOKEN_PER_ADDRESS = FailureCounter("token-address", "token_per_address")


def client_address(request: HttpRequest) -> str:
    """The address the request came from (``REMOTE_ADDR``). Behind a reverse proxy
    uvicorn puts the client's address there from ``X-Forwarded-For`` when the
    proxy is in ``FORWARDED_ALLOW_IPS``; otherwise it is the proxy's address
    (docs/operations.md, Behind a reverse proxy)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def normalize_username(username: object) -> str:
    """The user name as counted: stripped and case-folded (so ``Alice`` and
    ``alice`` share one count)."""
    return str(username or "").strip().casefold()[:150]


def wait_text(seconds: float) -> str:
    """``"3 minutes"``, ``"45 seconds"``: how long to wait, rounded up."""
    if seconds > 90:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    whole = max(1, math.ceil(seconds))
    return f"{whole} second{'s' if whole != 1 else ''}"
