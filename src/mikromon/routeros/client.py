"""The RouterOS API client: librouteros's asyncio API behind mikromon's
:class:`~mikromon.routeros.base.RouterOSClient` Protocol.

This is the only module that imports librouteros (it ships no type information,
so every loosely typed value stays in here). What it adds on top of the library:

* **Connect**: plain TCP or API-SSL per :class:`~mikromon.domain.devices.TlsVerify`
  (:func:`mikromon.routeros.tls.tls_context`), one deadline (``connect_timeout``)
  for TCP, TLS and login together. A TLS failure is an error, never a reason to try plaintext.
* **Login**: the plain form first (``/login =name= =password=``, RouterOS >= 6.43);
  only if that ``!done`` carries ``=ret=<challenge>`` (a pre-6.43 router) the MD5
  challenge round (§5). Never a bare ``/login`` probe (6.44-6.47 routers answer
  it with a challenge and then refuse the MD5 response).
* **Commands**: one at a time per connection (``asyncio.Lock``), one deadline
  (``command_timeout``) for the whole reply, ``!empty`` (7.18+) read as no rows,
  ``=ret=`` of ``!done`` kept (``count-only``), rows as ``dict[str, str]`` exactly
  as on the wire: librouteros's ``parse_word`` (which turns ``true`` into ``True``
  and ``"1500"`` into ``1500``) is bypassed.
* **Text**: words are read as bytes and decoded with
  :func:`~mikromon.routeros.values.decode_text` (UTF-8, then the device's codepage);
  words sent are encoded in the device's codepage (UTF-8 when it cannot express them).
* **Reading**: by default a buffered protocol object that parses whole chunks
  (:class:`~mikromon.routeros.framing.SentenceReader`) instead of librouteros's
  three awaited reads per word; ``connect(..., buffered=False)`` keeps the stock
  reader (bench/client_read.py compares them).
* **Bounds**: every reply is bounded in rows and bytes (a
  :class:`~mikromon.routeros.base.ReplyLimit` per command, declared by the
  collector; :data:`COUNT_REPLY_LIMIT` and :data:`LOGIN_REPLY_LIMIT` for counts
  and logins); past it :class:`~mikromon.domain.errors.ReplyTooLarge` names the
  command and the limit and the connection is closed. Both readers check each
  length prefix before reading its word, so memory stays within the limit.
* **TLS**: a handshake that fails because of the device's TLS settings raises
  :class:`~mikromon.domain.errors.TlsSetupFailed` naming the cause and the setting
  (:func:`tls_failure`), never a "router down" error.
* **Errors**: library and socket errors become :mod:`mikromon.domain.errors` at one
  boundary (:func:`_errors`), raised ``from`` the original. Messages name the device
  and the command, never a password; login words are never logged.

After a timeout, a lost connection or a malformed reply the connection is closed
(the stream can no longer be trusted) and every later call raises
:class:`~mikromon.domain.errors.ConnectionLost`: connect again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from librouteros import async_create_transport
from librouteros.api import AsyncApi
from librouteros.connections import AsyncSocketTransport
from librouteros.exceptions import (
    ConnectionClosed,
    FatalError,
    LibRouterosError,
)
from librouteros.protocol import AsyncApiProtocol, encode_length

from mikromon.domain.devices import DeviceConfig, TlsVerify
from mikromon.domain.errors import (
    AuthenticationFailed,
    CommandFailed,
    CommandTimeout,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    PathAbsent,
    ReplyTooLarge,
    TlsSetupFailed,
)
from mikromon.routeros.base import DEFAULT_REPLY_LIMIT, ReplyLimit, Row
from mikromon.routeros.framing import (
    MAX_REPLY_WORD,
    MAX_SENTENCE,
    MAX_SENTENCE_WORDS,
    MAX_WORD,
    FramingError,
    SentenceReader,
    SentenceTooLarge,
)
from mikromon.routeros.tls import tls_context
from mikromon.routeros.values import decode_text

__all__ = [
    "COUNT_REPLY_LIMIT", "LOGIN_REPLY_LIMIT", "LibRouterOSClient", "connect", "small_int",
    "tls_context", "tls_failure",
]

log = logging.getLogger(__name__)

#: Bytes asked of the socket per read by the buffered protocol.
_CHUNK: Final = 65536
#: Trap texts meaning "this menu/command is not on this router" (§3: unknown
#: command traps; v6 path on v7 in mktxp issue #161).
_ABSENT_MESSAGES: Final = ("no such command prefix", "no such command or directory")
_REPLY_WORDS: Final = frozenset({"!re", "!done", "!trap", "!empty"})
#: What a ``!trap``'s ``=category=`` means (shared/ROUTEROS-API.md §3, from the
#: RouterOS API manual), in words shown after the router's message.
TRAP_CATEGORIES: Final[Mapping[int, str]] = {
    0: "missing item or command",
    1: "argument value failure",
    2: "command interrupted",
    3: "scripting failure",
    4: "general failure",
    5: "API failure",
    6: "TTY failure",
    7: "value returned by :return",
}
#: A number in brackets at the end of a trap message (``invalid user name or
#: password (6)``): an internal code of RouterOS that no manual explains (it is not
#: the category: that trap has no ``=category=``), so it is not shown.
_INTERNAL_CODE: Final = re.compile(r"\s*\(\d+\)$", re.ASCII)
#: The reply of a ``count-only`` print: one ``!done`` (a trap at most), no rows.
COUNT_REPLY_LIMIT: Final = ReplyLimit(rows=16, bytes=64 * 1024)
#: The reply of one ``/login`` sentence: ``!done`` (with a challenge) or a trap.
LOGIN_REPLY_LIMIT: Final = ReplyLimit(rows=16, bytes=64 * 1024)
#: Digits a number from the router may have (2**64 has 20).
_MAX_DIGITS: Final = 20


def small_int(text: str) -> int | None:
    """Return ``text`` as a non-negative int when it is 1-20 ASCII digits, else ``None``.

    Router text such as ``=ret=`` of ``count-only`` or a trap's ``=category=``
    goes through here: ``str.isdigit()`` accepts ``"²"`` and ``"٣"`` and
    strings of any length, which ``int()`` then rejects with ``ValueError``
    (or takes long to convert); this never raises.
    """
    if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


# --- words out ----------------------------------------------------------------------


def _encode_text(text: str, encoding: str) -> bytes:
    """Encode ``text`` in the device's codepage, UTF-8 when it cannot express it."""
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError):
        return text.encode("utf-8", errors="replace")


