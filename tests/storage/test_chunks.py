"""The chunk codec (mikromon.storage.chunks): lossless round trips over many
shapes of series, clear errors for bad input and damaged chunks, and a size
floor that fails if compression regresses grossly."""

from __future__ import annotations

import struct
import zlib

import cramjam
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikromon.storage.chunks import (
    HEADER_SIZE,
    ChunkError,
    decode_chunk,
    decode_chunks,
    encode_chunk,
    read_header,
)

T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC, Unix seconds


def _regular(n: int, step: int = 5) -> np.ndarray:
    return T0 + step * np.arange(n, dtype=np.int64)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype == np.float64 and np.array_equal(a.view(np.int64), b.view(np.int64))


def _round_trip(ts: np.ndarray, values: np.ndarray) -> bytes:
    chunk = encode_chunk(ts, values)
    got_ts, got_values = decode_chunk(chunk)
    assert got_ts.dtype == np.int64
    assert np.array_equal(got_ts, np.asarray(ts, dtype=np.int64))
    assert _same_bits(got_values, np.asarray(values, dtype=np.float64))
    info = read_header(chunk)
    assert info.count == len(ts)
    if len(ts):
        assert (info.first_ts, info.last_ts) == (int(ts[0]), int(ts[-1]))
    return chunk


def _shapes(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    walk = np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    return {
        "constant": np.full(n, 41.7),
        "zeros": np.zeros(n),
        "negative zero": np.full(n, -0.0),
        "counter": np.cumsum(rng.integers(0, 10**6, n)).astype(np.float64),
        "uptime": (1000 + 5 * np.arange(n)).astype(np.float64),
        "noisy rate, full precision": 5e7 * walk * 5 / rng.uniform(4.98, 5.02, n),
        "rate from counter deltas / 5 s": rng.integers(0, 10**8, n) * 8 / 5,
        "one-decimal voltage": np.round(rng.uniform(23.8, 24.4, n), 1),
        "percent with two decimals": np.round(rng.uniform(0, 100, n), 2),
        "spikes": np.where(rng.random(n) < 0.01, 1e12, 3.0),
        "large integers": 2.0**60 + rng.integers(-(2**20), 2**20, n).astype(np.float64),
        "just below 2**52": 2.0**52 - rng.integers(0, 3, n).astype(np.float64),
        "negative": -np.cumsum(rng.integers(0, 1000, n)).astype(np.float64),
        "alternating sign": np.where(np.arange(n) % 2 == 0, 1.0, -1.0) * 1e300,
        "tiny and subnormal": rng.normal(0, 1, n) * 5e-324 * 1e3,
        "nan and inf": np.where(
            rng.random(n) < 0.1, np.nan, np.where(rng.random(n) < 0.05, -np.inf, walk)
        ),
    }


@pytest.mark.parametrize("n", [1, 2, 3, 720])
def test_round_trip_over_many_shapes(n: int) -> None:
    rng = np.random.default_rng(n)
    for name, values in _shapes(rng, n).items():
        try:
            _round_trip(_regular(n), values)
        except AssertionError as exc:  # pragma: no cover - names the failing shape
            raise AssertionError(f"{name}: {exc}") from exc


def test_irregular_timestamps_and_milliseconds_round_trip() -> None:
    rng = np.random.default_rng(7)
    jitter = T0 * 1000 + np.cumsum(rng.integers(4_980, 5_020, 2000))
    gaps = _regular(500) + np.repeat(np.arange(5) * 3600, 100)
    _round_trip(jitter, rng.normal(size=2000))
    _round_trip(gaps, np.arange(500, dtype=np.float64))
    _round_trip(np.array([-(2**61), 0, 2**61 - 1], dtype=np.int64), np.array([1.0, 2.0, 3.0]))


def test_the_widest_integer_steps_round_trip() -> None:
    """Deltas of +-2**53 and deltas of deltas of 2**54 between the largest
    scaled integers: their divisor must still be accepted on reading."""
    top = 2.0**52
    for values in ([-top, top], [-top] * 3 + [top] * 3, [top] * 3 + [-top] * 3 + [top] * 3):
        _round_trip(_regular(len(values)), np.array(values))


def test_nan_payloads_and_signed_zeros_keep_their_bits() -> None:
    bits = np.array(
        [0x7FF8000000000001, 0xFFF0000000000123, 0x8000000000000000, 0, 0x7FF0000000000000],
        dtype=np.uint64,
    )
    _round_trip(_regular(5), bits.view(np.float64))


def test_empty_series_round_trips() -> None:
    chunk = _round_trip(np.array([], dtype=np.int64), np.array([], dtype=np.float64))
    assert read_header(chunk).kind == "empty"


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.integers(1, 10**9), min_size=0, max_size=60),
    start=st.integers(-(2**40), 2**40),
    values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=61, max_size=61),
    decimals=st.integers(-1, 4),
)
def test_round_trip_property(
    steps: list[int], start: int, values: list[float], decimals: int
) -> None:
    ts = start + np.concatenate([[0], np.cumsum(steps, dtype=np.int64)]).astype(np.int64)
    vals = np.array(values[: len(ts)], dtype=np.float64)
    if decimals >= 0:  # values of few decimals take the scaled-integer encoding
        with np.errstate(invalid="ignore", over="ignore"):
            vals = np.round(vals % 1e6, decimals)
    _round_trip(ts, vals)


