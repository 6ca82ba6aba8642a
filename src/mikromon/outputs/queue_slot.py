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
free one with the backlog left there, and a process holding a folder takes the
backlog of a free one with :func:`hold` (:mod:`~mikromon.outputs.adopted`).

A ``member-N`` folder emptied by its holder is removed (:meth:`QueueSlot.retire`),
while a process may be claiming it at that very moment. The lock file is
unlinked before the folder and let go last, so: a claimer that opened the lock
file before it was unlinked either fails its ``flock`` (held) and moves on, or
gets it once let go and then finds the file it locked is no longer the folder's
``lock`` (gone, or another file): it drops it and tries again, creating the
folder and the lock afresh; a claimer that finds the folder gone between
creating it and opening the lock tries again too; one that created a new lock
file first makes the folder's removal fail (not empty), and holds the new file.
Either way a folder is held through the file its ``lock`` names, by one process.
The first folder (``<name>`` itself) is never removed: it holds the members'.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from pathlib import Path
from typing import Final

from mikromon.private_files import make_private_dir

__all__ = ["MAX_SLOTS", "QueueSlot", "claim", "folders", "hold"]

#: Most processes of one machine queueing for one output.
MAX_SLOTS: Final = 64
_LOCK_FILE: Final = "lock"
_MEMBER: Final = re.compile(r"^member-([2-9]|[1-9][0-9]+)$")
#: Tries at one folder whose lock file is replaced meanwhile (see the module).
_TRIES: Final = 3


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

    def retire(self) -> None:
        """Let go of the folder, removing it first when it is a ``member-N``
        folder (the caller removed the queue's files): see the module for why a
        process claiming it meanwhile is safe. A folder that cannot be removed
        (another file appeared in it) stays. No-op when released."""
        if self._fd >= 0 and _MEMBER.match(self.folder.name):
            with contextlib.suppress(OSError):
                (self.folder / _LOCK_FILE).unlink()
            with contextlib.suppress(OSError):
                self.folder.rmdir()
        self.release()


def _try(folder: Path, *, create: bool = True) -> QueueSlot | None:
    """Hold ``folder`` (created unless ``create`` is false), ``None`` when
    another process holds it or, without ``create``, it is missing."""
    for _ in range(_TRIES):
        try:
            if create:
                make_private_dir(folder)
            fd = os.open(folder / _LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            if not create:
                return None
            continue  # removed by its holder meanwhile: create it again
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError:
            os.close(fd)
            raise
        if _names(folder / _LOCK_FILE, fd):
            return QueueSlot(folder, fd)
        os.close(fd)  # locked a file its holder unlinked on leaving: try again
    return None


def _names(path: Path, fd: int) -> bool:
    """Whether ``path`` is the file open as ``fd``."""
    try:
        here, held = os.stat(path), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


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


def hold(folder: Path) -> QueueSlot | None:
    """Hold ``folder`` if it exists and no process holds it, else ``None``
    (never creates it: a folder just removed stays removed; its lock file is
    created when missing).

    Raises:
        OSError: the lock file cannot be opened or locked.
    """
    return _try(folder, create=False)


def folders(folder: Path) -> list[Path]:
    """The queue folders of one output present on disk: ``folder`` itself, then
    its ``member-N`` folders by N (none when ``folder`` is missing)."""
    try:
        members = [p for p in folder.iterdir() if _MEMBER.match(p.name) and p.is_dir()]
    except OSError:
        return []
    members.sort(key=lambda p: int(p.name.split("-")[1]))
    return [folder, *members]
