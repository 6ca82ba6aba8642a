"""The durable queue: order, acknowledgement, restart, the disk bound and torn or
damaged records."""

from __future__ import annotations

import pytest

from mikromon.outputs.disk_queue import DiskQueue


def test_fifo_and_ack(tmp_path):
    q = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)
    for n in range(5):
        q.put(f"p{n}".encode())
    assert len(q) == 5
    got = []
    while (payload := q.peek()) is not None:
        got.append(payload)
        q.ack()
    assert got == [b"p0", b"p1", b"p2", b"p3", b"p4"]
    assert len(q) == 0


def test_what_was_put_and_not_acked_survives_a_restart(tmp_path):
    q = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=64)
    for n in range(20):
        q.put(b"x" * 20 + str(n).encode())
    for _ in range(7):
        q.ack()
    # no close(): as if the process were killed after the puts
    again = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=64)
    assert len(again) == 13
    assert again.peek() == b"x" * 20 + b"7"


def test_the_bound_drops_the_oldest_and_counts_them(tmp_path):
    q = DiskQueue(tmp_path, max_bytes=1000, segment_bytes=200)
    for n in range(100):
        q.put(b"%03d" % n + b"." * 37)  # 48 bytes with the header
    assert q.disk_bytes <= 1000
    assert q.dropped > 0
    assert len(q) + q.dropped == 100
    first = q.peek()
    assert first is not None
    assert int(first[:3]) == q.dropped
    assert len(list(tmp_path.glob("*.seg"))) <= 6


def test_a_torn_tail_is_cut_and_a_damaged_record_skipped(tmp_path):
    q = DiskQueue(tmp_path, max_bytes=1 << 20)
    q.put(b"first")
    q.put(b"second")
    q.put(b"third")
    q.close()
    (seg,) = tmp_path.glob("*.seg")
    data = bytearray(seg.read_bytes())
    data[8 + 5 + 8 + 2] ^= 0xFF  # flip a byte of "second"
    data += b"\x00\x00\x00\x09abc"  # a record cut short by a crash
    seg.write_bytes(bytes(data))
    again = DiskQueue(tmp_path, max_bytes=1 << 20)
    out = []
    while (payload := again.peek()) is not None:
        out.append(payload)
        again.ack()
    assert out == [b"first", b"third"]
    assert again.corrupt == 1
    again.put(b"fourth")  # appends after the cut
    assert again.peek() == b"fourth"


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="max_bytes"):
        DiskQueue(tmp_path, max_bytes=10, segment_bytes=100)
    q = DiskQueue(tmp_path, max_bytes=1 << 20)
    with pytest.raises(ValueError, match="payload"):
        q.put(b"")


def test_the_queue_is_owner_only_whatever_the_umask(tmp_path):
    """The queue lives in the data folder: its folder 0700, its segments and cursor
    0600 (docs/operations.md, "File modes"), also when the umask is 022."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        folder = tmp_path / "outputs" / "remote-write"
        q = DiskQueue(folder, max_bytes=1 << 20, segment_bytes=64)
        for i in range(4):
            q.put(b"x" * 40 + bytes([i]))
        q.ack()
        q.close()
        again = DiskQueue(folder, max_bytes=1 << 20, segment_bytes=64)
        assert again.peek() == b"x" * 40 + bytes([1])
        again.close()
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.iterdir()]}
    assert len(modes) >= 3, modes
    assert modes.pop(folder.name) == 0o700
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE((tmp_path / "outputs").stat().st_mode) == 0o700
