"""What ``mikromon demo`` puts in its database and prints: its devices (one per
emulated router, marked as the demo's), its ``admin`` account, the routers'
uptime carried over between runs, and the welcome text with the URL and
credentials.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mikromon.private_files import write_private_text

log = logging.getLogger("mikromon.demo")

#: Name of the web account the demo (re)creates.
DEMO_ADMIN = "admin"
#: API user name of the emulated routers.
ROUTER_USERNAME = "mikromon"
#: Site and tag given to the demo's devices (for display; the mark is what counts).
DEMO_SITE = "Demo lab"
DEMO_TAG = "demo"
#: Emulator profile mix of the demo's routers (v6, v7, v7-empty, chr, v6, ...).
DEMO_PROFILE = "mixed"

def device_name(index: int, profile: str) -> str:
    """Name of the demo's device for router number ``index`` (1-based) running
    ``profile``: ``demo-1-v6``. Also the router's ``/system/identity``, so that the
    demo's log, the device list and the router itself say the same name."""
    return f"demo-{index}-{profile}"


def device_names(count: int) -> list[str]:
    """Names of the demo's ``count`` devices, in router order."""
    from mikromon.emulator.profiles import profile_for

    return [device_name(i + 1, profile_for(DEMO_PROFILE, i).name) for i in range(count)]


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
            write_private_text(path, f"{now}\n")
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
