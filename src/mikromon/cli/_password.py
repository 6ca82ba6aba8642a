"""Reading passwords: from a file, an environment variable, or a prompt.

Passwords are never accepted as plain command-line arguments (other users of
the machine can read them from the process list and the shell history).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from mikromon.cli._django import EXIT_USAGE, CommandError


def add_password_options(parser: argparse.ArgumentParser, *, what: str = "password") -> None:
    """Add ``--password-file FILE`` and ``--password-env VAR`` (mutually exclusive)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", action=_RefusePlainPassword, help=argparse.SUPPRESS)
    group.add_argument(
        "--password-file",
        metavar="FILE",
        help=f"read the {what} from the first line of FILE ('-' reads standard input)",
    )
    group.add_argument(
        "--password-env",
        metavar="VAR",
        help=f"read the {what} from the environment variable VAR",
    )


class _RefusePlainPassword(argparse.Action):
    """``--password`` exists only to explain why it is refused."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs["nargs"] = "?"
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        parser.error(
            "passwords are not accepted on the command line (other users can read them "
            "from the process list); use --password-file FILE, --password-env VAR, "
            "or leave both out to be asked"
        )


def read_password(
    args: argparse.Namespace,
    *,
    prompt: str = "Password: ",
    confirm: bool = False,
    required: bool = True,
) -> str | None:
    """Return the password named by ``args``, or ask for it on the terminal.

    Args:
        args: parsed options with ``password_file`` and ``password_env``.
        prompt: the prompt shown when reading from the terminal.
        confirm: ask twice on the terminal and insist the answers match.
        required: when no option is given and standard input is not a
            terminal, raise instead of returning ``None``.

    Returns:
        The password (a file's first line without its line ending; an
        environment variable's whole value), or ``None`` when nothing was given
        and ``required`` is false.

    Raises:
        CommandError: the file cannot be read, the variable is unset, the
            password is empty, or the answers on the terminal differ.
    """
    file_name = getattr(args, "password_file", None)
    env_name = getattr(args, "password_env", None)
    if file_name:
        password = _read_file(file_name)
        source = f"password file {file_name}"
    elif env_name:
        if env_name not in os.environ:
            raise CommandError(f"environment variable {env_name} is not set", EXIT_USAGE)
        password = os.environ[env_name]
        source = f"environment variable {env_name}"
    elif sys.stdin is not None and sys.stdin.isatty():
        password = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again: ") != password:
            raise CommandError("the passwords do not match", EXIT_USAGE)
        source = "the prompt"
    elif required:
        raise CommandError(
            "no password given: use --password-file FILE or --password-env VAR "
            "(or run in a terminal to be asked)",
            EXIT_USAGE,
        )
    else:
        return None
    if not password:
        raise CommandError(f"the password from {source} is empty", EXIT_USAGE)
    return password


def _read_file(name: str) -> str:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as err:
        raise CommandError(
            f"cannot read password file {name}: {err.strerror or err}", EXIT_USAGE
        ) from err
    except UnicodeDecodeError as err:
        raise CommandError(f"password file {name} is not UTF-8 text", EXIT_USAGE) from err
    lines = text.splitlines()
    return lines[0] if lines else ""
