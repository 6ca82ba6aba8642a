"""Run a bench script's measuring child once per database, each in a fresh
process: SQLite in a temporary data folder, then, with a database URL, a scratch
PostgreSQL database next to it (created, then dropped at the end). Prints a
header (time, machine, load), each child's last output line and the load at
the end. Loopback only."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime

from storage_bytes import _pg_scratch  # a sibling bench script


def run(script: str, child_args: list[str], database_url: str | None,
        suffix: str = "_bench") -> None:
    """Run ``script --child *child_args`` on each database (``database_url``:
    the PostgreSQL server's, ``None``: SQLite only; ``suffix``: of the scratch
    database's name). Raises ``SystemExit`` with the child's error output when
    one fails."""
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC {platform.machine()}, {os.cpu_count()} "
          f"CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}", flush=True)
    urls: list[str | None] = [None]
    if database_url:
        urls.append(_pg_scratch(database_url, create=True, suffix=suffix))
    try:
        for url in urls:
            with tempfile.TemporaryDirectory() as data_dir:
                env = {k: v for k, v in os.environ.items() if not k.startswith("MIKROMON_")}
                env["MIKROMON_DATA_DIR"] = data_dir
                if url:
                    env["MIKROMON_DATABASE_URL"] = url
                out = subprocess.run([sys.executable, script, "--child", *child_args],
                                     env=env, capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(out.stderr[-4000:])
                print(out.stdout.strip().splitlines()[-1], flush=True)
    finally:
        if database_url:
            _pg_scratch(database_url, create=False, suffix=suffix)
    print(f"# load at the end {os.getloadavg()[0]:.2f}", flush=True)


def bench_series(name: str, count: int) -> list[int]:
    """In the child (Django set up): a device ``bench-<name>`` with ``count``
    series of one metric (``iface.rx_bps``, labels ``n=0`` ...); their ids, in
    order."""
    from mikromon.web.monitor.models import Device, Series

    dev = Device(name=f"bench-{name}", host="127.0.0.1", username="monitor")
    dev.set_password("bench-router-pw")
    dev.save()
    Series.objects.bulk_create(Series(device=dev, key="iface.rx_bps", labels_key=f"n={n}")
                               for n in range(count))
    return list(Series.objects.filter(device=dev).order_by("id").values_list("id", flat=True))


def main(script: str, child: Callable[[argparse.Namespace], dict[str, object]],
         options: dict[str, int], suffix: str = "_bench") -> None:
    """A bench script's command line: ``--<option> N`` for each of ``options``
    (name -> default), ``--database-url``; runs :func:`run`, or, in the child
    (``--child``), prints ``child(args)`` as one JSON line."""
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or
                                                  "").splitlines()[0])
    for name, default in options.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    run(script, [item for name in options for item in (f"--{name}", str(getattr(
        args, name.replace("-", "_"))))], args.database_url, suffix)
