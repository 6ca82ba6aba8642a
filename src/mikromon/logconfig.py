"""The one log format of every ``mikromon`` command and of the server.

``2025-01-31T12:00:00Z INFO    collector: message``: UTC to the second, level,
a short operator-facing logger name, one record per line. Used by the command
line (configured before any handler runs) and by the web server's processes;
it imports neither Django nor the command line.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from typing import TextIO


class UTCFormatter(logging.Formatter):
    """``2025-01-31T12:00:00Z INFO    collector: message`` (UTC, one line per record).

    Args:
        role: the process's role in ``mikromon serve`` (``collector``, ``web-1``),
            written before the logger's name: ``... INFO    web-1: server: message``.
    """

    def __init__(self, role: str = "") -> None:
        prefix = f"{role.replace('%', '%%')}: " if role else ""
        super().__init__(
            fmt=f"%(asctime)s %(levelname)-7s {prefix}%(name)s: %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%SZ",
        )
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers of the same record keep the logger's real name.
        record = copy.copy(record)
        record.name = _short_logger_name(record.name)
        text = super().format(record)
        # Keep one record on one line (tracebacks keep their own lines, indented).
        return text.replace("\n", "\n    ")


#: Logger name prefixes shown under a shorter, operator-facing name.
_LOG_NAMES = (
    ("mikromon.schedule", "collector"),
    ("mikromon.routeros", "routeros"),
    ("mikromon.collectors", "collector"),
    ("mikromon.pipeline", "collector"),
    ("mikromon.web.monitor", "storage"),
    ("mikromon.emulator", "emulator"),
)


def _short_logger_name(name: str) -> str:
    for prefix, short in _LOG_NAMES:
        if name == prefix or name.startswith(prefix + "."):
            return short
    if name.startswith("mikromon."):
        return name.rsplit(".", 1)[-1]
    if name == "uvicorn.access":
        return "http"
    if name.startswith("uvicorn"):
        return "server"
    return name


def _not_a_client_error(record: logging.LogRecord) -> bool:
    """Handler filter: drop Django's request lines for 4xx answers (a form with an
    error, 404, 403: the answer tells the user already); 5xx lines stay."""
    status = getattr(record, "status_code", None)
    return not (isinstance(status, int) and 400 <= status < 500
                and record.name.startswith("django."))


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, never to a
    stream captured at configuration time (it may be closed by then)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(*, verbose: bool = False, role: str = "") -> None:
    """Log one readable UTC line per record to stderr (INFO, or DEBUG when ``verbose``);
    replaces any handler configured before. Django's lines for 4xx answers are left
    out unless ``verbose``. ``role``: the child process's role in ``mikromon serve``,
    written in every line (:class:`UTCFormatter`)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(UTCFormatter(role))
    if not verbose:
        handler.addFilter(_not_a_client_error)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("asyncio", "django.db.backends", "django.template"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

