"""``mikromon serve``: the web application and the collector, for real.

Applies pending migrations, binds the port, then runs the collector in one
child process and the web application (uvicorn) in ``--web-workers`` child
processes accepting on that port, watched and restarted by this process
(:class:`mikromon.web.supervisor.Supervisor`) until SIGINT or SIGTERM. With
``--single-process`` everything runs in this process instead
(:class:`mikromon.web.runtime.Runtime`). See docs/operations.md, "How it runs".
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from mikromon import config, event_loop
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
    parser.add_argument(
        "--web-workers",
        type=_web_workers,
        default=None,
        metavar="N",
        help="web worker processes (default: MIKROMON_WEB_WORKERS, else one per core, "
        "1 to 4)",
    )
    parser.add_argument(
        "--collectors",
        type=_collectors,
        default=None,
        metavar="N",
        help="collector processes sharing the fleet (default: MIKROMON_COLLECTORS, "
        "else 1: one collector holds the database alone)",
    )
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="run the web server and the collector in this one process (no child "
        "processes; for small installations and debugging)",
    )
    # Tests only: multiply every collection interval and backoff by F, e.g. 0.05 polls
    # twenty times faster (given to mikromon.config.use_time_scale, over
    # MIKROMON_TIME_SCALE).
    parser.add_argument("--time-scale", type=_time_scale, default=None, help=argparse.SUPPRESS)


def _port(text: str) -> int:
    return port_number(text, lowest=0)


def _web_workers(text: str) -> int:
    from mikromon.web.supervisor import MAX_WEB_WORKERS

    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEB_WORKERS:
        raise argparse.ArgumentTypeError(
            f"web workers must be a whole number from 1 to {MAX_WEB_WORKERS}, not {text!r}")
    return int(text)


def _collectors(text: str) -> int:
    from mikromon.web.supervisor import MAX_WEB_WORKERS

    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WEB_WORKERS:
        raise argparse.ArgumentTypeError(
            f"collectors must be a whole number from 1 to {MAX_WEB_WORKERS}, not {text!r}")
    return int(text)


def collectors(args: argparse.Namespace) -> int:
    """The number of collector processes: ``--collectors``, else ``MIKROMON_COLLECTORS``
    (default 1).

    Raises:
        ConfigError: ``MIKROMON_COLLECTORS`` is not a whole number from 1 to 64.
    """
    given = getattr(args, "collectors", None)
    return int(given) if given else config.whole("MIKROMON_COLLECTORS")


def web_workers(args: argparse.Namespace) -> int:
    """The number of web workers: ``--web-workers``, else ``MIKROMON_WEB_WORKERS``
    when not 0, else :func:`mikromon.web.supervisor.default_web_workers`.

    Raises:
        ConfigError: ``MIKROMON_WEB_WORKERS`` is not a whole number from 0 to 64.
    """
    from mikromon.web.supervisor import default_web_workers

    given = getattr(args, "web_workers", None)
    if given:
        return int(given)
    return config.whole("MIKROMON_WEB_WORKERS") or default_web_workers()


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
        description="Apply database migrations, then run the collector in one child "
        "process and the web application in --web-workers child processes sharing the "
        "port, restarting any that dies, until interrupted (Ctrl-C or SIGTERM). "
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
    event_loop.loop_factory()  # a bad MIKROMON_EVENT_LOOP is said before the migrations too
    verbose = bool(getattr(args, "verbose", False))
    from mikromon.logconfig import configure_logging
    from mikromon.web.http_server import StartupError
    from mikromon.web.runtime import Runtime
    from mikromon.web.supervisor import Supervisor

    configure_logging(verbose=verbose)
    single = bool(getattr(args, "single_process", False))
    workers = 1 if single else web_workers(args)
    shards = collectors(args)
    if single and shards > 1:
        raise CommandError("--single-process runs one collector: leave out --collectors "
                           "(or MIKROMON_COLLECTORS) or the --single-process option")
    with _sigterm_interrupts():
        data_dir = setup(args, default_data_dir=data_dir_default, migrate=True, progress=True)
        # Missing chart library: said, not fatal (every page but the charts works).
        from mikromon.web.ui import assets

        assets.log_missing_libraries(logging.getLogger("mikromon.serve"))
        if before_run is not None:
            before_run(data_dir)
    server: Runtime | Supervisor
    if single:
        server = Runtime(host=args.host, port=args.port, collector=collector,
                         on_ready=on_ready or _print_ready, on_stopping=on_stopping,
                         access_log=args.access_log)
    else:
        server = Supervisor(host=args.host, port=args.port, web_workers=workers,
                            collectors=shards, collector=collector,
                            on_ready=on_ready or _print_ready,
                            on_stopping=on_stopping, access_log=args.access_log,
                            verbose=verbose)
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
