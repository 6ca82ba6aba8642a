"""What every collector needs: reading a path politely (skipping known-absent
paths, reporting newly absent ones) and turning wire rows into typed
inventory rows.

Every field of every row is parsed on its own (:class:`Values`): inventory
rows keep RouterOS field names, with values parsed by the field's parser from
:mod:`mikromon.routeros.values` (durations -> seconds float, booleans -> bool,
numbers -> int/float, dates -> ISO text); metrics are read the same way. A
value its parser rejects (empty, ``n/a``, a form we do not know, or a value no
router can have: a counter near 2^64, a percentage above 100, a negative size)
becomes ``None`` for that field only (a typed column never holds the router's
text) and is listed in ``CollectResult.bad_values`` with the raw text; the
other fields, rows and collectors are read as usual. The scheduler counts them
and reports each device, path and field once (a log line and a ``bad_value``
event) until the raw text changes.

A pair value (wireless ``bytes=6689896,2094536`` is tx,rx; queue
``max-limit=10000000/20000000`` is upload/download) becomes two columns,
``<field>.<first part>`` and ``<field>.<second part>`` (``bytes.tx``,
``max-limit.download``), each parsed on its own.

The collectors made of declarations only (a table, a bounded table, a count)
are in :mod:`mikromon.collectors.table_collectors`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from mikromon.collectors.base import CollectContext
from mikromon.domain.errors import PathAbsent, ValueParseError
from mikromon.domain.inventory import (
    BadValue,
    CollectResult,
    InventoryRow,
    InventorySnapshot,
    Scalar,
)
from mikromon.domain.samples import Sample, make_labels
from mikromon.routeros.base import DEFAULT_REPLY_LIMIT, ReplyLimit, RouterOSClient, Row
from mikromon.routeros.values.numbers import COUNTER_MAX, parse_bool, parse_mtu
from mikromon.routeros.values.text import parse_pair

log = logging.getLogger(__name__)

Parser = Callable[[str], Scalar]

_T = TypeVar("_T")


class Values:
    """Parses the fields of one path one at a time: a value that cannot be read
    gives ``None`` and a :class:`BadValue` in ``result.bad_values``.

    Args:
        path: the menu the rows come from (``/system/resource``).
        result: receives the bad values.
    """

    __slots__ = ("path", "result")

    def __init__(self, path: str, result: CollectResult) -> None:
        self.path = path
        self.result = result

    def parse(self, raw: str | None, parse: Callable[[str], _T], field: str,
              row: str = "") -> _T | None:
        """Return ``parse(raw)``; ``None`` when ``raw`` is ``None`` (field not sent)
        or the parser refuses it (then recorded).

        Args:
            raw: the router's text, or ``None``.
            parse: a parser of :mod:`mikromon.routeros.values` (raises
                ``ValueParseError`` only).
            field: the field's RouterOS name (for the record).
            row: which row (``ether1``), ``""`` for a single-row path.
        """
        if raw is None:
            return None
        try:
            return parse(raw)
        except ValueParseError as err:
            self.bad(field, raw, str(err), row)
            return None

    def get(self, row: Row, field: str, parse: Callable[[str], _T], label: str = "") -> _T | None:
        """Return ``field`` of ``row`` parsed (see :meth:`parse`)."""
        return self.parse(row.get(field), parse, field, label)

    def bad(self, field: str, raw: str, reason: str, row: str = "") -> None:
        """Record that ``field`` held ``raw``, refused for ``reason``."""
        self.result.bad_values.append(BadValue(self.path, field, raw, reason, row))


def text(value: str) -> str:
    """Return the router's text unchanged."""
    return value


def switch(value: str) -> bool:
    """Return ``True``: a v7 switch property (``ebgp``, ``remote.eor``) is sent with an
    empty value when set and left out when unset (routing_bgp_session.v7.json)."""
    return True


def int_or_auto(value: str) -> int | str:
    """Return an MTU-like value: int, or the word ``auto`` (bridge ``mtu``,
    interface.v7.json) kept as text.

    Raises:
        ValueParseError: neither an MTU (0..65535) nor ``auto``.
    """
    return "auto" if value == "auto" else parse_mtu(value)


