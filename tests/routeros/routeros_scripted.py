"""A tiny scripted RouterOS API server on 127.0.0.1 for adapter tests.

Each received sentence goes to a handler that returns what to send back: bytes
(written as they are), ``CLOSE`` (close the connection) or a list of those.
Independent of the emulator, so the adapter's edge cases (garbage, drops,
silence) can be scripted exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

CLOSE = object()
Action = bytes | object
Handler = Callable[[list[str]], "Action | list[Action] | Awaitable[Action | list[Action]]"]


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    return (length | 0xE0000000).to_bytes(4, "big")


def word(text: str | bytes) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return encode_length(len(data)) + data


def sentence(*words: str | bytes) -> bytes:
    """Encode one sentence (words then the zero-length terminator)."""
    return b"".join(word(w) for w in words) + b"\x00"


def re(**attrs: str) -> bytes:
    """An ``!re`` sentence with ``=key=value`` words (``_`` in keys -> ``-``)."""
    return sentence("!re", *(f"={k.replace('_', '-')}={v}" for k, v in attrs.items()))


DONE = sentence("!done")


def trap(message: str, category: int | None = None) -> bytes:
    words = [f"=message={message}"]
    if category is not None:
        words.insert(0, f"=category={category}")
    return sentence("!trap", *words)


def attrs(words: list[str]) -> dict[str, str]:
    out = {}
    for w in words[1:]:
        if w.startswith("="):
            _, k, v = w.split("=", 2)
            out[k] = v
    return out


@dataclass
class Account:
    """Login behaviour: ``challenge`` makes it a pre-6.43 router."""

    username: str = "admin"
    password: str = "s3cr3t-Pässwörd"
    challenge: str | None = None

    def login(self, words: list[str]) -> bytes:
        a = attrs(words)
        if self.challenge is None:
            if a.get("name") == self.username and a.get("password") == self.password:
                return DONE
            return trap("invalid user name or password (6)") + DONE
        if "response" not in a:
            return sentence("!done", f"=ret={self.challenge}")
        expected = "00" + hashlib.md5(
            b"\x00" + self.password.encode() + bytes.fromhex(self.challenge)
        ).hexdigest()
        if a.get("name") == self.username and a["response"] == expected:
            return DONE
        return trap("cannot log in") + DONE


@dataclass
class ScriptedRouter:
    handler: Handler
    account: Account = field(default_factory=Account)
    port: int = 0
    received: list[list[str]] = field(default_factory=list)
    connections: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.append(task)
        try:
            while True:
                words = await read_sentence(reader)
                self.received.append(words)
                if words[0] == "/login":
                    result: object = self.account.login(words)
                else:
                    result = self.handler(words)
                    if asyncio.iscoroutine(result):
                        result = await result
                for action in result if isinstance(result, list) else [result]:
                    if action is CLOSE:
                        writer.close()
                        return
                    assert isinstance(action, bytes)
                    writer.write(action)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
        finally:
            writer.close()

    def commands(self) -> list[str]:
        return [words[0] for words in self.received]


async def read_sentence(reader: asyncio.StreamReader) -> list[str]:
    words = []
    while True:
        first = (await reader.readexactly(1))[0]
        if first < 0x80:
            length = first
        elif first < 0xC0:
            length = ((first & 0x3F) << 8) | (await reader.readexactly(1))[0]
        elif first < 0xE0:
            length = int.from_bytes(bytes([first & 0x1F]) + await reader.readexactly(2), "big")
        else:
            length = int.from_bytes(bytes([first & 0x0F]) + await reader.readexactly(3), "big")
        if length == 0:
            return words
        words.append((await reader.readexactly(length)).decode("utf-8", "surrogateescape"))


@contextlib.asynccontextmanager
async def scripted(
    handler: Handler, account: Account | None = None, ssl: object = None
) -> AsyncIterator[ScriptedRouter]:
    """Run a :class:`ScriptedRouter` on 127.0.0.1, port 0."""
    router = ScriptedRouter(handler, account or Account())
    server = await asyncio.start_server(router.serve, "127.0.0.1", 0, ssl=ssl)  # type: ignore[arg-type]
    router.port = server.sockets[0].getsockname()[1]
    try:
        yield router
    finally:
        server.close()
        for task in router.tasks:
            task.cancel()
        await asyncio.gather(*router.tasks, return_exceptions=True)
        await server.wait_closed()
