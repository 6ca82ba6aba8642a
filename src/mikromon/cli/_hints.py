"""Commands printed for an operator to paste into another shell (the ``demo``
banner): the ``mikromon`` executable that runs, by its full path, and the
storage options of the database in use, quoted for a POSIX shell."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path


def mikromon_command() -> list[str]:
    """Return the words that start the ``mikromon`` that is running now.

    The console script that was run (``sys.argv[0]``, made absolute: a shell
    in another folder finds it too); when run as ``python -c``/``python -m``,
    the console script beside the interpreter (the virtualenv's ``bin``), else
    the interpreter with ``-m mikromon``. The interpreter's path is kept as
    given (not resolved), so that a virtualenv's interpreter stays in its venv.
    """
    script = sys.argv[0] if sys.argv else ""
    if script and not script.startswith("-") and not script.endswith(".py"):
        path = Path(os.path.abspath(script))
        if path.is_file() and os.access(path, os.X_OK):
            return [str(path)]
    beside = Path(sys.executable).parent / "mikromon"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [sys.executable, "-m", "mikromon"]


def storage_options(data_dir: Path | str, database_url: str | None = None) -> list[str]:
    """Return ``--data-dir DIR`` (absolute) and, when given, ``--database-url URL``."""
    options = ["--data-dir", os.path.abspath(data_dir)]
    if database_url:
        options += ["--database-url", database_url]
    return options


def command_line(*words: str, storage: Sequence[str] = ()) -> str:
    """Return one pasteable shell line: :func:`mikromon_command`, ``words`` and
    the ``storage`` options, each word quoted where a shell would split it."""
    return shlex.join([*mikromon_command(), *words, *storage])
