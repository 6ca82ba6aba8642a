"""The mikromon collector core in a plain Python host: no Django, no web app.

The host gives the core three things (the Protocols of
:mod:`mikromon.storage.protocols`): where devices come from (a
:class:`~mikromon.storage.protocols.DeviceSource`), where collected data goes (a
:class:`~mikromon.storage.protocols.Storage`), and optionally a lock (none here:
this host runs one collector by construction). Here the devices are one router
named on the command line and the storage is a SQLite file written with the
standard library's :mod:`sqlite3`: a host such as an ERP server would write to
its own tables the same way.

Run it against a router (or the emulator: ``mikromon simulate``)::

    ROUTER_PASSWORD=... python examples/embedded.py --host 127.0.0.1 --port 8728 \\
        --username monitor --seconds 30 --database /tmp/embedded.sqlite3

It polls for ``--seconds``, stops the collector (which flushes what is queued),
and prints a JSON summary of what the SQLite file holds. docs/embedding.md
explains the pieces.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from typing import Any

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceStatus, Event
from mikromon.domain.formatting import utc_iso
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.schedule import CollectorService

SCHEMA = """
CREATE TABLE IF NOT EXISTS point (
    device_id INTEGER, key TEXT, labels TEXT, ts TEXT, value REAL);
CREATE TABLE IF NOT EXISTS latest (
    device_id INTEGER, key TEXT, labels TEXT, ts TEXT, value REAL,
    PRIMARY KEY (device_id, key, labels));
CREATE TABLE IF NOT EXISTS inventory (
    device_id INTEGER, tbl TEXT, ts TEXT, rows TEXT, PRIMARY KEY (device_id, tbl));
CREATE TABLE IF NOT EXISTS status (
    device_id INTEGER PRIMARY KEY, state TEXT, ts TEXT, last_error TEXT,
    identity TEXT, board TEXT, version TEXT);
CREATE TABLE IF NOT EXISTS event (
    device_id INTEGER, ts TEXT, kind TEXT, path TEXT, message TEXT);
"""


class SqliteStorage:
    """A :class:`~mikromon.storage.protocols.Storage` over one SQLite file.

    The collector calls it from its writer thread only; the connection is opened
    there on first use (an :mod:`sqlite3` connection belongs to the thread that
    made it) and closed by :meth:`close`, which the writer calls from that thread
    when it stops. Inventory keeps the newest snapshot of each table (rows as
    JSON); a snapshot marked ``append_only`` (router log lines) adds its rows.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path)
            self._conn.executescript(SCHEMA)
        return self._conn

    def write_samples(self, device_id: int, samples: Sequence[Sample]) -> int:
        """Append points and replace latest values; return how many were written."""
        rows = [(device_id, s.key, json.dumps(s.labels), utc_iso(s.ts), s.value)
                for s in samples]
        with self._db() as db:
            db.executemany("INSERT INTO point VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT OR REPLACE INTO latest VALUES (?, ?, ?, ?, ?)", rows)
        return len(rows)

    def write_inventory(self, device_id: int, snapshot: InventorySnapshot) -> None:
        """Keep the table's rows (added to the stored ones when append-only)."""
        rows: list[Any] = list(snapshot.rows)
        with self._db() as db:
            if snapshot.append_only:
                old = db.execute("SELECT rows FROM inventory WHERE device_id = ? AND tbl = ?",
                                 (device_id, snapshot.table)).fetchone()
                rows = (json.loads(old[0]) if old else []) + rows
            db.execute("INSERT OR REPLACE INTO inventory VALUES (?, ?, ?, ?)",
                       (device_id, snapshot.table, utc_iso(snapshot.ts),
                        json.dumps(rows, default=str)))

    def write_status(self, status: DeviceStatus) -> None:
        """Replace the device's status; facts not read this time keep their value."""
        with self._db() as db:
            old = db.execute("SELECT identity, board, version FROM status WHERE device_id = ?",
                             (status.device_id,)).fetchone() or (None, None, None)
            facts = [new if new is not None else was for new, was in zip(
                (status.identity, status.board, status.version), old, strict=True)]
            db.execute("INSERT OR REPLACE INTO status VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (status.device_id, status.state.value, utc_iso(status.ts),
                        status.last_error, *facts))

    def write_events(self, events: Sequence[Event]) -> None:
        """Append events."""
        with self._db() as db:
            db.executemany("INSERT INTO event VALUES (?, ?, ?, ?, ?)", [
                (e.device_id, utc_iso(e.ts), e.kind.value, e.path, e.message)
                for e in events])

    def close(self) -> None:
        """Close the writer thread's connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class FixedDevices:
    """A :class:`~mikromon.storage.protocols.DeviceSource` over a fixed list."""

    def __init__(self, devices: Sequence[DeviceConfig]) -> None:
        self._devices = list(devices)

    def load_devices(self) -> list[DeviceConfig]:
        """Return the devices."""
        return list(self._devices)

    def config_version(self) -> str:
        """The list never changes."""
        return "1"


def summary(path: str) -> dict[str, Any]:
    """Return what the SQLite file holds, in short."""
    with sqlite3.connect(path) as db:
        one = lambda sql: db.execute(sql).fetchone()  # noqa: E731
        state = one("SELECT state, identity, version FROM status")
        return {
            "points": one("SELECT COUNT(*) FROM point")[0],
            "metrics": sorted(r[0] for r in db.execute("SELECT DISTINCT key FROM latest")),
            "tables": sorted(r[0] for r in db.execute("SELECT tbl FROM inventory")),
            "state": state[0] if state else None,
            "identity": state[1] if state else None,
            "version": state[2] if state else None,
            "events": sorted({r[0] for r in db.execute("SELECT kind FROM event")}),
            "django_loaded": any(m == "django" or m.startswith("django.")
                                 for m in sys.modules),
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Poll one router into a SQLite file for a while; print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8728)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--database", default="embedded.sqlite3")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply every interval (0.01: a 5 s tier every 50 ms)")
    args = parser.parse_args(argv)
    router = DeviceConfig(id=1, name=args.host, host=args.host, port=args.port,
                          username=args.username,
                          password=os.environ.get("ROUTER_PASSWORD", ""))
    service = CollectorService(FixedDevices([router]), SqliteStorage(args.database),
                               time_scale=args.time_scale)
    service.start()
    try:
        time.sleep(args.seconds)
    finally:
        service.stop()
    print(json.dumps(summary(args.database)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
