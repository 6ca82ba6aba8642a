"""One API connection: login, command dispatch, tags, ``/cancel``, ``/quit``, faults.

Protocol facts (shared/ROUTEROS-API.md §3-§6): every command gets replies ending in
``!done``; errors are ``!trap`` (``=category=``, ``=message=``) followed by ``!done``;
``!fatal`` carries its reason as a plain second word and ends the connection;
``.tag=X`` is echoed on every reply sentence of that command; commands run
concurrently; ``/cancel [=tag=X]`` interrupts with ``!trap =category=2
=message=interrupted`` then the cancel's ``!done`` then the command's ``!done``;
RouterOS 7.18+ puts ``!empty`` before ``!done`` when a print has no rows.

Replies go through one queue to one writer task, so sentences never interleave and a
cancelled command never leaves half a sentence behind; the writer applies the
``trickle``, ``drop_mid_sentence``, ``garbage`` and ``blackhole`` faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Final, Protocol

import mikromon.emulator.commands as commands
import mikromon.emulator.query as q
from mikromon.emulator.codec import CodecError, encode_sentence, encode_word, read_sentence
from mikromon.emulator.faults import GARBAGE, Faults
from mikromon.emulator.router import Router
from mikromon.emulator.tables import matching


class SessionHost(Protocol):
    """What a session needs of the emulator that accepted its connection
    (:class:`~mikromon.emulator.server.RouterEmulator`)."""

    @property
    def router(self) -> Router:
        """The emulated router the session reads."""
        ...

    @property
    def faults(self) -> Faults:
        """The faults in force for new replies."""
        ...

    @property
    def username(self) -> str:
        """The user name a login must give."""
        ...

    @property
    def password(self) -> str:
        """The password a login must give."""
        ...

log = logging.getLogger(__name__)

#: Longest word accepted before login (bytes); RouterOS limits pre-login input.
PRE_LOGIN_WORD_LIMIT: Final = 64 * 1024
#: Longest word accepted after login (bytes).
WORD_LIMIT: Final = 16 * 1024 * 1024
#: Trap messages (shared/ROUTEROS-API.md §3, §5).
BAD_LOGIN: Final = "invalid user name or password (6)"
OLD_BAD_LOGIN: Final = "cannot log in"
NO_PREFIX: Final = "no such command prefix"
_ROWS_PER_YIELD: Final = 256
#: Bytes buffered towards a client before the writer waits for it to read.
_WRITE_BUFFER: Final = 256 * 1024


class _Closed(Exception):
    """The session must end now (after ``!fatal`` or a connection fault)."""


def _attribute(word: str) -> tuple[str, str]:
    """Split ``=name=value`` (value may contain ``=``; ``=name`` means empty)."""
    name, _, value = word[1:].partition("=")
    return name, value


class Session:
    """Serves one client connection until it closes.

    Args:
        emulator: the router this connection belongs to.
        reader: the connection's input stream.
        writer: the connection's output stream.
    """

    def __init__(
        self,
        emulator: SessionHost,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.emulator = emulator
        self.router = emulator.router
        self.faults = emulator.faults
        self._reader = reader
        self._writer = writer
        self._out: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=512)
        self._tasks: dict[asyncio.Task[None], str] = {}
        self._writer_task: asyncio.Task[None] | None = None
        self._challenge: bytes | None = None
        self.logged_in = False
        self.user = ""

    # -- lifecycle ----------------------------------------------------------------
    async def run(self) -> None:
        """Read and answer sentences until the peer or a fault closes the connection."""
        writer_task = self._writer_task = asyncio.create_task(self._write_loop())
        try:
            await self._read_loop()
        except (asyncio.IncompleteReadError, ConnectionError, CodecError, _Closed):
            pass
        except OSError as err:  # e.g. a TLS error on a half-closed socket
            log.debug("session read failed: %s", err)
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=1.0)
            try:
                self._out.put_nowait(None)  # flush what is queued (e.g. !fatal), then stop
            except asyncio.QueueFull:
                writer_task.cancel()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer_task, timeout=2.0)
            writer_task.cancel()
            self._close_transport()

    def _close_transport(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()

    async def _read_loop(self) -> None:
        while True:
            limit = WORD_LIMIT if self.logged_in else PRE_LOGIN_WORD_LIMIT
            words = await read_sentence(self._reader, max_length=limit)
            if self.faults.blackhole:
                continue
            await self._dispatch(words)

    # -- output -------------------------------------------------------------------
    async def _put(self, data: bytes | None) -> None:
        if self._writer_task is not None and self._writer_task.done():
            return  # the connection is gone (fault or peer): drop the reply
        await self._out.put(data)

    async def _reply(self, kind: str, tag: str, attrs: Mapping[str, str] | None = None) -> None:
        words = [kind]
        if tag:
            words.append(f".tag={tag}")
        if attrs:
            words.extend(f"={k}={v}" for k, v in attrs.items())
        await self._put(encode_sentence(words))

    async def _trap(self, tag: str, message: str, category: int | None = None) -> None:
        attrs = {"category": str(category)} if category is not None else {}
        attrs["message"] = message
        await self._reply("!trap", tag, attrs)

    async def _fatal(self, reason: str) -> None:
        await self._put(encode_sentence(["!fatal", reason]))
        raise _Closed(reason)

    async def _write_loop(self) -> None:
        while (data := await self._out.get()) is not None:
            if self._writer.transport.is_closing():
                return  # the peer is gone: what is still queued goes nowhere
            f = self.faults
            if f.blackhole:
                continue
            if f.garbage:
                self._writer.write(GARBAGE)
                await self._writer.drain()
                self._close_transport()
                return
            if f.drop_mid_sentence:
                self._writer.write(data[: max(1, len(data) // 2)])
                await self._writer.drain()
                self._close_transport()
                return
            if f.trickle:
                await self._trickle(data, f.trickle)
            else:
                self._writer.write(data)
                if self._out.empty() or (self._writer.transport.get_write_buffer_size()
                                         > _WRITE_BUFFER):
                    await self._writer.drain()  # back-pressure from a slow client
        await self._writer.drain()

    async def _trickle(self, data: bytes, rate: float) -> None:
        chunk = max(1, int(rate / 20))
        for start in range(0, len(data), chunk):
            if self._writer.transport.is_closing():
                return
            piece = data[start:start + chunk]
            self._writer.write(piece)
            await self._writer.drain()
            await asyncio.sleep(len(piece) / rate)

    # -- dispatch -----------------------------------------------------------------
    async def _dispatch(self, words: Sequence[str]) -> None:
        command = words[0]
        attrs: dict[str, str] = {}
        queries: list[str] = []
        tag = ""
        for word in words[1:]:
            if word.startswith("="):
                name, value = _attribute(word)
                attrs[name] = value
            elif word.startswith(".tag="):
                tag = word[5:]
            elif word.startswith("?"):
                queries.append(word)
        resolved = self.router.resolve(command)
        if resolved.kind == "api" and resolved.command == "quit":
            await self._fatal("session terminated on request")
        if resolved.kind == "api" and resolved.command == "login":
            await self._delay()
            await self._login(attrs, tag)
            return
        if not self.logged_in:
            await self._fatal("not logged in")
        if resolved.kind == "api":  # cancel
            await self._cancel(attrs.get("tag"), tag)
            return
        task = asyncio.create_task(self._run(resolved.kind, resolved.menu, resolved.command,
                                             attrs, queries, tag))
        self._tasks[task] = tag
        task.add_done_callback(self._tasks.pop)

    async def _delay(self) -> None:
        if self.faults.delay > 0:
            await asyncio.sleep(self.faults.delay)

    async def _run(self, kind: str, menu: str, command: str, attrs: dict[str, str],
                   queries: list[str], tag: str) -> None:
        done: Mapping[str, str] | None = None
        try:
            await self._delay()
            if self.faults.endless_rows:
                await self._endless_rows(tag)
                return
            if self.faults.endless_sentence:
                await self._endless_sentence(tag)
                return
            if kind == "no-prefix":
                await self._trap(tag, NO_PREFIX, 0)
            elif kind == "no-command":
                await self._trap(tag, f"no such command or directory ({command})", 0)
            elif kind == "print":
                done = await self._print(menu, attrs, queries, tag)
            elif kind == "listen":
                await asyncio.Event().wait()
            else:  # a command with arguments (mikromon.emulator.commands)
                await self._command(f"{menu}/{command}", attrs, tag)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # one broken reply never stops the session
            log.exception("emulated command %s/%s failed", menu, command)
            await self._trap(tag, f"emulator failure: {err}", 4)
        await self._reply("!done", tag, done)

    # -- commands -----------------------------------------------------------------
    async def _print(self, menu: str, attrs: dict[str, str], queries: list[str],
                     tag: str) -> Mapping[str, str] | None:
        """Send the rows; return the attributes of the final ``!done``."""
        try:
            steps = q.parse(queries)
        except q.QueryError as err:
            await self._trap(tag, str(err), 1)
            return None
        table = self.router.table(menu)
        if "count-only" in attrs:
            n = sum(1 for _ in matching(table, steps)) if steps else len(table)
            return {"ret": str(n)}
        proplist = None
        if ".proplist" in attrs:
            proplist = list(dict.fromkeys(p for p in attrs[".proplist"].split(",") if p))
        follow_only = "follow-only" in attrs
        sent = 0
        if not follow_only:
            get = table.get
            for i in matching(table, steps):
                if proplist is None:
                    row = table.row(i)
                else:  # read only the listed properties (cheap on generated tables)
                    row = {k: v for k in proplist if (v := get(i, k)) is not None}
                await self._reply("!re", tag, row)
                sent += 1
                if sent % _ROWS_PER_YIELD == 0:
                    await asyncio.sleep(0)
        if "follow" in attrs or follow_only:
            await asyncio.Event().wait()
        if sent == 0 and self.router.profile.sends_empty:
            await self._reply("!empty", tag)
        return None

    def _gone(self) -> bool:
        return self._writer_task is None or self._writer_task.done()

    async def _endless_rows(self, tag: str) -> None:
        """The ``endless_rows`` fault: distinct ``!re`` rows until the connection ends
        (the queue to the writer gives back-pressure from the client)."""
        n = 0
        while not self._gone():
            n += 1
            await self._reply("!re", tag, {".id": f"*{n:X}", "name": f"endless-{n}",
                                           "comment": "x" * 40})
            if n % _ROWS_PER_YIELD == 0:
                await asyncio.sleep(0)

    async def _endless_sentence(self, tag: str) -> None:
        """The ``endless_sentence`` fault: ``!re`` then attribute words, never the
        zero-length word that would end the sentence."""
        await self._put(encode_word("!re") + (encode_word(f".tag={tag}") if tag else b""))
        n = 0
        while not self._gone():
            batch = b"".join(encode_word(f"=word-{n + i}={'y' * 40}") for i in range(64))
            n += 64
            await self._put(batch)
            await asyncio.sleep(0)

    async def _command(self, word: str, attrs: dict[str, str], tag: str) -> None:
        try:
            await commands.execute(self.router, word, attrs,
                                   lambda row: self._reply("!re", tag, row))
        except commands.CommandError as err:
            await self._trap(tag, err.message, err.category)

    async def _cancel(self, target: str | None, tag: str) -> None:
        """``/cancel``: interrupt the command tagged ``target`` (all when ``None``)."""
        victims = [(task, t_tag) for task, t_tag in list(self._tasks.items())
                   if (target is None or t_tag == target) and task.cancel()]
        if victims:
            await asyncio.wait([task for task, _ in victims])
        for _, t_tag in victims:
            await self._trap(t_tag, "interrupted", 2)
        await self._reply("!done", tag)
        for _, t_tag in victims:
            await self._reply("!done", t_tag)

    # -- login --------------------------------------------------------------------
    async def _login(self, attrs: dict[str, str], tag: str) -> None:
        profile = self.router.profile
        wants_challenge = not ({"password", "response"} & attrs.keys()) or (
            "password" in attrs and not profile.plain_login)
        if wants_challenge:
            self._challenge = os.urandom(16)
            await self._reply("!done", tag, {"ret": self._challenge.hex()})
            return
        name = attrs.get("name", "")
        ok = False
        if "password" in attrs:
            ok = self._credentials_ok(name, attrs["password"])
            failure = BAD_LOGIN
        else:
            challenge, self._challenge = self._challenge, None
            if challenge is not None and profile.md5_accepted:
                ok = self._response_ok(name, attrs["response"], challenge)
            failure = BAD_LOGIN if profile.plain_login else OLD_BAD_LOGIN
        if ok and not self.faults.refuse_login:
            self.logged_in = True
            self.user = name
            await self._reply("!done", tag)
            return
        await self._trap(tag, failure)
        await self._reply("!done", tag)

    def _credentials_ok(self, name: str, password: str) -> bool:
        return name == self.emulator.username and password == self.emulator.password

    def _response_ok(self, name: str, response: str, challenge: bytes) -> bool:
        digest = hashlib.md5(  # the RouterOS pre-6.43 scheme, not for security
            b"\x00" + self.emulator.password.encode("utf-8") + challenge,
            usedforsecurity=False,
        ).hexdigest()
        return name == self.emulator.username and response.lower() == "00" + digest
