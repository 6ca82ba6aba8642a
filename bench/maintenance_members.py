"""The storage maintenance of two collector members on one database: what the
second member repeated when every member ran it, and what it costs when one
member runs it (:mod:`mikromon.web.control.maintainer`).

A fresh database (SQLite in a temporary data folder, or a scratch PostgreSQL
database next to ``--database-url``) gets ``--series`` series with a sample every
30 s for the 3 hours before the start, and two member rows (member A joined
first, both polling devices). Two storages stand for the two members' writers,
run one after the other on this process's connection (statements counted with
a Django execute wrapper, wall time with ``perf_counter``):

1. **every member maintains** (``maintenance_member`` unset, the way members ran
   before): A's storage runs to idle (the first pass: rollups from nothing,
   retention, compaction of the oldest window), then B's (B's first pass on a
   database A just maintained); then a steady minute (a new sample per series
   every 30 s; every 5 s of the clock, A's maintenance calls until nothing is
   due, then B's, as their sample writes would run them); then a minute with
   the hourly retention due in both;
2. **one member maintains** (each storage given its member): the same minute,
   then the retention minute, with new storages (A's warmed up first).

Each line: the member, the run, its statements, its wall milliseconds and the
rollup rows it (re)wrote.

Run: ``python bench/maintenance_members.py [--series 1000]
[--database-url postgresql://...]``; record the printed lines in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import per_database  # a sibling bench script

T0 = int(datetime(2026, 1, 5, tzinfo=UTC).timestamp())
STEP_S = 30
HOURS = 3
#: Seconds between two maintenance calls of a storage in the measured minutes.
TICK_S = 5


class Counter:
    """A Django execute wrapper counting the statements run through it."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:
        self.statements += 1
        return execute(sql, params, many, context)


def child(args: argparse.Namespace) -> dict[str, object]:
    from mikromon.web import bootstrap

    bootstrap.setup()
    bootstrap.migrate(progress=False)
    from django.db import connection

    from mikromon.web.control.members import Membership
    from mikromon.web.control.models import CollectorMember
    from mikromon.web.monitor.rollup_pass import RollupPass
    from mikromon.web.monitor.storage import DjangoStorage
    from mikromon.web.monitor.storage_sql import insert_rows

    start = T0 + HOURS * 3600
    ids = per_database.bench_series("members", args.series)

    def points(lo: int, hi: int) -> None:
        insert_rows(connection, 'INSERT INTO "monitor_metricpoint" (series_id, ts, value)', "",
                    [(sid, ts, float(sid % 97 + ts % 13)) for sid in ids
                     for ts in range(lo, hi, STEP_S)])

    points(T0, start)
    members = []
    for _ in range(2):
        member = Membership(ttl=3600, beat=False)
        member.join()
        CollectorMember.objects.filter(member_id=member.member_id).update(devices=1)
        members.append(member)
    clock = [float(start)]
    counter = Counter()
    rolled = [0]  # rollup rows (re)written by the passes of a run
    real_run = RollupPass.run

    def counted(self: RollupPass, budget_s: float | None = None) -> bool:
        before = self.rows
        try:
            return real_run(self, budget_s)
        finally:
            rolled[0] += self.rows - before

    RollupPass.run = counted  # type: ignore[method-assign]
    lines: list[str] = []

    def run(storage: DjangoStorage) -> tuple[int, float, int]:
        """Statements, wall seconds and rollup rows of ``storage``'s maintenance
        calls until nothing is due."""
        counter.statements = 0
        rolled[0] = 0
        began = time.perf_counter()
        with connection.execute_wrapper(counter):
            while storage.maintain():
                pass
        return counter.statements, time.perf_counter() - began, rolled[0]

    def report(what: str, name: str, figures: tuple[int, float, int]) -> None:
        statements, took, rows = figures
        lines.append(f"{what} {name}: {statements} statements, {took * 1000:.0f} ms, "
                     f"{rows} rollup rows")

    def minute(storages: dict[str, DjangoStorage], retention: bool = False) -> None:
        """A minute in :data:`TICK_S` steps: new points, then each storage's
        maintenance (what its sample writes would run) at every step."""
        totals = {name: (0, 0.0, 0) for name in storages}
        if retention:
            for storage in storages.values():
                storage._maintenance.next_retention = 0.0
        for _ in range(60 // TICK_S):
            points(int(clock[0]), int(clock[0]) + TICK_S)
            clock[0] += TICK_S
            for name, storage in storages.items():
                figures = run(storage)
                totals[name] = tuple(a + b for a, b in zip(totals[name], figures,
                                                           strict=True))  # type: ignore[assignment]
        for name, figures in totals.items():
            report("retention minute" if retention else "steady minute", name, figures)

    def storages(elected: bool) -> dict[str, DjangoStorage]:
        return {name: DjangoStorage(clock=lambda: clock[0], defer_maintenance=True,
                                    maintenance_member=m.member_id if elected else None)
                for name, m in zip("AB", members, strict=True)}

    lines.append("every member maintains")
    every = storages(elected=False)
    for name, storage in every.items():
        report("first pass", name, run(storage))
    minute(every)
    minute(every, retention=True)
    lines.append("one member maintains")
    one = storages(elected=True)
    report("first pass", "A", run(one["A"]))
    report("first pass", "B", run(one["B"]))
    minute(one)
    minute(one, retention=True)
    for storage in (*every.values(), *one.values()):
        storage.close()
    return {"vendor": connection.vendor, "series": args.series,
            "points": len(ids) * HOURS * 3600 // STEP_S, "runs": lines}


def main() -> None:
    per_database.main(__file__, child, {"series": 1000})


if __name__ == "__main__":
    main()
