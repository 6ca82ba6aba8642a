"""A router made of data for collector tests: path -> rows, as on the wire.

``print`` applies ``?field=value`` queries and returns only the fields of the
proplist (as RouterOS does), so a collector that forgets a field in its
proplist sees it missing. A path not in the tables raises ``PathAbsent`` like a
router answering ``no such command prefix``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mikromon.collectors.base import CollectContext
from mikromon.domain.errors import CommandFailed, PathAbsent
from mikromon.routeros.base import ReplyLimit

TS = datetime(2025, 12, 9, 12, 0, 0, tzinfo=UTC)
MONO = 1000.0


def load(captures: Path, name: str) -> list[dict[str, str]]:
    """Return the rows of capture ``name`` (``system_resource.v7``)."""
    return json.loads((captures / f"{name}.json").read_text(encoding="utf-8"))["rows"]


def load_done(captures: Path, name: str) -> dict[str, str]:
    """Return the ``done`` attributes of a count-only capture."""
    return json.loads((captures / f"{name}.json").read_text(encoding="utf-8"))["done"]


def context(major: int = 7, version: tuple[int, ...] = (), absent: set[str] | None = None,
            ) -> CollectContext:
    """A context with a fixed clock (:data:`TS`, :data:`MONO`)."""
    return CollectContext(
        device="test", major=major, version=version, absent=absent or set(),
        clock=lambda: TS, monotonic=lambda: MONO,
    )


@dataclass
class Call:
    """One request the collector made."""

    kind: str  # "print", "count" or "call"
    path: str
    proplist: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    args: Mapping[str, str] | None = None


@dataclass
class FakeRouter:
    """Implements the RouterOSClient protocol over tables of wire rows.

    Attributes:
        tables: path -> rows.
        counts: path -> the ``=ret=`` of a count-only print (else rows are counted).
        errors: path -> an exception to raise for that path.
        calls: every request, in order.
        reply_limits: path or command -> the reply limit its last request declared.
        commands: command (``/interface/ethernet/monitor``) -> the rows it answers
            with (see :meth:`call`); any other command fails the test.
    """

    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    reply_limits: dict[str, ReplyLimit | None] = field(default_factory=dict)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def _rows(self, path: str, query: Sequence[str]) -> list[dict[str, str]]:
        if path in self.errors:
            raise self.errors[path]
        if path not in self.tables and path not in self.counts:
            raise PathAbsent("no such command prefix", device="test", command=f"{path}/print")
        rows = self.tables.get(path, [])
        for word in query:
            key, _, value = word.removeprefix("?").partition("=")
            rows = [row for row in rows if row.get(key) == value]
        return rows

    async def print(self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
                    args: Mapping[str, str] | None = None, *,
                    limit: ReplyLimit | None = None) -> list[dict[str, str]]:
        self.calls.append(Call("print", path, tuple(proplist), tuple(query), args))
        self.reply_limits[path] = limit
        rows = self._rows(path, query)
        return [{k: row[k] for k in proplist if k in row} for row in rows]

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        self.calls.append(Call("count", path, (), tuple(query)))
        rows = self._rows(path, query)
        if path in self.counts and not query:
            return self.counts[path]
        return len(rows)

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: ReplyLimit | None = None) -> list[dict[str, str]]:
        """A monitor command with ``numbers`` and ``once``: the rows of
        ``commands[command]`` for each item named, in the order named (an item
        is a row's ``name`` or ``.id``, or the ``.id`` of a row of the parent
        menu's table); an unknown item traps as RouterOS does."""
        self.calls.append(Call("call", command, (), (), args))
        self.reply_limits[command] = limit
        if command in self.errors:
            raise self.errors[command]
        if command not in self.commands:
            raise AssertionError(f"collectors should not call {command}")
        args = args or {}
        if "once" not in args:
            raise AssertionError(f"{command} without once streams forever")
        parent = self.tables.get(command.rsplit("/", 1)[0], [])
        ids = {row[".id"]: row.get("name") for row in parent if ".id" in row}
        out = []
        for token in (t for t in args.get("numbers", "").split(",") if t):
            name = ids.get(token, token)
            rows = [row for row in self.commands[command]
                    if token in (row.get(".id"), row.get("name")) or row.get("name") == name]
            if not rows:
                raise CommandFailed("input does not match any value of numbers",
                                    device="test", command=command)
            out.append(rows[0])
        return out

    async def close(self) -> None:
        return None

    def asked(self) -> list[str]:
        """Paths asked for, in order."""
        return [c.path for c in self.calls]
