"""Sentences on the wire: the librouteros protocol objects under the client.

:class:`StockProtocol` reads a reply sentence word by word as librouteros does
(one awaited read per length prefix and per word); :class:`BufferedProtocol`
reads whole chunks and parses them with
:class:`~mikromon.routeros.framing.SentenceReader`. Both check each length prefix
against the byte bound before reading its word, decode words as latin-1 (the
reply layer, :mod:`mikromon.routeros.reply`, re-decodes them in the device's
codepage) and write command sentences in the device's codepage without logging
them (a ``/login`` sentence carries the password).

Source: shared/ROUTEROS-API.md §1 (length prefixes, sentences, ``!fatal``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from librouteros.connections import AsyncSocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError
from librouteros.protocol import AsyncApiProtocol, encode_length

from mikromon.routeros.framing import (
    MAX_REPLY_WORD,
    MAX_SENTENCE,
    MAX_SENTENCE_WORDS,
    MAX_WORD,
    FramingError,
    SentenceReader,
    SentenceTooLarge,
)

__all__ = ["BufferedProtocol", "StockProtocol", "encode_sentence", "encode_text"]

#: Bytes asked of the socket per read by the buffered protocol.
_CHUNK: Final = 65536
#: Command sentences kept encoded per connection (the tiers send a few dozen).
_SENT_KEPT: Final = 256


def _fatal_text(words: list[bytes]) -> str:
    """The text of a ``!fatal`` sentence: its first word after ``!fatal``, latin-1."""
    return words[1].decode("latin-1") if len(words) > 1 else ""


# --- words out ----------------------------------------------------------------------


def encode_text(text: str, encoding: str) -> bytes:
    """Encode ``text`` in the device's codepage, UTF-8 when it cannot express it."""
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError):
        return text.encode("utf-8", errors="replace")


def _encode_word(word: str, encoding: str) -> bytes:
    data = encode_text(word, encoding)
    prefix: bytes = encode_length(len(data))  # librouteros is untyped
    return prefix + data


def encode_sentence(words: Sequence[str], encoding: str) -> bytes:
    return b"".join(_encode_word(word, encoding) for word in words) + b"\x00"



# --- protocol objects (librouteros's layer below AsyncApi) --------------------------


class StockProtocol(AsyncApiProtocol):
    """librouteros's own reader (one awaited read per length byte and per word).

    Words are decoded as latin-1 (every byte maps to one code point, so nothing is
    lost) and re-decoded by :class:`RawApi`; sentences are written in the device's
    codepage without librouteros's debug log of every word (which would log the
    password of ``/login``).
    """

    def __init__(self, transport: AsyncSocketTransport, device_encoding: str) -> None:
        super().__init__(transport=transport, encoding="latin-1", timeout=None)
        self.device_encoding = device_encoding
        self._sent: dict[tuple[str, ...], bytes] = {}

    async def writeSentence(self, cmd: str, *words: str) -> None:  # librouteros method name
        if cmd == "/login":  # its words carry the password: never kept
            data = encode_sentence((cmd, *words), self.device_encoding)
        else:
            sentence = (cmd, *words)
            data = self._sent.get(sentence) or self._encode_kept(sentence)
        await self.transport.write(data)

    async def write_sentences(self, sentences: Sequence[tuple[str, ...]]) -> None:
        """Write several command sentences in one write (kept encoded as
        :meth:`writeSentence` keeps them).

        Raises:
            ValueError: a ``/login`` sentence (its password is never kept).
        """
        if any(sentence[0] == "/login" for sentence in sentences):
            raise ValueError("/login is written on its own")
        sent = self._sent
        await self.transport.write(
            b"".join(sent.get(sentence) or self._encode_kept(sentence) for sentence in sentences))

    def _encode_kept(self, sentence: tuple[str, ...]) -> bytes:
        """Encode a command sentence and keep it (a tier sends the same few each run)."""
        data = encode_sentence(sentence, self.device_encoding)
        if len(self._sent) >= _SENT_KEPT:
            self._sent.clear()
        self._sent[sentence] = data
        return data

    async def readSentence(self) -> tuple[str, tuple[str, ...]]:  # librouteros method name
        reply_word, words, _ = await self.read_sentence(MAX_SENTENCE)
        return reply_word, words

    async def read_sentence(self, max_bytes: int) -> tuple[str, tuple[str, ...], int]:
        """Read one sentence of at most ``max_bytes`` wire bytes (:meth:`read_words`).

        Returns:
            ``(reply word, other words, wire bytes)``, words decoded as latin-1.

        Raises:
            As :meth:`read_words`.
        """
        words, size = await self.read_words(max_bytes)
        return words[0].decode("latin-1"), tuple(w.decode("latin-1") for w in words[1:]), size

    async def read_words(self, max_bytes: int) -> tuple[list[bytes], int]:
        """Read one sentence of at most ``max_bytes`` wire bytes, word by word.

        Returns:
            ``(words, wire bytes)``: the reply word first, every word as the bytes
            received (never empty).

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
        if words[0] == b"!fatal":
            await self.transport.close()
            raise FatalError(_fatal_text(words))
        return words, size

    def buffered_words(self, max_bytes: int) -> tuple[list[bytes], int] | None:
        """The next sentence if it is already received, else ``None``: this reader
        keeps nothing received, so always ``None`` (:meth:`read_words` reads it)."""
        return None

    async def close(self) -> None:
        await self.transport.close()


class BufferedProtocol(StockProtocol):
    """Reads whole chunks and parses every complete sentence in them."""

    def __init__(self, transport: AsyncSocketTransport, device_encoding: str) -> None:
        super().__init__(transport, device_encoding)
        self._frames = SentenceReader()

    async def read_words(self, max_bytes: int) -> tuple[list[bytes], int]:
        """Read one sentence of at most ``max_bytes`` wire bytes from whole chunks.

        Returns and raises as :meth:`StockProtocol.read_words`; the cost is
        linear in the bytes received (:class:`SentenceReader` resumes, never re-parses).
        """
        frames = self._frames
        while (got := self.buffered_words(max_bytes)) is None:
            chunk = await self.transport.reader.read(_CHUNK)
            if not chunk:
                raise ConnectionClosed("Connection unexpectedly closed.")
            frames.feed(chunk)
        return got

    def buffered_words(self, max_bytes: int) -> tuple[list[bytes], int] | None:
        """The next sentence of at most ``max_bytes`` wire bytes when the chunks
        received hold all of it, else ``None`` (nothing is consumed then): a reply
        that came in one chunk is read without awaiting once per sentence.

        Returns and raises as :meth:`read_words` (which calls it).
        """
        frames = self._frames
        frames.max_sentence = max_bytes
        sentence = frames.next_sentence()
        if sentence is None:
            return None
        if sentence[0] == b"!fatal":
            self.transport.writer.close()
            raise FatalError(_fatal_text(sentence))
        return sentence, frames.last_size
