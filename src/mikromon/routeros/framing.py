"""Incremental decoding of RouterOS API reply sentences from a byte stream.

Framing (shared/ROUTEROS-API.md §2): each word is a big-endian length prefix of
1-5 bytes followed by that many bytes; a zero-length word ends a sentence. The
first byte of the prefix tells its size: ``0xxxxxxx`` 1, ``10xxxxxx`` 2,
``110xxxxx`` 3, ``1110xxxx`` 4, ``0xF0`` 5 (then a 4-byte length); ``>= 0xF8`` is
a reserved control byte a client cannot get past.

:class:`SentenceReader` works on whole chunks as they arrive from the socket, so
reading a reply costs one awaited read per chunk instead of three per word. It
keeps the words of an unfinished sentence between reads and resumes where it
stopped, so every byte is parsed once: reading costs time linear in the bytes
received, however long a sentence takes to arrive. A sentence larger than
:data:`MAX_SENTENCE` (or the caller's smaller ``max_sentence``) or a word larger
than :data:`MAX_WORD` is an error raised as soon as its size is known, not a
buffer that grows. Pure code: no IO, no third-party imports.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_REPLY_WORD",
    "MAX_SENTENCE",
    "MAX_SENTENCE_WORDS",
    "MAX_WORD",
    "FramingError",
    "SentenceReader",
    "SentenceTooLarge",
]

#: Longest reply word accepted (``!done``, ``!empty``, ... are 3-6 bytes). A longer
#: first word means the stream is not a RouterOS reply.
MAX_REPLY_WORD: Final = 64
#: Longest word accepted, bytes. The longest values mikromon reads (log messages,
#: comments) are a few KiB; a larger length prefix is garbage or a runaway
#: reply, not something to wait for.
MAX_WORD: Final = 1024 * 1024
#: Largest sentence accepted, bytes on the wire (prefixes included). One row of
#: a proplisted print is well under 64 KiB; a sentence of 2 MiB is no real reply.
MAX_SENTENCE: Final = 2 * 1024 * 1024
#: Most words in one sentence (a row without a proplist has about 60 fields).
MAX_SENTENCE_WORDS: Final = 10_000


class FramingError(ValueError):
    """The bytes are not RouterOS API reply sentences."""


class SentenceTooLarge(FramingError):
    """A sentence grew past the reader's ``max_sentence`` bytes or
    :data:`MAX_SENTENCE_WORDS` words before its end.

    Attributes:
        size: bytes (or words) of the sentence received or announced so far.
        limit: the limit it went past.
        unit: ``"bytes"`` or ``"words"``.
    """

    def __init__(self, message: str, *, size: int, limit: int, unit: str = "bytes") -> None:
        self.size = size
        self.limit = limit
        self.unit = unit
        super().__init__(message)


class SentenceReader:
    """Split a byte stream into reply sentences.

    Feed chunks with :meth:`feed`; take complete sentences with
    :meth:`next_sentence` until it returns ``None`` (more bytes needed).
    Empty sentences are skipped (the protocol ignores them).

    Args:
        max_sentence: largest sentence accepted, bytes on the wire
            (:data:`MAX_SENTENCE` at most; may be lowered between sentences,
            e.g. to what is left of a reply's byte budget).

    Attributes:
        max_sentence: as the argument; settable.
        last_size: wire bytes of the sentence last returned (prefixes and the
            terminating zero byte included; skipped empty sentences not).
        consumed: wire bytes of every sentence returned so far.
    """

    __slots__ = ("_buf", "_pos", "_size", "_words", "consumed", "last_size", "max_sentence")

    def __init__(self, max_sentence: int = MAX_SENTENCE) -> None:
        # The chunk as received while it is read (its slices are the words, one
        # copy each); a bytearray only while a word runs on past a chunk's end.
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self._words: list[bytes] = []
        self._size = 0
        self.max_sentence = min(max_sentence, MAX_SENTENCE)
        self.last_size = 0
        self.consumed = 0

    @property
    def pending(self) -> int:
        """Bytes received but not yet returned as part of a sentence."""
        return len(self._buf) - self._pos + self._size

    def feed(self, data: bytes) -> None:
        """Append bytes read from the socket (amortised O(len(data))).

        A chunk that starts after the last whole sentence or word is kept as it
        came (no copy); the unread end of a chunk is copied once into a
        bytearray, which later chunks are appended to until it is all read.
        """
        buf, pos = self._buf, self._pos
        if pos >= len(buf):
            self._buf, self._pos = bytes(data), 0
            return
        if isinstance(buf, bytearray):
            if pos:
                del buf[:pos]  # CPython drops a bytearray's head in O(1)
        else:
            buf = bytearray(buf[pos:])
        buf += data
        self._buf, self._pos = buf, 0

    def _too_large(self, size: int) -> SentenceTooLarge:
        limit = min(self.max_sentence, MAX_SENTENCE)
        return SentenceTooLarge(
            f"sentence of more than {limit} bytes ({size} so far)", size=size, limit=limit
        )

    def next_sentence(self) -> list[bytes] | None:
        """Return the next complete sentence as its words (bytes), or ``None``.

        Each call resumes where the previous one stopped: the words of an
        unfinished sentence are kept, not parsed again.

        Raises:
            FramingError: a reserved control byte, a word longer than
                :data:`MAX_WORD`, or a sentence whose first word is not a short
                ``!`` reply word.
            SentenceTooLarge: the sentence is larger than ``max_sentence`` bytes
                or has more than :data:`MAX_SENTENCE_WORDS` words.
        """
        buf = self._buf
        end_of_data = len(buf)
        pos = self._pos
        words = self._words
        count = len(words)
        limit = min(self.max_sentence, MAX_SENTENCE)
        # The sentence's wire bytes so far are ``base + pos``: bytes received before
        # ``pos`` count into it one for one, so one local stands for both.
        base = self._size - pos
        while pos < end_of_data:
            first = buf[pos]
            if first < 0x80:
                length, size = first, 1
            elif first < 0xC0:
                size = 2
                if pos + size > end_of_data:
                    break
                length = ((first & 0x3F) << 8) | buf[pos + 1]
            elif first < 0xE0:
                size = 3
                if pos + size > end_of_data:
                    break
                length = ((first & 0x1F) << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
            elif first < 0xF0:
                size = 4
                if pos + size > end_of_data:
                    break
                length = int.from_bytes(buf[pos : pos + 4], "big") & 0x0FFFFFFF
            elif first == 0xF0:
                size = 5
                if pos + size > end_of_data:
                    break
                length = int.from_bytes(buf[pos + 1 : pos + 5], "big")
            else:
                raise FramingError(f"reserved control byte 0x{first:02X} in reply")
            if length == 0:
                pos += size
                if words:
                    sentence_size = base + pos
                    self._pos, self._words, self._size = pos, [], 0
                    self.last_size = sentence_size
                    self.consumed += sentence_size
                    return words
                self._pos = pos  # empty sentence: nothing to return, skip it
                base = -pos  # and no byte of it counts
                continue
            stop = pos + size + length
            if not count and length > MAX_REPLY_WORD:
                raise FramingError(f"reply word of {length} bytes")
            if length > MAX_WORD:
                raise FramingError(f"word of {length} bytes (at most {MAX_WORD})")
            if base + stop > limit:
                raise self._too_large(base + stop)
            if count >= MAX_SENTENCE_WORDS:
                raise SentenceTooLarge(
                    f"sentence of more than {MAX_SENTENCE_WORDS} words",
                    size=count, limit=MAX_SENTENCE_WORDS, unit="words",
                )
            if stop > end_of_data:
                break
            word = buf[pos + size : stop]
            if type(word) is not bytes:
                word = bytes(word)
            if not count and not word.startswith(b"!"):
                raise FramingError(f"reply starts with {word[:16]!r}, not a !word")
            words.append(word)
            count += 1
            pos = stop
        self._size = base + pos
        self._pos = pos
        return None