def test_the_encodings_are_chosen_by_the_values() -> None:
    ts = _regular(100)
    assert read_header(encode_chunk(ts, np.arange(100.0))).kind == "scaled-int"
    voltage = read_header(encode_chunk(ts, np.round(np.linspace(23, 24, 100), 1)))
    assert (voltage.kind, voltage.decimals) == ("scaled-int", 1)
    assert read_header(encode_chunk(ts, np.linspace(0, 1, 100) ** 0.5)).kind == "float-xor"
    assert read_header(encode_chunk(ts, np.full(100, np.nan))).kind == "float-xor"


def test_bad_input_is_refused_naming_what() -> None:
    with pytest.raises(ValueError, match=r"strictly increasing: timestamps\[2\] = 5 follows 7"):
        encode_chunk([1, 7, 5], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        encode_chunk([1, 1], [1.0, 2.0])
    with pytest.raises(ValueError, match="one value per timestamp"):
        encode_chunk([1, 2, 3], [1.0, 2.0])
    with pytest.raises(ValueError, match="timestamps must be integers"):
        encode_chunk(np.array([1.5, 2.5]), [1.0, 2.0])
    with pytest.raises(ValueError, match="one-dimensional"):
        encode_chunk(np.zeros((2, 2), dtype=np.int64), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="span less than"):
        encode_chunk(np.array([-(2**62), 2**62], dtype=np.int64), [1.0, 2.0])


def _valid() -> bytes:
    rng = np.random.default_rng(3)
    return encode_chunk(_regular(300), rng.normal(size=300))


def test_every_damaged_byte_is_detected() -> None:
    chunk = _valid()
    for i in range(len(chunk)):
        damaged = bytearray(chunk)
        damaged[i] ^= 0x41
        with pytest.raises(ChunkError):
            decode_chunk(bytes(damaged))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: c[:10], "a header alone is 44"),
        (lambda c: b"XX" + c[2:], "not a chunk: starts with b'XX'"),
        (lambda c: c[:2] + bytes([9]) + c[3:], "unknown chunk version 9"),
        (lambda c: c[:-5], "checksum mismatch"),
        (lambda c: c + b"\x00", "checksum mismatch"),
        (lambda c: b"", "not a chunk: 0 bytes"),
    ],
)
def test_damaged_chunk_errors_say_what(make, message: str) -> None:
    with pytest.raises(ChunkError, match=message):
        decode_chunk(make(_valid()))


def _with_field(fmt: str, offset: int, value: int) -> bytes:
    """A valid chunk with one header field changed and the checksum recomputed:
    a writer bug rather than bit rot."""
    head = bytearray(_valid())
    struct.pack_into(fmt, head, offset, value)
    crc = zlib.crc32(bytes(head[HEADER_SIZE:]), zlib.crc32(head[: HEADER_SIZE - 4]))
    struct.pack_into("<I", head, HEADER_SIZE - 4, crc)
    return bytes(head)


