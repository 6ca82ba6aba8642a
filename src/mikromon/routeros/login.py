"""Logging in to a router over the API: the plain form, then the MD5
challenge round only when a pre-6.43 router asks for it.

Source: shared/ROUTEROS-API.md §5. Never a bare ``/login`` probe (6.44-6.47
routers answer it with a challenge and then refuse the MD5 response); the login
words are never logged.
"""

from __future__ import annotations

import hashlib
from typing import Final

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import AuthenticationFailed
from mikromon.routeros.base import ReplyLimit
from mikromon.routeros.reply import MalformedSentence, RawApi, Reply, trap_text
from mikromon.routeros.wire import encode_text

__all__ = ["LOGIN_REPLY_LIMIT", "login"]

#: The reply of one ``/login`` sentence: ``!done`` (with a challenge) or a trap.
LOGIN_REPLY_LIMIT: Final = ReplyLimit(rows=16, bytes=64 * 1024)


def _challenge_response(password: str, challenge: str, encoding: str) -> str:
    """``"00" + md5(b"\\x00" + password + unhex(challenge))`` (shared/ROUTEROS-API.md §5)."""
    try:
        secret = bytes.fromhex(challenge)
    except ValueError as err:
        raise MalformedSentence("login challenge is not hex") from err
    digest = hashlib.md5(
        b"\x00" + encode_text(password, encoding) + secret, usedforsecurity=False
    )
    return "00" + digest.hexdigest()


def _refused(reply: Reply, device: str) -> None:
    """Raise :class:`AuthenticationFailed` when the login reply has a ``!trap``.

    The message is the router's reason only (``invalid user name or password``,
    ``cannot log in``; see :func:`trap_text`): the error's type says the login was
    refused, and whoever reports it says so once (``login refused: <message>``).
    """
    if reply.traps:
        raise AuthenticationFailed(
            trap_text(reply.traps) or "the router gave no reason", device=device,
            command="/login",
        )


async def login(api: RawApi, config: DeviceConfig) -> None:
    """Log in: plain first, the MD5 challenge round only if the router asks for it."""
    name = f"=name={config.username}"
    reply = await api.exchange(
        "/login", (name, f"=password={config.password}"), LOGIN_REPLY_LIMIT
    )
    _refused(reply, config.label)
    challenge = reply.done.get("ret")
    if challenge:  # pre-6.43 router: it ignored the password and sent a challenge
        response = _challenge_response(config.password, challenge, config.encoding)
        reply = await api.exchange(
            "/login", (name, f"=response={response}"), LOGIN_REPLY_LIMIT
        )
        _refused(reply, config.label)


# --- the client -----------------------------------------------------------------------------
