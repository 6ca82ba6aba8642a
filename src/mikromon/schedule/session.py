"""One router's session for the scheduler: connect, back off, wait out a refused login.

The tiers of a device share one session (:class:`DeviceSession`), opened lazily
on first need; the client's own lock keeps one command in flight. On a broken
connection the client is closed and the next run reconnects; failed connection
attempts back off exponentially (5 s .. 5 min) and refused credentials wait
15 min (or until the device's configuration changes: routers lock out clients
that keep guessing). What each attempt meant for the device (up again, down,
login refused) is the caller's to report (:class:`SessionListener`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import mikromon.schedule.trigger as trigger
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
)
from mikromon.routeros.base import RouterOSSession
from mikromon.schedule.deps import CollectorDeps

#: The lines about a device's polling share one logger, whichever module writes them.
log = logging.getLogger("mikromon.schedule.device")

#: Errors that mean the session is gone (it is dropped; the next run reconnects).
CONNECTION_ERRORS = (DeviceUnreachable, ConnectionLost, MalformedReply)


class NotConnected(Exception):
    """No session now (backing off, or the attempt just failed and was reported)."""


def describe(err: BaseException) -> str:
    """Return ``err`` for a line that names the device already: a DeviceError's
    message and command (not its device), else the text or the type's name."""
    if isinstance(err, DeviceError):
        text = err.message or type(err).__name__
        return f"{text} (command {err.command})" if err.command else text
    return str(err) or type(err).__name__


class SessionListener(Protocol):
    """Told what a connection attempt meant for the device (the collector)."""

    def connected(self) -> None:
        """A session opened (after a failure or not)."""
        ...

    def connect_failed(self, err: BaseException, message: str, delay: float,
                       failures: int) -> None:
        """An attempt failed with ``err`` (``message``: :func:`describe`); the next
        waits ``delay`` seconds; ``failures`` in a row so far."""
        ...

    def login_refused(self, reason: str, error: str, delay: float) -> None:
        """The router refused the login (``reason``: what it said; ``error``: the
        device's error text); not tried again for ``delay`` seconds."""
        ...

    def connect_crashed(self) -> bool:
        """Whether an unexpected error while connecting is news (logged with its
        traceback; ``False``: the device is down already)."""
        ...


class DeviceSession:
    """The one session of one router, as its tiers share it. Event-loop only.

    Args:
        config: the device.
        deps: ``connect``, the backoffs and the time scale.
        listener: told the outcome of every attempt.
        auth_retry_at: monotonic seconds before which a refused login of this
            configuration is not tried again (0: none to wait out).
        auth_error: the error of that refused login.

    Attributes:
        client: the open session, ``None`` when there is none.
        retry_at: monotonic seconds before which no attempt is made.
        error: the last attempt's error (``""`` before any failure).
        attempts: connection attempts made.
        failures: attempts that failed or were refused.
    """

    def __init__(self, config: DeviceConfig, deps: CollectorDeps, listener: SessionListener,
                 *, auth_retry_at: float = 0.0, auth_error: str = "") -> None:
        self._config = config
        self._deps = deps
        self._listener = listener
        scale = deps.time_scale
        self.backoff = trigger.Backoff(deps.backoff_base_s * scale, deps.backoff_cap_s * scale)
        self._lock = asyncio.Lock()
        self.client: RouterOSSession | None = None
        self.retry_at = auth_retry_at
        self.error = auth_error
        self.attempts = 0
        self.failures = 0

    async def open(self) -> RouterOSSession:
        """Return the open session, connecting if there is none (or it was closed,
        e.g. by a command timeout).

        Raises:
            NotConnected: backing off, or this attempt failed (already reported).
        """
        client = self.client
        if client is not None and not client.closed:
            return client
        async with self._lock:
            client = self.client
            if client is not None:
                if not client.closed:
                    return client
                await self.drop(client)
            if self._deps.clock.monotonic() < self.retry_at:
                raise NotConnected(self.error or "not connected (reconnect pending)")
            self.attempts += 1
            limit = self._config.connect_timeout + 1.0
            try:
                client = await asyncio.wait_for(self._deps.connect(self._config), limit)
            except TimeoutError:
                err = DeviceUnreachable(f"no session within {limit:g} s")
                self.connect_failed(err)
                raise NotConnected(describe(err)) from None
            except AuthenticationFailed as err:
                self.login_refused(err)
                raise NotConnected(self.error) from None
            except DeviceError as err:
                self.connect_failed(err)
                raise NotConnected(describe(err)) from None
            except Exception as err:
                if self._listener.connect_crashed():
                    log.exception("device %s: unexpected error while connecting",
                                  self._config.label)
                self.connect_failed(err)
                raise NotConnected(f"{type(err).__name__}: {err}") from None
            self.client = client
            self.backoff.success()
            self.retry_at = 0.0
            self._listener.connected()
            return client

    async def takes_a_session(self, limit: float) -> bool:
        """Whether the router opens a new session (connect and login) within ``limit``
        seconds; an opened one becomes the session. A refused login also counts as
        an answer (the next run reports it)."""
        async with self._lock:
            await self.drop(self.client)
            self.attempts += 1
            try:
                client = await asyncio.wait_for(self._deps.connect(self._config), limit)
            except AuthenticationFailed:
                return True
            except Exception as err:  # no answer in time, refused, reset: all "silent"
                log.debug("device %s: no new session within %g s: %s",
                          self._config.label, limit, describe(err))
                return False
            self.client = client
            return True

    async def drop(self, client: RouterOSSession | None) -> None:
        """Close ``client`` if it is still the current session (never raises)."""
        if client is None or client is not self.client:
            return
        self.client = None
        try:
            await asyncio.wait_for(client.close(), 2.0)
        except Exception as err:  # close() should not raise; never let it stop us
            log.debug("device %s: closing the session failed: %s", self._config.label, err)

    def connect_failed(self, err: BaseException) -> None:
        """Count a failed attempt (or a router found silent) and back off."""
        self.failures += 1
        delay = self.backoff.failure()
        self.retry_at = self._deps.clock.monotonic() + delay
        self.error = describe(err)
        self._listener.connect_failed(err, self.error, delay, self.backoff.failures)

    def login_refused(self, err: AuthenticationFailed) -> None:
        """Count a refused login and wait the auth backoff before the next."""
        delay = self._deps.auth_backoff_s * self._deps.time_scale
        self.retry_at = self._deps.clock.monotonic() + delay
        self.failures += 1
        reason = err.message or "the router gave no reason"
        self.error = f"login refused: {reason}"
        self._listener.login_refused(reason, self.error, delay)
