"""Options and helpers shared by sub-commands."""

from __future__ import annotations

import argparse
import os
import sys


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` and ``--database-url`` (defaults from ``MIKROMON_DATA_DIR``
    and ``MIKROMON_DATABASE_URL``)."""
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("MIKROMON_DATA_DIR"),
        help="folder for the SQLite database and the secret key "
        "(default: $MIKROMON_DATA_DIR or ./data)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("MIKROMON_DATABASE_URL"),
        help="database URL, e.g. postgresql://user@127.0.0.1/mikromon "
        "(default: $MIKROMON_DATABASE_URL or SQLite in the data folder)",
    )


def fail(message: str, code: int = 1) -> int:
    """Print ``mikromon: error: <message>`` to stderr and return ``code``."""
    print(f"mikromon: error: {message}", file=sys.stderr)
    return code
