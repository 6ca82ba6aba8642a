"""``mikromon storage status|compact|expand``: the compressed time-series store
from the command line (docs/storage.md).

* ``status``: the compaction's progress: head rows still older than the
  compaction horizon, chunks and samples compacted, rate, time left.
* ``compact``: bring the rollups up to date (the horizon waits for them), then
  compact for ``--seconds`` (default 60), or ``--until-done`` with a progress
  line every ``--every`` seconds. Safe while the collector writes; an
  interruption keeps what was committed (each transaction is whole).
* ``expand``: every chunk back to rows (the way back before a downgrade);
  refused while ``MIKROMON_COMPACTION`` is on (the maintenance would compact
  them again).

``--json`` prints JSON.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from mikromon.cli._common import EXIT_USAGE, Subparsers, add_command, command_with_actions
from mikromon.cli._django import django_handler
from mikromon.cli._services import print_result


def register(subparsers: Subparsers) -> None:
    """Add the ``storage`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "storage", help="compaction of stored samples: status, compact, expand",
        description="The compressed time-series store (docs/storage.md).",
    ) as actions:
        status = add_command(actions, "status", django_handler(_status),
                             help="show the compaction's progress",
                             description="Show the compaction's progress.")
        status.add_argument("--json", action="store_true", help="print a JSON object")
        compact = add_command(actions, "compact", django_handler(_compact),
                              help="compact old samples into chunks now",
                              description="Update the rollups, then compact samples older "
                                          "than the horizon into chunks.")
        compact.add_argument("--until-done", action="store_true",
                             help="go on until nothing is left to compact")
        compact.add_argument("--seconds", type=float, default=60.0,
                             help="stop after this many seconds (without --until-done)")
        compact.add_argument("--every", type=float, default=10.0,
                             help="seconds between progress lines (--until-done)")
        compact.add_argument("--json", action="store_true", help="print a JSON object")
        expand = add_command(actions, "expand", django_handler(_expand),
                             help="turn every chunk back into rows (before a downgrade)",
                             description="Turn every chunk back into rows; needs "
                                         "MIKROMON_COMPACTION=off.")
        expand.add_argument("--json", action="store_true", help="print a JSON object")


def _line(doc: dict[str, Any]) -> str:
    from mikromon.domain.retention import format_duration

    pending = f"{'' if doc['pending_exact'] else '~'}{doc['pending_rows']}"
    rate = f"{doc['rows_per_s']:g} rows/s" if doc["rows_per_s"] else "rate unknown"
    left = ("done" if doc["done"] else
            f"{format_duration(doc['eta_s'])} left" if doc["eta_s"] else "time left unknown")
    by = (f"; run by collector member {doc['maintained_by']}"
          if doc.get("maintained_by") else "")
    return (f"{pending} rows to compact; {doc['chunks_total']} chunks written, "
            f"{doc['samples_total']} samples compacted; {rate}; {left}{by}")


def _status(args: argparse.Namespace) -> int:
    from mikromon.web.monitor import compaction_status

    doc = compaction_status.status(time.time())
    text = _line(doc) + ("" if doc["enabled"] else " (MIKROMON_COMPACTION is off)")
    return print_result(args, doc, text)


def _compact(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.web.monitor import compaction, compaction_status, maintenance

    if args.seconds <= 0 or args.every <= 0:
        raise CommandError("storage compact: --seconds and --every must be above 0", EXIT_USAGE)
    maintenance.update_rollups()
    started = time.monotonic()
    totals = {"chunks": 0, "samples": 0, "rows": 0, "longest_transaction_s": 0.0}
    while True:
        budget = args.every if args.until_done else args.seconds
        progress = compaction.compact(budget_s=budget)
        for key in ("chunks", "samples", "rows"):
            totals[key] += getattr(progress, key)
        totals["longest_transaction_s"] = max(totals["longest_transaction_s"],
                                              progress.longest_transaction_s)
        if progress.horizon is None or progress.done or not args.until_done:
            break
        if not args.json:
            print(_line(compaction_status.status(time.time())), flush=True)
    seconds = round(time.monotonic() - started, 3)
    status = compaction_status.status(time.time())
    doc: dict[str, Any] = {**totals, "seconds": seconds, "status": status}
    text = (f"compacted {totals['rows']} rows into {totals['chunks']} chunks in "
            f"{seconds:g} s; " + _line(status))
    if progress.horizon is None:
        text = doc["note"] = "the rollups never ran: nothing can be compacted yet"
    return print_result(args, doc, text)


def _expand(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.web.monitor import chunk_expand, compaction

    if compaction.enabled():
        raise CommandError("storage expand: set MIKROMON_COMPACTION=off first (for this "
                           "command and the collector), or the maintenance compacts the "
                           "rows again", EXIT_USAGE)
    chunks, samples = chunk_expand.expand()
    doc = {"chunks": chunks, "samples": samples}
    return print_result(args, doc, f"expanded {chunks} chunks into {samples} rows")
