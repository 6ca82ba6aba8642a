"""Retention of the compressed chunks that straddle a retention cutoff: a chunk
holding samples on both sides of it is re-encoded with only the samples at or
after the cutoff (docs/storage.md, "Retention").

Retention deletes the chunks whose every sample is past the cutoff
(:func:`mikromon.web.monitor.maintenance.retention_steps`); a chunk covers up to
a UTC day (:mod:`.compaction`), so without the cut a series' samples older than
its retention stayed readable for up to a day after they expired. The cut runs
after that delete, when a series has at most a chunk or two left before the
cutoff, :data:`SERIES_PER_TRANSACTION` series a transaction: each transaction
deletes the straddling chunks first (``DELETE ... RETURNING``: on SQLite the
write lock is taken at once, and no reader sees half a cut) and inserts each one
cut, keyed by its new first sample (the same UTC day, so on PostgreSQL the same
weekly partition, :mod:`.chunk_partitions`). A chunk that cannot be decoded is
put back as it was and logged: it never stops the others. A cut costs about
0.5-1.1 ms for a day of samples every 5 s (bench/RESULTS.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from django.db import transaction

from mikromon.storage.chunks import ChunkError, decode_chunk, encode_chunk
from mikromon.web.monitor.compaction import take_turn
from mikromon.web.monitor.dbutil import table, usable_connection
from mikromon.web.monitor.models import MetricChunk

__all__ = ["SERIES_PER_TRANSACTION", "CutCounts", "cut_steps"]

log = logging.getLogger(__name__)

#: Series whose straddling chunks one transaction cuts (about a chunk each).
SERIES_PER_TRANSACTION: Final = 50


@dataclass(slots=True)
class CutCounts:
    """What :func:`cut_steps` did so far: ``chunks`` cut, ``samples`` dropped from
    them, ``damaged`` chunks left as they were (undecodable)."""

    chunks: int = 0
    samples: int = 0
    damaged: int = 0


def cut_steps(ids: list[int], cutoff: int, counts: CutCounts, *,
              using: str = "default") -> Iterator[None]:
    """Cut the chunks of the series ``ids`` that start before ``cutoff`` and end
    at or after it (Unix seconds) down to their samples at or after it; yield
    after each transaction (:data:`SERIES_PER_TRANSACTION` series).

    Run it after the chunks ending before ``cutoff`` are deleted: the delete of
    a transaction scans each series' chunks starting before the cutoff.

    Args:
        ids: series ids, sharing one raw retention.
        cutoff: the first Unix second kept.
        counts: added to as the cuts are made.
        using: database alias.

    Raises:
        django.db.DatabaseError: a transaction failed (rolled back; the chunks of
            the transactions before stay cut).
    """
    chunks_t = table(MetricChunk)
    for start in range(0, len(ids), SERIES_PER_TRANSACTION):
        batch = ids[start:start + SERIES_PER_TRANSACTION]
        with transaction.atomic(using=using):
            conn = usable_connection(using)
            take_turn(conn)
            with conn.cursor() as cursor:
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    f"DELETE FROM {chunks_t} WHERE series_id IN ({marks}) "
                    "AND start_ts < %s AND end_ts >= %s "
                    'RETURNING series_id, start_ts, end_ts, "count", data',
                    [*batch, cutoff, cutoff])
                taken = cursor.fetchall()
                rows = [_cut(sid, first, last, n, bytes(data), cutoff, counts)
                        for sid, first, last, n, data in taken]
                put = [row for row in rows if row is not None]
                if put:
                    cursor.executemany(
                        f'INSERT INTO {chunks_t} (series_id, start_ts, end_ts, "count", '
                        "data) VALUES (%s, %s, %s, %s, %s)", put)
        yield


def _cut(sid: int, first: int, last: int, n: int, data: bytes, cutoff: int,
         counts: CutCounts) -> tuple[int, int, int, int, bytes] | None:
    """The row of the chunk cut at ``cutoff`` (``None``: no sample left), or the
    row as it was when the chunk cannot be decoded (logged)."""
    try:
        ts, vals = decode_chunk(data)
    except ChunkError as err:
        log.warning("chunk of series %s at %s not cut at the retention cutoff "
                    "(kept as it is): %s", sid, first, err)
        counts.damaged += 1
        return sid, first, last, n, data
    kept = ts >= cutoff
    left = int(kept.sum())
    counts.chunks += 1
    counts.samples += int(ts.shape[0]) - left
    if not left:
        return None
    ts, vals = ts[kept], vals[kept]
    return sid, int(ts[0]), int(ts[-1]), left, encode_chunk(ts, vals)