@dataclass(frozen=True, slots=True)
class Field:
    """One inventory column.

    Attributes:
        name: RouterOS field name (also the proplist entry and the row key).
        parse: turns the wire text into the stored value.
        missing: the value stored when the router leaves the field out (flag
            keys such as ``active``/``dynamic`` are absent when false on v6/v7).
        parts: for a pair value, the names of its two parts (``("tx", "rx")``).
        sep: the pair separator (``,`` wireless, ``/`` queues).
    """

    name: str
    parse: Parser = text
    missing: Scalar = None
    parts: tuple[str, str] | None = None
    sep: str = ","

    def columns(self) -> tuple[str, ...]:
        """Return the row keys this field fills."""
        if self.parts is None:
            return (self.name,)
        return tuple(f"{self.name}.{part}" for part in self.parts)


def flag(name: str) -> Field:
    """Return a boolean column that reads ``False`` when the router leaves it out."""
    return Field(name, parse_bool, False)


def proplist(fields: Iterable[Field]) -> tuple[str, ...]:
    """Return the names of ``fields`` for ``.proplist``."""
    return tuple(f.name for f in fields)


@dataclass(frozen=True, slots=True)
class VersionFields:
    """One menu's columns on v6 and on v7, printed with one ``.proplist`` and told
    apart by the fields only one version sends (the router's version text may be
    unreadable or a beta).

    Attributes:
        v6: the columns on v6.
        v7: the columns on v7.
        v6_only: fields only v6 sends (``routing-mark``).
        v7_only: fields only v7 sends (``routing-table``).
    """

    v6: tuple[Field, ...]
    v7: tuple[Field, ...]
    v6_only: frozenset[str]
    v7_only: frozenset[str]

    def proplist(self) -> tuple[str, ...]:
        """Return both versions' field names, each once."""
        return tuple(dict.fromkeys((*proplist(self.v6), *proplist(self.v7))))

    def for_rows(self, rows: Sequence[Row], major: int) -> tuple[Field, ...]:
        """Return the columns the reply's rows show: v7's when a row has a v7-only
        field, else v6's when one has a v6-only field, else those of ``major``."""
        if any(self.v7_only & row.keys() for row in rows):
            return self.v7
        if any(self.v6_only & row.keys() for row in rows):
            return self.v6
        return self.v6 if major < 7 else self.v7


def convert(
    row: Row, fields: Sequence[Field], reader: Values | None = None, label: str = ""
) -> dict[str, Scalar]:
    """Return ``row`` with every field of ``fields`` parsed, each on its own.

    Args:
        row: one wire row (field -> text).
        fields: the columns to keep, in order.
        reader: records the values a parser refuses (``None``: not recorded).
        label: the row's identity for those records (``ether1``).

    Returns:
        Mapping field name -> parsed value; ``Field.missing`` for fields the row
        lacks; ``None`` for values the parser refuses (never the raw text). A pair
        is recorded once, with its whole text, when either part is refused.
    """
    if reader is None:
        reader = Values("", CollectResult())
    out: dict[str, Scalar] = {}
    for f in fields:
        raw = row.get(f.name)
        if raw is None:
            out.update(dict.fromkeys(f.columns(), f.missing))
        elif f.parts is None:
            out[f.name] = reader.parse(raw, f.parse, f.name, label)
        else:
            first, second = f.columns()
            out[first], out[second] = _pair(reader, f, raw, label)
    return out


def _pair(reader: Values, f: Field, raw: str, label: str) -> tuple[Scalar, Scalar]:
    """Parse both parts of a pair value; a refused part is ``None`` and the whole
    text is recorded once (the first refusal's reason)."""
    try:
        parts = parse_pair(raw, f.sep)
    except ValueParseError as err:
        reader.bad(f.name, raw, str(err), label)
        return None, None
    parsed: list[Scalar] = []
    reason = ""
    for part in parts:
        try:
            parsed.append(f.parse(part))
        except ValueParseError as err:
            parsed.append(None)
            reason = reason or str(err)
    if reason:
        reader.bad(f.name, raw, reason, label)
    return parsed[0], parsed[1]


def snapshot(
    table: str,
    rows: Iterable[Row],
    fields: Sequence[Field],
    key_fields: tuple[str, ...],
    ts: datetime,
    *,
    append_only: bool = False,
    reader: Values | None = None,
) -> InventorySnapshot:
    """Return an :class:`InventorySnapshot` of ``rows`` converted with ``fields``.

    Args:
        reader: records the values refused (each named by the row's key fields).
    """
    converted: list[InventoryRow] = [
        convert(row, fields, reader, "/".join(row.get(k) or "" for k in key_fields))
        for row in rows
    ]
    return InventorySnapshot(
        table=table, rows=converted, key_fields=key_fields, ts=ts, append_only=append_only
    )


