"""One page of an inventory table, filtered and sorted in SQL.

Rows of :class:`~.models.InventoryItem` are sorted by the sort keys stored with them
(:mod:`.sort_keys`: numbers, durations, byte counts and rates as numbers, addresses
as addresses, names with numbers naturally; empty values last in both directions),
compared byte by byte (``COLLATE "C"`` on PostgreSQL), and filtered by their search
text (``LIKE``, lower case). A table without a declared sort column keeps the
router's order (RouterOS ``.id``). Router log lines (:class:`~.models.LogEntry`)
sort by their model columns (``time``, newest first by default; ``topics``;
``message``) and are filtered on topics and message.

The columns of a table are those of all its rows (one ``json_each`` /
``jsonb_object_keys`` query), not only of the page shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import Expression, OrderBy
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Collate

from mikromon.web.monitor.models import InventoryItem, LogEntry
from mikromon.web.params import ParamError, parse_page, parse_positive_int

#: Longest text filter accepted (characters).
MAX_FILTER = 200
#: The RouterOS item id: the router's own order.
ROUTER_ORDER = ".id"
#: Log columns that are model fields (sortable and filtered in SQL).
LOG_COLUMNS = ("time", "topics", "message")


@dataclass(frozen=True, slots=True)
class TableQuery:
    """What part of a table to read.

    Attributes:
        q: text the row must contain (any value, case-insensitive), ``''``: every row.
        sort: the column to sort by, ``-`` in front for descending; ``''``: the
            table's default (its declared sort column, else the router's order;
            logs: newest first).
        offset: rows skipped (a page's start).
        limit: most rows answered, ``None``: all.
    """

    q: str = ""
    sort: str = ""
    offset: int = 0
    limit: int | None = None


def parse_query(params: Mapping[str, str], max_per_page: int) -> tuple[TableQuery, int | None,
                                                                      int, list[str]]:
    """Read ``q``, ``sort``, ``page`` and ``per_page`` of a query string.

    Returns ``(query, per_page, page, problems)``: ``per_page`` ``None`` when not
    given (every row), ``problems`` a message per bad parameter (the query then
    uses the defaults for them).
    """
    problems: list[str] = []
    q = (params.get("q") or "").strip()
    if len(q) > MAX_FILTER:
        problems.append(f"q is longer than {MAX_FILTER} characters ({len(q)})")
        q = ""
    sort = (params.get("sort") or "").strip()
    if len(sort) > 200:
        problems.append("sort is longer than 200 characters")
        sort = ""
    page = 1
    per_page: int | None = None
    try:
        page = parse_page(params.get("page"))
    except ParamError as err:
        problems.append(str(err))
    try:
        per_page = parse_positive_int("per_page", params.get("per_page"), None, max_per_page)
    except ParamError as err:
        problems.append(str(err))
    offset = (page - 1) * per_page if per_page else 0
    return TableQuery(q=q, sort=sort, offset=offset, limit=per_page), per_page, page, problems


def split_sort(sort: str) -> tuple[str, bool]:
    """``"-address"`` -> ``("address", True)``; ``"name"`` -> ``("name", False)``."""
    return (sort[1:], True) if sort.startswith("-") else (sort, False)


def _key(column: str) -> Expression:
    """The stored sort key of ``column``, compared byte by byte."""
    expr: Expression = KeyTextTransform(column, "sort_keys")
    if connections[InventoryItem.objects.db].vendor == "postgresql":
        expr = Collate(expr, "C")
    return expr


def item_query(device_id: int, table: str, *, include_gone: bool) -> QuerySet[InventoryItem]:
    """The shown rows of a table: not blank, not gone unless ``include_gone``."""
    qs = InventoryItem.objects.filter(device_id=device_id, table=table).exclude(search_text="")
    return qs if include_gone else qs.filter(gone=False)


def item_page(qs: QuerySet[InventoryItem], query: TableQuery, default_sort: str
              ) -> tuple[list[tuple[dict[str, Any], bool]], int, str]:
    """Filter, count, sort and slice ``qs``.

    Returns ``(rows, count, sort)``: ``(data, gone)`` of the page's rows, the number
    of rows matching the filter, and the sort applied (``''``: the router's order).
    """
    if query.q:
        qs = qs.filter(search_text__contains=query.q.casefold())
    count = qs.count()
    sort = query.sort or default_sort
    column, descending = split_sort(sort)
    order: list[Any] = []
    if column and column != ROUTER_ORDER:
        order.append(OrderBy(_key(column), descending=descending, nulls_last=True))
    order.append(OrderBy(_key(ROUTER_ORDER), descending=descending and column == ROUTER_ORDER,
                         nulls_last=True))
    order.append(F("key").desc() if descending and column == ROUTER_ORDER else F("key").asc())
    rows = qs.order_by(*order).values_list("data", "gone")
    end = None if query.limit is None else query.offset + query.limit
    return [(dict(d or {}), g) for d, g in rows[query.offset:end]], count, sort


def item_columns(qs: QuerySet[InventoryItem]) -> set[str]:
    """Every field name in the ``data`` of the rows of ``qs`` (one SQL query)."""
    alias = qs.db
    vendor = connections[alias].vendor
    ids_sql, params = qs.values("id").query.sql_with_params()
    if vendor == "postgresql":
        sql = (f"SELECT DISTINCT jsonb_object_keys(i.data) FROM monitor_inventoryitem i "
               f"WHERE i.id IN ({ids_sql})")
    else:
        sql = (f"SELECT DISTINCT j.key FROM monitor_inventoryitem i, json_each(i.data) j "
               f"WHERE i.id IN ({ids_sql})")
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return {str(row[0]) for row in cursor.fetchall()}


def log_page(device_id: int, query: TableQuery, default_limit: int
             ) -> tuple[list[LogEntry], int, str]:
    """Filter (topics and message), count, sort and slice a device's log lines.

    Without a ``limit`` the newest ``default_limit`` lines (in the order asked).
    Returns ``(entries, count, sort)``.

    Raises:
        ParamError: ``sort`` names a column other than :data:`LOG_COLUMNS`.
    """
    qs = LogEntry.objects.filter(device_id=device_id)
    if query.q:
        qs = qs.filter(Q(message__icontains=query.q) | Q(topics__icontains=query.q))
    count = qs.count()
    sort = query.sort or "-time"
    column, descending = split_sort(sort)
    if column not in LOG_COLUMNS:
        raise ParamError(f"sort={sort[:80]!r}: logs sort by {', '.join(LOG_COLUMNS)} "
                         "(a leading '-' sorts descending)")
    # Router time order (UTC ISO text sorts as time); lines kept from before times
    # were converted (no zone) sort among them by date.
    tie = ["-seen_at", "-id"] if descending else ["seen_at", "id"]
    qs = qs.order_by(f"-{column}" if descending else column, *tie)
    limit = default_limit if query.limit is None else query.limit
    return list(qs[query.offset:query.offset + limit]), count, sort


def check_sort(sort: str, columns: Sequence[str]) -> None:
    """Raise :class:`ParamError` unless ``sort`` (``-`` allowed) names one of
    ``columns`` or the router's order (``.id``)."""
    column, _ = split_sort(sort)
    if sort and column != ROUTER_ORDER and column not in columns:
        shown = ", ".join(columns[:30]) or "none yet"
        raise ParamError(f"sort={sort[:80]!r} is not a column of this table "
                         f"(columns: {shown}; a leading '-' sorts descending)")
