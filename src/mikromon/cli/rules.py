"""``mikromon rules list|show|add|edit|remove|enable|disable|preview``: alert rules
from the command line.

The options are the fields of the rule form (:class:`mikromon.web.alerts.rule_form.RuleForm`);
the service layer checks them exactly as the pages and the API do and names
the field that is wrong (exit 2). A running collector picks up a change within
about a second. ``--json`` prints the API's rule documents.
"""

from __future__ import annotations

import argparse
from typing import Any

from mikromon.cli._common import EXIT_USAGE, Subparsers, add_command, command_with_actions
from mikromon.cli._django import confirmed
from mikromon.cli._services import print_json, print_result, print_rows, service_handler
from mikromon.domain.alerts import RULE_KINDS

SEVERITIES = ("info", "warning", "high", "critical")
#: ``--comparison`` spellings (``>``/``<`` need quoting in a shell).
COMPARISONS = {"above": ">", "below": "<", ">": ">", "<": "<"}


def register(subparsers: Subparsers) -> None:
    """Add the ``rules`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "rules", help="list, add, change or remove alert rules",
        description="Alert rules: what raises an alert, on which devices, how severe.",
    ) as actions:
        _register_actions(actions)


def _register_actions(actions: Subparsers) -> None:
    lst = add_command(
        actions, "list", service_handler(_list),
        help="list the rules", description="List the rules.",
    )
    lst.add_argument("--json", action="store_true", help="print a JSON array")

    show = add_command(
        actions, "show", service_handler(_show),
        help="show one rule", description="Show one rule.",
    )
    show.add_argument("rule", metavar="RULE", help="the rule's name or id")
    show.add_argument("--json", action="store_true", help="print a JSON object")

    add = add_command(
        actions, "add", service_handler(_add),
        help="add a rule", description="Add a rule.",
    )
    add.add_argument("--name", required=True, help="unique name, used in messages")
    add.add_argument("--kind", required=True, choices=RULE_KINDS, help="what the rule watches")
    _rule_options(add, editing=False)
    add.add_argument("--json", action="store_true", help="print the rule as JSON")

    edit = add_command(
        actions, "edit", service_handler(_edit),
        help="change a rule",
        description="Change the options given; the others stay.",
    )
    edit.add_argument("rule", metavar="RULE", help="the rule's name or id")
    edit.add_argument("--name", help="rename the rule")
    edit.add_argument("--kind", choices=RULE_KINDS, help="what the rule watches")
    _rule_options(edit, editing=True)
    edit.add_argument("--json", action="store_true", help="print the rule as JSON")

    preview = add_command(
        actions, "preview", service_handler(_preview),
        help="what a rule would raise now (saves nothing)",
        description="Evaluate a rule against the latest stored values without saving it: "
        "give RULE to preview changes to a stored rule, or --kind for a new one.",
    )
    preview.add_argument("rule", metavar="RULE", nargs="?", help="a stored rule (name or id)")
    preview.add_argument("--name", help=argparse.SUPPRESS)
    preview.add_argument("--kind", choices=RULE_KINDS, help="what the rule watches")
    _rule_options(preview, editing=True)
    preview.add_argument("--json", action="store_true", help="print the preview as JSON")

    remove = add_command(
        actions, "remove", service_handler(_remove),
        help="remove rules with their alerts and history",
        description="Remove rules with their alerts and history.",
    )
    remove.add_argument("rules", nargs="+", metavar="RULE", help="names or ids")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    for action, enabled in (("enable", True), ("disable", False)):
        sub = add_command(
            actions, action, service_handler(_enable), defaults={"enable": enabled},
            help=f"{action} rules",
            description=f"{action.capitalize()} the named rules.",
        )
        sub.add_argument("rules", nargs="+", metavar="RULE", help="names or ids")


def _rule_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    parser.add_argument("--severity", choices=SEVERITIES,
                        help="severity of its alerts" + ("" if editing else " (default warning)"))
    parser.add_argument("--metric", help="catalog key (threshold, rate, count, no_data; "
                        "utilisation: iface.rx_bps or iface.tx_bps)")
    parser.add_argument("--comparison", choices=list(COMPARISONS),
                        help="fire above or below the threshold (default above)")
    parser.add_argument("--threshold", help="the level, in the metric's unit")
    parser.add_argument("--recovery", help="level at which it resolves (hysteresis)")
    parser.add_argument("--for", dest="for_", metavar="DURATION",
                        help="how long the condition must hold: 90s, 5m, 1h (or seconds)")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--device", metavar="NAME", help="only this device (name or id)")
    scope.add_argument("--site", metavar="NAME", help="only devices of this site")
    scope.add_argument("--tag", metavar="NAME", help="only devices with this tag")
    if editing:
        scope.add_argument("--all-devices", action="store_true",
                           help="every device (clears device, site and tag)")
    parser.add_argument("--pattern", help="interface, sensor or peer names (ether*, sfp?)")
    parser.add_argument("--intervals", help="no_data: polling intervals that may pass")
    parser.add_argument("--state", dest="states", action="append", metavar="STATE",
                        help="device_state: down, auth_failed, slow, degraded (repeat)")
    parser.add_argument("--fact", dest="facts", action="append", metavar="FACT",
                        help="fact_changed: version, board, identity (repeat)")
    parser.add_argument("--hold", metavar="DURATION",
                        help="reboot / fact_changed: how long the alert stays firing")
    parser.add_argument("--speed-bps", help="utilisation: link speed when the router "
                        "reports none, bits/s")
    parser.add_argument("--flap-count", help="firings within the window that mark flapping")
    parser.add_argument("--flap-window", metavar="DURATION", help="the flapping window")
    parser.add_argument("--log-pattern", help="log: regular expression searched in each line")
    parser.add_argument("--topic", dest="topics", action="append", metavar="TOPIC",
                        help="log: topic a line must carry (!topic: must not; repeat)")
    parser.add_argument("--min-severity", choices=("debug", "info", "warning", "error",
                                                   "critical"),
                        help="log: lowest severity matched")
    parser.add_argument("--count", help="log: lines that must match within the window")
    parser.add_argument("--window", metavar="DURATION", help="log: the counting window")
    on = parser.add_mutually_exclusive_group()
    on.add_argument("--enabled", dest="enabled", action="store_true", default=None,
                    help="evaluate the rule" + ("" if editing else " (default)"))
    on.add_argument("--disabled", dest="enabled", action="store_false",
                    help="keep the rule without evaluating it")


def _seconds(text: str, name: str) -> int:
    from mikromon.web.alerts import services
    from mikromon.web.alerts.fields import parse_duration

    try:
        seconds = parse_duration(text).total_seconds()
    except ValueError as err:
        raise services.Invalid.one(name, str(err)) from None
    if seconds != int(seconds):
        raise services.Invalid.one(name, f"{text!r} is not a whole number of seconds")
    return int(seconds)


def rule_data(args: argparse.Namespace) -> dict[str, Any]:
    """The rule form's data from the options given (options not given are left out).

    Raises:
        Invalid: a duration option that is not a duration (naming the form field).
    """
    data: dict[str, Any] = {}
    plain = {"name": "name", "kind": "kind", "severity": "severity", "metric": "metric",
             "threshold": "threshold", "recovery": "recovery", "pattern": "name_pattern",
             "intervals": "intervals", "states": "states", "facts": "facts",
             "speed_bps": "speed_bps", "flap_count": "flap_count", "device": "device",
             "site": "site", "tag": "tag", "enabled": "enabled", "log_pattern": "pattern",
             "topics": "topics", "min_severity": "min_severity", "count": "count"}
    for option, field in plain.items():
        value = getattr(args, option, None)
        if value is not None:
            data[field] = value
    if getattr(args, "comparison", None):
        data["comparison"] = COMPARISONS[args.comparison]
    if getattr(args, "for_", None) is not None:
        data["for_seconds"] = _seconds(args.for_, "for_seconds")
    if getattr(args, "hold", None) is not None:
        data["hold_seconds"] = _seconds(args.hold, "hold_seconds")
    if getattr(args, "flap_window", None) is not None:
        data["flap_window_seconds"] = _seconds(args.flap_window, "flap_window_seconds")
    if getattr(args, "window", None) is not None:
        data["window_seconds"] = _seconds(args.window, "window_seconds")
    if getattr(args, "all_devices", False):
        data.update(device=None, site=None, tag=None)
    return data


def _print_rule(doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key in ("site", "tag", "device"):
            value = value["name"] if value else None
        elif key == "params":
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        print(f"{key.replace('_', ' ') + ':':<14} {value if value not in (None, '') else '-'}")


def _scope(doc: dict[str, Any]) -> str:
    parts = [f"{k} {doc[k]['name']}" for k in ("device", "site", "tag") if doc[k]]
    return ", ".join(parts) or "all"


def _condition(rule: Any) -> str:
    """The CONDITION column: the web rule list's words (one place:
    :func:`mikromon.web.alerts.conditions.condition_text`), after the metric a
    level is read from."""
    from mikromon.web.alerts.conditions import condition_text

    text = condition_text(rule)
    if rule.threshold is not None:
        text = f"{rule.metric or 'utilisation'} {text}"
    return text or "-"


def _list(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    rules = list(services.list_rules())
    conditions = {r.pk: _condition(r) for r in rules}
    docs = [services.rule_dict(r) for r in rules]
    return print_rows(
        args, docs, empty="no rules (add one with `mikromon rules add`)",
        headers=["ID", "NAME", "KIND", "SEVERITY", "ENABLED", "SCOPE", "CONDITION"],
        row=lambda d: [str(d["id"]), d["name"], d["kind"], d["severity"],
                       "yes" if d["enabled"] else "no", _scope(d), conditions[d["id"]]])


def _show(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    doc = services.rule_dict(services.find_rule(args.rule))
    return print_result(args, doc, lambda: _print_rule(doc))


def _add(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    rule = services.create_rule(rule_data(args))
    return print_result(args, services.rule_dict(rule), f"added rule {rule.name!r} (id {rule.pk})")


def _edit(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.web.alerts import services

    rule = services.find_rule(args.rule)
    data = rule_data(args)
    if not data:
        raise CommandError(f"nothing to change for rule {rule.name!r}: give at least one "
                           "option (see `mikromon rules edit --help`)", EXIT_USAGE)
    changed = services.update_rule(rule.pk, data)
    return print_result(args, services.rule_dict(changed),
                        f"updated rule {changed.name!r} (id {changed.pk})")


def _preview(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.web.alerts import services

    data = rule_data(args)
    rule_id = services.find_rule(args.rule).pk if args.rule else None
    if rule_id is None and "kind" not in data:
        raise CommandError("give a stored RULE or --kind (see `mikromon rules preview --help`)",
                           EXIT_USAGE)
    preview = services.preview_rule(data, rule_id=rule_id)
    if args.json:
        print_json(preview.as_dict())
        return 0
    if preview.note:
        print(preview.note)
    if not preview.matches:
        print(f"nothing would fire now ({preview.devices_checked} devices checked)")
        return 0
    for m in preview.matches:
        where = m.device + (f" / {m.subject}" if m.subject else "")
        print(f"{m.state:<8} {where}: {m.message}")
    print(f"{len(preview.matches)} would fire ({preview.devices_checked} devices checked)")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    rules = list({r.pk: r for r in (services.find_rule(ref) for ref in args.rules)}.values())
    listing = ", ".join(repr(r.name) for r in rules)
    if not args.yes and not confirmed(
        f"Remove {listing} with its alerts and history?",
        unattended=f"removing {listing} deletes its alerts and history; add --yes to confirm",
    ):
        print("nothing removed")
        return 1
    for rule in rules:
        services.delete_rule(rule.pk)
        print(f"removed rule {rule.name!r}")
    return 0


def _enable(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    rules = [services.find_rule(ref) for ref in args.rules]
    for rule in rules:
        services.set_rule_enabled(rule.pk, args.enable)
        print(f"{'enabled' if args.enable else 'disabled'} rule {rule.name!r}")
    return 0