def _encode_word(word: str, encoding: str) -> bytes:
    data = _encode_text(word, encoding)
    prefix: bytes = encode_length(len(data))  # librouteros is untyped
    return prefix + data


def _encode_sentence(words: Sequence[str], encoding: str) -> bytes:
    return b"".join(_encode_word(word, encoding) for word in words) + b"\x00"


# --- protocol objects (librouteros's layer below AsyncApi) --------------------------


class _StockProtocol(AsyncApiProtocol):
    """librouteros's own reader (one awaited read per length byte and per word).

    Words are decoded as latin-1 (every byte maps to one code point, so nothing is
    lost) and re-decoded by :class:`_RawApi`; sentences are written in the device's
    codepage without librouteros's debug log of every word (which would log the
    password of ``/login``).
    """

    def __init__(self, transport: AsyncSocketTransport, device_encoding: str) -> None:
        super().__init__(transport=transport, encoding="latin-1", timeout=None)
        self.device_encoding = device_encoding

    async def writeSentence(self, cmd: str, *words: str) -> None:  # librouteros method name
        await self.transport.write(_encode_sentence((cmd, *words), self.device_encoding))

    async def readSentence(self) -> tuple[str, tuple[str, ...]]:  # librouteros method name
        reply_word, words, _ = await self.read_sentence(MAX_SENTENCE)
        return reply_word, words

    async def read_sentence(self, max_bytes: int) -> tuple[str, tuple[str, ...], int]:
        """Read one sentence of at most ``max_bytes`` wire bytes, word by word.

        Returns:
            ``(reply word, other words, wire bytes)``, words decoded as latin-1.

        Raises:
            FramingError: a reserved control byte, an over-long word.
            SentenceTooLarge: the sentence grew past ``max_bytes`` (checked from
                each length prefix, before its word is read).
            FatalError: a ``!fatal`` sentence (the connection is closed).
        """
        read = self.transport.read
        limit = min(max_bytes, MAX_SENTENCE)
        words: list[bytes] = []
        size = 0
        while True:
            first = (await read(1))[0]
            if first < 0x80:
                length, extra = first, b""
            elif first < 0xC0:
                extra = await read(1)
                length = ((first & 0x3F) << 8) | extra[0]
            elif first < 0xE0:
                extra = await read(2)
                length = int.from_bytes(bytes([first & 0x1F]) + extra, "big")
            elif first < 0xF0:
                extra = await read(3)
                length = int.from_bytes(bytes([first & 0x0F]) + extra, "big")
            elif first == 0xF0:
                extra = await read(4)
                length = int.from_bytes(extra, "big")
            else:
                raise FramingError(f"reserved control byte 0x{first:02X} in reply")
            size += 1 + len(extra)
            if length == 0:
                if words:
                    break
                size = 0  # an empty sentence: skipped
                continue
            if not words and length > MAX_REPLY_WORD:
                raise FramingError(f"reply word of {length} bytes")
            if length > MAX_WORD:
                raise FramingError(f"word of {length} bytes (at most {MAX_WORD})")
            size += length
            if size > limit:
                raise SentenceTooLarge(
                    f"sentence of more than {limit} bytes ({size} so far)", size=size,
                    limit=limit,
                )
            if len(words) >= MAX_SENTENCE_WORDS:
                raise SentenceTooLarge(
                    f"sentence of more than {MAX_SENTENCE_WORDS} words", size=len(words),
                    limit=MAX_SENTENCE_WORDS, unit="words",
                )
            word = await read(length)
            if not words and not word.startswith(b"!"):
                raise FramingError(f"reply starts with {word[:16]!r}, not a !word")
            words.append(word)
        reply_word = words[0].decode("latin-1")
        rest = tuple(word.decode("latin-1") for word in words[1:])
        if reply_word == "!fatal":
            await self.transport.close()
            raise FatalError(rest[0] if rest else "")
        return reply_word, rest, size

    async def close(self) -> None:
        await self.transport.close()


