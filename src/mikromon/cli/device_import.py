"""``mikromon device import FILE.csv [--dry-run] [--skip-invalid]``: create or
update devices from a CSV file, each row checked by the device form of the pages
(:mod:`mikromon.web.monitor.device_import`; the format is in
docs/operations.md).

Without ``--skip-invalid`` nothing is written unless every row is valid; the
valid rows are written in one transaction. Exit 0 when every row is valid, 2
otherwise (each problem on stderr as ``row N: column: message``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mikromon.cli._common import Subparsers, add_command
from mikromon.cli._django import django_handler


def register_import(actions: Subparsers) -> None:
    """Add ``device import`` to the ``device`` command's actions."""
    sub = add_command(
        actions, "import", django_handler(_import, create=True),
        help="create or update routers from a CSV file",
        description="Create or update routers from a CSV file (the header names the "
        "columns: name, host, port, username, password, use_ssl, tls_verify, encoding, "
        "enabled, site, tags separated by ';', notes, <tier>_interval; see "
        "docs/operations.md). A device whose name exists is updated. Nothing is written "
        "unless every row is valid (see --skip-invalid).",
    )
    sub.add_argument("file", metavar="FILE.csv", help="the CSV file (UTF-8; '-' reads stdin)")
    sub.add_argument("--dry-run", action="store_true",
                     help="check every row and report what would change; write nothing")
    sub.add_argument("--skip-invalid", action="store_true",
                     help="write the valid rows even when others have errors")


def _read(name: str) -> str:
    import sys

    from mikromon.cli._django import EXIT_USAGE, CommandError

    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise CommandError(f"cannot read {name}: {err}", EXIT_USAGE) from None


def _import(args: argparse.Namespace) -> int:
    import sys

    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.monitor.device_import import ImportFileError, import_devices

    text = _read(args.file)
    try:
        result = import_devices(text, dry_run=args.dry_run, skip_invalid=args.skip_invalid)
    except ImportFileError as err:
        raise CommandError(f"{args.file}: {err}", EXIT_USAGE) from None
    for row in result.rows:
        if row.errors:
            continue
        if result.dry_run:
            print(f"row {row.row}: would {row.action} device {row.name!r}")
        elif row.done:
            print(f"row {row.row}: {row.action}d device {row.name!r}")
    for line in result.error_lines():
        print(line, file=sys.stderr)
    counts = result.counts()
    summary = (f"{counts['create']} to create, {counts['update']} to update, "
               f"{counts['invalid']} invalid")
    if result.dry_run:
        print(f"dry run: {summary}; nothing written")
    elif not result.written:
        print(f"{summary}; nothing written (fix the rows, or add --skip-invalid)",
              file=sys.stderr)
    else:
        done = sum(r.done for r in result.rows)
        print(f"{done} device{'s' if done != 1 else ''} written"
              + (f"; {counts['invalid']} invalid rows skipped" if counts["invalid"] else ""))
    return EXIT_USAGE if result.invalid else 0
