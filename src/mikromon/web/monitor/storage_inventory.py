"""Inventory writes of :class:`~.storage.DjangoStorage`: table sync and log lines.

An inventory snapshot replaces what is known of one table of one device
(:func:`sync_inventory`: new rows created, changed rows updated, rows no longer
reported marked gone); an ``append_only`` snapshot adds log lines
(:func:`append_log`), skipping a line read from ``/log`` that was already received
by syslog (:func:`received_by_syslog`). Every snapshot records its read time
(:func:`record_sync`). The functions run inside the caller's transaction.

The sync also keeps the rows' search terms
(:mod:`~mikromon.web.monitor.search_terms`): written for new rows, rewritten for
rows whose searched fields changed (most polls change other fields only: a
lease's ``expires-after``), kept for gone rows (a MAC seen yesterday is found),
deleted with the rows.
"""

from __future__ import annotations

from datetime import timedelta

from mikromon.domain.inventory import InventorySnapshot
from mikromon.web.monitor.models import InventoryItem, InventorySync, InventoryTerm, LogEntry
from mikromon.web.monitor.search_terms import add_terms, drop_terms, searched_values
from mikromon.web.monitor.sort_keys import row_search_text, row_sort_keys
from mikromon.web.monitor.storage_sql import CHUNK, chunks, update_rows
from mikromon.web.monitor.storage_text import inventory_key, jsonable, log_key

#: ``source`` of log rows received by syslog (:mod:`mikromon.syslog.intake`).
SYSLOG_SOURCE = "syslog"
#: How far back a syslog copy hides the same line read later from ``/log``.
SYSLOG_DEDUP_WINDOW = timedelta(days=7)


def sync_inventory(device_id: int, snapshot: InventorySnapshot, *, using: str) -> None:
    """Make the stored rows of ``snapshot.table`` of the device match the snapshot.

    Rows are identified by :func:`~.storage_text.inventory_key`. A new row is
    created (first seen, last seen, changed at: ``snapshot.ts``); a row whose data
    changed is updated (``changed_at``); a row reported again after it was gone
    comes back; every reported row's ``last_seen`` becomes ``snapshot.ts``; a
    stored row no longer reported is marked gone at ``snapshot.ts``. The sort keys
    and search text are computed from the data whenever it is written.

    Search terms: a new row's are added; a changed row's are replaced when its
    searched values differ (:func:`~.search_terms.searched_values`); rows of tables
    not searched have none. Raises what the database raises (the caller's
    transaction then keeps neither rows nor terms).
    """
    ts = snapshot.ts
    reported = {inventory_key(snapshot, row): jsonable(row) for row in snapshot.rows}
    items = InventoryItem.objects.using(using)
    existing = {
        key: (pk, data, gone)
        for pk, key, data, gone in items.filter(
            device_id=device_id, table=snapshot.table
        ).values_list("pk", "key", "data", "gone")
    }
    create: list[InventoryItem] = []
    data_changed: list[InventoryItem] = []
    back: list[int] = []  # gone, reported again with the same data
    unchanged: list[int] = []
    for key, data in reported.items():
        known = existing.get(key)
        if known is None:
            create.append(
                InventoryItem(
                    device_id=device_id, table=snapshot.table, key=key, data=data,
                    first_seen=ts, last_seen=ts, changed_at=ts,
                    sort_keys=row_sort_keys(data), search_text=row_search_text(data),
                )
            )
        elif known[1] != data:
            data_changed.append(
                InventoryItem(
                    pk=known[0], data=data, last_seen=ts, gone=False, gone_at=None,
                    changed_at=ts, sort_keys=row_sort_keys(data),
                    search_text=row_search_text(data),
                )
            )
        elif known[2]:
            back.append(known[0])
        else:
            unchanged.append(known[0])
    items.bulk_create(create, batch_size=CHUNK)
    _keep_terms(snapshot.table, create, data_changed, existing, using=using)
    update_rows(InventoryItem, data_changed, ["data", "last_seen", "gone", "gone_at",
                                              "changed_at", "sort_keys", "search_text"],
                using=using)
    for chunk in chunks(back):
        items.filter(pk__in=chunk).update(last_seen=ts, gone=False, gone_at=None)
    for chunk in chunks(unchanged):
        items.filter(pk__in=chunk).update(last_seen=ts)
    vanished = [
        pk for key, (pk, _, gone) in existing.items() if key not in reported and not gone
    ]
    for chunk in chunks(vanished):
        items.filter(pk__in=chunk).update(gone=True, gone_at=ts)


