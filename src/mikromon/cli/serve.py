"""``mikromon serve``: the web application and the collector, for real.

Applies pending migrations, then serves the web application under uvicorn
and runs the collector in the same process until SIGINT or SIGTERM.
See docs/operations.md.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from mikromon import config
from mikromon.cli._common import Subparsers, add_command, add_storage_options, port_number


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--host``, ``--port`` and the hidden ``--time-scale`` test option."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve HTTP on (default: 127.0.0.1, this machine only)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="TCP port to serve HTTP on (default: 8000; 0 picks a free port)",
    )
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="log one line per HTTP request (default: off; server errors, 5xx, are "
        "logged anyway; 4xx answers only with -v)",
    )
    # Tests only: multiply every collection interval and backoff by F, e.g. 0.05 polls
    # twenty times faster (given to mikromon.config.use_time_scale, over
    # MIKROMON_TIME_SCALE).
    parser.add_argument("--time-scale", type=_time_scale, default=None, help=argparse.SUPPRESS)


def _port(text: str) -> int:
    return port_number(text, lowest=0)


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value <= 100.0:
        raise argparse.ArgumentTypeError(
            f"time scale must be greater than 0 and at most 100, not {value:g}"
        )
    return value


def apply_time_scale(args: argparse.Namespace) -> None:
    """Make ``--time-scale`` this process's time scale (:func:`mikromon.config.use_time_scale`:
    the collector service and the pages read it there).

    Raises:
        ConfigError: ``MIKROMON_TIME_SCALE`` is not a number greater than 0 (said
            before the migrations, not after them).
    """
    if args.time_scale is not None:
        config.use_time_scale(args.time_scale)
    config.time_scale()


def register(subparsers: Subparsers) -> None:
    """Add the ``serve`` sub-command."""
    parser = add_command(
        subparsers, "serve", handle,
        help="run the web application and the collector",
        description="Apply database migrations, then serve the web application and run "
        "the collector in this process until interrupted (Ctrl-C or SIGTERM). "
        "The collector starts unless it was stopped with `mikromon collector stop`.",
    )
    add_server_options(parser)
    add_storage_options(parser)


def handle(args: argparse.Namespace) -> int:
    """Run ``mikromon serve``; return the exit code."""
    from mikromon.cli._django import DEFAULT_DATA_DIR, guarded

    return guarded(lambda: run_server(args, data_dir_default=DEFAULT_DATA_DIR))


def run_server(
    args: argparse.Namespace,
    *,
    data_dir_default: Path,
    collector: str = "desired",
    on_ready: Callable[[str], None] | None = None,
    before_run: Callable[[Path], None] | None = None,
    on_stopping: Callable[[], None] | None = None,
) -> int:
    """Set up Django, migrate with progress, and run the web server and collector.

    Args:
        args: parsed ``serve``/``demo`` options.
        data_dir_default: data folder when none is given.
        collector: the :class:`~mikromon.web.runtime.Runtime` collector mode.
        on_ready: called with the URL once the server answers.
        before_run: called with the data folder after migrations, before serving.
        on_stopping: called when shutting down begins, before the collector stops.

    Raises:
        CommandError: the database or the port is unusable.
    """
    from mikromon.cli._django import CommandError, setup

    apply_time_scale(args)
    verbose = bool(getattr(args, "verbose", False))
    from mikromon.logconfig import configure_logging
    from mikromon.web.http_server import StartupError
    from mikromon.web.runtime import Runtime

    configure_logging(verbose=verbose)
    with _sigterm_interrupts():
        data_dir = setup(args, default_data_dir=data_dir_default, migrate=True, progress=True)
        if before_run is not None:
            before_run(data_dir)
    server = Runtime(
        host=args.host,
        port=args.port,
        collector=collector,
        on_ready=on_ready or _print_ready,
        on_stopping=on_stopping,
        access_log=args.access_log,
    )
    try:
        return server.run()
    except StartupError as err:
        raise CommandError(str(err)) from err


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While starting up (migrations), let SIGTERM interrupt like Ctrl-C: the migration
    in progress rolls back and the command exits 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_ready(url: str) -> None:
    print(f"mikromon is running at {url} (Ctrl-C stops it)", flush=True)
    sys.stdout.flush()
