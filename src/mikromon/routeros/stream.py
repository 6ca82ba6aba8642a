"""The connection's stream: a reader that wakes the reading task per reply end,
not per TCP segment.

A router's reply arrives in as many segments as it sends sentences (a realtime
poll's three prints: a dozen or more), and a plain :class:`asyncio.StreamReader`
wakes the task reading it on each: one pass of the event loop for the socket and
one for the task, per segment. :class:`ReplyReader` keeps the bytes coming in
buffered and wakes its reader only when they may end a reply (an ``!done`` or
``!fatal`` word arrived), when :data:`WAKE_BYTES` are buffered (a long reply is
read and bounded as it comes; the transport pauses reading at twice the
reader's limit), at the end of the stream and on an error. A reply whose value
holds the bytes of such a word only wakes its reader once more than needed;
every reply ends with one of them (shared/ROUTEROS-API.md §1), so no reply waits
for bytes that came. Timeouts are the caller's (``asyncio.timeout``), as before.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Final

__all__ = ["WAKE_BYTES", "ReplyReader", "open_transport"]

#: Buffered bytes that wake the reader whether or not a reply ended in them
#: (the buffered protocol reads 64 KiB a chunk).
WAKE_BYTES: Final = 65536
#: Words that may end a reply, with their length prefix (one byte: < 0x80).
_REPLY_ENDS: Final = (b"\x05!done", b"\x06!fatal")
#: Longest of them, less one: the bytes of the segments before that a word
#: split across segments may begin in.
_OVERLAP: Final = max(map(len, _REPLY_ENDS)) - 1


class ReplyReader(asyncio.StreamReader):
    """A :class:`asyncio.StreamReader` that, once it woke its reader for a reply's
    first segment, wakes it again only when the bytes received may end a reply,
    :data:`WAKE_BYTES` are buffered, or the stream ends or fails. Event-loop only."""

    _tail = b""  # the last bytes received (a reply end may begin in them)
    _ended = False  # whether the bytes received since the last wake may end a reply
    _hold = False  # whether a segment that ends no reply wakes nobody

    def feed_data(self, data: bytes) -> None:  # type: ignore[override]  # bytes only
        """Buffer ``data`` (a segment received), noting whether a reply may end in it."""
        if not self._ended:
            edge = self._tail + data[:_OVERLAP]
            self._ended = any(end in data or end in edge for end in _REPLY_ENDS)
        self._tail = (self._tail + data)[-_OVERLAP:] if len(data) < _OVERLAP \
            else data[-_OVERLAP:]
        super().feed_data(data)

    def _wakeup_waiter(self) -> None:  # asyncio's: from feed_data, feed_eof, set_exception
        if self._waiter is None:  # type: ignore[attr-defined]
            return
        if (not self._hold or self._ended or self._eof  # type: ignore[attr-defined]
                or self.exception() is not None
                or len(self._buffer) >= WAKE_BYTES):  # type: ignore[attr-defined]
            self._hold, self._ended = not self._ended, False
            super()._wakeup_waiter()  # type: ignore[misc]


async def open_transport(host: str, port: int, context: ssl.SSLContext | None
                         ) -> tuple[ReplyReader, asyncio.StreamWriter]:
    """Open a TCP (or TLS, with ``context``) connection read through a
    :class:`ReplyReader`, as :func:`asyncio.open_connection` opens one read through
    a plain reader; returns its reader and writer.

    Raises:
        OSError, ssl.SSLError: as :meth:`asyncio.loop.create_connection`.
    """
    loop = asyncio.get_running_loop()
    reader = ReplyReader(loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port, ssl=context)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)
