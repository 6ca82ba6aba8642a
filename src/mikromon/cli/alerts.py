"""``mikromon alerts list|show|ack|unack|silence|silences|expire``: alerts and
maintenance windows from the command line.

Every action goes through :mod:`mikromon.web.alerts.services`, as the pages and
the API do: the same checks and the same messages (``field: message``, exit 2).
``--json`` prints the API's documents (docs/api.md).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from mikromon.cli._common import Subparsers, add_command, command_with_actions
from mikromon.cli._services import (
    positive_id,
    print_result,
    print_rows,
    service_handler,
    web_user,
)

#: ``alerts list --state`` choices.
STATES = ("firing", "pending", "resolved", "open", "all")
SEVERITIES = ("info", "warning", "high", "critical")


def register(subparsers: Subparsers) -> None:
    """Add the ``alerts`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "alerts",
        help="list and acknowledge alerts, silence devices",
        description="Alerts raised by the alert rules, their acknowledgements, and "
        "silences (maintenance windows that hold back notifications).",
    ) as actions:
        _register_actions(actions)


def _register_actions(actions: Subparsers) -> None:
    lst = add_command(
        actions, "list", service_handler(_list),
        help="list alerts (firing by default)",
        description="List alerts, the most severe first, then the "
        "newest.",
    )
    lst.add_argument("--state", choices=STATES, default="firing",
                     help="which alerts (default: firing; open: pending or firing)")
    lst.add_argument("--device", metavar="NAME", help="only this device's (name or id)")
    lst.add_argument("--site", metavar="NAME", help="only devices of this site (name or id)")
    lst.add_argument("--severity", choices=SEVERITIES, help="only this severity")
    lst.add_argument("--limit", type=positive_id, default=500, metavar="N",
                     help="at most N alerts (default 500)")
    lst.add_argument("--json", action="store_true",
                     help="print a JSON array of the API's alert documents")

    show = add_command(
        actions, "show", service_handler(_show),
        help="show one alert", description="Show one alert.",
    )
    show.add_argument("id", type=positive_id, metavar="ID", help="the alert's id")
    show.add_argument("--json", action="store_true", help="print a JSON object")

    ack = add_command(
        actions, "ack", service_handler(_ack),
        help="acknowledge an alert (stops its repeats)",
        description="Acknowledge a pending or firing alert: its "
        "repeated notifications stop.",
    )
    ack.add_argument("id", type=positive_id, metavar="ID", help="the alert's id")
    ack.add_argument("--comment", default="", help="why, or what is being done")
    ack.add_argument("--user", metavar="NAME",
                     help="web user to record as acknowledging (default: none; the "
                     "history names the system user)")
    ack.add_argument("--json", action="store_true", help="print the alert as JSON")

    unack = add_command(
        actions, "unack", service_handler(_unack),
        help="take an acknowledgement back",
        description="Take an acknowledgement back (repeats resume).",
    )
    unack.add_argument("id", type=positive_id, metavar="ID", help="the alert's id")
    unack.add_argument("--json", action="store_true", help="print the alert as JSON")

    silence = add_command(
        actions, "silence", service_handler(_silence),
        help="silence a device, site or tag for a while",
        description="Create a silence: notifications of the alerts it covers are held "
        "back until it ends (alerts and history are still recorded).",
    )
    scope = silence.add_mutually_exclusive_group(required=True)
    scope.add_argument("--device", metavar="NAME", help="the device (name or id)")
    scope.add_argument("--site", metavar="NAME", help="every device of this site")
    scope.add_argument("--tag", metavar="NAME", help="every device with this tag")
    scope.add_argument("--all", action="store_true", help="every device")
    silence.add_argument("--rule", metavar="NAME", help="only this rule's alerts")
    until = silence.add_mutually_exclusive_group(required=True)
    until.add_argument("--for", dest="duration", metavar="DURATION",
                       help="how long: 30m, 2h, 1d, 1h30m")
    until.add_argument("--until", metavar="TIME",
                       help="when it ends, ISO 8601 (2026-12-07T06:00:00Z; no zone: UTC)")
    silence.add_argument("--start", metavar="TIME", help="when it starts (default: now)")
    silence.add_argument("--reason", required=True, help="why (shown with the silence)")
    silence.add_argument("--user", metavar="NAME", help="web user to record as its author")
    silence.add_argument("--json", action="store_true", help="print the silence as JSON")

    silences = add_command(
        actions, "silences", service_handler(_silences),
        help="list silences",
        description="List silences (active by default).",
    )
    silences.add_argument("--state", choices=("active", "pending", "expired", "all"),
                          default="active", help="which silences (default: active)")
    silences.add_argument("--json", action="store_true", help="print a JSON array")

    expire = add_command(
        actions, "expire", service_handler(_expire),
        help="end a silence now",
        description="End a silence now (it is kept as expired).",
    )
    expire.add_argument("id", type=positive_id, metavar="ID", help="the silence's id")
    expire.add_argument("--json", action="store_true", help="print the silence as JSON")


def _object_id(model: Any, text: str | None, what: str) -> int | None:
    from mikromon.web.alerts import services
    from mikromon.web.alerts.fields import by_name_or_id

    if text is None:
        return None
    text = text.strip()
    found = by_name_or_id(model.objects.all(), text) if "\x00" not in text else None
    if found is None:
        raise services.Invalid.one(what, f"no {what} {text!r}")
    return int(found.pk)


def _list(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services
    from mikromon.web.monitor.models import Device, Site

    qs = services.list_alerts(state=args.state, severity=args.severity,
                              device=_object_id(Device, args.device, "device"),
                              site=_object_id(Site, args.site, "site"))
    docs = services.alert_dicts(list(qs[:args.limit]))
    return print_rows(
        args, docs, empty=f"no {args.state} alerts" if args.state != "all" else "no alerts",
        headers=["ID", "STATE", "SEVERITY", "DEVICE", "SUBJECT", "RULE", "SINCE", "ACK"],
        row=lambda d: [str(d["id"]), d["state"], d["severity"], d["device"]["name"],
                       d["subject"] or "-", d["rule"]["name"], d["since"] or "-",
                       ("yes" if d["acknowledged"] else "no")])


def _print_alert(doc: dict[str, Any]) -> None:
    for key in ("id", "state", "severity", "message", "since", "fired_at", "resolved_at",
                "value", "threshold", "flapping", "acknowledged_at", "acknowledged_by",
                "ack_comment", "silenced_by"):
        value = doc[key]
        if isinstance(value, bool):
            value = "yes" if value else "no"
        print(f"{key.replace('_', ' ') + ':':<18} {value if value not in (None, '') else '-'}")
    print(f"{'rule:':<18} {doc['rule']['name']} ({doc['rule']['kind']})")
    print(f"{'device:':<18} {doc['device']['name']}"
          + (f" / {doc['subject']}" if doc["subject"] else ""))


def _show(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    doc = services.alert_dict(services.get_alert(args.id))
    return print_result(args, doc, lambda: _print_alert(doc))


def _system_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "command line"


def _ack(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    alert = services.acknowledge(args.id, user=web_user(args.user), comment=args.comment,
                                 by=f"{_system_user()} (command line)")
    return print_result(args, services.alert_dict(alert), f"acknowledged alert {alert.pk} "
                        f"({alert.rule.name} on {alert.device.name})")


def _unack(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    alert = services.unacknowledge(args.id)
    return print_result(args, services.alert_dict(alert),
                        f"alert {alert.pk} is no longer acknowledged")


def _silence(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    data: dict[str, Any] = {"reason": args.reason}
    for name in ("device", "site", "tag", "rule"):
        if getattr(args, name):
            data[name] = getattr(args, name)
    if args.duration:
        data["duration"] = args.duration
    if args.until:
        data["ends_at"] = args.until
    if args.start:
        data["starts_at"] = args.start
    silence = services.create_silence(data, user=web_user(args.user))
    doc = services.silence_dict(silence)
    return print_result(args, doc, f"silence {silence.pk} on {_scope_text(doc)} from "
                        f"{doc['starts_at']} until {doc['ends_at']}")


def _scope_text(doc: dict[str, Any]) -> str:
    parts = [f"{k} {doc[k]['name']!r}" for k in ("device", "site", "tag", "rule") if doc[k]]
    return ", ".join(parts) or "every device"


def _silences(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    docs = [services.silence_dict(s) for s in services.list_silences(state=args.state)]
    return print_rows(
        args, docs, empty=f"no {args.state} silences" if args.state != "all" else "no silences",
        headers=["ID", "STATE", "SCOPE", "STARTS", "ENDS", "REASON"],
        row=lambda d: [str(d["id"]), d["state"], _scope_text(d), d["starts_at"], d["ends_at"],
                       d["reason"]])


def _expire(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    silence = services.expire_silence(args.id)
    return print_result(args, services.silence_dict(silence), f"silence {silence.pk} ended")
