"""What the hourly retention costs once it cuts the chunks straddling the cutoff
(issue 15): the steps of ``maintenance.retention_steps`` timed one by one.

A fresh database (SQLite in a temporary data folder, or a scratch PostgreSQL
database next to ``--database-url``) gets ``--series`` series of one tier, each
with one compressed chunk of a day of samples every 5 s (17,280 samples, values
of a traffic rate rounded to whole bit/s as the collector stores them) and,
before it, a day chunk already past retention. The raw retention is one day and
the run's clock is 07:00:17 the day after the straddling chunk's day, so each
series has one chunk to delete and one to cut. Reported: the number of steps,
the longest, their sum, chunks deleted and cut, and the raw samples older than
the cutoff still stored after the run (0 once the chunks are cut).

Run the script over main's code and this change's (``PYTHONPATH=<tree>/src``)
one after the other for the before/after: main keeps the straddling chunks.

Run: ``python bench/retention_cut.py [--series 2000] [--database-url
postgresql://...]``; record the printed lines in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import per_database  # a sibling bench script

DAY = 86400
T0 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())


def child(args: argparse.Namespace) -> dict[str, object]:
    import numpy as np

    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.conf import settings
    from django.db import connection

    from mikromon.storage.chunks import decode_chunk, encode_chunk
    from mikromon.web.monitor import chunk_partitions, maintenance
    from mikromon.web.monitor.models import MetricChunk

    settings.MIKROMON_RETENTION_DAYS = {**settings.MIKROMON_RETENTION_DAYS, "raw": 1}
    ids = per_database.bench_series("cut", args.series)
    rng = np.random.default_rng(3)
    ts = np.arange(0, DAY, 5, dtype=np.int64)
    shape = 1 + 0.6 * np.sin(ts * 2 * np.pi / DAY)
    for day in (T0, T0 + DAY):
        chunk_partitions.ensure_for(connection, day)
    began = time.perf_counter()
    for start in range(0, len(ids), 200):
        rows = []
        for sid in ids[start:start + 200]:
            vals = np.round(shape * rng.uniform(1e6, 1e8) * rng.uniform(0.7, 1.3, ts.shape[0]))
            for day in (T0, T0 + DAY):
                rows.append(MetricChunk(series_id=sid, start_ts=day + int(ts[0]),
                                        end_ts=day + int(ts[-1]), count=int(ts.shape[0]),
                                        data=encode_chunk(ts + day, vals)))
        MetricChunk.objects.bulk_create(rows)
    filled = time.perf_counter() - began
    now = T0 + 2 * DAY + 7 * 3600 + 17
    cutoff = now - DAY
    steps: list[float] = []
    counts: dict[str, int] = {}
    gen = maintenance.retention_steps(counts, now)
    while True:
        began = time.perf_counter()
        try:
            next(gen)
        except StopIteration:
            break
        finally:
            steps.append(time.perf_counter() - began)
    older = 0
    for (data,) in MetricChunk.objects.values_list("data").iterator(chunk_size=200):
        older += int((decode_chunk(bytes(data))[0] < cutoff).sum())
    return {"vendor": connection.vendor, "series": args.series, "fill_s": round(filled, 1),
            "steps": len(steps), "longest_step_ms": round(max(steps) * 1000),
            "all_steps_ms": round(sum(steps) * 1000), "chunks_deleted": counts.get("chunks"),
            "chunks_cut": counts.get("chunks_cut", 0),
            "samples_older_than_cutoff_after": older}


def main() -> None:
    per_database.main(__file__, child, {"series": 2000}, "_cut")


if __name__ == "__main__":
    main()
