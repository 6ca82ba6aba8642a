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
anything in it changes.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mikromon.cli._common import add_storage_options
from mikromon.cli.serve import add_server_options

log = logging.getLogger("mikromon.demo")

#: Name of the web account the demo (re)creates.
DEMO_ADMIN = "admin"
#: API user name of the emulated routers.
ROUTER_USERNAME = "mikromon"
#: Site and tag given to the demo's devices (for display; the mark is what counts).
DEMO_SITE = "Demo lab"
DEMO_TAG = "demo"
#: Seconds (before time scaling) between the starts of two fault windows.
FAULT_PERIOD_S = 120.0
#: Seconds (before time scaling) a fault window lasts.
FAULT_WINDOW_S = 25.0
#: Reply delay (seconds) in the "slow" fault window.
FAULT_DELAY_S = 3.0
#: Most emulated routers (a fleet to try the overview and the collector at scale).
MAX_ROUTERS = 200
#: Emulator profile mix of the demo's routers (v6, v7, v7-empty, chr, v6, ...).
DEMO_PROFILE = "mixed"
#: How far each interface's traffic swings around its mean (fraction), so that the
#: demo's charts move (mikromon.emulator.profiles.Profile.traffic_swing).
DEMO_TRAFFIC_SWING = 0.6


def _routers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= MAX_ROUTERS:
        raise argparse.ArgumentTypeError(f"routers must be 1..{MAX_ROUTERS}, not {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
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
    parser.set_defaults(handler=handle)


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


def device_name(index: int, profile: str) -> str:
    """Name of the demo's device for router number ``index`` (1-based) running
    ``profile``: ``demo-1-v6``. Also the router's ``/system/identity``, so that the
    demo's log, the device list and the router itself say the same name."""
    return f"demo-{index}-{profile}"


def device_names(count: int) -> list[str]:
    """Names of the demo's ``count`` devices, in router order."""
    from mikromon.emulator.profiles import profile_for

    return [device_name(i + 1, profile_for(DEMO_PROFILE, i).name) for i in range(count)]


def _scale(args: argparse.Namespace) -> float:
    return float(args.time_scale) if args.time_scale else 1.0


def save_demo_admin(password: str) -> None:
    """Create the demo's ``admin`` web user, or reset its password, and mark it.

    Raises:
        CommandError: an ``admin`` user exists that the demo did not create
            (its password is never touched).
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.cli.createadmin import save_user
    from mikromon.web.control.demo import is_demo_user, mark_user

    user_model = get_user_model()
    with transaction.atomic():
        existing = user_model.objects.filter(username=DEMO_ADMIN).first()
        if existing is not None and not is_demo_user(existing):
            raise CommandError(
                f"user {DEMO_ADMIN!r} exists and was not created by the demo", EXIT_USAGE
            )
        save_user(DEMO_ADMIN, password, admin=True, check_password=False)
        mark_user(user_model.objects.get(username=DEMO_ADMIN))


#: File in the demo's data folder holding when its routers first started (Unix seconds).
STARTED_FILE = "demo-started"


def continue_uptime(routers: Sequence[Any], data_dir: Path, now: float) -> None:
    """Make a restarted demo's routers continue their uptime instead of going back.

    The first start writes ``now`` to :data:`STARTED_FILE` in ``data_dir``; a later
    start ages every router (:meth:`mikromon.emulator.Router.age`) by the time since,
    so the uptime the collector reads never goes backwards without a reboot. A
    missing or unreadable file (or one in the future) starts the count afresh.

    Args:
        routers: the emulated routers (:class:`mikromon.emulator.Router`).
        data_dir: the demo's data folder.
        now: Unix seconds.
    """
    path = data_dir / STARTED_FILE
    try:
        started = float(path.read_text().strip())
    except (OSError, ValueError):
        started = None
    if started is None or started > now:
        try:
            path.write_text(f"{now}\n")
        except OSError as err:
            log.warning("could not record the demo's start in %s: %s", path, err)
        return
    for router in routers:
        router.age(now - started)


def register_devices(routers: Sequence[Any], password: str) -> list[str]:
    """Create or update one device per emulated router, marked as the demo's; disable
    older demo devices.

    Devices are named ``demo-<n>-<profile>``, in the ``Demo lab`` site with the
    ``demo`` tag and a tag for the profile, so that re-running the demo reuses
    them (with the new ports and password) and keeps their history.

    Returns:
        The device names, in router order.

    Raises:
        CommandError: a device of that name exists that the demo did not create.
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.control.demo import DemoDevice, NotADemoDevice, register_demo_devices

    entries = [
        DemoDevice(name=device_name(index, router.profile.name), host=router.host,
                   port=router.port, username=router.username, profile=router.profile.name,
                   notes=f"Emulated RouterOS {router.version} ({router.profile.name} "
                         "profile), created by mikromon demo")
        for index, router in enumerate(routers, start=1)
    ]
    try:
        return register_demo_devices(entries, password, site=DEMO_SITE, tag=DEMO_TAG)
    except NotADemoDevice as err:
        raise CommandError(str(err), EXIT_USAGE) from None


def print_welcome(
    url: str, password: str, routers: Sequence[Any], devices: Sequence[str],
    *, data_dir: Path | str, database_url: str | None = None,
) -> None:
    """Print the URL, the admin account, each router's API address and
    credentials, and commands to try, once, on stdout. The commands name the
    running ``mikromon`` by its full path and the demo's ``data_dir`` (and
    ``database_url``), so they work pasted into another shell
    (:mod:`mikromon.cli._hints`)."""
    from mikromon.cli._hints import command_line, storage_options

    storage = storage_options(data_dir, database_url)
    lines = [
        "",
        f"mikromon demo is running at {url}",
        f"  sign in as:  {DEMO_ADMIN}",
        f"  password:    {password}   (shown once; a new one on every demo start)",
        f"  routers:     {len(devices)} emulated RouterOS routers on 127.0.0.1",
    ]
    if routers:
        first = routers[0]
        lines.append(
            f"  router API:  user {first.username}, password {first.password}   "
            "(every router; new on every start)"
        )
        width = max(len(name) for name in devices) if devices else 0
        for name, router in zip(devices, routers, strict=False):
            lines.append(f"    {name:<{width}}  host {router.host}  port {router.port}")
        lines += [
            "  in another shell:",
            "    " + command_line("device", "list", storage=storage),
            "    " + command_line("collector", "status", storage=storage),
            "  read one router once (asks for the router password):",
            "    " + command_line("collect-once", "--host", first.host, "--port",
                                  str(first.port), "--username", first.username),
        ]
    lines += ["Charts fill within seconds. Ctrl-C stops the demo.", ""]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


class FaultCycle:
    """Make the last router misbehave now and then: every ``FAULT_PERIOD_S`` a window
    of ``FAULT_WINDOW_S`` in which it alternately stops answering (``blackhole``:
    the device goes down, then comes back up) or answers ``FAULT_DELAY_S`` late.

    Args:
        routers: emulator handles (``set_fault``, ``clear_faults``).
        scale: time scale (periods are multiplied by it, like collection intervals).
    """

    def __init__(self, routers: Sequence[Any], *, scale: float = 1.0) -> None:
        self._router = routers[-1] if len(routers) >= 2 else None
        self._period = FAULT_PERIOD_S * scale
        self._window = FAULT_WINDOW_S * scale
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mikromon-demo-faults", daemon=True)

    def start(self) -> None:
        """Start the cycle (no-op with fewer than two routers)."""
        if self._router is not None and not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        """End the cycle and clear any fault."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        router = self._router
        assert router is not None
        blackhole = True
        try:
            while not self._stop.wait(self._period - self._window):
                kind = "stops answering" if blackhole else f"answers {FAULT_DELAY_S:g} s late"
                log.info(
                    "router %s %s for %.0f s", router.identity, kind, self._window
                )
                if blackhole:
                    router.set_fault(blackhole=True)
                else:
                    router.set_fault(delay=FAULT_DELAY_S)
                self._stop.wait(self._window)
                router.clear_faults()
                log.info("router %s behaves again", router.identity)
                blackhole = not blackhole
        except Exception:
            log.exception("the fault cycle stopped")
        finally:
            try:
                router.clear_faults()
            except Exception:
                log.debug("could not clear faults on %s", router.identity)
