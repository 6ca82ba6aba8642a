"""``mikromon device add|list|show|edit|remove|enable|disable|import``: manage routers
(``import``: :mod:`.device_import`).

``add`` and ``edit`` fill the device form of the web pages
(:class:`mikromon.web.monitor.forms.DeviceSettingsForm`): the same rules, the
same messages (:mod:`.device_records`). ``list --json`` and ``show --json`` print
the API's device documents (:mod:`.device_show`). Changes are saved in one
transaction each (a failing command changes nothing) and a running collector
picks them up within about a second.
Router passwords come from a prompt, a file or an environment variable and
are stored encrypted.
"""

from __future__ import annotations

import argparse
from typing import Any

from mikromon.cli._common import Subparsers, add_command, command_with_actions, port_number
from mikromon.cli._django import confirmed, django_handler
from mikromon.cli._password import add_password_options, read_password
from mikromon.cli.device_import import register_import
from mikromon.cli.device_records import (
    check_form,
    check_site,
    edit_options_given,
    form_data,
    get_device,
    get_devices,
)
from mikromon.cli.device_show import list_devices, show_device
from mikromon.domain.devices import TlsVerify, endpoint
from mikromon.domain.events import DeviceState
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier


def register(subparsers: Subparsers) -> None:
    """Add the ``device`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "device",
        help="add, list, change or remove routers",
        description="Manage the routers mikromon polls. A running collector picks up "
        "every change within about a second.",
    ) as actions:
        _register_actions(actions)


def _register_actions(actions: Subparsers) -> None:
    # ``device add`` may be the first command of a new installation (like
    # ``createadmin``): it creates a missing database.
    add = add_command(
        actions, "add", django_handler(_add, create=True),
        help="add a router",
        description="Add a router. The API password is asked on the terminal unless "
        "--password-file or --password-env is given.",
    )
    add.add_argument("--name", required=True, help="unique name of the device")
    add.add_argument(
        "--host",
        required=True,
        help="host name, IPv4 or IPv6 address of the router's API (no port; see --port)",
    )
    add.add_argument("--username", required=True, help="RouterOS user (policies read and api)")
    _add_config_options(add, editing=False)

    lst = add_command(actions, "list", django_handler(list_devices),
                      help="list the routers", description="List the routers.")
    lst.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array of the API's device objects (GET /api/v1/devices; "
        "times ISO 8601 UTC)",
    )
    lst.add_argument(
        "--state",
        choices=[s.value for s in DeviceState],
        help="only devices in this state (degraded: answering, but a PSU or fan state "
        "sensor is failing)",
    )

    show = add_command(actions, "show", django_handler(show_device),
                       help="show one router's settings and state",
                       description="Show one router.")
    show.add_argument("name", help="the device's name")
    show.add_argument("--json", action="store_true",
                      help="print the API's device object (GET /api/v1/devices/<id>)")

    edit = add_command(
        actions, "edit", django_handler(_edit),
        help="change a router's settings",
        description="Change the settings given; the others stay as they are. A running "
        "collector uses the new settings within about a second.",
    )
    edit.add_argument("device", metavar="NAME", help="the device's current name")
    edit.add_argument("--name", help="rename the device")
    edit.add_argument(
        "--host", help="host name, IPv4 or IPv6 address of the router's API (no port)"
    )
    edit.add_argument("--username", help="RouterOS user")
    edit.add_argument(
        "--ask-password",
        action="store_true",
        help="ask for a new API password on the terminal",
    )
    _add_config_options(edit, editing=True)

    remove = add_command(
        actions, "remove", django_handler(_remove),
        help="remove a router and everything collected from it",
        description="Remove a router with its time series, inventory and events.",
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="the devices' names")
    remove.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation"
    )

    for action, enabled in (("enable", True), ("disable", False)):
        sub = add_command(
            actions, action, django_handler(_enable), defaults={"enable": enabled},
            help=f"{action} polling of routers",
            description=f"{action.capitalize()} polling of the named routers "
            "(their data is kept).",
        )
        sub.add_argument("names", nargs="+", metavar="NAME", help="the devices' names")

    register_import(actions)


def _interval(tier: Tier) -> Any:
    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if value != int(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a whole number of seconds, not {text}")
        return int(value)

    parse.__name__ = f"{tier.value} interval"
    return parse


def _port(text: str) -> int:
    return port_number(text, lowest=1)


def _add_config_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    parser.add_argument(
        "--port", type=_port, help="API port (default 8728, or 8729 with --ssl)"
    )
    add_password_options(parser, what="API password")
    if editing:
        parser.add_argument(
            "--ssl",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="connect with API-SSL (--no-ssl: plain API)",
        )
    else:
        parser.add_argument("--ssl", action="store_true", help="connect with API-SSL (TLS)")
    parser.add_argument(
        "--tls-verify",
        choices=[v.value for v in TlsVerify],
        help="API-SSL certificate handling: verify (default), no-verify (self-signed), "
        "anonymous-dh (router without certificate)",
    )
    parser.add_argument(
        "--encoding", help="text encoding of the router's names and comments (default utf-8)"
    )
    # edit: --site/--no-site and --tag/--no-tags contradict each other (argparse error).
    sites = parser.add_mutually_exclusive_group() if editing else parser
    tags = parser.add_mutually_exclusive_group() if editing else parser
    sites.add_argument("--site", help="site the device belongs to (created when new)")
    tags.add_argument(
        "--tag",
        dest="tags",
        action="append",
        metavar="TAG",
        help="tag for the device (repeat for several; created when new)"
        + ("; replaces the current tags" if editing else ""),
    )
    if editing:
        sites.add_argument("--no-site", action="store_true", help="remove the device's site")
        tags.add_argument("--no-tags", action="store_true", help="remove all tags")
    parser.add_argument("--notes", help="free text about the device")
    if not editing:
        parser.add_argument(
            "--disabled", action="store_true", help="add the device without polling it"
        )
    for tier in Tier:
        parser.add_argument(
            f"--{tier.value}-interval",
            type=_interval(tier),
            metavar="S",
            help=f"seconds between {tier.value} polls (default {DEFAULT_INTERVALS[tier]}, "
            f"at least {MINIMUM_INTERVALS[tier]})",
        )


# --- actions ---------------------------------------------------------------------------


def _add(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.web.monitor.models import Device

    check_site(args)
    device = Device()
    data = form_data(device, args)
    # The settings are checked before a password is asked for.
    host = check_form(device, data, password_pending=True).cleaned_data["host"]
    data["password"] = read_password(args, prompt=f"API password for {args.username}@{host}: ")
    with transaction.atomic():
        device = check_form(device, data).save()
    print(f"added device {device.name!r} ({endpoint(device.host, device.port)})")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError

    check_site(args)
    with transaction.atomic():
        device = get_device(args.device, for_update=True)
        if not edit_options_given(args):
            raise CommandError(
                f"nothing to change for device {device.name!r}: give at least one option "
                "(see `mikromon device edit --help`)",
                EXIT_USAGE,
            )
        data = form_data(device, args)
        if args.password_file or args.password_env or args.ask_password:
            check_form(device, data, password_pending=True)
            data["password"] = read_password(
                args, prompt=f"New API password for {device.name}: ")
        form = check_form(device, data)
        device = form.save()
    moved = ""
    if form.port_moved:
        old, new = form.port_moved
        moved = f", port {old} -> {new} ({'API-SSL' if device.use_ssl else 'plain API'})"
    print(f"updated device {device.name!r} ({endpoint(device.host, device.port)}){moved}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from django.db import transaction

    with transaction.atomic():
        devices = get_devices(args.names, for_update=True)
        listing = ", ".join(d.name for d in devices)
        if not args.yes and not confirmed(
            f"Remove {listing} and everything collected from it?",
            unattended=f"removing {listing} deletes everything collected from it; "
            "add --yes to confirm",
        ):
            print("nothing removed")
            return 1
        for device in devices:
            device.delete()
    for device in devices:
        print(f"removed device {device.name!r}")
    return 0


def _enable(args: argparse.Namespace) -> int:
    from django.db import transaction

    with transaction.atomic():
        devices = get_devices(args.names, for_update=True)
        for device in devices:
            if device.enabled != args.enable:
                device.enabled = args.enable
                device.save()
    state = "enabled" if args.enable else "disabled"
    for device in devices:
        print(f"{state} device {device.name!r}")
    return 0


