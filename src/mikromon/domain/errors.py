"""The error hierarchy of mikromon.

::

    MikromonError
     ├── DeviceError                 something went wrong talking to one router
     │    ├── DeviceUnreachable      TCP/TLS connect failed or timed out
     │    │    └── CommandTimeout    a command got no complete reply in time
     │    ├── TlsSetupFailed         API-SSL settings do not match the router's
     │    │                          (no certificate, certificate not trusted)
     │    ├── AuthenticationFailed   the router refused the credentials
     │    ├── PathAbsent             the path/package is not on this router (``!trap``)
     │    ├── CommandFailed          any other ``!trap`` reply
     │    ├── ConnectionLost         the connection closed in the middle of a reply
     │    └── MalformedReply         bytes that are not a RouterOS API reply
     │         └── ReplyTooLarge     a reply past its command's row or byte limit
     ├── ValueParseError            a RouterOS value string could not be parsed
     ├── ConfigError                invalid configuration (intervals, device fields)
     ├── StorageProcessError        a storage call run in a child process failed
     ├── StorageUnavailable         the database takes no writes now (busy, locked,
     │                              full, unreachable): nothing stored, try again
     └── PartialWrite               some devices' rows of a call were not stored

Messages name the device and the command; they never contain a password.
"""

from __future__ import annotations


class MikromonError(Exception):
    """Base class of every error mikromon raises on purpose."""


class DeviceError(MikromonError):
    """A failure while talking to one router.

    Args:
        message: what happened, in words an operator understands.
        device: the device's name (or ``host:port`` when it has none yet).
        command: the RouterOS command involved (``/interface/print``), if any.
    """

    def __init__(self, message: str, *, device: str = "", command: str = "") -> None:
        self.message = message
        self.device = device
        self.command = command
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.device:
            parts.append(f"device {self.device}")
        if self.command:
            parts.append(f"command {self.command}")
        where = f" ({', '.join(parts)})" if parts else ""
        return f"{self.message}{where}"


class DeviceUnreachable(DeviceError):
    """The router could not be reached: connection refused, reset, or connect timeout."""


class CommandTimeout(DeviceUnreachable):
    """A command got no complete reply within its time limit.

    Attributes:
        waited_s: seconds waited since the command was sent (its time limit), or
            ``None`` when unknown.
    """

    def __init__(
        self, message: str, *, device: str = "", command: str = "",
        waited_s: float | None = None,
    ) -> None:
        self.waited_s = waited_s
        super().__init__(message, device=device, command=command)


class AuthenticationFailed(DeviceError):
    """The router refused the user name or password. Not retried in a tight loop:
    routers lock out clients that keep trying."""


class PathAbsent(DeviceError):
    """The path or its package does not exist on this router (e.g. no hotspot,
    no wireless package, v6 path on v7). Detected from the ``!trap`` reply
    (``no such command prefix`` / ``no such command or directory``)."""


class CommandFailed(DeviceError):
    """The router answered a command with a ``!trap`` other than a missing path.

    Attributes:
        category: the trap's ``=category=`` (0..7) or ``None`` when absent.
    """

    def __init__(
        self, message: str, *, device: str = "", command: str = "", category: int | None = None
    ) -> None:
        self.category = category
        super().__init__(message, device=device, command=command)


class ConnectionLost(DeviceError):
    """The connection closed while a reply was being read."""


class MalformedReply(DeviceError):
    """The router sent bytes that do not form a valid RouterOS API reply."""


class ReplyTooLarge(MalformedReply):
    """A command's reply went past the rows or bytes a real reply of it fits
    under (a router streaming ``!re`` rows without ``!done``, a sentence that
    never ends). The connection is closed: the rest of the reply is not read.

    Attributes:
        path: the command whose reply it was (``/ip/route/print``).
        limit: the limit passed, as a number.
        unit: what ``limit`` counts: ``"rows"``, ``"bytes"`` or ``"words"``.
    """

    def __init__(
        self, message: str, *, device: str = "", command: str = "", limit: int = 0,
        unit: str = "rows",
    ) -> None:
        self.path = command
        self.limit = limit
        self.unit = unit
        super().__init__(message, device=device, command=command)


