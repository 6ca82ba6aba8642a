"""``mikromon demo``: everything ``serve`` does, plus emulated routers to watch.

Starts N emulated RouterOS routers on 127.0.0.1 (a mix of v6, v7 and CHR
profiles), registers them as devices ``demo-1-v6``, ``demo-2-v7``, ...
(re-running the demo updates the same devices to the routers' new ports),
resets the demo's ``admin`` account to a fresh password printed once with the
URL and the routers' API credentials, and serves the web application with the collector running. One
router misbehaves now and then (it stops answering, or answers slowly) so that
outages show up too.

The demo keeps its own data folder, ``./data/demo``; ``MIKROMON_DATA_DIR`` and
``MIKROMON_DATABASE_URL`` are ignored, so it never mixes with real data. Every
device and web user it creates is marked (:mod:`mikromon.web.control.demo`).
A database with marks is the demo's own: it keeps working after an operator
added devices or users to it (those are left as they are). A database without
marks that holds any device or user, a real one, is refused (exit 2) before
anything in it changes. What the demo writes and prints is in :mod:`.demo_setup`,
its misbehaving router in :mod:`.demo_faults`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from pathlib import Path
from typing import Any

from mikromon.cli._common import Subparsers, add_command, add_storage_options
from mikromon.cli.demo_faults import FaultCycle
from mikromon.cli.demo_setup import (
    DEMO_PROFILE,
    ROUTER_USERNAME,
    continue_uptime,
    device_names,
    print_welcome,
    register_devices,
    save_demo_admin,
)
from mikromon.cli.serve import add_server_options

#: Most emulated routers ``--routers`` accepts.
MAX_ROUTERS = 200
#: How far each interface's traffic swings around its mean (fraction), so that the
#: demo's charts move (mikromon.emulator.profile_model.Profile.traffic_swing).
DEMO_TRAFFIC_SWING = 0.6


def _routers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= MAX_ROUTERS:
        raise argparse.ArgumentTypeError(f"routers must be 1..{MAX_ROUTERS}, not {value}")
    return value


def register(subparsers: Subparsers) -> None:
    """Add the ``demo`` sub-command."""
    parser = add_command(
        subparsers, "demo", handle,
        help="run mikromon with emulated routers (start here)",
        description="Run the web application and the collector like `serve`, with N "
        "emulated RouterOS routers on 127.0.0.1 registered as devices, and print the "
        "URL, a fresh admin password and the routers' API credentials. Data goes to "
        "./data/demo unless --data-dir or --database-url says otherwise "
        "(MIKROMON_DATA_DIR and MIKROMON_DATABASE_URL are ignored); a database the "
        "demo did not create that holds devices or users is refused. Ctrl-C stops "
        "everything.",
    )
    parser.add_argument(
        "--routers",
        type=_routers,
        default=4,
        metavar="N",
        help=f"number of emulated routers, 1..{MAX_ROUTERS} (default 4)",
    )
    parser.add_argument(
        "--no-faults",
        dest="faults",
        action="store_false",
        help="keep every router healthy (by default one misbehaves now and then)",
    )
    add_server_options(parser)
    add_storage_options(parser, environment=False, default_dir="./data/demo")


def handle(args: argparse.Namespace) -> int:
    """Run ``mikromon demo``; return the exit code."""
    from mikromon.cli._django import guarded

    return guarded(lambda: _demo(args))


def isolate(args: argparse.Namespace) -> None:
    """Make the demo use only the database its options name.

    Without ``--data-dir``, the data folder is ``./data/demo``; without
    ``--database-url``, SQLite in that folder. ``MIKROMON_DATA_DIR`` and
    ``MIKROMON_DATABASE_URL`` are removed from this process's environment so
    that the settings cannot fall back on them.
    """
    from mikromon.cli._django import DEMO_DATA_DIR

    args.demo_own_folder = not args.data_dir and not args.database_url
    if not args.data_dir:
        args.data_dir = str(DEMO_DATA_DIR)
    os.environ.pop("MIKROMON_DATA_DIR", None)
    if not args.database_url:
        args.database_url = None
        os.environ.pop("MIKROMON_DATABASE_URL", None)


def refuse_foreign_database(args: argparse.Namespace, data_dir: Path) -> None:
    """Refuse a database the demo did not create that holds devices or users.

    A database holding demo marks (:func:`~mikromon.web.control.demo.is_demo_database`)
    is the demo's own and is accepted whatever an operator added to it since;
    a database without marks is accepted only while it holds no device and no
    user. Reads only (also before migrations), so a refused database is left as
    it was.

    Raises:
        CommandError: naming what was found and what to do instead (exit code 2).
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError, describe_database
    from mikromon.web.control.demo import find_foreign, is_demo_database

    foreign = find_foreign()
    if not foreign or is_demo_database():
        return
    if getattr(args, "demo_own_folder", False):
        advice = (
            f"move {data_dir} away (or delete it) to start the demo afresh; it may "
            "come from an older mikromon, or something was added to it by hand"
        )
    else:
        advice = "give it a new folder with --data-dir or an empty database with --database-url"
        if _fresh_own_folder(data_dir, args):
            advice += ", or run it without --data-dir/--database-url (it then uses ./data/demo)"
    raise CommandError(
        f"the demo does not use {describe_database(args, data_dir)}: it holds "
        f"{foreign.describe()} that the demo did not create (it is not a database the "
        f"demo made); {advice}",
        EXIT_USAGE,
    )


def _fresh_own_folder(data_dir: Path, args: argparse.Namespace) -> bool:
    """Whether the demo's own folder (``./data/demo``) holds no database yet and is
    not the one just refused, so that running without options would start afresh."""
    from mikromon.cli._django import DEMO_DATA_DIR

    own = DEMO_DATA_DIR.resolve()
    if not args.database_url and data_dir.resolve() == own:
        return False
    return not (own / "mikromon.sqlite3").exists()


def _demo(args: argparse.Namespace) -> int:
    from mikromon.cli._django import DEMO_DATA_DIR, setup
    from mikromon.cli.serve import run_server
    from mikromon.emulator.testing import running_emulators

    isolate(args)
    data_dir = setup(args, default_data_dir=DEMO_DATA_DIR, migrate=False)
    refuse_foreign_database(args, data_dir)

    password = secrets.token_urlsafe(12)
    router_password = secrets.token_urlsafe(16)
    state: dict[str, Any] = {}
    with running_emulators(
        count=args.routers, profile=DEMO_PROFILE, username=ROUTER_USERNAME,
        password=router_password, identities=device_names(args.routers),
        traffic_swing=DEMO_TRAFFIC_SWING,
    ) as routers:
        continue_uptime([r.emulator.router for r in routers], data_dir, time.time())
        faults = FaultCycle(routers, scale=_scale(args)) if args.faults else None

        def prepare(data_dir: Path) -> None:
            from django.db import transaction

            with transaction.atomic():
                # Again, now that migrations ran, in the transaction that writes.
                refuse_foreign_database(args, data_dir)
                state["devices"] = register_devices(routers, router_password)
                save_demo_admin(password)

        def ready(url: str) -> None:
            print_welcome(url, password, routers, state.get("devices", []),
                          data_dir=data_dir, database_url=args.database_url)
            if faults is not None:
                faults.start()

        try:
            return run_server(
                args,
                data_dir_default=DEMO_DATA_DIR,
                collector="start",
                on_ready=ready,
                before_run=prepare,
                on_stopping=faults.stop if faults is not None else None,
            )
        finally:
            if faults is not None:
                faults.stop()


def _scale(args: argparse.Namespace) -> float:
    return float(args.time_scale) if args.time_scale else 1.0
