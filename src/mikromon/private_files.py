"""Files and folders in the data folder, owner-only whatever the umask
(docs/operations.md, "File modes"): folders 0700, files 0600, as the database and
the keys are made (:mod:`mikromon.web.monitor.envconfig`: ``os.open`` with mode
0600). A file or folder left more open by an older version is closed to others
when it is written again.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Literal

__all__ = ["FILE_MODE", "FOLDER_MODE", "make_private_dir", "open_private", "write_private_text"]

#: Mode of the files mikromon writes in the data folder.
FILE_MODE = 0o600
#: Mode of the folders mikromon makes in the data folder.
FOLDER_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents mode 0700, whatever the umask; an
    existing ``path`` this user owns is set to 0700.

    Raises:
        OSError: the folder cannot be created or changed.
    """
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):  # parents first, each 0700 (mkdir's parents
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)  # would take the umask's mode)
        folder.chmod(FOLDER_MODE)
    if path.stat().st_uid == os.getuid():
        path.chmod(FOLDER_MODE)


def open_private(path: Path, mode: Literal["ab", "wb"]) -> IO[bytes]:
    """Open ``path`` for appending (``"ab"``) or writing afresh (``"wb"``), created
    mode 0600; an existing file is set to 0600.

    Raises:
        OSError: the file cannot be opened.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``, replacing what it held, mode 0600.

    Raises:
        OSError: the file cannot be written.
    """
    with open_private(path, "wb") as handle:
        handle.write(text.encode("utf-8"))
