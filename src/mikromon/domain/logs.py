"""Router log lines as the alert engine reads them, wherever they came from
(the polled ``/log`` or syslog), and RouterOS's severity topics.

RouterOS tags every log line with topics, one of which is its severity:
``debug``, ``info``, ``warning``, ``error`` or ``critical`` (``/log`` prints
``interface,info``, ``system,error,critical``; wiki.mikrotik.com
Manual:System/Log, and the log.v6/log.v7 captures).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

__all__ = ["SEVERITY_TOPICS", "LogLine", "severity_from_topics", "severity_rank"]

#: RouterOS severity topics, lowest first.
SEVERITY_TOPICS: Final = ("debug", "info", "warning", "error", "critical")


def severity_rank(severity: str) -> int:
    """0 (``debug``) .. 4 (``critical``); -1 for a word that is no severity topic."""
    try:
        return SEVERITY_TOPICS.index(severity)
    except ValueError:
        return -1


def severity_from_topics(topics: Iterable[str]) -> str | None:
    """Return the highest severity topic among ``topics`` (``None``: none of them)."""
    best: str | None = None
    for topic in topics:
        if topic in SEVERITY_TOPICS and (best is None
                                         or severity_rank(topic) > severity_rank(best)):
            best = topic
    return best


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLine:
    """One router log line.

    Attributes:
        device_id: the device's id.
        topics: its topics (``("system", "info", "account")``).
        message: its text.
        severity: the severity topic (:data:`SEVERITY_TOPICS`); ``info`` when the
            line names none.
        time: the router's time as naive ISO text (``''``: unknown).
        ts: when mikromon received it, UTC.
        source: ``"syslog"`` (pushed by the router) or ``"poll"`` (read from ``/log``).
    """

    device_id: int
    topics: tuple[str, ...]
    message: str
    severity: str
    time: str
    ts: datetime
    source: str = "syslog"

    @property
    def topics_text(self) -> str:
        """The topics as ``/log`` prints them."""
        return ",".join(self.topics)
