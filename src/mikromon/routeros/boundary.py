"""The error boundary of the RouterOS client: where library, socket and TLS
errors become :mod:`mikromon.domain.errors` types (raised ``from`` the original).

:func:`device_errors` is the one place that translation happens, for connecting,
logging in and every command; :class:`Where` tells it what was running.
Messages name the device and the command, never a password.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError

from mikromon.domain.devices import TlsVerify
from mikromon.domain.errors import (
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    ReplyTooLarge,
)
from mikromon.routeros.framing import FramingError
from mikromon.routeros.reply import MalformedSentence, OverLimit
from mikromon.routeros.tls import tls_failure

__all__ = ["Where", "device_errors"]



@dataclass(slots=True)
class Where:
    """What is running, for error messages: ``""`` while opening the socket (with
    ``tls`` set during a TLS handshake), then ``/login``, then each command."""

    command: str = ""
    tls: bool = False
    tls_verify: TlsVerify | None = None


def _os_error_text(err: OSError) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, ConnectionResetError):
        return "connection reset"
    if isinstance(err, BrokenPipeError | ConnectionAbortedError):
        return "connection closed"
    return err.strerror or str(err) or type(err).__name__



@contextlib.contextmanager
def device_errors(device: str, where: Where, *, connecting: bool, limit: float) -> Iterator[None]:
    """Translate library, socket and TLS errors into mikromon's DeviceError types.

    The one place where library exceptions become domain errors (raised ``from``
    the original). DeviceErrors raised inside pass through unchanged.

    Args:
        device: the device label for messages.
        where: the command running when the error happened.
        connecting: True while connecting and logging in: a broken connection
            then means the router is unreachable rather than "lost".
        limit: the deadline in seconds, for the timeout message.
    """
    lost = DeviceUnreachable if connecting else ConnectionLost
    try:
        yield
    except DeviceError:
        raise
    except TimeoutError as err:
        if connecting:
            raise DeviceUnreachable(
                f"no connection and login within {limit:g} s", device=device,
                command=where.command,
            ) from err
        raise CommandTimeout(
            f"no complete reply within {limit:g} s", device=device, command=where.command,
            waited_s=limit,
        ) from err
    except ssl.SSLError as err:
        if where.tls and where.tls_verify is not None:
            setup = tls_failure(err, where.tls_verify, device)
            if setup is not None:
                raise setup from err
        what = "TLS handshake failed" if connecting else "TLS error"
        raise lost(
            f"{what}: {err.reason or err.strerror or err}", device=device, command=where.command
        ) from err
    except FatalError as err:
        raise lost(
            f"router ended the session: {err}", device=device, command=where.command
        ) from err
    except (ConnectionClosed, asyncio.IncompleteReadError) as err:
        raise lost(
            "connection closed by the router", device=device, command=where.command
        ) from err
    except OverLimit as err:
        raise ReplyTooLarge(
            f"{err}; connection closed", device=device, command=err.command or where.command,
            limit=err.limit, unit=err.unit,
        ) from err
    except (FramingError, MalformedSentence, LibRouterosError) as err:
        raise MalformedReply(
            f"not a RouterOS API reply: {err}", device=device, command=where.command
        ) from err
    except OSError as err:  # refused, reset, unreachable network, broken pipe
        if where.tls and where.tls_verify is not None:
            setup = tls_failure(err, where.tls_verify, device)
            if setup is not None:
                raise setup from err
        text = _os_error_text(err)
        if where.tls and not isinstance(err, ConnectionRefusedError):
            text = f"TLS handshake failed: {text}"
        raise lost(text, device=device, command=where.command) from err


