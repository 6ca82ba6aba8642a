"""Fleet search never reads the whole inventory: every statement it runs against
the inventory rows or their terms is answered through an index (the database's
own query plan says so), and the device list is the only table it reads whole."""

from __future__ import annotations

import pytest
from django.db import connection

from mikromon.web.monitor.search import parse_query, search

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

QUERIES = ["4c5e0c112233", "4c:5e:0c", "c:11:22", "10.1.0.20", "172.16.0.0/12", "10.1",
           "2001:db8::/32", "anna.smith", "@isp", "hall b", "no-such-thing"]
INVENTORY = ("monitor_inventoryitem", "monitor_inventoryterm")


def _statements(text: str) -> list[tuple[str, tuple]]:
    seen: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        search(parse_query(text))
    return seen


def _plan(sql: str, params: tuple) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")  # an index if one can answer
        cursor.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def _full_reads(plan: list[str]) -> list[str]:
    """Plan lines reading an inventory table from end to end."""
    return [line for line in plan if ("Seq Scan" in line or line.startswith("SCAN"))
            and any(t in line for t in INVENTORY)]


@pytest.mark.parametrize("text", QUERIES)
def test_every_inventory_statement_uses_an_index(fleet, text):
    statements = _statements(text)
    assert any("monitor_inventoryterm" in sql for sql, _ in statements)
    for sql, params in statements:
        if any(t in sql for t in INVENTORY):
            plan = _plan(sql, params)
            assert _full_reads(plan) == [], (sql, plan)
        if "monitor_inventoryterm" in sql:
            assert any("monitor_invterm_term_idx" in line for line in plan), (sql, plan)


def test_the_inventory_rows_are_read_by_primary_key_only(fleet):
    for sql, _ in _statements("4c5e0c112233"):
        if "monitor_inventoryitem" in sql and "monitor_inventoryterm" not in sql:
            assert '"monitor_inventoryitem"."id" IN' in sql, sql
        assert " LIKE " not in sql.upper() or "monitor_device" in sql, sql
