"""Compact chunk encoding of one time series: samples -> bytes -> samples, lossless.

A chunk holds ``n`` samples of one series: timestamps (``int64``, strictly
increasing, in the caller's unit: Unix seconds in mikromon's tables;
milliseconds work the same) and values (``float64``). Decoding gives back the
very same bits: every float, ``-0.0``, NaN (with its payload) and ±inf. NaN and
infinities are allowed; they only cost compression. Layout::

    header (44 bytes, little-endian)  |  zstd frame of: timestamp planes, value planes

Timestamps are stored as delta-of-delta (a regular step is all zeros). Values
take the first encoding that reproduces them bit for bit: **scaled integers**
(every value is ``i / 10**decimals``, ``|i| <= 2**52``, decimals 0..6: counters,
counts, uptime, one-decimal voltages), stored as values, deltas or deltas of
deltas (least total magnitude wins) divided by their greatest common divisor;
else **float XOR** (each value's 64 bits XOR the previous value's). Integer
streams are zigzag-encoded, cut to the fewest bytes that hold the largest, and
split into byte planes (all first bytes, then all second bytes...) before zstd.
Vectorised with numpy; the only per-chunk Python work is the header. The format
byte by byte, and why: docs/storage.md.

:func:`read_header` reads the header only (count, first and last timestamp), so
readers skip chunks outside their range without decompressing. Bad input raises
:class:`ValueError` naming what is wrong; a damaged chunk :class:`ChunkError`.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Final

import cramjam
import numpy as np
import numpy.typing as npt

__all__ = [
    "HEADER_SIZE", "MAGIC", "VERSION", "ChunkError", "ChunkInfo", "decode_chunk",
    "decode_chunks", "encode_chunk", "read_header",
]

MAGIC: Final = b"MK"  # the first two bytes of every chunk
VERSION: Final = 1  # the format version written, and the only one read
#: magic, version, kind, count, first ts, last ts, ts width, value width,
#: value order, decimals, value multiplier, payload length, CRC-32.
_HEADER: Final = struct.Struct("<2sBBIqqBBBBQII")
HEADER_SIZE: Final = _HEADER.size  # 44
_CRC_OFFSET: Final = HEADER_SIZE - 4

KIND_EMPTY: Final = 0  # value encodings (header byte 3)
KIND_FLOAT_XOR: Final = 1
KIND_SCALED_INT: Final = 2
_KIND_NAMES: Final = dict(enumerate(("empty", "float-xor", "scaled-int")))  # by kind

#: Largest magnitude of a scaled integer: deltas of deltas then fit in an int64.
_INT_LIMIT: Final = float(2**52)
#: Decimal places tried for the scaled-integer encoding.
_MAX_DECIMALS: Final = 6
#: zstd level: 3 is zstd's default; levels 1-9 measured within 2 % of its size here.
_ZSTD_LEVEL: Final = 3
_MAX_COUNT: Final = 2**32 - 1  # the header's count field is 32 bits
#: Widest span of timestamps in one chunk (deltas of deltas then fit in an int64).
_MAX_SPAN: Final = 2**62

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
_U64 = npt.NDArray[np.uint64]


class ChunkError(ValueError):
    """The bytes given are not a chunk this version can read (damaged, cut short,
    another format or a newer version). The message says which."""


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """What a chunk's header says, read without decompressing anything.

    Attributes:
        version: format version (1).
        kind: value encoding: ``"empty"``, ``"float-xor"`` or ``"scaled-int"``.
        count: number of samples.
        first_ts: timestamp of the first sample (0 when empty), the caller's unit.
        last_ts: timestamp of the last sample (0 when empty).
        decimals: decimal places of the scaled-integer encoding (0 otherwise).
        size: bytes of the whole chunk.
    """

    version: int
    kind: str
    count: int
    first_ts: int
    last_ts: int
    decimals: int
    size: int


def encode_chunk(timestamps: npt.ArrayLike, values: npt.ArrayLike) -> bytes:
    """Encode one series' samples into one chunk.

    Args:
        timestamps: shape ``(n,)``, integers (any integer dtype or Python ints),
            strictly increasing, in the caller's unit (mikromon: Unix seconds).
        values: shape ``(n,)``, float64 (integers are converted); NaN and ±inf
            allowed.

    Returns:
        The chunk: a 44-byte header then a zstd frame; ``n`` may be 0.

    Raises:
        ValueError: shapes differ or are not one-dimensional, timestamps are not
            integers or not strictly increasing, more than 2**32 - 1 samples.
    """
    ts = _as_timestamps(timestamps)
    vals = np.ascontiguousarray(values, dtype=np.float64)
    if vals.ndim != 1 or vals.shape != ts.shape:
        raise ValueError(
            f"values must be one-dimensional with one value per timestamp: "
            f"values shape {vals.shape}, timestamps shape {ts.shape}"
        )
    n = int(ts.shape[0])
    if n > _MAX_COUNT:
        raise ValueError(f"a chunk holds at most {_MAX_COUNT} samples, got {n}")
    if n == 0:
        return _pack(KIND_EMPTY, 0, 0, 0, 0, 0, 0, 0, 1, b"")
    if int(ts[-1]) - int(ts[0]) >= _MAX_SPAN:
        raise ValueError(
            f"timestamps must span less than 2**62 units: {int(ts[0])} .. {int(ts[-1])}"
        )
    steps = np.diff(ts)
    if n > 1 and not bool((steps > 0).all()):
        at = int(np.argmax(steps <= 0)) + 1
        raise ValueError(
            f"timestamps must be strictly increasing: timestamps[{at}] = {int(ts[at])} "
            f"follows {int(ts[at - 1])}"
        )
    # Delta of delta: the first delta, then each delta's change (n - 1 items).
    ts_stream = steps.copy()
    if n > 2:
        ts_stream[1:] = np.diff(steps)
    ts_width, ts_planes = _planes(_zigzag(ts_stream))
    scaled = _scaled_ints(vals)
    if scaled is None:
        bits = vals.view(np.uint64)
        xored = bits.copy()
        xored[1:] ^= bits[:-1]
        kind, order, decimals, mult = KIND_FLOAT_XOR, 0, 0, 1
        val_width, val_planes = _planes(xored)
    else:
        ints, decimals = scaled
        order, residual, mult = _residual(ints)
        kind = KIND_SCALED_INT
        val_width, val_planes = _planes(_zigzag(residual))
    payload = ts_planes + val_planes
    body = bytes(cramjam.zstd.compress(payload, level=_ZSTD_LEVEL))
    return _pack(
        kind, n, int(ts[0]), int(ts[-1]), ts_width, val_width, order, decimals, mult, body,
        payload_len=len(payload),
    )


def read_header(chunk: bytes) -> ChunkInfo:
    """Read a chunk's header only (no decompression, no checksum of the body).

    Args:
        chunk: the bytes of one chunk (``bytes``, ``bytearray`` or ``memoryview``).

    Returns:
        The :class:`ChunkInfo`.

    Raises:
        ChunkError: shorter than a header, wrong magic, unknown version or kind.
    """
    fields = _unpack(chunk)
    kind, count, first_ts, last_ts = fields[1], fields[2], fields[3], fields[4]
    return ChunkInfo(VERSION, _KIND_NAMES[kind], count, first_ts, last_ts, fields[8], len(chunk))


def decode_chunk(chunk: bytes) -> tuple[Int64Array, Float64Array]:
    """Decode one chunk back into its samples, bit for bit.

    Args:
        chunk: bytes made by :func:`encode_chunk`.

    Returns:
        ``(timestamps, values)``: int64 and float64 arrays of shape ``(n,)``.

    Raises:
        ChunkError: the chunk is cut short, damaged (checksum), of another format
            or version, or its contents contradict its header.
    """
    fields = _unpack(chunk)
    _, kind, n, first_ts, last_ts, ts_width, val_width, order, decimals, mult, plen = fields[:11]
    body = memoryview(chunk)[HEADER_SIZE:]
    crc = zlib.crc32(body, zlib.crc32(memoryview(chunk)[:_CRC_OFFSET]))
    if crc != fields[11]:
        raise ChunkError("chunk damaged: checksum mismatch")
    if kind == KIND_EMPTY:
        if n != 0 or len(body):
            raise ChunkError(f"chunk damaged: empty kind with count {n}")
        return np.empty(0, np.int64), np.empty(0, np.float64)
    want = (n - 1) * ts_width + n * val_width
    if plen != want or n == 0:
        raise ChunkError(f"chunk damaged: payload length {plen}, count {n} needs {want}")
    spare = np.empty(plen + 1, np.uint8)  # one spare byte: a longer payload is detected
    try:
        got = cramjam.zstd.decompress_into(body, spare.data)  # no copy: 2x faster
    except cramjam.DecompressionError as exc:
        raise ChunkError(f"chunk damaged: zstd: {exc}") from exc
    if got != plen:
        raise ChunkError(f"chunk damaged: payload is {got} bytes or more, header says {plen}")
    raw = spare[:plen]
    cut = (n - 1) * ts_width
    deltas = np.cumsum(_unzigzag(_unplanes(raw[:cut], n - 1, ts_width)))
    ts = np.empty(n, np.int64)
    ts[0] = first_ts
    np.cumsum(deltas, out=ts[1:])
    ts[1:] += first_ts
    if int(ts[-1]) != last_ts or (n > 1 and not bool((deltas > 0).all())):
        raise ChunkError("chunk damaged: timestamps do not match the header")
    stream = _unplanes(raw[cut:], n, val_width)
    if kind == KIND_FLOAT_XOR:
        return ts, np.bitwise_xor.accumulate(stream).view(np.float64)
    ints = _unzigzag(stream)
    if mult != 1:
        ints[order:] *= np.int64(mult)
    for k in range(order, 0, -1):  # undo the deltas of deltas, then the deltas
        ints[k - 1 :] = np.cumsum(ints[k - 1 :])
    vals = ints.astype(np.float64)
    if decimals:
        vals /= 10.0**decimals
    return ts, vals


def decode_chunks(
    chunks: list[bytes], start: int | None = None, end: int | None = None
) -> tuple[Int64Array, Float64Array]:
    """Decode consecutive chunks of one series into one pair of arrays.

    Chunks whose header range lies wholly outside ``[start, end]`` are skipped
    without decompression; samples outside it are cut.

    Args:
        chunks: chunks of one series in time order, not overlapping.
        start: first timestamp wanted (inclusive), or None for no bound.
        end: last timestamp wanted (inclusive), or None for no bound.

    Returns:
        ``(timestamps, values)``, shape ``(m,)`` each.

    Raises:
        ChunkError: a chunk is damaged (see :func:`decode_chunk`).
        ValueError: the chunks overlap or are out of order.
    """
    lo = -(2**63) if start is None else start
    hi = 2**63 - 1 if end is None else end
    parts_ts: list[Int64Array] = []
    parts_v: list[Float64Array] = []
    prev_last: int | None = None
    for chunk in chunks:
        fields = _unpack(chunk)
        first, last = fields[3], fields[4]
        if fields[2] == 0:
            continue
        if prev_last is not None and first <= prev_last:
            raise ValueError(f"chunks overlap or are out of order: {first} after {prev_last}")
        prev_last = last
        if last < lo or first > hi:
            continue
        ts, vals = decode_chunk(chunk)
        if first < lo or last > hi:
            keep = slice(int(np.searchsorted(ts, lo)), int(np.searchsorted(ts, hi, "right")))
            ts, vals = ts[keep], vals[keep]
        parts_ts.append(ts)
        parts_v.append(vals)
    if not parts_ts:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(parts_ts), np.concatenate(parts_v)


def _as_timestamps(timestamps: npt.ArrayLike) -> Int64Array:
    arr = np.asarray(timestamps)
    if arr.ndim != 1:
        raise ValueError(f"timestamps must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"timestamps must be integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and bool((arr > np.iinfo(np.int64).max).any()):
        raise ValueError("timestamps must fit in int64")
    return np.ascontiguousarray(arr, dtype=np.int64)


def _scaled_ints(vals: Float64Array) -> tuple[Int64Array, int] | None:
    """``(ints, decimals)`` with ``ints / 10**decimals`` equal to ``vals`` bit for
    bit, or None when no decimals in 0..6 do (non-finite, -0.0, long fractions)."""
    if not bool(np.isfinite(vals).all()):
        return None
    bits = vals.view(np.int64)
    probe = vals[:64]
    for decimals in range(_MAX_DECIMALS + 1):
        scale = 10.0**decimals
        for part in (probe, vals):
            scaled = np.rint(part * scale)
            if float(np.abs(scaled).max()) > _INT_LIMIT:
                return None  # more decimals only make larger integers
            ints = scaled.astype(np.int64)
            back = ints.astype(np.float64)
            if decimals:
                back /= scale
            if not np.array_equal(back.view(np.int64), bits[: part.shape[0]]):
                break
        else:
            return ints, decimals
    return None


def _residual(ints: Int64Array) -> tuple[int, Int64Array, int]:
    """``(order, residual, multiplier)``: the integers as plain values (order 0),
    deltas (1) or deltas of deltas (2), whichever has the least total magnitude;
    items from ``order`` on divided by their greatest common divisor."""
    best: tuple[float, int, Int64Array] | None = None
    current = ints
    for order in range(3):
        if order:
            current = current.copy()
            current[order:] = np.diff(current[order - 1 :])
        cost = float(np.abs(current[order:]).sum(dtype=np.float64))
        if best is None or cost < best[0]:
            best = (cost, order, current)
    assert best is not None
    _, order, residual = best
    tail = residual[order:]
    mult = int(np.gcd.reduce(tail)) if tail.shape[0] else 1
    if mult > 1:
        residual = residual.copy()
        residual[order:] //= mult
    else:
        mult = 1
    return order, residual, mult


def _zigzag(ints: Int64Array) -> _U64:
    return ((ints << 1) ^ (ints >> 63)).view(np.uint64)


def _unzigzag(stream: _U64) -> Int64Array:
    """Inverse of :func:`_zigzag`, in place (``stream`` is a fresh array). Items
    are below 2**63 (every stream holds magnitudes below 2**62), so the int64
    shift is a logical one. Written with ``out=`` on purpose: chained
    expressions of large temporaries measured 10x slower here."""
    x = stream.view(np.int64)
    half = x >> 1
    np.bitwise_and(x, 1, out=x)
    np.negative(x, out=x)
    np.bitwise_xor(half, x, out=half)
    return half


def _planes(stream: _U64) -> tuple[int, bytes]:
    """``(width, bytes)``: the fewest low bytes that hold every item, as byte
    planes (byte 0 of every item, then byte 1...)."""
    if stream.shape[0] == 0:
        return 0, b""
    top = int(stream.max())
    width = (top.bit_length() + 7) // 8
    if width == 0:
        return 0, b""
    as_bytes = stream.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)
    return width, np.ascontiguousarray(as_bytes[:, :width].T).tobytes()


def _unplanes(raw: npt.NDArray[np.uint8], n: int, width: int) -> _U64:
    if width == 8:
        return np.ascontiguousarray(raw.reshape(8, n).T).view("<u8").reshape(n)
    if 0 < width <= 2:  # timestamps, small counts: shifting planes in beats a strided copy
        planes = raw.reshape(width, n)
        joined: _U64 = planes[0].astype(np.uint64)
        if width == 2:
            high = planes[1].astype(np.uint64)
            np.left_shift(high, np.uint64(8), out=high)
            np.bitwise_or(joined, high, out=joined)
        return joined
    out = np.zeros((n, 8), np.uint8)
    if width and n:
        out[:, :width] = raw.reshape(width, n).T
    return out.view("<u8").reshape(n)


def _pack(
    kind: int, n: int, first: int, last: int, ts_width: int, val_width: int, order: int,
    decimals: int, mult: int, body: bytes, payload_len: int = 0,
) -> bytes:
    head = bytearray(
        _HEADER.pack(MAGIC, VERSION, kind, n, first, last, ts_width, val_width, order,
                     decimals, mult, payload_len, 0)
    )
    crc = zlib.crc32(body, zlib.crc32(memoryview(head)[:_CRC_OFFSET]))
    struct.pack_into("<I", head, _CRC_OFFSET, crc)
    return bytes(head) + body


def _unpack(chunk: bytes) -> tuple[int, ...]:
    if len(chunk) < HEADER_SIZE:
        raise ChunkError(f"not a chunk: {len(chunk)} bytes, a header alone is {HEADER_SIZE}")
    fields = _HEADER.unpack_from(chunk)
    if fields[0] != MAGIC:
        raise ChunkError(f"not a chunk: starts with {bytes(fields[0])!r}, not {MAGIC!r}")
    if fields[1] != VERSION:
        raise ChunkError(f"unknown chunk version {fields[1]} (this reader knows {VERSION})")
    kind = fields[2]
    if kind not in _KIND_NAMES:
        raise ChunkError(f"chunk damaged: unknown value kind {kind}")
    if fields[6] > 8 or fields[7] > 8 or fields[8] > 2 or fields[9] > _MAX_DECIMALS:
        raise ChunkError("chunk damaged: impossible widths, order or decimals in the header")
    if not 0 < fields[10] <= 4 * _INT_LIMIT:  # divides deltas of deltas: at most 2**54
        raise ChunkError(f"chunk damaged: impossible value multiplier {fields[10]}")
    return (VERSION, *fields[2:])
