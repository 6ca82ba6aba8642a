"""Output files of commands that appear only when complete: written beside their
target under a temporary name and renamed into place on success.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def output_file(path: str | None) -> Iterator[TextIO]:
    """Yield the output stream; a file is written beside its target and renamed into
    place only when the export succeeded.

    A new file gets the usual mode for the user's umask (0644 under umask 022); a
    file that is replaced keeps its mode.
    """
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    from mikromon.cli._django import EXIT_USAGE, CommandError

    target = Path(path)
    try:
        fd, temp = create_beside(target)
    except OSError as err:
        raise CommandError(f"cannot write {path}: {err.strerror or err}", EXIT_USAGE) from err
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def create_beside(target: Path) -> tuple[int, str]:
    """Create a new, empty temporary file in ``target``'s folder; return (fd, path).

    Created with mode 0666 minus the umask (as the shell's ``>`` would), or with
    the mode of an existing ``target``.

    Raises:
        OSError: the folder is missing or not writable.
    """
    folder = target.parent
    for _ in range(100):
        temp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            return fd, str(temp)
        with contextlib.suppress(OSError):
            os.chmod(fd, mode)
        return fd, str(temp)
    raise FileExistsError(f"no free temporary name beside {target}")
