"""``mikromon output list|add|edit|delete|test``: the stores the collector pushes
its samples to (Prometheus remote write, InfluxDB), from the command line.

The options are the fields of the outputs form
(:class:`mikromon.web.control.outputs.OutputForm`), checked exactly as the page
checks them; a wrong value exits 2 naming the field. A running collector applies
a change within a few seconds. Outputs set by the environment
(``MIKROMON_REMOTE_WRITE_URL``, ``MIKROMON_INFLUX_URL``) are listed read-only.
``--json`` prints JSON; tokens and passwords are never printed.
"""

from __future__ import annotations

import argparse
from typing import Any

from mikromon.cli._common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Subparsers,
    add_command,
    command_with_actions,
)
from mikromon.cli._django import django_handler
from mikromon.cli._services import print_result, print_rows

FORMATS = ("remote-write", "influx")


def register(subparsers: Subparsers) -> None:
    """Add the ``output`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "output", help="list, add, change, remove or test outputs",
        description="Outputs: stores the collector pushes its samples to.",
    ) as actions:
        lst = add_command(actions, "list", django_handler(_list),
                          help="list the outputs", description="List the outputs and their state.")
        lst.add_argument("--json", action="store_true", help="print a JSON array")
        add = add_command(actions, "add", django_handler(_add, create=True),
                          help="add an output", description="Add an output.")
        add.add_argument("--name", required=True, help="letters, digits, - and _")
        add.add_argument("--url", required=True, help="the store's write URL, http(s)")
        _options(add, editing=False)
        edit = add_command(actions, "edit", django_handler(_edit), help="change an output",
                           description="Change the options given; the others stay.")
        edit.add_argument("output", metavar="OUTPUT", help="the output's name or id")
        edit.add_argument("--name", help="rename the output")
        edit.add_argument("--url", help="the store's write URL, http(s)")
        _options(edit, editing=True)
        delete = add_command(actions, "delete", django_handler(_delete),
                             help="delete an output and its queue folder",
                             description="Delete an output and its queue folder (what it "
                                         "had not sent is lost).")
        delete.add_argument("output", metavar="OUTPUT", help="the output's name or id")
        delete.add_argument("--json", action="store_true", help="print a JSON object")
        test = add_command(actions, "test", django_handler(_test),
                           help="send one small request and show the answer",
                           description="Send one sample (mikromon_output_test) to the "
                                       "output's store and print what it answered; "
                                       "exit 1 when it did not accept it.")
        test.add_argument("output", metavar="OUTPUT", help="the output's name or id")
        test.add_argument("--json", action="store_true", help="print a JSON object")


def _options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    parser.add_argument("--format", choices=FORMATS,
                        help="request format" + ("" if editing else " (default remote-write)"))
    parser.add_argument("--username", help="basic auth user (with --password)")
    parser.add_argument("--password", help="basic auth password (stored encrypted)")
    parser.add_argument("--token", help="bearer or InfluxDB 2.x token (stored encrypted)")
    parser.add_argument("--clear-auth", action="store_true",
                        help="remove the stored user, password and token")
    parser.add_argument("--max-disk-mb", help="most megabytes queued on disk"
                        + ("" if editing else " (default 2048)"))
    on = parser.add_mutually_exclusive_group()
    on.add_argument("--enabled", dest="enabled", action="store_true", default=None,
                    help="push to it" + ("" if editing else " (default)"))
    on.add_argument("--disabled", dest="enabled", action="store_false",
                    help="keep it without pushing (its queue stays on disk)")
    parser.add_argument("--json", action="store_true", help="print the output as JSON")


def _doc(row: Any) -> dict[str, Any]:
    from mikromon.web.control.outputs import safe_url

    return {"id": row.pk, "name": row.name, "format": row.format, "url": safe_url(row.url),
            "username": row.username, "has_password": bool(row.password_encrypted),
            "has_token": bool(row.token_encrypted), "max_disk_mb": row.max_disk_mb,
            "enabled": row.enabled}


def _find(text: str) -> Any:
    from mikromon.cli._django import CommandError
    from mikromon.web.control.outputs import ENV_VARIABLES, find

    row = find(text)
    if row is None:
        hint = (f" ({text} is set by {ENV_VARIABLES[text]}: change the variable)"
                if text in ENV_VARIABLES else "")
        raise CommandError(f"output: no stored output named {text!r}{hint}", EXIT_USAGE)
    return row


def _save(args: argparse.Namespace, row: Any) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.web.control.outputs import OutputForm

    data: dict[str, Any] = {} if row is None else {
        "name": row.name, "format": row.format, "url": row.url, "username": row.username,
        "max_disk_mb": row.max_disk_mb, "enabled": row.enabled}
    if row is None:
        data.update({"format": "remote-write", "max_disk_mb": 2048, "enabled": True})
    for key in ("name", "url", "format", "username", "password", "token", "max_disk_mb",
                "enabled"):
        value = getattr(args, key, None)
        if value is not None:
            data[key] = value
    data["clear_auth"] = args.clear_auth
    if not data.get("enabled"):
        data.pop("enabled", None)  # an unchecked box: absent
    form = OutputForm(data, instance=row)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(str(e) for e in errors)}"
                             for field, errors in form.errors.items())
        raise CommandError(problems, EXIT_USAGE)
    saved = form.save()
    return print_result(args, _doc(saved),
                        f"output {saved.name} {'added' if row is None else 'saved'}")


def _add(args: argparse.Namespace) -> int:
    return _save(args, None)


def _edit(args: argparse.Namespace) -> int:
    return _save(args, _find(args.output))


def _list(args: argparse.Namespace) -> int:
    from mikromon.web.control import collector
    from mikromon.web.control.outputs import rows

    status = collector.read(tidy_devices=False).status or {}
    docs = []
    for r in rows([s for s in status.get("outputs") or [] if isinstance(s, dict)]):
        state = r.get("state") or None
        docs.append({"id": r["pk"], "name": r["name"], "format": r["format"], "url": r["url"],
                     "auth": r["auth"], "max_disk_mb": r["max_disk_mb"],
                     "enabled": r["enabled"], "set_by": r["env"] or None, "state": state})
    return print_rows(args, docs, empty="no outputs",
                      headers=("NAME", "FORMAT", "URL", "AUTH", "SET BY", "LAST PUSH",
                               "QUEUED", "LAST ERROR"),
                      row=lambda d: [d["name"], d["format"], d["url"], d["auth"],
                                     d["set_by"] or ("db" if d["enabled"] else "db (off)"),
                                     str((d["state"] or {}).get("last_push") or "-"),
                                     str((d["state"] or {}).get("queued_payloads", "-")),
                                     str((d["state"] or {}).get("last_error") or "")])


def _delete(args: argparse.Namespace) -> int:
    from mikromon.web.control.outputs import delete

    row = _find(args.output)
    doc = _doc(row)
    doc["queue"] = delete(row)
    return print_result(args, doc, f"output {doc['name']} deleted; {doc['queue']}")


def _test(args: argparse.Namespace) -> int:
    from mikromon.web.control.outputs import config_of, env_config, send_test

    # The environment's output wins for its name: it is the one that runs.
    config = env_config(args.output) or config_of(_find(args.output))
    result = send_test(config)
    print_result(args, {"name": config.name, **result},
                 f"{config.name}: {result['detail']} ({result['duration_s']:.2f} s)")
    return 0 if result["ok"] else EXIT_FAILURE
