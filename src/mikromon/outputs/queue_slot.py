"""An output's queue folder held by one process at a time.

Several collector processes of one machine (``mikromon serve --collectors N``,
or ``mikromon collector join`` beside a server) share the data folder, and each
builds the same outputs: each must queue in a folder of its own, since
:class:`~mikromon.outputs.disk_queue.DiskQueue` keeps one writer's offsets and
cursor in memory (a second writer would overwrite the first's records). The
first process takes ``<data>/outputs/<name>`` itself (where a single collector
always queued), the next ``<name>/member-2``, ``<name>/member-3`` ... inside it,
so that removing the output's folder removes them all. A folder is held by an
exclusive ``flock`` on its ``lock`` file (released when the holder closes it or
its process ends, even by SIGKILL); a process starting later takes the first
free one with the backlog left there.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Final

from mikromon.private_files import make_private_dir

__all__ = ["MAX_SLOTS", "QueueSlot", "claim"]

#: Most processes of one machine queueing for one output.
MAX_SLOTS: Final = 64
_LOCK_FILE: Final = "lock"


class QueueSlot:
    """A queue folder this process holds (see the module); :meth:`release` lets go."""

    def __init__(self, folder: Path, fd: int) -> None:
        self.folder = folder
        self._fd = fd

    def release(self) -> None:
        """Let another process take the folder (no-op when released)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _try(folder: Path) -> QueueSlot | None:
    make_private_dir(folder)
    fd = os.open(folder / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        raise
    return QueueSlot(folder, fd)


def claim(folder: Path) -> QueueSlot:
    """Hold ``folder``, or when another process does, the first free
    ``folder/member-N`` (N from 2).

    Raises:
        OSError: a folder cannot be created or locked, or :data:`MAX_SLOTS`
            processes hold them all.
    """
    for n in range(1, MAX_SLOTS + 1):
        slot = _try(folder if n == 1 else folder / f"member-{n}")
        if slot is not None:
            return slot
    raise OSError(f"{MAX_SLOTS} processes queue in {folder} already")