class TlsSetupFailed(DeviceError):
    """API-SSL could not be set up because the device's TLS settings do not match
    the router (the router is up and answered the handshake).

    Two causes are told apart: the router has no certificate (it offers only
    anonymous Diffie-Hellman suites, so a client asking for a certificate gets a
    handshake failure; the fix is the device's ``anonymous-dh`` TLS mode), and a
    certificate that is not trusted or does not name the host (fix: trust it, or
    the ``no-verify`` mode). The message names the cause and the setting.

    Attributes:
        cause: ``"no-certificate"`` (the router offers only anonymous DH),
            ``"certificate-present"`` (anonymous DH asked, the router has a
            certificate), ``"certificate-rejected"``, ``"not-tls"`` (the port
            speaks plain API), or ``"handshake"``.
    """

    def __init__(self, message: str, *, device: str = "", command: str = "",
                 cause: str = "handshake") -> None:
        self.cause = cause
        super().__init__(message, device=device, command=command)


class ValueParseError(MikromonError, ValueError):
    """A RouterOS value string could not be parsed.

    Attributes:
        kind: what was expected (``duration``, ``bool``, ``bytes``, ...).
        value: the offending text.
        reason: why a value of the right form is still refused (``"above 100"``:
            a value no router can have), ``""`` when the form itself is wrong.
    """

    def __init__(self, kind: str, value: object, reason: str = "") -> None:
        self.kind = kind
        self.value = value
        self.reason = reason
        text = f"not a RouterOS {kind}: {value!r}"
        super().__init__(f"{text} ({reason})" if reason else text)


class ConfigError(MikromonError, ValueError):
    """Invalid configuration; the message names the field and the rule broken."""


class StorageProcessError(MikromonError):
    """A storage call forwarded to a child process failed: the child raised, died,
    or did not answer in time.

    Attributes:
        method: the storage method called (``write_samples_many``, ``close``...).
        reason: the child's exception as ``Type: message``, or what happened to
            the child (``exited with code -9``, ``no reply within 120 s``).
    """

    def __init__(self, method: str, reason: str) -> None:
        self.method = method
        self.reason = reason
        super().__init__(f"storage process: {method} failed: {reason}")


class StorageUnavailable(MikromonError):
    """The database cannot take writes right now: busy or locked by another
    writer (SQLite's "database is locked" after the busy timeout), full, or not
    reachable (PostgreSQL connection lost). Nothing of the call was stored; the
    same call may succeed later, so a writer keeps the rows queued and retries.

    Attributes:
        reason: the database's message, as ``Type: message``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"database unavailable: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason,))


class PartialWrite(MikromonError):
    """A storage call covering several devices stored some of them only.

    Attributes:
        written: rows stored (points for samples, events for events).
        failed: device id -> reason, for devices whose rows were refused for
            good (a value the database rejects; retrying would fail again): those
            rows are lost and should be counted against that device.
        pending: ids of devices not written because the database became
            unavailable meanwhile (see :class:`StorageUnavailable`): retry them.
    """

    def __init__(self, written: int, failed: dict[int, str],
                 pending: tuple[int, ...] = ()) -> None:
        self.written = written
        self.failed = dict(failed)
        self.pending = tuple(pending)
        parts = [f"{len(self.failed)} device(s) failed"]
        if self.pending:
            parts.append(f"{len(self.pending)} device(s) pending (database unavailable)")
        first = next(iter(sorted(self.failed.items())), None)
        detail = f"; device id {first[0]}: {first[1]}" if first else ""
        super().__init__(f"partial write ({', '.join(parts)}; {written} row(s) stored){detail}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.written, self.failed, self.pending))
