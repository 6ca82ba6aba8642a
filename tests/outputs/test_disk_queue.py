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


def drained(folder) -> None:
    """Leave in ``folder`` a closed queue whose three records were all sent."""
    q = DiskQueue(folder, max_bytes=1 << 20, segment_bytes=1 << 16)
    for n in range(3):
        q.put(f"old{n}".encode())
    for _ in range(3):
        q.ack()
    q.close()


def test_records_put_after_the_segments_were_removed_survive_a_restart(tmp_path):
    """A drained folder whose segments were removed (an adopted folder emptied, a
    crash before its cursor went too) keeps the cursor: records put afterwards
    must come after it, or the next open would skip them as sent."""
    drained(tmp_path)
    for seg in tmp_path.glob("*.seg"):  # a crash after the segments went
        seg.unlink()
    assert (tmp_path / "cursor").exists()
    assert not list(tmp_path.glob("*.seg"))
    again = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)
    again.put(b"new0")
    again.put(b"new1")
    # no close(): as if the process were killed
    third = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)
    assert [third.peek()] == [b"new0"]
    assert len(third) == 2


def test_a_cursor_past_a_cut_tail_keeps_new_records(tmp_path):
    """The newest segment lost its tail after the cursor moved past it (a machine
    crash before the fsync): new records go after the cursor."""
    drained(tmp_path)
    (seg,) = tmp_path.glob("*.seg")
    seg.write_bytes(seg.read_bytes()[:10])
    again = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)
    assert len(again) == 0
    again.put(b"new")
    assert len(DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=1 << 16)) == 1


def test_backlog_is_told_from_file_sizes(tmp_path):
    from mikromon.outputs.disk_queue import has_backlog, remove_files

    assert not has_backlog(tmp_path / "missing")
    q = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=64)
    assert not has_backlog(tmp_path)
    for n in range(6):
        q.put(b"y" * 30 + str(n).encode())
    assert has_backlog(tmp_path)
    for _ in range(5):
        q.ack()
    assert has_backlog(tmp_path)
    q.ack()
    assert not has_backlog(tmp_path)
    q.close()
    assert not has_backlog(tmp_path)
    q = DiskQueue(tmp_path, max_bytes=1 << 20, segment_bytes=64)
    q.put(b"z")
    assert has_backlog(tmp_path)
    q.ack()
    q.close()
    remove_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
