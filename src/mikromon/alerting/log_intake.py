"""Router log lines for ``log`` rules: which lines of a device's ``logs``
snapshot are new (:class:`LogIntake`: a baseline at the first poll, a line seen
through syslog not counted again when polled) and whether a line passes a rule
(:func:`log_matches`).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from mikromon.alerting.rules import LOG_MESSAGE_LIMIT, Rule
from mikromon.alerting.tracking import LOG_PUSHED_MAX, LOG_SEEN_MAX
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.logs import LogLine, severity_from_topics, severity_rank


def log_line(device_id: int, row: object, ts: datetime, source: str) -> LogLine:
    """A ``logs`` row (``topics`` comma-separated, ``message``, ``time``, maybe
    ``severity``) as a :class:`LogLine`; severity from the topics when not given."""
    get = row.get  # type: ignore[attr-defined]
    topics = tuple(t for t in str(get("topics") or "").split(",") if t)
    severity = str(get("severity") or "") or severity_from_topics(topics) or "info"
    return LogLine(device_id=device_id, topics=topics, message=str(get("message") or ""),
                   severity=severity, time=str(get("time") or ""), ts=ts, source=source)


def log_matches(rule: Rule, line: LogLine) -> bool:
    """Whether ``line`` passes ``rule``'s topics, severity and pattern."""
    if rule.topics:
        have = line.topics
        for topic in rule.topics:
            if topic.startswith("!"):
                if topic[1:] in have:
                    return False
            elif topic not in have:
                return False
    if rule.min_severity and severity_rank(line.severity) < severity_rank(rule.min_severity):
        return False
    regex = rule.regex
    return regex is None or not rule.pattern or regex.search(
        line.message[:LOG_MESSAGE_LIMIT]) is not None


class LogIntake:
    """Which log rows of each device are new (see :mod:`mikromon.alerting.engine`).

    Remembers per device the last :data:`LOG_SEEN_MAX` polled rows and the last
    :data:`LOG_PUSHED_MAX` syslog messages, in memory only.
    """

    def __init__(self) -> None:
        self._seen: dict[int, OrderedDict[str, None]] = {}
        self._pushed: dict[int, OrderedDict[str, int]] = {}

    def new_lines(self, device_id: int, snapshot: InventorySnapshot) -> list[LogLine]:
        """The lines of a batch of a device's log rows (an append-only ``logs``
        snapshot: rows with ``time``, ``topics``, ``message``, and ``source`` =
        ``"syslog"`` for pushed lines) to evaluate: every pushed line; polled
        lines not seen before, not in the first poll and not already pushed."""
        pushed = self._pushed.setdefault(device_id, OrderedDict())
        polled: list[dict[str, object]] = []
        lines: list[LogLine] = []
        for row in snapshot.rows:
            if row.get("source") == "syslog":
                line = log_line(device_id, row, snapshot.ts, "syslog")
                lines.append(line)
                pushed[line.message] = pushed.get(line.message, 0) + 1
                pushed.move_to_end(line.message)
                while len(pushed) > LOG_PUSHED_MAX:
                    pushed.popitem(last=False)
            else:
                polled.append(dict(row))
        if polled:
            first = device_id not in self._seen
            seen = self._seen.setdefault(device_id, OrderedDict())
            for row in polled:
                key = snapshot.row_key(row)
                if key in seen:
                    continue
                seen[key] = None
                message = str(row.get("message") or "")
                if first:
                    continue  # the baseline: lines from before we started
                left = pushed.get(message, 0)
                if left:  # already evaluated when syslog brought it
                    if left == 1:
                        del pushed[message]
                    else:
                        pushed[message] = left - 1
                    continue
                lines.append(log_line(device_id, row, snapshot.ts, "poll"))
            while len(seen) > LOG_SEEN_MAX:
                seen.popitem(last=False)
        return lines
