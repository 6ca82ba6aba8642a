"""The shapes collectors share: a path printed and its rows mapped
(:class:`PrintCollector`, the base of most collectors), and the collectors made
of declarations only: a table printed into an inventory snapshot
(:class:`TableCollector`), the same bounded by a ``count-only`` first
(:class:`BoundedTableCollector`), and a count kept as a gauge
(:class:`CountCollector`).

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

from collections.abc import Callable, Sequence
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import (
    Field,
    Values,
    bounded_reply,
    count,
    proplist,
    read,
    sample,
    snapshot,
)
from mikromon.collectors.table_view import TableView
from mikromon.domain.errors import CommandFailed, PathAbsent
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import (
    DEFAULT_REPLY_LIMIT,
    PrintReply,
    PrintRequest,
    ReplyLimit,
    RouterOSClient,
    Row,
)

#: Most rows :class:`BoundedTableCollector` downloads in one poll. A table of
#: 20,000 leases is a few MB over the API and a few seconds of router CPU; past
#: that a snapshot costs more than it tells.
ROW_LIMIT: Final = 20_000


class CountCollector:
    """A collector whose whole job is one ``count-only`` print -> one gauge.

    Args:
        name: registry key (named after the path).
        tier: the tier it runs in.
        path: menu path to count.
        key: metric key of the count (unit: count).
    """

    views: tuple[TableView, ...] = ()

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


class PrintCollector:
    """A collector that prints one path and maps its rows: a subclass names
    ``name``, ``tier``, ``path`` and ``proplist`` (and ``reply_limit``, ``views``
    where it needs them) and writes :meth:`map`.
    """

    name: str
    tier: Tier
    #: The menu printed (``/system/resource``).
    path: str
    #: Its ``.proplist`` (never empty).
    proplist: tuple[str, ...]
    #: Most rows and bytes of the reply.
    reply_limit: ReplyLimit = DEFAULT_REPLY_LIMIT
    views: tuple[TableView, ...] = ()

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Print ``path`` and map its rows (:meth:`map`); nothing when the path is absent.

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        result = CollectResult()
        rows = await read(client, ctx, result, self.path, self.proplist, limit=self.reply_limit)
        if rows is not None:
            self.map(rows, ctx, result)
        return result

    def request(self) -> PrintRequest:
        """The print :meth:`collect` sends, for sending it with others
        (:func:`mikromon.collectors.together.print_together`)."""
        return PrintRequest(self.path, self.proplist, limit=self.reply_limit)

    def take(self, reply: PrintReply, ctx: CollectContext) -> CollectResult:
        """What :meth:`collect` returns, from the reply to :meth:`request` got
        another way: rows are mapped, ``PathAbsent`` goes to ``absent``.

        Raises:
            CommandFailed: the print's ``!trap`` (as :meth:`collect` raises it).
        """
        result = CollectResult()
        if isinstance(reply, PathAbsent):
            result.absent.append(self.path)
        elif isinstance(reply, CommandFailed):
            raise reply
        else:
            self.map(reply, ctx, result)
        return result

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Put what ``rows`` (the reply, possibly empty) say into ``result``."""
        raise NotImplementedError


class TableCollector(PrintCollector):
    """A collector that stores one RouterOS table as an inventory snapshot (its
    print is :meth:`PrintCollector.collect`).

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
        view: how the pages show ``table`` (its title, shown columns, units,
            sort, tab); ``None`` for a table they show under its bare name.
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
        view: TableView | None = None,
    ) -> None:
        if view is not None and view.table != table:
            raise ValueError(f"{name}: view of table {view.table!r} given for {table!r}")
        self.name = name
        self.tier = tier
        self.path = path
        self.table = table
        self.fields = tuple(fields)
        self.proplist = proplist(self.fields)
        self.key_fields = key_fields
        self.keep = keep
        self.reply_limit = reply_limit
        self.views = () if view is None else (view,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.path!r} -> {self.table!r})"

    def map(self, rows: list[Row], ctx: CollectContext, result: CollectResult) -> None:
        """Keep the rows ``keep`` accepts as one snapshot of ``table``."""
        if self.keep is not None:
            rows = [row for row in rows if self.keep(row)]
        result.inventory.append(snapshot(self.table, rows, self.fields, self.key_fields,
                                         ctx.clock(), reader=Values(self.path, result)))


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
        name, tier, path, table, fields, key_fields, view: as for
            :class:`TableCollector`.
        limit: most rows printed (:data:`ROW_LIMIT`); the print's reply is
            bounded by :func:`~mikromon.collectors.support.bounded_reply` of it.
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
        view: TableView | None = None,
    ) -> None:
        if limit < 0:
            raise ValueError(f"{name}: row limit must be >= 0, got {limit}")
        super().__init__(name, tier, path, table, fields, key_fields,
                         reply_limit=bounded_reply(limit), view=view)
        self.limit = limit
        self.counted = counted

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, limit={self.limit})"

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

