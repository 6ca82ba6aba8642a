"""Incremental decoding of RouterOS API reply sentences from a byte stream.

Framing (shared/ROUTEROS-API.md §2): each word is a big-endian length prefix of
1-5 bytes followed by that many bytes; a zero-length word ends a sentence. The
first byte of the prefix tells its size: ``0xxxxxxx`` 1, ``10xxxxxx`` 2,
``110xxxxx`` 3, ``1110xxxx`` 4, ``0xF0`` 5 (then a 4-byte length); ``>= 0xF8`` is
a reserved control byte a client cannot get past.

:class:`SentenceReader` works on whole chunks as they arrive from the socket, so
reading a reply costs one awaited read per chunk instead of three per word.
Pure code: no IO, no third-party imports.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_REPLY_WORD", "MAX_WORD", "FramingError", "SentenceReader"]

#: Longest reply word accepted (``!done``, ``!empty``, ... are 3-6 bytes). A longer
#: first word means the stream is not a RouterOS reply.
MAX_REPLY_WORD: Final = 64
#: Longest word accepted, bytes. Real values (scripts, file contents) stay far
#: below; a larger length prefix is garbage, not something to wait for.
MAX_WORD: Final = 16 * 1024 * 1024


class FramingError(ValueError):
    """The bytes are not RouterOS API reply sentences."""


class SentenceReader:
    """Split a byte stream into reply sentences.

    Feed chunks with :meth:`feed`; take complete sentences with
    :meth:`next_sentence` until it returns ``None`` (more bytes needed).
    Empty sentences are skipped (the protocol ignores them).
    """

    __slots__ = ("_buf", "_pos")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0

    @property
    def pending(self) -> int:
        """Bytes received but not yet returned as part of a sentence."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> None:
        """Append bytes read from the socket."""
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def next_sentence(self) -> list[bytes] | None:
        """Return the next complete sentence as its words (bytes), or ``None``.

        Raises:
            FramingError: a reserved control byte, a word longer than
                :data:`MAX_WORD`, or a sentence whose first word is not a short
                ``!`` reply word.
        """
        buf = self._buf
        end_of_data = len(buf)
        pos = self._pos
        words: list[bytes] = []
        while pos < end_of_data:
            first = buf[pos]
            if first < 0x80:
                length, size = first, 1
            elif first < 0xC0:
                size = 2
                if pos + size > end_of_data:
                    return None
                length = ((first & 0x3F) << 8) | buf[pos + 1]
            elif first < 0xE0:
                size = 3
                if pos + size > end_of_data:
                    return None
                length = ((first & 0x1F) << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
            elif first < 0xF0:
                size = 4
                if pos + size > end_of_data:
                    return None
                length = int.from_bytes(buf[pos : pos + 4], "big") & 0x0FFFFFFF
            elif first == 0xF0:
                size = 5
                if pos + size > end_of_data:
                    return None
                length = int.from_bytes(buf[pos + 1 : pos + 5], "big")
            else:
                raise FramingError(f"reserved control byte 0x{first:02X} in reply")
            pos += size
            if length == 0:
                if words:
                    self._pos = pos
                    return words
                self._pos = pos  # empty sentence: nothing to return, skip it
                continue
            if not words and length > MAX_REPLY_WORD:
                raise FramingError(f"reply word of {length} bytes")
            if length > MAX_WORD:
                raise FramingError(f"word of {length} bytes")
            stop = pos + length
            if stop > end_of_data:
                return None
            word = bytes(buf[pos:stop])
            if not words and not word.startswith(b"!"):
                raise FramingError(f"reply starts with {word[:16]!r}, not a !word")
            words.append(word)
            pos = stop
        return None