class _BufferedProtocol(_StockProtocol):
    """Reads whole chunks and parses every complete sentence in them."""

    def __init__(self, transport: AsyncSocketTransport, device_encoding: str) -> None:
        super().__init__(transport, device_encoding)
        self._frames = SentenceReader()

    async def read_sentence(self, max_bytes: int) -> tuple[str, tuple[str, ...], int]:
        """Read one sentence of at most ``max_bytes`` wire bytes from whole chunks.

        Returns and raises as :meth:`_StockProtocol.read_sentence`; the cost is
        linear in the bytes received (:class:`SentenceReader` resumes, never re-parses).
        """
        frames = self._frames
        frames.max_sentence = max_bytes
        while (sentence := frames.next_sentence()) is None:
            chunk = await self.transport.reader.read(_CHUNK)
            if not chunk:
                raise ConnectionClosed("Connection unexpectedly closed.")
            frames.feed(chunk)
        reply_word = sentence[0].decode("latin-1")
        words = tuple(word.decode("latin-1") for word in sentence[1:])
        if reply_word == "!fatal":
            self.transport.writer.close()
            raise FatalError(words[0] if words else "")
        return reply_word, words, frames.last_size


# --- replies ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Reply:
    """Everything one command got back: ``!re`` rows, ``!trap`` attributes, the
    ``!done`` attributes and whether an ``!empty`` came."""

    rows: list[Row] = field(default_factory=list)
    traps: list[dict[str, str]] = field(default_factory=list)
    done: dict[str, str] = field(default_factory=dict)
    empty: bool = False


class _MalformedSentence(Exception):
    """A sentence that parsed as framing but is not a valid reply."""


class _OverLimit(Exception):
    """A reply went past its :class:`ReplyLimit` (or a sentence past
    :data:`MAX_SENTENCE`); becomes :class:`ReplyTooLarge` at the boundary."""

    def __init__(self, message: str, limit: int, unit: str) -> None:
        self.limit = limit
        self.unit = unit
        super().__init__(message)


