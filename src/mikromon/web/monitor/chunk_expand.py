"""Chunks back to head rows: ``mikromon storage expand``, the way back to the
layout before chunks (for a downgrade). Docs: docs/storage.md ("Going back").

Each transaction deletes at most :data:`CHUNKS_PER_TRANSACTION` chunks
(``DELETE ... RETURNING``: on SQLite the write lock is taken at once), decodes
them and inserts their samples as ``MetricPoint`` rows; a row already in the
head at the same second takes the chunk's value (the compactor keeps the
chunk's sample too), so compaction then expansion gives back every sample
bit for bit. Turn compaction off first (``MIKROMON_COMPACTION=off``), or the
maintenance compacts the rows again.
"""

from __future__ import annotations

import time
from typing import Final

from django.db import transaction

from mikromon.storage.chunks import decode_chunk
from mikromon.web.monitor.compaction import take_turn
from mikromon.web.monitor.dbutil import table, usable_connection
from mikromon.web.monitor.models import MetricChunk, MetricPoint
from mikromon.web.monitor.storage_sql import insert_rows

__all__ = ["CHUNKS_PER_TRANSACTION", "expand"]

#: Chunks expanded per transaction (a day chunk at 5 s is 17,280 rows).
CHUNKS_PER_TRANSACTION: Final = 4


def expand(*, using: str = "default", budget_s: float | None = None) -> tuple[int, int]:
    """Turn every chunk back into head rows.

    Args:
        using: database alias.
        budget_s: wall seconds to stop after (between transactions); ``None``:
            until no chunk is left.

    Returns:
        (chunks expanded, samples inserted or updated as rows).

    Raises:
        mikromon.storage.chunks.ChunkError: a chunk is damaged (its transaction
            is rolled back: the chunk stays).
        django.db.DatabaseError: a transaction failed (rolled back).
    """
    started = time.monotonic()
    chunks_t = table(MetricChunk)
    head = f"INSERT INTO {table(MetricPoint)} (series_id, ts, value)"
    tail = "ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value"
    done = samples = 0
    while budget_s is None or time.monotonic() - started < budget_s:
        with transaction.atomic(using=using):
            conn = usable_connection(using)
            take_turn(conn)
            with conn.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {chunks_t} WHERE (series_id, start_ts) IN (SELECT series_id, "
                    f"start_ts FROM {chunks_t} ORDER BY series_id, start_ts LIMIT %s) "
                    "RETURNING series_id, data", [CHUNKS_PER_TRANSACTION])
                taken = cursor.fetchall()
            rows: list[tuple[int, int, float]] = []
            for sid, data in taken:
                ts, vals = decode_chunk(bytes(data))
                rows.extend(zip([sid] * len(ts), ts.tolist(), vals.tolist(), strict=True))
            insert_rows(conn, head, tail, rows)
        if not taken:
            break
        done += len(taken)
        samples += len(rows)
    return done, samples
