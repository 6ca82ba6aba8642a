"""``mikromon device add|list|show|edit|remove|enable|disable``: manage routers.

``add`` and ``edit`` fill the device form of the web pages
(:class:`mikromon.web.monitor.forms.DeviceSettingsForm`): the same rules, the
same messages. ``list --json`` and ``show --json`` print the API's device
documents (:mod:`mikromon.web.api.serialize`). Changes are saved in one
transaction each (a failing command changes nothing) and a running collector
picks them up within about a second.
Router passwords come from a prompt, a file or an environment variable and
are stored encrypted.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from mikromon.cli._common import add_storage_options, port_number
from mikromon.cli._password import add_password_options, read_password
from mikromon.domain.devices import TlsVerify, endpoint
from mikromon.domain.events import DeviceState
from mikromon.domain.formatting import interval
from mikromon.domain.tiers import DEFAULT_INTERVALS, MINIMUM_INTERVALS, Tier


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``device`` sub-command and its actions."""
    parser = subparsers.add_parser(
        "device",
        help="add, list, change or remove routers",
        description="Manage the routers mikromon polls. A running collector picks up "
        "every change within about a second.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
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
    add.set_defaults(handler=handle_add)

    lst = actions.add_parser("list", help="list the routers", description="List the routers.")
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
    lst.set_defaults(handler=handle_list)

    show = actions.add_parser(
        "show", help="show one router's settings and state", description="Show one router."
    )
    show.add_argument("name", help="the device's name")
    show.add_argument("--json", action="store_true",
                      help="print the API's device object (GET /api/v1/devices/<id>)")
    show.set_defaults(handler=handle_show)

    edit = actions.add_parser(
        "edit",
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
    edit.set_defaults(handler=handle_edit)

    remove = actions.add_parser(
        "remove",
        help="remove a router and everything collected from it",
        description="Remove a router with its time series, inventory and events.",
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="the devices' names")
    remove.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation"
    )
    remove.set_defaults(handler=handle_remove)

    for action, enabled in (("enable", True), ("disable", False)):
        sub = actions.add_parser(
            action,
            help=f"{action} polling of routers",
            description=f"{action.capitalize()} polling of the named routers "
            "(their data is kept).",
        )
        sub.add_argument("names", nargs="+", metavar="NAME", help="the devices' names")
        sub.set_defaults(handler=handle_enable, enable=enabled)

    add_storage_options(parser, actions=actions.choices.values())


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


# --- handlers ---------------------------------------------------------------------------


def _run(body: Any, args: argparse.Namespace, *, create: bool = False) -> int:
    from mikromon.cli._django import django_command

    return django_command(create=create, progress=create)(body)(args)


def handle_add(args: argparse.Namespace) -> int:
    """Add a device; return the exit code. Like ``createadmin``, ``device add`` may be
    the first command of a new installation, so it creates a missing database."""
    return _run(_add, args, create=True)


def handle_list(args: argparse.Namespace) -> int:
    """List devices; return the exit code."""
    return _run(_list, args)


def handle_show(args: argparse.Namespace) -> int:
    """Show one device; return the exit code."""
    return _run(_show, args)


def handle_edit(args: argparse.Namespace) -> int:
    """Change one device; return the exit code."""
    return _run(_edit, args)


def handle_remove(args: argparse.Namespace) -> int:
    """Remove devices; return the exit code."""
    return _run(_remove, args)


def handle_enable(args: argparse.Namespace) -> int:
    """Enable or disable devices; return the exit code."""
    return _run(_enable, args)


def _add(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.web.monitor.models import Device

    _check_site(args)
    device = Device()
    data = _form_data(device, args)
    # The settings are checked before a password is asked for.
    host = _check_form(device, data, password_pending=True).cleaned_data["host"]
    data["password"] = read_password(args, prompt=f"API password for {args.username}@{host}: ")
    with transaction.atomic():
        device = _check_form(device, data).save()
    print(f"added device {device.name!r} ({endpoint(device.host, device.port)})")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError

    _check_site(args)
    with transaction.atomic():
        device = get_device(args.device, for_update=True)
        if not _edit_options_given(args):
            raise CommandError(
                f"nothing to change for device {device.name!r}: give at least one option "
                "(see `mikromon device edit --help`)",
                EXIT_USAGE,
            )
        data = _form_data(device, args)
        if args.password_file or args.password_env or args.ask_password:
            _check_form(device, data, password_pending=True)
            data["password"] = read_password(
                args, prompt=f"New API password for {device.name}: ")
        form = _check_form(device, data)
        device = form.save()
    moved = ""
    if form.port_moved:
        old, new = form.port_moved
        moved = f", port {old} -> {new} ({'API-SSL' if device.use_ssl else 'plain API'})"
    print(f"updated device {device.name!r} ({endpoint(device.host, device.port)}){moved}")
    return 0


def _check_site(args: argparse.Namespace) -> None:
    """Refuse a blank ``--site`` (it would otherwise read as "no site").

    Raises:
        CommandError: ``site must not be empty`` (exit 2).
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError

    if args.site is not None and not args.site.strip():
        raise CommandError("site must not be empty", EXIT_USAGE)


#: Options copied as they are into the device form's field of the same name.
_FORM_OPTIONS = ("name", "host", "username", "port", "tls_verify", "encoding", "notes",
                 *(f"{tier.value}_interval" for tier in Tier))


def _form_data(device: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Return the device form's data: ``device``'s settings (a new device's
    defaults) with the options given laid over them."""
    from mikromon.web.monitor.forms import VALUE_FIELDS

    data: dict[str, Any] = {name: getattr(device, name) for name in VALUE_FIELDS}
    data["site"] = device.site_id or ""
    data["tags"] = [tag.pk for tag in device.tags.all()] if device.pk else []
    for name in _FORM_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            data[name] = value
    if args.ssl is not None:
        data["use_ssl"] = bool(args.ssl)
    if getattr(args, "disabled", None) is not None:
        data["enabled"] = not args.disabled
    if getattr(args, "no_site", False) or args.site:
        data["site"] = ""
        data["new_site"] = args.site or ""
    if getattr(args, "no_tags", False) or args.tags:
        # --tag replaces the tags: none kept, the ones named added.
        data["tags"] = []
        data["new_tags"] = args.tags or []
    return data


def _check_form(device: Any, data: dict[str, Any], *, password_pending: bool = False) -> Any:
    """Return the device form for ``data``, checked by the rules the pages apply
    (:class:`mikromon.web.monitor.forms.DeviceSettingsForm`).

    Args:
        password_pending: check before the password is asked for: a missing one is
            no error, and ``device`` is left as it is.

    Raises:
        CommandError: every problem in one line (exit 2), each field's messages
            prefixed with its name unless they name it (a site's and a tag's name
            themselves).
    """
    from django.core.exceptions import ValidationError

    from mikromon.cli._django import EXIT_USAGE, CommandError, validation_text
    from mikromon.web.monitor.forms import DeviceSettingsForm

    # A form's checks write the values into its instance: a check before the
    # password is asked for works on a copy, so the final form sees the changes.
    form = DeviceSettingsForm(data=data, instance=copy.copy(device) if password_pending
                              else device)
    errors: dict[str, list[ValidationError]] = {}
    for field, messages in form.errors.as_data().items():
        if not (password_pending and field == "password"):
            key = "__all__" if field in ("new_site", "new_tags") else field
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise CommandError(validation_text(ValidationError(errors)), EXIT_USAGE)
    return form


#: ``device edit`` options that leave the device as it is when not given (their
#: default: ``None``, ``False`` or an empty list).
_EDIT_OPTIONS = (
    "name", "host", "username", "ask_password", "password_file", "password_env", "port",
    "ssl", "tls_verify", "encoding", "site", "no_site", "tags", "no_tags", "notes",
    *(f"{tier.value}_interval" for tier in Tier),
)


def _edit_options_given(args: argparse.Namespace) -> bool:
    # --no-ssl is False, and is a change all the same.
    return args.ssl is not None or any(
        getattr(args, name, None) not in (None, False, []) for name in _EDIT_OPTIONS
    )


def get_device(name: str, *, for_update: bool = False) -> Any:
    """Return the device named ``name`` (Django set up).

    Raises:
        CommandError: exit 2, ``no device named 'x' (known: a, b)``.
    """
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.monitor.models import Device

    queryset = Device.objects.select_for_update() if for_update else Device.objects.all()
    device = queryset.filter(name=name).first()
    if device is None:
        known = list(Device.objects.order_by("name").values_list("name", flat=True)[:20])
        hint = f" (known: {', '.join(known)})" if known else " (there are no devices yet)"
        raise CommandError(f"no device named {name!r}{hint}", EXIT_USAGE)
    return device


def _get_devices(names: Iterable[str], *, for_update: bool = False) -> list[Any]:
    return [get_device(name, for_update=for_update) for name in dict.fromkeys(names)]


def _remove(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError

    with transaction.atomic():
        devices = _get_devices(args.names, for_update=True)
        if not args.yes:
            listing = ", ".join(d.name for d in devices)
            if not (sys.stdin is not None and sys.stdin.isatty()):
                raise CommandError(
                    f"removing {listing} deletes everything collected from it; "
                    "add --yes to confirm",
                    EXIT_USAGE,
                )
            answer = input(f"Remove {listing} and everything collected from it? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
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
        devices = _get_devices(args.names, for_update=True)
        for device in devices:
            if device.enabled != args.enable:
                device.enabled = args.enable
                device.save()
    state = "enabled" if args.enable else "disabled"
    for device in devices:
        print(f"{state} device {device.name!r}")
    return 0


#: The lines of ``device show``, in order: keys of the device's JSON document
#: (docs/api.md, ``GET /api/v1/devices/<id>``).
SHOW_KEYS = (
    "name", "host", "port", "enabled", "state", "last_seen", "identity", "version",
    "username", "has_password", "use_ssl", "tls_verify", "encoding", "site", "tags",
    "intervals", "board", "last_error", "status_changed_at", "notes",
)


def _show_text(key: str, value: Any) -> str:
    """One value of the device's JSON document as ``device show`` prints it."""
    if key == "state":
        from mikromon.web.monitor.choices import state_label

        value = state_label(value)
    elif key == "site":
        value = value["name"] if value else None
    elif key == "tags":
        value = ", ".join(value)
    elif key == "intervals":
        value = ", ".join(f"{tier} {interval(seconds)}" for tier, seconds in value.items())
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return "-" if value in (None, "") else str(value)


def _print_json(doc: Any) -> None:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _list(args: argparse.Namespace) -> int:
    from mikromon.web.api.serialize import device_dict
    from mikromon.web.monitor.models import Device

    devices = Device.objects.for_documents().order_by("name")
    if args.state:
        devices = devices.filter(state=args.state)
    rows = [device_dict(d) for d in devices]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no devices (add one with `mikromon device add`)")
        return 0
    headers = ["NAME", "HOST", "PORT", "ENABLED", "STATE", "LAST SEEN", "IDENTITY", "VERSION"]
    table = [
        [
            r["name"],
            r["host"],
            str(r["port"]),
            "yes" if r["enabled"] else "no",
            r["state_label"],
            r["last_seen"] or "-",
            r["identity"] or "-",
            r["version"] or "-",
        ]
        for r in rows
    ]
    sys.stdout.write(format_table(headers, table))
    return 0


def _show(args: argparse.Namespace) -> int:
    from mikromon.web.api.serialize import device_document
    from mikromon.web.monitor.models import Device

    pk = get_device(args.name).pk
    doc = device_document(Device.objects.for_documents().get(pk=pk))
    if args.json:
        _print_json(doc)
        return 0
    for key in SHOW_KEYS:
        print(f"{key.replace('_', ' ') + ':':<18} {_show_text(key, doc[key])}")
    return 0


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
