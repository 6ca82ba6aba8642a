"""RouterOS API framing: word lengths, words and sentences (server side).

Source: MikroTik API page (help.mikrotik.com, "API words") and shared/ROUTEROS-API.md §2.
A word is a length prefix followed by that many bytes; a sentence is words ended by
a zero-length word (one ``0x00`` byte). Lengths are big-endian:

=====================  =====  ==================================
length                 bytes  encoding
=====================  =====  ==================================
0 .. 0x7F              1      ``len``
0x80 .. 0x3FFF         2      ``len | 0x8000``
0x4000 .. 0x1FFFFF     3      ``len | 0xC00000``
0x200000 .. 0xFFFFFFF  4      ``len | 0xE0000000``
>= 0x10000000          5      ``0xF0`` then ``len`` as 4 bytes
=====================  =====  ==================================

The encoder emits the 1-4 byte forms (RouterOS itself never sends the 5-byte form);
the decoders accept all five. A first byte ``>= 0xF8`` is a reserved control byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final

#: Largest length the 4-byte form can carry (bytes).
MAX_FOUR_BYTE: Final = 0x0FFFFFFF
#: Largest length any form can carry (bytes): the 5-byte form has 32 bits.
MAX_LENGTH: Final = 0xFFFFFFFF


class CodecError(ValueError):
    """Bytes that are not valid RouterOS API framing (control byte, bad length)."""


def encode_length(length: int) -> bytes:
    """Encode a word length in the shortest of the 1-4 byte forms.

    Args:
        length: word length in bytes, ``0 <= length <= 0xFFFFFFF``.

    Returns:
        1 to 4 bytes, big-endian, with the form's marker bits set.

    Raises:
        CodecError: the length is negative or needs the 5-byte form.
    """
    if length < 0:
        raise CodecError(f"negative word length {length}")
    if length < 0x80:
        return bytes((length,))
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length <= MAX_FOUR_BYTE:
        return (length | 0xE0000000).to_bytes(4, "big")
    raise CodecError(f"word length {length} needs the 5-byte form, which is never sent")


def length_size(first: int) -> int:
    """Return how many bytes a length prefix takes, from its first byte (1..5).

    Raises:
        CodecError: ``first >= 0xF8`` (a reserved control byte).
    """
    if first < 0x80:
        return 1
    if first < 0xC0:
        return 2
    if first < 0xE0:
        return 3
    if first < 0xF0:
        return 4
    if first < 0xF8:
        return 5
    raise CodecError(f"reserved control byte 0x{first:02X}")


def decode_length(prefix: bytes) -> int:
    """Decode a complete length prefix (1 to 5 bytes, as sized by :func:`length_size`).

    Returns:
        The word length in bytes.

    Raises:
        CodecError: the prefix is empty, starts with a control byte, or has the
            wrong size for its first byte.
    """
    if not prefix:
        raise CodecError("empty length prefix")
    size = length_size(prefix[0])
    if len(prefix) != size:
        raise CodecError(f"length prefix {prefix.hex()} should be {size} bytes")
    if size == 1:
        return prefix[0]
    if size == 5:
        return int.from_bytes(prefix[1:], "big")
    mask = (0x80, 0xC0, 0xE0, 0xF0)[size - 2] << (8 * (size - 1))
    return int.from_bytes(prefix, "big") & ~mask


def raw_text(text: str, encoding: str) -> str:
    """Return ``text`` as a str that :func:`encode_word` sends as ``text.encode(encoding)``.

    Words are str inside the emulator and go out as UTF-8 with surrogate escapes,
    so bytes that are not UTF-8 (a cp1251 comment) travel as lone surrogates and
    leave as the original bytes; the word length is their byte count. For
    ``encoding="utf-8"`` the text is returned unchanged.

    Raises:
        LookupError: unknown encoding. UnicodeEncodeError: ``text`` has characters
            the encoding cannot represent.
    """
    return text.encode(encoding).decode("utf-8", "surrogateescape")


def encode_word(word: str | bytes) -> bytes:
    """Encode one word (str as UTF-8, surrogate escapes as their raw bytes) with its
    length prefix."""
    data = word.encode("utf-8", "surrogateescape") if isinstance(word, str) else word
    return encode_length(len(data)) + data


def encode_sentence(words: Iterable[str | bytes]) -> bytes:
    """Encode words and the terminating zero-length word into one byte string."""
    return b"".join(encode_word(w) for w in words) + b"\x00"


def decode_sentences(data: bytes) -> tuple[list[list[str]], bytes]:
    """Split a byte buffer into complete sentences (for tests and raw clients).

    Args:
        data: bytes received so far.

    Returns:
        ``(sentences, rest)``: each sentence a list of words (UTF-8, undecodable
        bytes kept as surrogate escapes); ``rest`` is an incomplete tail.

    Raises:
        CodecError: a control byte where a length was expected.
    """
    sentences: list[list[str]] = []
    words: list[str] = []
    pos = 0
    start = 0
    while pos < len(data):
        size = length_size(data[pos])
        if pos + size > len(data):
            break
        length = decode_length(data[pos:pos + size])
        if pos + size + length > len(data):
            break
        if length == 0:
            pos += size
            if words:
                sentences.append(words)
            words = []
            start = pos
            continue
        words.append(data[pos + size:pos + size + length].decode("utf-8", "surrogateescape"))
        pos += size + length
    return sentences, data[start:]


async def read_word(reader: asyncio.StreamReader, max_length: int = MAX_LENGTH) -> str:
    """Read one word from a stream; ``""`` is the end-of-sentence word.

    Args:
        reader: the stream.
        max_length: refuse words longer than this (bytes).

    Raises:
        CodecError: control byte or a word longer than ``max_length``.
        asyncio.IncompleteReadError: the peer closed the connection mid-word.
    """
    first = await reader.readexactly(1)
    size = length_size(first[0])
    prefix = first if size == 1 else first + await reader.readexactly(size - 1)
    length = decode_length(prefix)
    if length == 0:
        return ""
    if length > max_length:
        raise CodecError(f"word of {length} bytes exceeds the limit of {max_length}")
    data = await reader.readexactly(length)
    return data.decode("utf-8", "surrogateescape")


async def read_sentence(
    reader: asyncio.StreamReader, max_length: int = MAX_LENGTH, max_words: int = 1 << 20
) -> list[str]:
    """Read one non-empty sentence (empty sentences are skipped, as RouterOS does).

    Raises:
        CodecError: bad framing, a word over ``max_length`` bytes or more than
            ``max_words`` words.
        asyncio.IncompleteReadError: the peer closed the connection.
    """
    while True:
        words: list[str] = []
        while (word := await read_word(reader, max_length)) != "":
            words.append(word)
            if len(words) > max_words:
                raise CodecError(f"sentence has more than {max_words} words")
        if words:
            return words
