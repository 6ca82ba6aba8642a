"""A durable, bounded FIFO of byte payloads in a folder.

Layout: segment files ``<number>.seg`` holding records (4-byte big-endian length,
4-byte CRC-32 of the payload, the payload), and ``cursor`` holding the segment and
offset of the oldest payload not yet acknowledged (replaced atomically). A record
is written and flushed to the operating system before :meth:`DiskQueue.put`
returns, and fsynced (at most once per ``sync_interval_s``), so a payload put
survives the process being killed, and a machine crash loses at most the last
``sync_interval_s``. A torn record at the end of the newest segment (a crash
during a write) is cut off on open; a record whose checksum fails is skipped and
counted.

A cursor pointing past the records on disk (their segments were removed once
all were sent, :func:`remove_files`; or a machine crash cut a tail the cursor
had passed) makes the next record start a new segment numbered after it, so that
what is put afterwards is never taken for sent.

Bound: when the segments hold more than ``max_bytes``, whole segments are deleted
oldest first (never the one being written) and their payloads counted in
:attr:`DiskQueue.dropped`. Not thread-safe: one producer and one consumer share it
under the caller's lock (:class:`~mikromon.outputs.worker.OutputWorker`).
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mikromon.private_files import make_private_dir, open_private, write_private_text

_HEADER: Final = struct.Struct(">II")
#: Largest payload accepted, bytes.
MAX_RECORD: Final = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Entry:
    segment: int
    offset: int
    length: int


class DiskQueue:
    """Durable FIFO of payloads (see the module).

    Args:
        folder: where the segments live (created if missing).
        max_bytes: most bytes kept on disk (>= ``segment_bytes``).
        segment_bytes: size at which a new segment starts (default: an eighth of
            ``max_bytes``, at most 4 MiB, so the bound drops little at a time).
        sync_interval_s: most seconds between two fsyncs (0: fsync every put).

    Raises:
        ValueError: a bound is not positive, or ``max_bytes < segment_bytes``.
        OSError: the folder cannot be created or read.
    """

    def __init__(self, folder: Path, *, max_bytes: int, segment_bytes: int | None = None,
                 sync_interval_s: float = 1.0) -> None:
        if segment_bytes is None:
            segment_bytes = max(1, min(4 * 1024 * 1024, max_bytes // 8))
        if segment_bytes <= 0 or max_bytes < segment_bytes:
            raise ValueError(f"max_bytes ({max_bytes}) must be at least segment_bytes "
                             f"({segment_bytes}), both positive")
        self.folder = folder
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.sync_interval_s = sync_interval_s
        #: Payloads deleted unsent because of the bound, or unreadable on disk.
        self.dropped = 0
        self.corrupt = 0
        self._entries: deque[_Entry] = deque()
        self._sizes: dict[int, int] = {}
        self._last_sync = 0.0
        make_private_dir(folder)  # in the data folder: owner-only (docs/operations.md)
        cursor = _read_cursor(folder)
        self._load(cursor)
        newest = max(self._sizes, default=0)
        if (newest, self._sizes.get(newest, 0)) < cursor:  # records after it are new
            newest = cursor[0] + 1
        self._write_segment = newest
        self._sizes.setdefault(newest, 0)
        self._file = open_private(self._path(self._write_segment), "ab")

    # -- state -----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def disk_bytes(self) -> int:
        """Bytes the segments take."""
        return sum(self._sizes.values())

    # -- producer --------------------------------------------------------------------

    def put(self, payload: bytes) -> None:
        """Append ``payload``; flushed before returning.

        Raises:
            ValueError: the payload is empty or over :data:`MAX_RECORD`.
            OSError: the disk refused the write.
        """
        if not payload or len(payload) > MAX_RECORD:
            raise ValueError(f"a payload must have 1 to {MAX_RECORD} bytes, not {len(payload)}")
        if self._sizes[self._write_segment] >= self.segment_bytes:
            self._roll()
        offset = self._sizes[self._write_segment]
        self._file.write(_HEADER.pack(len(payload), zlib.crc32(payload)) + payload)
        self._file.flush()
        now = time.monotonic()
        if now - self._last_sync >= self.sync_interval_s:
            os.fsync(self._file.fileno())
            self._last_sync = now
        self._sizes[self._write_segment] = offset + _HEADER.size + len(payload)
        self._entries.append(_Entry(self._write_segment, offset, len(payload)))
        self._enforce_bound()

    # -- consumer --------------------------------------------------------------------

    def peek(self) -> bytes | None:
        """Return the oldest unacknowledged payload, ``None`` when empty."""
        while self._entries:
            entry = self._entries[0]
            with open(self._path(entry.segment), "rb") as f:
                f.seek(entry.offset)
                head = f.read(_HEADER.size)
                payload = f.read(entry.length)
            if len(head) == _HEADER.size and _HEADER.unpack(head)[1] == zlib.crc32(payload):
                return payload
            self.corrupt += 1
            self._entries.popleft()
            self._save_cursor()
        return None

    def ack(self) -> None:
        """Forget the oldest payload (sent, or refused for good)."""
        if self._entries:
            self._entries.popleft()
            self._save_cursor()
            self._delete_read_segments()

    def close(self) -> None:
        """Flush, fsync and close the segment being written."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    # -- internals -------------------------------------------------------------------

    def _path(self, segment: int) -> Path:
        return self.folder / f"{segment:012d}.seg"

    def _roll(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._write_segment += 1
        self._sizes[self._write_segment] = 0
        self._file = open_private(self._path(self._write_segment), "ab")

    def _enforce_bound(self) -> None:
        while self.disk_bytes > self.max_bytes:
            oldest = min(self._sizes)
            if oldest == self._write_segment:
                return
            dropped = 0
            while self._entries and self._entries[0].segment == oldest:
                self._entries.popleft()
                dropped += 1
            self.dropped += dropped
            self._remove(oldest)
            self._save_cursor()

    def _delete_read_segments(self) -> None:
        first = self._entries[0].segment if self._entries else self._write_segment
        for segment in sorted(self._sizes):
            if segment < first and segment != self._write_segment:
                self._remove(segment)

    def _remove(self, segment: int) -> None:
        self._path(segment).unlink(missing_ok=True)
        del self._sizes[segment]

    def _save_cursor(self) -> None:
        entry = self._entries[0] if self._entries else None
        where = (entry.segment, entry.offset) if entry else (
            self._write_segment, self._sizes.get(self._write_segment, 0))
        tmp = self.folder / "cursor.tmp"
        write_private_text(tmp, f"{where[0]} {where[1]}\n")
        os.replace(tmp, self.folder / "cursor")

    def _load(self, cursor: tuple[int, int]) -> None:
        """Index the records after the cursor; cut a torn tail off the newest segment."""
        segments = sorted(_segments(self.folder))
        cursor_segment, cursor_offset = cursor
        for n, segment in enumerate(segments):
            path = self._path(segment)
            data = path.read_bytes()
            pos = 0
            while pos + _HEADER.size <= len(data):
                length, _crc = _HEADER.unpack_from(data, pos)
                if length == 0 or length > MAX_RECORD or pos + _HEADER.size + length > len(data):
                    break
                if (segment, pos) >= (cursor_segment, cursor_offset):
                    self._entries.append(_Entry(segment, pos, length))
                pos += _HEADER.size + length
            if pos < len(data):
                if n == len(segments) - 1:
                    with open(path, "r+b") as f:  # a torn write at the end: cut it off
                        f.truncate(pos)
                else:
                    self.corrupt += 1
            self._sizes[segment] = pos
        for segment in [s for s in self._sizes if s < cursor_segment]:
            self._remove(segment)


def _read_cursor(folder: Path) -> tuple[int, int]:
    """(segment, offset) of the oldest unacknowledged record; (-1, 0) when unset."""
    try:
        segment, offset = (folder / "cursor").read_text().split()
        return int(segment), int(offset)
    except (OSError, ValueError):
        return -1, 0


def _segments(folder: Path) -> dict[int, Path]:
    """The segment files of ``folder`` by number (none when it is missing)."""
    try:
        return {int(p.stem): p for p in folder.glob("*.seg") if p.stem.isdigit()}
    except OSError:
        return {}


def has_backlog(folder: Path) -> bool:
    """Whether the queue in ``folder`` holds records after its cursor, told from
    the segments' sizes alone (no record read: cheap enough to ask of every
    folder of an output every few seconds). A torn or damaged tail counts as a
    backlog (opening the queue finds it is none). ``False`` for a missing folder.
    """
    cursor = _read_cursor(folder)
    for segment, path in _segments(folder).items():
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size and (segment, size) > cursor:
            return True
    return False


def remove_files(folder: Path) -> None:
    """Delete the queue's files in ``folder``: the segments, then the cursor. A
    crash in between leaves the cursor alone, and a queue opened there later
    writes after it (see the module), so no record put afterwards is taken for
    sent. Call it only on a closed queue whose records were all acknowledged,
    from the process holding the folder.

    Raises:
        OSError: a file cannot be deleted.
    """
    for path in _segments(folder).values():
        path.unlink(missing_ok=True)
    for name in ("cursor", "cursor.tmp"):
        (folder / name).unlink(missing_ok=True)
