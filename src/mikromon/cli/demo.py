"""``mikromon demo``: everything ``serve`` does, plus emulated routers to watch.

Starts N emulated RouterOS routers on 127.0.0.1 (a mix of v6, v7 and CHR
profiles), registers them as devices ``demo-1-v7``, ``demo-2-v6``, ...
(re-running the demo updates the same devices), resets the ``admin`` account
to a fresh password printed once with the URL, and serves the web
application with the collector running. One router misbehaves now and then
(it stops answering, or answers slowly) so that outages show up too.

The demo keeps its own data folder (``./data/demo``) so it never mixes with
real data.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mikromon.cli._common import add_storage_options
from mikromon.cli.serve import add_server_options

log = logging.getLogger("mikromon.demo")

#: Name of the web account the demo (re)creates.
DEMO_ADMIN = "admin"
#: Site and tag given to the demo's devices.
DEMO_SITE = "Demo lab"
DEMO_TAG = "demo"
#: Seconds (before time scaling) between the starts of two fault windows.
FAULT_PERIOD_S = 120.0
#: Seconds (before time scaling) a fault window lasts.
FAULT_WINDOW_S = 25.0
#: Reply delay (seconds) in the "slow" fault window.
FAULT_DELAY_S = 3.0
MAX_ROUTERS = 50


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
        "URL and a fresh admin password. Data goes to ./data/demo unless --data-dir "
        "or --database-url says otherwise. Ctrl-C stops everything.",
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
    add_storage_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run ``mikromon demo``; return the exit code."""
    from mikromon.cli._django import DEMO_DATA_DIR, guarded

    return guarded(lambda: _demo(args, DEMO_DATA_DIR))


def _demo(args: argparse.Namespace, data_dir_default: Path) -> int:
    from mikromon.cli.serve import run_server
    from mikromon.emulator.testing import running_emulators

    password = secrets.token_urlsafe(12)
    router_password = secrets.token_urlsafe(16)
    state: dict[str, Any] = {}
    with running_emulators(
        count=args.routers, profile="mixed", username="mikromon", password=router_password
    ) as routers:
        faults = FaultCycle(routers, scale=_scale(args)) if args.faults else None

        def prepare(_data_dir: Path) -> None:
            state["devices"] = register_devices(routers, router_password)
            from mikromon.cli.createadmin import save_user

            save_user(DEMO_ADMIN, password, admin=True, check_password=False)

        def ready(url: str) -> None:
            print_welcome(url, password, state.get("devices", []))
            if faults is not None:
                faults.start()

        try:
            return run_server(
                args,
                data_dir_default=data_dir_default,
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


def register_devices(routers: Sequence[Any], password: str) -> list[str]:
    """Create or update one device per emulated router; disable older demo devices.

    Devices are named ``demo-<n>-<profile>``, in the ``Demo lab`` site with the
    ``demo`` tag and a tag for the profile, so that re-running the demo reuses
    them (with the new ports and password) and keeps their history.

    Returns:
        The device names, in router order.
    """
    from django.db import transaction

    from mikromon.web.monitor.models import Device, Site, Tag

    names = []
    with transaction.atomic():
        site, _ = Site.objects.get_or_create(name=DEMO_SITE)
        demo_tag, _ = Tag.objects.get_or_create(name=DEMO_TAG)
        for index, router in enumerate(routers, start=1):
            profile = router.profile.name
            name = f"demo-{index}-{profile}"
            device = Device.objects.filter(name=name).first() or Device(name=name)
            device.host = router.host
            device.port = router.port
            device.username = router.username
            device.use_ssl = False
            device.enabled = True
            device.site = site
            device.notes = f"Emulated RouterOS {router.version} ({profile} profile)"
            device.set_password(password)
            device.full_clean()
            device.save()
            profile_tag, _ = Tag.objects.get_or_create(name=profile)
            device.tags.set([demo_tag, profile_tag])
            names.append(name)
        stale = Device.objects.filter(tags=demo_tag, enabled=True).exclude(name__in=names)
        for device in stale:
            device.enabled = False
            device.save()
    return names


def print_welcome(url: str, password: str, devices: Sequence[str]) -> None:
    """Print the URL, the admin account and the routers once, on stdout."""
    lines = [
        "",
        f"mikromon demo is running at {url}",
        f"  sign in as:  {DEMO_ADMIN}",
        f"  password:    {password}   (shown once; a new one on every demo start)",
        f"  routers:     {len(devices)} emulated on 127.0.0.1 ({', '.join(devices)})",
        "Charts fill within seconds. Ctrl-C stops the demo.",
        "",
    ]
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