class _RawApi(AsyncApi):
    """librouteros ``AsyncApi`` that keeps words as text and ``!done`` attributes."""

    protocol: _StockProtocol

    def __init__(self, protocol: _StockProtocol, encoding: str) -> None:
        super().__init__(protocol=protocol)
        self.encoding = encoding

    def _attributes(self, words: tuple[str, ...]) -> dict[str, str]:
        attributes: dict[str, str] = {}
        for word in words:
            if word.startswith("="):
                if not word.isascii():
                    word = decode_text(word.encode("latin-1"), self.encoding)
                parts = word.split("=", 2)
                if len(parts) != 3:
                    raise _MalformedSentence(f"attribute word without value: {word[:40]!r}")
                attributes[parts[1]] = parts[2]
            elif not word.startswith("."):  # ``.tag=`` and other API attribute words
                raise _MalformedSentence(f"unexpected word {word[:40]!r}")
        return attributes

    async def exchange(
        self, command: str, words: Sequence[str], limit: ReplyLimit = DEFAULT_REPLY_LIMIT
    ) -> _Reply:
        """Send one command sentence and read sentences up to its ``!done``.

        Every sentence before ``!done`` (``!re``, ``!trap``, ``!empty``) counts
        against ``limit.rows``; the wire bytes of all of them against
        ``limit.bytes``, checked from each length prefix before the word is read,
        so a reply past its limit costs at most the limit in memory.

        Raises:
            _OverLimit: past ``limit`` (rows or bytes) or :data:`MAX_SENTENCE`.
            FramingError, _MalformedSentence, and what the transport raises.
        """
        await self.protocol.writeSentence(command, *words)
        reply = _Reply()
        used = sentences = 0
        while True:
            budget = limit.bytes - used
            try:
                reply_word, sentence, size = await self.protocol.read_sentence(budget)
            except SentenceTooLarge as err:
                if err.unit == "words":
                    raise _OverLimit(str(err), MAX_SENTENCE_WORDS, "words") from err
                if budget < MAX_SENTENCE:
                    raise _OverLimit(
                        f"reply larger than its limit of {limit.bytes} bytes",
                        limit.bytes, "bytes",
                    ) from err
                raise _OverLimit(
                    f"a sentence larger than {MAX_SENTENCE} bytes", MAX_SENTENCE, "bytes"
                ) from err
            used += size
            if reply_word != "!done":
                sentences += 1
                if sentences > limit.rows:
                    raise _OverLimit(
                        f"reply has more than its limit of {limit.rows} rows", limit.rows,
                        "rows",
                    )
            if reply_word not in _REPLY_WORDS:
                raise _MalformedSentence(f"unknown reply word {reply_word[:20]!r}")
            attributes = self._attributes(sentence)
            if reply_word == "!re":
                reply.rows.append(attributes)
            elif reply_word == "!trap":
                reply.traps.append(attributes)
            elif reply_word == "!empty":
                reply.empty = True
            else:
                reply.done = attributes
                return reply


# --- the error boundary -------------------------------------------------------------------


@dataclass(slots=True)
class _Where:
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


#: OpenSSL reasons of a handshake the router refused for want of a common suite
#: (a client asking for a certificate meets a router that has none, or the other
#: way round): the alert the client receives, or the server's own reason.
_REFUSED_HANDSHAKE: Final = frozenset({
    "SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER", "NO_CIPHERS_AVAILABLE",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY",
})
#: OpenSSL reasons of a peer that does not speak TLS at all (the plain API port).
_NOT_TLS: Final = frozenset({"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST"})