@pytest.mark.parametrize(
    ("fmt", "offset", "value", "message"),
    [
        ("<I", 4, 299, "payload length"),  # count
        ("<B", 3, 7, "unknown value kind 7"),
        ("<B", 24, 9, "impossible"),  # timestamp width
        ("<B", 25, 9, "impossible"),  # value width
        ("<B", 26, 3, "impossible"),  # order
        ("<B", 27, 7, "impossible"),  # decimals
        ("<Q", 28, 0, "multiplier"),
        ("<Q", 28, 2**63, "multiplier"),
        ("<q", 16, 123, "timestamps do not match"),  # last timestamp
    ],
)
def test_a_lying_header_with_a_valid_checksum_is_still_refused(
    fmt: str, offset: int, value: int, message: str
) -> None:
    """Every impossible header field fails with ChunkError, not an
    OverflowError, an IndexError or a read out of bounds."""
    with pytest.raises(ChunkError, match=message):
        decode_chunk(_with_field(fmt, offset, value))


@pytest.mark.parametrize("extra", [-1, 1])
def test_a_payload_of_another_length_than_the_header_says_is_refused(extra: int) -> None:
    """Widths and count that agree with each other but not with the zstd frame."""
    chunk = bytearray(_valid())
    payload_len = struct.unpack_from("<I", chunk, 36)[0]
    frame = bytes(cramjam.zstd.compress(bytes(payload_len + extra)))
    crc = zlib.crc32(frame, zlib.crc32(chunk[: HEADER_SIZE - 4]))
    struct.pack_into("<I", chunk, HEADER_SIZE - 4, crc)
    with pytest.raises(ChunkError, match=r"zstd|payload is"):
        decode_chunk(bytes(chunk[:HEADER_SIZE]) + frame)


def test_decode_chunks_joins_and_cuts_to_the_range() -> None:
    ts = _regular(1000)
    values = np.arange(1000, dtype=np.float64) * 0.5
    chunks = [encode_chunk(ts[i : i + 250], values[i : i + 250]) for i in range(0, 1000, 250)]
    got_ts, got_values = decode_chunks(chunks)
    assert np.array_equal(got_ts, ts)
    assert _same_bits(got_values, values)
    got_ts, got_values = decode_chunks(chunks, start=int(ts[240]), end=int(ts[510]))
    assert np.array_equal(got_ts, ts[240:511])
    assert _same_bits(got_values, values[240:511])
    damaged = [*chunks[:3], chunks[3][:HEADER_SIZE] + b"junk" * 20]
    assert len(decode_chunks(damaged, end=int(ts[700]))[0]) == 701  # skipped unread
    with pytest.raises(ValueError, match="out of order"):
        decode_chunks([chunks[1], chunks[0]])


def test_noisy_5s_rate_costs_under_3_bytes_a_sample() -> None:
    """A day of a noisy interface rate, polled every 5 s and stored at its
    resolution (bytes counted over the 5 s step, x 8 / 5): under 3 bytes a
    sample (2.65 measured), timestamps included. The raw 64-bit sample is 16."""
    rng = np.random.default_rng(15)
    n = 17_280
    level = 2e7 * (1.3 + np.sin(np.arange(n) * 2 * np.pi / n)) / 8 * 5  # bytes per 5 s
    byte_deltas = np.round(level * rng.normal(1, 0.005, n)).astype(np.int64)
    rate_bps = byte_deltas * 8 / 5
    chunk = _round_trip(_regular(n), rate_bps)
    assert len(chunk) / n < 3.0


def test_regular_counters_and_constants_cost_almost_nothing() -> None:
    n = 17_280
    for values in (np.full(n, 1_073_741_824.0), 1000.0 + 5 * np.arange(n)):
        assert len(_round_trip(_regular(n), values)) / n < 0.05
