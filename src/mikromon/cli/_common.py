"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeAlias

from mikromon import config

# Exit codes, one table for every command (docs/operations.md, "Exit codes").
#: Done.
EXIT_OK = 0
#: The command failed (port in use, no confirmation in time...).
EXIT_FAILURE = 1
#: Bad input: an unknown option, device or metric, an invalid value.
EXIT_USAGE = 2
#: No database in the data folder, or the database cannot be reached or refused a change.
EXIT_DATABASE = 3
#: The router did not answer (``collect-once``).
EXIT_UNREACHABLE = 4
#: The router refused the login (``collect-once``).
EXIT_AUTH = 5
#: Interrupted (Ctrl-C) in a command that is not a server.
EXIT_INTERRUPTED = 130
#: Standard output was closed by its reader (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141


#: The ``subparsers`` object commands and actions are added to.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
#: A command's handler: parsed arguments in, exit code out.
Handler = Callable[[argparse.Namespace], int]


def add_command(
    subparsers: Subparsers, name: str, handler: Handler | None = None, *, help: str,
    description: str, defaults: dict[str, Any] | None = None, **options: Any,
) -> argparse.ArgumentParser:
    """Add the sub-command (or action) ``name`` and return its parser.

    Args:
        subparsers: where to add it (the ``mikromon`` command's, or a command's actions).
        handler: stored as the parser default ``handler`` (``None``: none).
        help: the one-line help shown in the list of commands.
        description: the paragraph shown by ``--help``.
        defaults: further parser defaults (``{"enable": True}``...).
        options: further ``add_parser`` arguments (``formatter_class``...).
    """
    parser = subparsers.add_parser(name, help=help, description=description, **options)
    values = dict(defaults or {})
    if handler is not None:
        values["handler"] = handler
    if values:
        parser.set_defaults(**values)
    return parser


@contextmanager
def command_with_actions(
    subparsers: Subparsers, name: str, *, help: str, description: str,
) -> Iterator[Subparsers]:
    """Add the sub-command ``name`` whose first argument is an ACTION
    (``device add|list|...``) and yield the subparsers to add the actions to
    (:func:`add_command`); when the block ends, the command and each action take
    :func:`add_storage_options`."""
    parser = subparsers.add_parser(name, help=help, description=description)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    yield actions
    add_storage_options(parser, actions=actions.choices.values())


def add_storage_options(
    parser: argparse.ArgumentParser,
    *,
    environment: bool = True,
    default_dir: str = "./data",
    actions: Iterable[argparse.ArgumentParser] = (),
) -> None:
    """Add ``--data-dir`` and ``--database-url``.

    Args:
        parser: the sub-command's parser.
        actions: the parsers of its actions (``device list``...): they take the
            options too, so both ``device --data-dir D list`` and
            ``device list --data-dir D`` work (given after the action, it wins).
        environment: default the options from ``MIKROMON_DATA_DIR`` and
            ``MIKROMON_DATABASE_URL`` (``demo`` passes ``False``: it never uses the
            database those name).
        default_dir: the data folder used when nothing names one (for the help text).
    """
    data_dir = config.given("MIKROMON_DATA_DIR") if environment else None
    database_url = config.given("MIKROMON_DATABASE_URL") if environment else None
    where = "$MIKROMON_DATA_DIR or " if environment else ""
    url = "$MIKROMON_DATABASE_URL or " if environment else ""
    dir_help = (
        f"folder for the SQLite database and the key files (default: {where}{default_dir}"
        f"{'' if environment else '; MIKROMON_DATA_DIR is ignored'})"
    )
    url_help = (
        "database URL, e.g. postgresql://user@127.0.0.1/mikromon "
        f"(default: {url}SQLite in the data folder"
        f"{'' if environment else '; MIKROMON_DATABASE_URL is ignored'})"
    )
    parser.add_argument("--data-dir", default=data_dir, help=dir_help)
    parser.add_argument("--database-url", default=database_url, help=url_help)
    for action in actions:
        # No default on the action: it would overwrite the value given before it.
        action.add_argument("--data-dir", default=argparse.SUPPRESS, help=dir_help)
        action.add_argument("--database-url", default=argparse.SUPPRESS, help=url_help)


def port_number(text: str, *, lowest: int) -> int:
    """Parse a TCP port option (argparse ``type``).

    Args:
        text: the option's value.
        lowest: the smallest port accepted (0 for "any free port").

    Raises:
        argparse.ArgumentTypeError: not an integer, or outside ``lowest``..65535.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not lowest <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be {lowest}..65535, not {value}")
    return value


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    """Print ``mikromon: error: <message>`` to stderr and return ``code``."""
    print(f"mikromon: error: {message}", file=sys.stderr)
    return code


def stdout_gone() -> int:
    """Point standard output at ``/dev/null`` after its reader went away and
    return :data:`EXIT_BROKEN_PIPE`.

    Called on ``BrokenPipeError`` (``mikromon collect-once --json | head``): the
    output still buffered, and the interpreter's own flush at exit, then go
    nowhere instead of printing a second ``BrokenPipeError`` to stderr.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return ``rows`` under ``headers`` as left-aligned columns, one line per row."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(headers), *rows]
    ]
    return "\n".join(lines) + "\n"
