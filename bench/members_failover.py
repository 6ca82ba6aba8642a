"""Collector members sharing a fleet: how long a joining member takes to get its
share, and how long the devices of a killed member stay unpolled.

1. ``mikromon simulate --count N --json --base-port 0`` runs the routers in a child
   process (loopback only);
2. a fresh database (``--database-url`` of an empty PostgreSQL database, else
   SQLite in a temporary data folder) gets the N routers (``device import``);
3. ``--members`` processes ``mikromon collector join`` start with real intervals
   (realtime every 5 s) and the default member ttl (``MIKROMON_MEMBER_TTL``, 15 s);
   the bench waits until every device is held by a member and published up;
4. one more member joins: the time until it holds its share and the number of
   devices that moved;
5. a member is killed with SIGKILL. On one machine the others see at once that
   its process is gone; to measure the heartbeat expiry, as for a member on
   another host, the bench first writes another host name into that member's row
   (its process can then not be checked): the time until its devices are held,
   and polled (published with a realtime run after the kill), by the others.

Figures read from the database only (ownership rows, member rows, published
statuses). Run: ``python bench/members_failover.py [--routers 300] [--members 2]
[--database-url postgresql://...]``; record the printed lines in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROUTER_PASSWORD = "bench-router-pw"
MIKROMON = [sys.executable, "-c", "from mikromon.cli import main; raise SystemExit(main())"]


class Db:
    """Reads the shared database (SQLite file or PostgreSQL URL)."""

    def __init__(self, data_dir: Path, url: str | None) -> None:
        self.url = url
        self.file = data_dir / "mikromon.sqlite3"

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                cursor = conn.execute(query.replace("?", "%s"), params)
                return list(cursor.fetchall()) if cursor.description else []
        with contextlib.closing(sqlite3.connect(self.file, timeout=30)) as conn:
            rows = list(conn.execute(query, params).fetchall())
            conn.commit()
            return rows

    def holders(self) -> dict[int, int]:
        """Member pid -> devices held."""
        rows = self.rows("SELECT m.pid, count(*) FROM control_deviceowner o JOIN "
                         "control_collectormember m ON m.member_id = o.owner GROUP BY m.pid")
        return {int(pid): int(n) for pid, n in rows}

    def held_by(self, pid: int) -> list[int]:
        return [r[0] for r in self.rows(
            "SELECT o.device_id FROM control_deviceowner o JOIN control_collectormember m "
            "ON m.member_id = o.owner WHERE m.pid = ?", (pid,))]

    def cpu(self) -> dict[int, float]:
        return {int(p): float(c) for p, c in
                self.rows("SELECT pid, cpu_pct FROM control_collectormember")}

    def last_runs(self) -> dict[int, tuple[str, str]]:
        """Device id -> (state, realtime last run) over every live publication."""
        out: dict[int, tuple[str, str]] = {}
        for (doc,) in self.rows("SELECT d.doc FROM control_collectordevicestatus d JOIN "
                                "control_collectorstatus s ON s.id = d.status_id "
                                "WHERE s.running = ?", (True,)):
            entry = json.loads(doc)
            run = ((entry.get("tiers") or {}).get("realtime") or {}).get("last_run") or ""
            # A killed member's last publication stays behind: the newest run wins.
            if run >= out.get(int(entry["id"]), ("", ""))[1]:
                out[int(entry["id"])] = (str(entry.get("state")), str(run))
        return out


def env_for(data_dir: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
    env["MIKROMON_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    if url:
        env["MIKROMON_DATABASE_URL"] = url
    return env


def wait(predicate: Callable[[], Any], timeout: float, step: float = 0.25) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if predicate():
            return time.monotonic() - began
        time.sleep(step)
    raise TimeoutError(f"not within {timeout:g} s")


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """The processes appended to the yielded list get SIGTERM at the end, then
    SIGKILL after 60 s."""
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in started:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routers", type=int, default=300)
    parser.add_argument("--members", type=int, default=2)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database (default: SQLite)")
    parser.add_argument("--logs", default=None, help="folder for the members' logs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, processes() as procs:
        data_dir = Path(tmp) / "data"
        env = env_for(data_dir, args.database_url)
        db = Db(data_dir, args.database_url)
        routers = subprocess.Popen(
            [*MIKROMON, "simulate", "--count", str(args.routers), "--json", "--base-port",
             "0", "--profile", "v7", "--username", "mon", "--password", ROUTER_PASSWORD],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(routers)
        assert routers.stdout is not None
        ports = [json.loads(routers.stdout.readline())["port"] for _ in range(args.routers)]
        csv = Path(tmp) / "routers.csv"
        csv.write_text("name,host,port,username,password\n" + "".join(
            f"r{i:04d},127.0.0.1,{p},mon,{ROUTER_PASSWORD}\n" for i, p in enumerate(ports)))
        subprocess.run([*MIKROMON, "device", "import", str(csv)], env=env, check=True,
                       capture_output=True, timeout=600)

        logs = Path(args.logs or tmp)
        logs.mkdir(parents=True, exist_ok=True)

        def join() -> subprocess.Popen[str]:
            log = (logs / f"member-{len(procs)}.log").open("w")
            proc = subprocess.Popen([*MIKROMON, "collector", "join"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=log,
                                    stdin=subprocess.DEVNULL, text=True)
            procs.append(proc)
            return proc

        began = time.monotonic()
        members = [join() for _ in range(args.members)]
        pids = {m.pid for m in members}

        def all_up() -> bool:
            runs = db.last_runs()
            return (set(db.holders()) == pids and sum(db.holders().values()) == args.routers
                    and sum(1 for s, r in runs.values() if s == "up" and r) == args.routers)

        wait(all_up, 600, 1.0)
        print(f"{args.members} members: every router held and polled up "
              f"{time.monotonic() - began:.1f} s after start; held {db.holders()}")
        time.sleep(15)
        print(f"CPU per member over its last heartbeat interval (% of a core): {db.cpu()}")

        newcomer = join()
        joined = time.monotonic()
        pids.add(newcomer.pid)
        first = wait(lambda: db.holders().get(newcomer.pid, 0) > 0, 300)
        # Its share grows as the others hand devices over: until it stays the same
        # for three heartbeats (15 s).
        share, since = db.holders().get(newcomer.pid, 0), time.monotonic()
        while time.monotonic() - since < 15:
            time.sleep(0.5)
            now = db.holders().get(newcomer.pid, 0)
            if now != share:
                share, since = now, time.monotonic()
        full = since - joined
        print(f"member {len(pids)} joined: first devices {first:.1f} s after its start "
              f"(process start included), its whole share ({share} devices) {full:.1f} s "
              f"after; held {db.holders()}; the others kept running: "
              f"{all(m.poll() is None for m in members)}")

        victim = members[0]
        lost = set(db.held_by(victim.pid))
        db.rows("UPDATE control_collectormember SET host = ? WHERE pid = ?",
                ("another-host", victim.pid))
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed = time.monotonic()
        killed_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pids.discard(victim.pid)
        held_s = wait(lambda: set(db.holders()) == pids
                      and sum(db.holders().values()) == args.routers, 120)

        def polled_again() -> bool:
            runs = db.last_runs()
            return all(d in runs and runs[d][1] > killed_at for d in lost)

        wait(polled_again, 120)
        print(f"member killed (SIGKILL, seen as another host's): its {len(lost)} devices "
              f"held by the others {held_s:.1f} s later, polled again "
              f"{time.monotonic() - killed:.1f} s later (ttl 15 s); held {db.holders()}")


if __name__ == "__main__":
    main()