def _keep_terms(table: str, created: list[InventoryItem], changed: list[InventoryItem],
                existing: dict[str, tuple[int, object, bool]], *, using: str) -> None:
    """Add the terms of ``created`` rows (primary keys set by ``bulk_create``) and
    replace those of ``changed`` rows whose searched values differ from before."""
    if searched_values(table, {}) is None:
        return
    old = {pk: data for pk, data, _gone in existing.values()}
    renewed = [item for item in changed
               if searched_values(table, item.data) != searched_values(table, old[item.pk])]
    drop_terms(InventoryTerm, [item.pk for item in renewed], using=using)
    add_terms(InventoryTerm, [(item.pk, table, item.data) for item in (*created, *renewed)],
              using=using)


def record_sync(device_id: int, snapshot: InventorySnapshot, *, using: str) -> None:
    """Record ``snapshot.ts`` as the read time of the device's table (one upsert)."""
    InventorySync.objects.using(using).bulk_create(
        [InventorySync(device_id=device_id, table=snapshot.table, synced_at=snapshot.ts)],
        update_conflicts=True, unique_fields=["device", "table"], update_fields=["synced_at"],
    )


def append_log(device_id: int, snapshot: InventorySnapshot, *, using: str) -> None:
    """Add the snapshot's log lines not stored yet (by :func:`~.storage_text.log_key`),
    leaving out those :func:`received_by_syslog` already."""
    entries: dict[str, LogEntry] = {}
    skip = received_by_syslog(device_id, snapshot, using=using)
    for i, row in enumerate(snapshot.rows):
        if i in skip:
            continue
        key = log_key(snapshot, row)
        entries[key] = LogEntry(
            device_id=device_id,
            key=key,
            time=str(row.get("time") or "")[:40],
            topics=str(row.get("topics") or "")[:200],
            message=str(row.get("message") or ""),
            data=jsonable(row),
            seen_at=snapshot.ts,
        )
    LogEntry.objects.using(using).bulk_create(
        list(entries.values()), ignore_conflicts=True, batch_size=CHUNK
    )


def received_by_syslog(device_id: int, snapshot: InventorySnapshot, *, using: str) -> set[int]:
    """Indexes of polled rows (no ``source``) already stored as received by
    syslog: same message, the syslog copy's topics all among the row's (the BSD
    format carries only the severity), received within
    :data:`SYSLOG_DEDUP_WINDOW`. Each stored copy stands for one row; the newest
    rows are matched first (the router prints oldest first). Heuristic: the
    router's clock zone is unknown, so times are not compared."""
    polled = [(i, row) for i, row in enumerate(snapshot.rows)
              if row.get("source") != SYSLOG_SOURCE]
    if not polled:
        return set()
    messages = {str(row.get("message") or "") for _, row in polled}
    copies: dict[str, list[frozenset[str]]] = {}
    found = LogEntry.objects.using(using).filter(
        device_id=device_id, seen_at__gte=snapshot.ts - SYSLOG_DEDUP_WINDOW,
        message__in=messages,
    ).values_list("message", "topics", "data")
    for message, topics, data in found:
        if isinstance(data, dict) and data.get("source") == SYSLOG_SOURCE:
            copies.setdefault(message, []).append(frozenset(topics.split(",")))
    skip: set[int] = set()
    if not copies:
        return skip
    for i, row in reversed(polled):
        candidates = copies.get(str(row.get("message") or ""))
        if not candidates:
            continue
        row_topics = set(str(row.get("topics") or "").split(","))
        for n, pushed in enumerate(candidates):
            if pushed <= row_topics:
                del candidates[n]
                skip.add(i)
                break
    return skip
