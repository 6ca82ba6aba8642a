"""``mikromon retention show|set``: how long raw points (per collection tier) and
rollups (per level) are kept, from the command line.

``set`` takes ``KEY=DURATION`` pairs (``realtime=7d 5m=90d 1h=730d 1d=1825d``... durations as
:func:`mikromon.domain.retention.parse_duration` reads them: ``7d``, ``36h``,
``2w``, a bare number of days; ``KEY=default`` goes back to the environment's
default). The whole resulting set is checked as the settings page checks it; a
wrong value exits 2 naming the key. The maintenance applies a change at its next
run (within a minute while a collector runs). ``--json`` prints JSON.
"""

from __future__ import annotations

import argparse
from typing import Any

from mikromon.cli._common import (
    EXIT_USAGE,
    Subparsers,
    add_command,
    command_with_actions,
    format_table,
)
from mikromon.cli._django import django_handler
from mikromon.cli._services import print_result


def register(subparsers: Subparsers) -> None:
    """Add the ``retention`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "retention", help="show or change how long data is kept",
        description="Retention of raw points per collection tier and of rollups per level.",
    ) as actions:
        show = add_command(actions, "show", django_handler(_show),
                           help="show the retention in force and where each comes from",
                           description="Show the retention in force.")
        show.add_argument("--json", action="store_true", help="print a JSON object")
        set_ = add_command(actions, "set", django_handler(_set),
                           help="change retentions: KEY=DURATION ...",
                           description="Change retentions (keys: realtime, short, medium, "
                                       "long, extended, 5m, 1h, 1d; durations: 7d, 36h, 2w, or "
                                       "days; KEY=default: the environment's default).")
        set_.add_argument("pairs", nargs="+", metavar="KEY=DURATION")
        set_.add_argument("--json", action="store_true", help="print a JSON object")


def _table(doc: dict[str, Any]) -> None:
    rows = [[d["key"], d["text"], d["source"], d["meaning"]] for d in doc["settings"]]
    rows += [[d["key"], f"{d['days']:g}d", d["variable"], d["meaning"]]
             for d in doc["environment_only"]]
    print(format_table(["KEY", "KEPT", "SET BY", "WHAT"], rows), end="")


def _show(args: argparse.Namespace) -> int:
    from mikromon.web.control import retention

    doc = retention.document(retention.effective())
    return print_result(args, doc, lambda: _table(doc))


def _set(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.domain.retention import KEYS, RetentionError, parse_duration
    from mikromon.web.control import retention

    values: dict[str, int | None] = {}
    problems: list[str] = []
    for pair in args.pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(f"{pair!r}: write KEY=DURATION, e.g. realtime=7d")
        elif key not in KEYS:
            problems.append(f"{key}: unknown retention; known: {', '.join(KEYS)}")
        elif text.strip().lower() == "default":
            values[key] = None
        else:
            try:
                values[key] = parse_duration(text)
            except ValueError as err:
                problems.append(f"{key}: {err}")
    if problems:
        raise CommandError("retention: " + "; ".join(problems), EXIT_USAGE)
    try:
        eff = retention.save(values, by="cli")
    except RetentionError as err:
        raise CommandError(f"retention: {err}", EXIT_USAGE) from err
    doc = retention.document(eff)
    changed = ", ".join(f"{d['key']}={d['text']}" for d in doc["settings"] if d["key"] in values)
    return print_result(args, doc, f"retention set: {changed} (applied at the next "
                                   "maintenance run)")
