"""The RouterOS API client: librouteros's asyncio API behind mikromon's
:class:`~mikromon.routeros.base.RouterOSClient` Protocol; the session and command
layer (:class:`LibRouterOSClient`, :func:`connect`).

Only :mod:`mikromon.routeros` imports librouteros (it ships no type information,
so every loosely typed value stays in this package). What it adds on top of the
library:

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
  :func:`~mikromon.routeros.values.text.decode_text` (UTF-8, then the device's codepage);
  words sent are encoded in the device's codepage (UTF-8 when it cannot express them).
* **Reading**: a buffered protocol parsing whole chunks (:class:`.wire.BufferedProtocol`),
  not three awaited reads per word; ``buffered=False`` keeps librouteros's (bench/client_read.py).
* **Bounds**: every reply is bounded in rows and bytes (a :class:`.base.ReplyLimit` per
  command, declared by the collector; :data:`COUNT_REPLY_LIMIT` and
  :data:`.login.LOGIN_REPLY_LIMIT` for counts and logins); past it :class:`.ReplyTooLarge`
  names the command and the limit and the connection is closed (:mod:`.reply`). Both
  readers check each length prefix before reading its word: memory stays within the limit.
* **TLS**: a handshake failing on the device's TLS settings raises :class:`.TlsSetupFailed`
  naming cause and setting (:func:`.tls.tls_failure`), never "router down".
* **Errors**: library and socket errors become :mod:`mikromon.domain.errors` at one boundary
  (:func:`~mikromon.routeros.boundary.device_errors`), raised ``from`` the original, naming
  device and command, never a password; login words are never logged (:mod:`.login`).

After a timeout, a lost connection or a malformed reply the connection is closed
(the stream can no longer be trusted) and every later call raises
:class:`~mikromon.domain.errors.ConnectionLost`: connect again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from librouteros import async_create_transport
from librouteros.connections import AsyncSocketTransport

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    CommandFailed,
    ConnectionLost,
    MalformedReply,
    PathAbsent,
)
from mikromon.routeros.base import (
    DEFAULT_REPLY_LIMIT,
    PrintReply,
    PrintRequest,
    ReplyLimit,
    Row,
)
from mikromon.routeros.boundary import Where, device_errors
from mikromon.routeros.login import login
from mikromon.routeros.reply import Command, RawApi, Reply, small_int, trap_text
from mikromon.routeros.tls import tls_context
from mikromon.routeros.wire import BufferedProtocol, StockProtocol

__all__ = ["COUNT_REPLY_LIMIT", "LibRouterOSClient", "connect"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Trap texts meaning "this menu/command is not on this router" (§3: unknown
#: command traps; v6 path on v7 in mktxp issue #161).
_ABSENT_MESSAGES: Final = ("no such command prefix", "no such command or directory")
#: The reply of a ``count-only`` print: one ``!done`` (a trap at most), no rows.
COUNT_REPLY_LIMIT: Final = ReplyLimit(rows=16, bytes=64 * 1024)


@functools.lru_cache(maxsize=1024)
def _command(path: str, verb: str = "") -> str:
    """``"/ip/address"`` + ``"print"`` -> ``"/ip/address/print"`` (spaces become ``/``;
    remembered: the tiers ask the same paths every run).

    Raises:
        ValueError: no path at all.
    """
    parts = [part for part in path.replace(" ", "/").split("/") if part]
    if verb:
        parts.append(verb)
    if not parts:
        raise ValueError(f"not a RouterOS command path: {path!r}")
    return "/" + "/".join(parts)


@functools.lru_cache(maxsize=1024)
def _print_words(
    path: str, proplist: tuple[str, ...], query: tuple[str, ...],
    args: tuple[tuple[str, str], ...],
) -> tuple[str, tuple[str, ...]]:
    """The command and words of a print (remembered: the tiers ask the same each run).

    Raises:
        ValueError: ``proplist`` is empty (a programming error), or no path.
    """
    if not proplist:
        raise ValueError(f"print of {path} needs a proplist")
    return _command(path, "print"), (
        f"=.proplist={','.join(proplist)}", *_attribute_words(dict(args)), *_query_words(query))


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
        self, api: RawApi, transport: AsyncSocketTransport, config: DeviceConfig,
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
        self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
        args: Mapping[str, str] | None = None, *, limit: ReplyLimit | None = None,
    ) -> list[Row]:
        """Run ``<path>/print`` with ``=.proplist=`` and query words.

        Arguments and rows as :meth:`mikromon.routeros.base.RouterOSClient.print`
        (the one place they are described): values as on the wire, ``[]`` for
        ``!empty`` or no rows.

        Raises:
            ValueError: ``proplist`` is empty (a programming error).
            PathAbsent: the menu is not on this router.
            CommandFailed: any other ``!trap``.
            CommandTimeout: no complete reply within ``command_timeout`` seconds.
            ConnectionLost: the connection closed (now or earlier).
            MalformedReply: the bytes were not a RouterOS reply.
            ReplyTooLarge: the reply went past ``limit`` (the connection is closed).
        """
        command, words = _print_words(path, tuple(proplist), tuple(query),
                                      tuple((args or {}).items()))
        return (await self._run(command, words, is_print=True, limit=limit)).rows

    async def print_many(self, requests: Sequence[PrintRequest]) -> list[PrintReply]:
        """Run several prints at once: their sentences written together, each
        tagged, and the replies read as they come, interleaved or not
        (shared/ROUTEROS-API.md §4): one round trip instead of one per print.

        Each print keeps its own reply limit. Together they get
        ``command_timeout`` once (the router runs them at the same time).
        ``!empty`` is no rows, as in :meth:`print`.

        Returns:
            Per request, in order: its rows, or the ``PathAbsent`` /
            ``CommandFailed`` its ``!trap`` means (that print alone failed).

        Raises:
            ValueError: a request without a proplist (a programming error).
            CommandTimeout: not every reply complete within ``command_timeout``
                (its ``command`` is the first print not answered).
            MalformedReply: a reply sentence without a tag or with a tag of no
                running command (named), or bytes that are no reply (its
                ``command``: the first print not answered then).
            ConnectionLost, ReplyTooLarge: as :meth:`print` (a reply past its
                own limit names its command). After any of these the connection
                is closed.
        """
        commands = [
            Command(*_print_words(r.path, r.proplist, r.query, tuple((r.args or {}).items())),
                    DEFAULT_REPLY_LIMIT if r.limit is None else r.limit)
            for r in requests
        ]
        if len(commands) == 1:  # nothing to wait for together: no tag needed
            one = commands[0]
            replies = [await self._locked(
                Where(one.command), lambda: self._api.exchange(one.command, one.words, one.limit))]
        else:
            where = Where(commands[0].command)
            replies = await self._locked(where,
                                         lambda: self._api.exchange_tagged(commands, where))
        return [
            self._trap_error(c.command, reply.traps, is_print=True) if reply.traps else reply.rows
            for c, reply in zip(commands, replies, strict=True)
        ]

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
    ) -> Reply:
        reply = await self._locked(Where(command), lambda: self._api.exchange(
            command, words, DEFAULT_REPLY_LIMIT if limit is None else limit))
        if reply.traps:
            raise self._trap_error(command, reply.traps, is_print=is_print)
        return reply

    async def _locked(self, where: Where, exchange: Callable[[], Awaitable[_T]]) -> _T:
        """Await ``exchange()`` holding the connection, within ``command_timeout``,
        library errors translated (:func:`device_errors`, naming ``where.command``); any
        error or cancellation mid-reply closes the connection (the stream is out
        of step).

        Raises:
            ConnectionLost: the connection was closed before.
            DeviceError: from :func:`device_errors`.
        """
        async with self._shared.lock:
            if self._shared.closed:
                raise ConnectionLost(
                    "connection is closed; connect again", device=self._device,
                    command=where.command,
                )
            started = time.perf_counter()
            finished = False
            try:
                with device_errors(
                    self._device, where, connecting=False, limit=self._command_timeout
                ):
                    async with asyncio.timeout(self._command_timeout):
                        reply = await exchange()
                finished = True
            finally:
                if not finished:
                    self._abort()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: %s in %.1f ms", self._device, where.command,
                      (time.perf_counter() - started) * 1000)
        return reply

    def _trap_error(
        self, command: str, traps: list[dict[str, str]], *, is_print: bool
    ) -> PathAbsent | CommandFailed:
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
            settings (:func:`~mikromon.routeros.tls.tls_failure`): no certificate on the router, a
            certificate where anonymous DH was asked for, or a certificate rejected.
        AuthenticationFailed: the router refused the user name or password.
        MalformedReply: the peer does not speak the RouterOS API.
    """
    context = tls_context(config.tls_verify) if config.use_ssl else None
    transport: AsyncSocketTransport | None = None
    where = Where(tls=context is not None, tls_verify=config.tls_verify)
    try:
        with device_errors(config.label, where, connecting=True, limit=config.connect_timeout):
            async with asyncio.timeout(config.connect_timeout):
                transport = await async_create_transport(
                    host=config.host, port=config.port, saddr=None,
                    timeout=config.connect_timeout, ssl_wrapper=context,
                )
                protocol_type = BufferedProtocol if buffered else StockProtocol
                api = RawApi(protocol_type(transport, config.encoding), config.encoding)
                where.command, where.tls = "/login", False
                await login(api, config)
    except BaseException:
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.writer.close()
        raise
    log.debug("%s: logged in at %s:%d", config.label, config.host, config.port)
    return LibRouterOSClient(api, transport, config)