def tls_failure(err: BaseException, mode: TlsVerify, device: str = "") -> TlsSetupFailed | None:
    """Tell a TLS handshake failure caused by the device's TLS settings apart.

    Source: shared/ROUTEROS-API.md §8: a router whose API-SSL service has no
    certificate (``certificate=none``) offers only anonymous Diffie-Hellman suites,
    so a client that wants a certificate gets a handshake failure alert ("no shared
    cipher" on the router's side); some TLS stacks reset the connection instead of
    sending the alert (the emulator, behind asyncio's TLS layer, does).

    Args:
        err: what the handshake raised.
        mode: the device's :class:`TlsVerify` setting used for it.
        device: the device label for the message.

    Returns:
        A :class:`TlsSetupFailed` naming the cause and the setting that fixes it,
        or ``None`` when ``err`` says nothing about the settings.
    """
    if isinstance(err, ssl.SSLCertVerificationError):
        detail = err.verify_message or err.reason or "verify failed"
        return TlsSetupFailed(
            f"TLS certificate rejected ({detail}): the router's certificate is not "
            "trusted here or does not name the host; trust its CA, connect by the name "
            "in it, or set the device's TLS mode to no-verify (encrypted, unverified)",
            device=device, cause="certificate-rejected",
        )
    if isinstance(err, ssl.SSLError):
        reason = err.reason or ""
        if reason in _NOT_TLS:
            return TlsSetupFailed(
                f"the port does not speak TLS ({reason.lower().replace('_', ' ')}): it "
                "is probably the plain API port (8728); use the API-SSL port (8729) or "
                "turn the device's API-SSL setting off", device=device, cause="not-tls",
            )
        if reason not in _REFUSED_HANDSHAKE:
            return None
        what = f"handshake failure: {reason.lower().replace('_', ' ')}"
    elif isinstance(err, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        what = "connection reset during the handshake"
    else:
        return None
    if mode is TlsVerify.ANONYMOUS_DH:
        return TlsSetupFailed(
            f"TLS handshake refused ({what}): the router does not offer anonymous "
            "Diffie-Hellman, so its API-SSL service has a certificate; set the "
            "device's TLS mode to verify or no-verify",
            device=device, cause="certificate-present",
        )
    return TlsSetupFailed(
        f"TLS handshake refused ({what}): the router's API-SSL service probably has "
        "no certificate (then it offers only anonymous Diffie-Hellman); set the "
        "device's TLS mode to anonymous-dh, or give the service a certificate",
        device=device, cause="no-certificate",
    )


@contextlib.contextmanager
def _errors(device: str, where: _Where, *, connecting: bool, limit: float) -> Iterator[None]:
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
    except _OverLimit as err:
        raise ReplyTooLarge(
            f"{err}; connection closed", device=device, command=where.command,
            limit=err.limit, unit=err.unit,
        ) from err
    except (FramingError, _MalformedSentence, LibRouterosError) as err:
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


# --- login ---------------------------------------------------------------------------------


def _challenge_response(password: str, challenge: str, encoding: str) -> str:
    """``"00" + md5(b"\\x00" + password + unhex(challenge))`` (shared/ROUTEROS-API.md §5)."""
    try:
        secret = bytes.fromhex(challenge)
    except ValueError as err:
        raise _MalformedSentence("login challenge is not hex") from err
    digest = hashlib.md5(
        b"\x00" + _encode_text(password, encoding) + secret, usedforsecurity=False
    )
    return "00" + digest.hexdigest()


def trap_text(traps: Sequence[Mapping[str, str]]) -> str:
    """Return the operator's text of one reply's ``!trap`` sentences.

    Each trap's ``=message=`` without a trailing internal code (``(6)``, see
    :data:`_INTERNAL_CODE`), followed by what its ``=category=`` means in brackets
    (:data:`TRAP_CATEGORIES`; ``category N`` for an unknown number); traps are
    joined with ``"; "``. ``""`` when no trap says anything.

    Example: ``=message=input does not match any value of interface``
    ``=category=1`` -> ``input does not match any value of interface (argument
    value failure)``.
    """
    parts = []
    for trap in traps:
        message = _INTERNAL_CODE.sub("", trap.get("message", ""))
        category = trap.get("category", "")
        if category:
            number = small_int(category)
            meaning = (TRAP_CATEGORIES.get(number, f"category {number}") if number is not None
                       else f"category {category[:20]!r}")
            message = f"{message} ({meaning})" if message else meaning
        if message:
            parts.append(message)
    return "; ".join(parts)


def _refused(reply: _Reply, device: str) -> None:
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


async def _login(api: _RawApi, config: DeviceConfig) -> None:
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


def _command(path: str, verb: str = "") -> str:
    """``"/ip/address"`` + ``"print"`` -> ``"/ip/address/print"`` (spaces become ``/``)."""
    parts = [part for part in path.replace(" ", "/").split("/") if part]
    if verb:
        parts.append(verb)
    if not parts:
        raise ValueError(f"not a RouterOS command path: {path!r}")
    return "/" + "/".join(parts)


def _attribute_words(args: Mapping[str, str] | None) -> list[str]:
    return [f"={key}={value}" for key, value in (args or {}).items()]


def _query_words(query: Sequence[str]) -> list[str]:
    return [word if word.startswith("?") else f"?{word}" for word in query]


@dataclass(slots=True)
class _Shared:
    """What the clients of one connection share: one command at a time, and
    whether the connection is closed."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closed: bool = False


class LibRouterOSClient:
    """A logged-in API session with one router (see :func:`connect`).

    Implements :class:`mikromon.routeros.base.RouterOSClient`. One command runs at a
    time; others wait on the connection's lock. Safe to share between the tiers of
    one device inside one event loop.
    """

    def __init__(
        self, api: _RawApi, transport: AsyncSocketTransport, config: DeviceConfig,
        *, command_timeout: float | None = None, shared: _Shared | None = None,
    ) -> None:
        """Wrap a logged-in librouteros API object; use :func:`connect` instead."""
        self._api = api
        self._transport = transport
        self._config = config
        self._device = config.label
        self._where = config.endpoint
        self._command_timeout = (
            config.command_timeout if command_timeout is None else command_timeout
        )
        self._shared = shared if shared is not None else _Shared()

    def __repr__(self) -> str:
        state = "closed" if self._shared.closed else "open"
        return f"<LibRouterOSClient {self._device} {self._where} {state}>"

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by :meth:`close` or after a failure)."""
        return self._shared.closed

    @property
    def command_timeout(self) -> float:
        """Seconds each command of this client may take for its whole reply."""
        return self._command_timeout

    def with_timeout(self, seconds: float) -> LibRouterOSClient:
        """Return a client on the same connection (same lock, closed together)
        whose commands may take ``seconds`` each instead.

        A tier whose replies are tiny (realtime) uses a short limit, one that reads
        big tables the device's ``command_timeout``; when either times out the
        shared connection is closed, and every client on it raises
        :class:`ConnectionLost` from then on.

        Raises:
            ValueError: ``seconds`` is not positive.
        """
        if not seconds > 0:
            raise ValueError(f"command timeout must be > 0 s, got {seconds}")
        return LibRouterOSClient(
            self._api, self._transport, self._config, command_timeout=seconds,
            shared=self._shared,
        )

    async def print(
        self,
        path: str,
        proplist: Sequence[str],
        query: Sequence[str] = (),
        args: Mapping[str, str] | None = None,
        *,
        limit: ReplyLimit | None = None,
    ) -> list[Row]:
        """Run ``<path>/print`` with ``=.proplist=`` and query words.

        Args:
            path: menu path, e.g. ``/interface``.
            proplist: field names to return (must not be empty).
            query: query words, with or without the leading ``?``
                (``"?type=ether"``, ``"?#|"``).
            args: extra attribute words, e.g. ``{"stats": ""}``.
            limit: most rows and bytes the reply may have
                (:data:`~mikromon.routeros.base.DEFAULT_REPLY_LIMIT` when ``None``).

        Returns:
            One ``dict[str, str]`` per ``!re`` sentence, values as on the wire;
            ``[]`` for ``!empty`` or no rows.

        Raises:
            ValueError: ``proplist`` is empty (a programming error).
            PathAbsent: the menu is not on this router.
            CommandFailed: any other ``!trap``.
            CommandTimeout: no complete reply within ``command_timeout`` seconds.
            ConnectionLost: the connection closed (now or earlier).
            MalformedReply: the bytes were not a RouterOS reply.
            ReplyTooLarge: the reply went past ``limit`` (the connection is closed).
        """
        if not proplist:
            raise ValueError(f"print of {path} needs a proplist")
        command = _command(path, "print")
        words = [f"=.proplist={','.join(proplist)}", *_attribute_words(args), *_query_words(query)]
        return (await self._run(command, words, is_print=True, limit=limit)).rows

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        """Return how many items ``<path>/print =count-only=`` counts (its ``=ret=``).

        The reply may have at most :data:`COUNT_REPLY_LIMIT` sentences and bytes.

        Raises:
            MalformedReply: ``!done`` carried no count of 1-20 ASCII digits.
            PathAbsent, CommandFailed, CommandTimeout, ConnectionLost, ReplyTooLarge:
                as :meth:`print`.
        """
        command = _command(path, "print")
        reply = await self._run(
            command, ["=count-only=", *_query_words(query)], is_print=True,
            limit=COUNT_REPLY_LIMIT,
        )
        ret = reply.done.get("ret")
        if ret is None and reply.empty and not reply.rows:
            return 0
        number = None if ret is None else small_int(ret)
        if number is None:
            shown = ret if ret is None or len(ret) <= 40 else ret[:40] + "..."
            raise MalformedReply(
                f"count-only reply has no count (ret={shown!r})", device=self._device,
                command=command,
            )
        return number

    async def call(
        self, command: str, args: Mapping[str, str] | None = None, *,
        limit: ReplyLimit | None = None,
    ) -> list[Row]:
        """Run any other command and return its ``!re`` rows.

        Args:
            command: full command path, e.g. ``/interface/monitor-traffic``.
            args: attribute words, e.g. ``{"interface": "ether1", "once": ""}``
                (bound monitor commands with ``once``: they stream otherwise).
            limit: as :meth:`print`.

        Raises:
            PathAbsent, CommandFailed, CommandTimeout, ConnectionLost, MalformedReply,
                ReplyTooLarge: as :meth:`print`.
        """
        return (await self._run(
            _command(command), _attribute_words(args), is_print=False, limit=limit
        )).rows

    async def close(self) -> None:
        """Close the connection (without waiting for a running command); never raises."""
        self._abort()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await self._transport.writer.wait_closed()

    def _abort(self) -> None:
        """Mark the connection unusable and close the socket now."""
        self._shared.closed = True
        with contextlib.suppress(Exception):
            self._transport.writer.close()

    async def _run(
        self, command: str, words: Sequence[str], *, is_print: bool, limit: ReplyLimit | None
    ) -> _Reply:
        async with self._shared.lock:
            if self._shared.closed:
                raise ConnectionLost(
                    "connection is closed; connect again", device=self._device, command=command
                )
            started = time.perf_counter()
            finished = False
            try:
                with _errors(
                    self._device, _Where(command), connecting=False, limit=self._command_timeout
                ):
                    async with asyncio.timeout(self._command_timeout):
                        reply = await self._api.exchange(
                            command, words, DEFAULT_REPLY_LIMIT if limit is None else limit
                        )
                finished = True
            finally:
                if not finished:  # error or cancellation mid-reply: the stream is out of step
                    self._abort()
        log.debug(
            "%s: %s -> %d rows in %.1f ms", self._device, command, len(reply.rows),
            (time.perf_counter() - started) * 1000,
        )
        if reply.traps:
            raise self._trap_error(command, reply.traps, is_print=is_print)
        return reply

    def _trap_error(
        self, command: str, traps: list[dict[str, str]], *, is_print: bool
    ) -> DeviceError:
        messages = [trap.get("message", "") for trap in traps]
        category = small_int(traps[0].get("category", ""))
        absent = any(m.startswith(_ABSENT_MESSAGES) for m in messages) or (
            is_print and category == 0
        )
        if absent:
            text = "; ".join(m for m in messages if m) or "no such command"
            return PathAbsent(f"not on this router: {text}", device=self._device, command=command)
        text = trap_text(traps) or "command failed"
        return CommandFailed(text, device=self._device, command=command, category=category)


async def connect(config: DeviceConfig, *, buffered: bool = True) -> LibRouterOSClient:
    """Open an API session with one router and log in.

    Args:
        config: the device; uses ``host``, ``port``, ``use_ssl``, ``tls_verify``,
            ``username``, ``password``, ``encoding``, ``connect_timeout`` (seconds
            for TCP + TLS + login together) and ``command_timeout`` (seconds per
            command, used later).
        buffered: read replies in whole chunks (default); ``False`` uses
            librouteros's stock word-by-word reader.

    Returns:
        A logged-in :class:`LibRouterOSClient`; close it with ``await client.close()``.

    Raises:
        DeviceUnreachable: refused, reset, timed out, or the router closed the
            session during login.
        TlsSetupFailed: the TLS handshake failed because of the device's TLS
            settings (:func:`tls_failure`): no certificate on the router, a
            certificate where anonymous DH was asked for, or a certificate rejected.
        AuthenticationFailed: the router refused the user name or password.
        MalformedReply: the peer does not speak the RouterOS API.
    """
    context = tls_context(config.tls_verify) if config.use_ssl else None
    transport: AsyncSocketTransport | None = None
    where = _Where(tls=context is not None, tls_verify=config.tls_verify)
    try:
        with _errors(config.label, where, connecting=True, limit=config.connect_timeout):
            async with asyncio.timeout(config.connect_timeout):
                transport = await async_create_transport(
                    host=config.host, port=config.port, saddr=None,
                    timeout=config.connect_timeout, ssl_wrapper=context,
                )
                protocol_type = _BufferedProtocol if buffered else _StockProtocol
                api = _RawApi(protocol_type(transport, config.encoding), config.encoding)
                where.command, where.tls = "/login", False
                await _login(api, config)
    except BaseException:
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.writer.close()
        raise
    log.debug("%s: logged in at %s:%d", config.label, config.host, config.port)
    return LibRouterOSClient(api, transport, config)
