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

Tables that grow with the customers (DHCP leases, PPP and hotspot sessions,
ARP entries, addresses, neighbors: an ISP's router holds thousands) or with an
ISP's configuration (firewall rules) are read by :class:`BoundedTableCollector`:
``count-only`` first, and the table is printed only when it has at most its
limit of rows (:data:`ROW_LIMIT` unless the module says otherwise); above that
the table is skipped and the reason recorded in ``CollectResult.failures``, in
words that stay the same while the table stays too large (so the failure is
reported once, not on every poll).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

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
from mikromon.domain.tiers import Tier
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


class CountCollector:
    """A collector whose whole job is one ``count-only`` print -> one gauge.

    Args:
        name: registry key (named after the path).
        tier: the tier it runs in.
        path: menu path to count.
        key: metric key of the count (unit: count).
    """

    def __init__(self, name: str, tier: Tier, path: str, key: str) -> None:
        self.name = name
        self.tier = tier
        self.path = path
        self.key = key

    def __repr__(self) -> str:
        return f"CountCollector({self.name!r}, {self.path!r} -> {self.key!r})"

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Count the rows of ``path`` without downloading them.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        n = await count(client, ctx, result, self.path)
        if n is not None:
            result.samples.append(sample(self.key, n, ctx.clock()))
        return result


class TableCollector:
    """A collector that stores one RouterOS table as an inventory snapshot.

    Args:
        name: registry key (named after the path).
        tier: the tier it runs in.
        path: menu path to print.
        table: inventory table name.
        fields: the columns (their names form the ``.proplist``).
        key_fields: the columns that identify a row across polls.
        keep: optional filter over wire rows (``False`` drops the row).
        reply_limit: most rows and bytes of the print's reply
            (:data:`~mikromon.routeros.base.DEFAULT_REPLY_LIMIT`: 10,000 rows).
    """

    def __init__(
        self,
        name: str,
        tier: Tier,
        path: str,
        table: str,
        fields: Sequence[Field],
        key_fields: tuple[str, ...],
        keep: Callable[[Row], bool] | None = None,
        *,
        reply_limit: ReplyLimit = DEFAULT_REPLY_LIMIT,
    ) -> None:
        self.name = name
        self.tier = tier
        self.path = path
        self.table = table
        self.fields = tuple(fields)
        self.key_fields = key_fields
        self.keep = keep
        self.reply_limit = reply_limit

    def __repr__(self) -> str:
        return f"TableCollector({self.name!r}, {self.path!r} -> {self.table!r})"

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Print the table and return it as one snapshot.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, self.path, proplist(self.fields),
                          limit=self.reply_limit)
        if rows is not None:
            if self.keep is not None:
                rows = [row for row in rows if self.keep(row)]
            result.inventory.append(snapshot(
                self.table, rows, self.fields, self.key_fields, ctx.clock(),
                reader=Values(self.path, result),
            ))
        return result


#: Most rows :class:`BoundedTableCollector` downloads in one poll. A table of
#: 20,000 leases is a few MB over the API and a few seconds of router CPU; past
#: that a snapshot costs more than it tells.
ROW_LIMIT: Final = 20_000


def over_limit_message(name: str, path: str, limit: int, what: str) -> str:
    """Return the failure text for a table of more than ``limit`` rows.

    The text does not carry the row count, so it stays the same from poll to
    poll while the table stays too large.

    Args:
        name: the collector's registry name.
        path: the menu path counted.
        limit: the most rows read.
        what: what was done instead (``"inventory table arp not read"``).
    """
    return f"{name}: {path} has more than {limit} rows; {what}"


class BoundedTableCollector(TableCollector):
    """A :class:`TableCollector` for tables that grow with the customers.

    The rule: ``<path>/print =count-only=`` first (one ``!done``, no rows). When
    the router reports at most ``limit`` rows, the table is printed with its
    ``.proplist`` and returned as one snapshot. When it reports more, nothing is
    printed, no snapshot is returned (storage keeps the rows it had, it does not
    mark them gone) and ``result.failures`` gets :meth:`over_limit`, naming the
    path, the limit and the table, so the tier shows the table as not read.

    Args:
        name: registry key (named after the path).
        tier: the tier it runs in.
        path: menu path to count and print.
        table: inventory table name.
        fields: the columns (their names form the ``.proplist``).
        key_fields: the columns that identify a row across polls.
        limit: most rows printed (:data:`ROW_LIMIT`); the print's reply is
            bounded by :func:`bounded_reply` of it.
        counted: another collector stores the table's count as a metric (the
            failure message then says so).

    Raises:
        ValueError: ``limit`` is negative.
    """

    def __init__(
        self,
        name: str,
        tier: Tier,
        path: str,
        table: str,
        fields: Sequence[Field],
        key_fields: tuple[str, ...],
        limit: int = ROW_LIMIT,
        *,
        counted: bool = False,
    ) -> None:
        if limit < 0:
            raise ValueError(f"{name}: row limit must be >= 0, got {limit}")
        super().__init__(name, tier, path, table, fields, key_fields,
                         reply_limit=bounded_reply(limit))
        self.limit = limit
        self.counted = counted

    def __repr__(self) -> str:
        return (f"BoundedTableCollector({self.name!r}, {self.path!r} -> {self.table!r}, "
                f"limit={self.limit})")

    def over_limit(self) -> str:
        """Return the failure message for a table of more than ``limit`` rows."""
        what = f"inventory table {self.table} not read"
        if self.counted:
            what += " (its count is still collected)"
        return over_limit_message(self.name, self.path, self.limit, what)

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Count the rows; print them when there are at most ``limit``.

        Returns:
            One snapshot of ``table``; or none, with a message in ``failures``
            when the count is over the limit, or with the path in ``absent``.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await count(client, ctx, result, self.path)
        if rows is None:
            return result
        if rows > self.limit:
            result.failures.append(self.over_limit())
            return result
        result.merge(await super().collect(client, ctx))
        return result
