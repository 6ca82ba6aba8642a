"""The ``mikromon`` command.

Each module in this package that defines ``register(subparsers)`` adds one
sub-command (``simulate``, ``collect-once``, ``serve``, ``demo``, ``device``,
``collector``, ``createadmin``, ``export``). A command's handler is stored as
the parser default ``handler`` and returns the process exit code.
Modules that need Django import it inside their handlers, never at import time.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from mikromon import __version__
from mikromon.cli._common import EXIT_INTERRUPTED, EXIT_USAGE, stdout_gone
from mikromon.logconfig import configure_logging


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="mikromon",
        description="Monitoring for fleets of MikroTik RouterOS routers.",
    )
    parser.add_argument("--version", action="version", version=f"mikromon {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log debug messages to stderr"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mikromon`` command line; return the exit code.

    Every command prints through ``sys.stdout``; when its reader goes away
    (``mikromon collect-once --json | head``) the command stops quietly with
    exit code 141 (:func:`mikromon.cli._common.stdout_gone`), whichever command
    it was.
    """
    try:
        code = _run(argv)
        # Output still buffered fails here, not in the interpreter's exit.
        sys.stdout.flush()
    except BrokenPipeError:
        return stdout_gone()
    return code


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