def sample(key: str, value: float, ts: datetime, **labels: str) -> Sample:
    """Return a :class:`Sample` of ``key`` with ``labels``."""
    if not labels:  # most samples: ``make_labels()`` is ``()``
        return Sample(key, float(value), ts)
    return Sample(key, float(value), ts, make_labels(**labels))


async def _unless_absent(
    ctx: CollectContext,
    result: CollectResult,
    path: str,
    call: Callable[[], Awaitable[_T]],
) -> _T | None:
    """Await ``call()`` unless ``path`` is known to be absent; a ``PathAbsent`` it
    raises is recorded in ``result.absent`` and gives ``None``."""
    if path in ctx.absent:
        return None
    try:
        return await call()
    except PathAbsent:
        result.absent.append(path)
        return None


async def read(
    client: RouterOSClient,
    ctx: CollectContext,
    result: CollectResult,
    path: str,
    fields: Sequence[str],
    query: Sequence[str] = (),
    args: Mapping[str, str] | None = None,
    *,
    limit: ReplyLimit = DEFAULT_REPLY_LIMIT,
) -> list[Row] | None:
    """Print ``path`` unless it is known to be absent.

    Args:
        client: the router session.
        ctx: what is known about the router (``ctx.absent`` is honoured).
        result: receives ``path`` in ``absent`` when the router lacks it.
        path: menu path (``/ip/hotspot/active``).
        fields: ``.proplist`` (never empty).
        query: query words (``("?status=bound",)``).
        args: extra attribute words.
        limit: the most rows and bytes the reply may have: one that the real
            table fits under (:data:`DEFAULT_REPLY_LIMIT` unless the collector
            declares its own; :func:`bounded_reply` after a ``count-only``).

    Returns:
        The rows (``[]`` for an empty table or ``!empty``), or ``None`` when the
        path is absent (known before, or found now).

    Raises:
        ReplyTooLarge: the reply went past ``limit`` (the client closed the
            connection; the device shows the error naming the path and the limit).
        DeviceError: any other failure of the client (``CommandFailed``,
            ``CommandTimeout``, ``ConnectionLost``...).
    """
    if not fields and path not in ctx.absent:
        raise ValueError(f"refusing to print {path} without a proplist")
    return await _unless_absent(
        ctx, result, path, lambda: client.print(path, fields, query, args, limit=limit)
    )


async def run(
    client: RouterOSClient,
    ctx: CollectContext,
    result: CollectResult,
    command: str,
    args: Mapping[str, str],
    *,
    limit: ReplyLimit,
) -> list[Row] | None:
    """Run a command other than ``print`` (a monitor command with ``once``) unless
    ``command`` is known to be absent.

    Args:
        client: the router session.
        ctx: what is known about the router (``ctx.absent`` is honoured).
        result: receives ``command`` in ``absent`` when the router lacks it.
        command: full command path (``/interface/ethernet/monitor``).
        args: attribute words (``{"numbers": "*1,*2", "once": ""}``); a monitor
            command streams until cancelled without ``once``.
        limit: the most rows and bytes the reply may have (never the default:
            a monitor's reply grows with the items named).

    Returns:
        The ``!re`` rows, or ``None`` when the command is absent.

    Raises:
        ReplyTooLarge: the reply went past ``limit``.
        DeviceError: any other failure of the client (``CommandFailed`` for a
            ``!trap`` such as ``input does not match any value of numbers``).
    """
    return await _unless_absent(
        ctx, result, command, lambda: client.call(command, args, limit=limit)
    )


def bounded_reply(rows: int) -> ReplyLimit:
    """Return the reply limit of a print made after ``count-only`` said the table
    has at most ``rows`` rows: twice that plus 100 (the table may grow between the
    count and the print), at 1 KiB a row."""
    return ReplyLimit.for_rows(2 * rows + 100)


async def count(
    client: RouterOSClient,
    ctx: CollectContext,
    result: CollectResult,
    path: str,
    query: Sequence[str] = (),
) -> int | None:
    """Return ``<path>/print =count-only=``'s count, or ``None`` when the path is
    absent (see :func:`read`) or the count is impossible (negative, from 2^63 up:
    recorded in ``result.bad_values``).

    Raises:
        DeviceError: any other failure of the client.
    """
    n = await _unless_absent(ctx, result, path, lambda: client.count(path, query))
    if n is not None and not 0 <= n <= COUNTER_MAX:
        # A count no router can have (a negative number printed as unsigned).
        Values(path, result).bad("count-only", str(n), f"impossible row count {n}",
                                 " ".join(query))
        return None
    return n
