"""``mikromon collector start|stop|status``: control the collector of a running server.

A running ``mikromon serve`` (or ``demo``) publishes its collector's status
into the database every second and watches a desired-state flag there; these
commands write the flag and read the published status, so they work from any
shell that reaches the same database (``--data-dir`` / ``--database-url``).

Without a running server, ``collector start`` runs the collector itself, in
the foreground, until Ctrl-C or SIGTERM; ``collector stop`` records that the
collector should stay stopped when ``serve`` starts next.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from typing import Any

from mikromon.cli._common import Subparsers, add_command, command_with_actions
from mikromon.domain.formatting import interval
from mikromon.domain.names import natural_key

#: Seconds ``start``/``stop`` wait for the running server to confirm by default.
DEFAULT_WAIT_S = 15.0


def register(subparsers: Subparsers) -> None:
    """Add the ``collector`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "collector",
        help="start, stop or inspect the collector",
        description="Start, stop or inspect the collector of the mikromon server that uses "
        "this database. Without a running server, `collector start` runs the collector "
        "in the foreground until Ctrl-C.",
    ) as actions:
        for name, handler, help_text, description in (
            ("start", handle_start,
             "start the collector (in the foreground when no server is running)",
             "Ask the running server to start its collector and wait until it runs. When "
             "no server uses this database, run the collector here, in the foreground, "
             "until Ctrl-C or SIGTERM."),
            ("stop", handle_stop,
             "stop the collector (it stays stopped across restarts)",
             "Ask the running server to stop its collector and wait until it has stopped "
             "(buffered samples are written first). The collector stays stopped, also "
             "when the server restarts, until `mikromon collector start`."),
        ):
            _add_wait(add_command(actions, name, handler, help=help_text,
                                  description=description))
        add_command(
            actions, "join", handle_join,
            help="run a collector here that shares the fleet with the others",
            description="Run a collector in the foreground, until Ctrl-C or SIGTERM, as a "
            "member sharing the devices with the other collectors of this database (other "
            "hosts pointing at the same PostgreSQL, or `serve --collectors N`): it takes "
            "its share without restarting them. Its devices move to the others at their "
            "next heartbeat when it stops, and within MIKROMON_MEMBER_TTL seconds (plus "
            "one heartbeat) when it dies.",
        )
        status = add_command(
            actions, "status", handle_status,
            help="show what the running collector is doing",
            description="Show the status the running collector published last: per device "
            "its state and per tier its interval, last run, duration, next run and errors; "
            "plus the writer's queue. Times are ISO 8601 UTC.",
        )
        status.add_argument("--json", action="store_true", help="print the status as JSON")


def _add_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help=f"how long to wait for the running server to confirm (default {DEFAULT_WAIT_S:g})",
    )


def handle_start(args: argparse.Namespace) -> int:
    """Start the collector of the running server, or run one in the foreground."""
    from mikromon.cli._django import guarded, setup

    def body() -> int:
        setup(args, create=True)
        from mikromon.web.control import state

        server = state.current()
        if server is None:
            return _run_foreground(args)
        state.request_state(True, by="cli")
        if _wait_for(lambda p: p.running, args.wait):
            print(f"collector running (process {server.pid} on {server.hostname})")
            return 0
        from mikromon.cli._common import fail

        return fail(
            f"the server (process {server.pid} on {server.hostname}) did not start its "
            f"collector within {args.wait:g} s; see its log"
        )

    return guarded(body)


def handle_join(args: argparse.Namespace) -> int:
    """Run a collector member in the foreground (``MIKROMON_COLLECTOR_MEMBERS`` on)."""
    from mikromon import config
    from mikromon.cli._django import CommandError, guarded, setup
    from mikromon.web.http_server import StartupError
    from mikromon.web.runtime import Runtime

    def body() -> int:
        config.join_collector_members()
        setup(args, create=True, migrate=True)
        print("collecting here as a member sharing the fleet until Ctrl-C", flush=True)
        try:
            return Runtime(host=None, collector="desired", notifications=False).run()
        except StartupError as err:
            raise CommandError(str(err)) from err

    return guarded(body)


def _run_foreground(args: argparse.Namespace) -> int:
    from mikromon.cli._django import CommandError
    from mikromon.logconfig import configure_logging
    from mikromon.web.http_server import StartupError
    from mikromon.web.runtime import Runtime

    configure_logging(verbose=bool(getattr(args, "verbose", False)))
    print("no mikromon server uses this database: collecting here until Ctrl-C", flush=True)
    process = Runtime(host=None, collector="start")
    try:
        return process.run()
    except StartupError as err:
        raise CommandError(str(err)) from err


def handle_stop(args: argparse.Namespace) -> int:
    """Stop the collector of the running server (and keep it stopped)."""
    from mikromon.cli._django import guarded, setup

    def body() -> int:
        setup(args, create=True)
        from mikromon.web.control import state

        state.request_state(False, by="cli")
        server = state.current()
        if server is None:
            print(
                "no mikromon server uses this database; the collector stays stopped "
                "when it starts (`mikromon collector start` undoes this)"
            )
            return 0
        if _wait_for(lambda p: not p.running, args.wait):
            print(f"collector stopped (process {server.pid} on {server.hostname})")
            return 0
        from mikromon.cli._common import fail

        return fail(
            f"the server (process {server.pid} on {server.hostname}) did not stop its "
            f"collector within {args.wait:g} s; see its log"
        )

    return guarded(body)


def _wait_for(condition: Any, timeout: float) -> bool:
    """Poll the published status until ``condition(published)`` holds or ``timeout`` s pass."""
    from mikromon.web.control import state

    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        published = state.current()
        if published is not None and condition(published):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def handle_status(args: argparse.Namespace) -> int:
    """Print the published collector status (text or ``--json``)."""
    from mikromon.cli._django import guarded, setup

    def body() -> int:
        setup(args, create=False)
        document = status_document()
        if args.json:
            json.dump(document, sys.stdout, indent=2, sort_keys=False)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(render_status(document))
        return 0

    return guarded(body)


def status_document() -> dict[str, Any]:
    """Return the collector status as published by the running server.

    Shape::

        {"running": bool, "desired": "running" | "stopped",
         "process": {"host", "pid", "started_at", "published_at"} | None,
         "devices": [{"name", "state", "config_loaded_at",
                      "rows_dropped", "rows_failed", "write_error",
                      "tiers": {tier: {"interval_s", "last_run", "duration_s",
                                       "next_due", "errors"}}}],
         "writer": {"queue_depth", "rows_written", "batches_dropped", "rows_dropped",
                    "rows_failed", "unavailable_s", "stalls", "last_error",
                    "storage": {"mode", "why", "pid", "restarts"} | None, ...} | None,
         "members": [{"member", "where", "host", "pid", "started_at", "heartbeat",
                      "heartbeat_age_s", "devices", "cpu_pct", "rows_written",
                      "queue_depth", "maintenance"}]}

    With collector members sharing the fleet (``members`` not empty), ``devices``
    holds every member's devices, each with ``polled_by`` (``"<host> pid <pid>"``).

    ``unavailable_s`` is how long the database has taken no writes (0 when it
    does); a device's ``rows_dropped`` are its samples dropped at the writer's
    queue bound, ``rows_failed`` its rows the database refused (``write_error``:
    the last reason).

    Times are ISO 8601 UTC text to the second ending in ``Z``; a whole
    ``interval_s`` is an int. ``process`` is ``None`` when no server publishes.
    """
    from mikromon.domain.formatting import utc_iso
    from mikromon.web.control import state
    from mikromon.web.control.formats import tidy

    desired = state.desired_state()
    published = state.current()
    document: dict[str, Any] = {
        "running": False,
        "desired": "running" if desired.running else "stopped",
        "process": None,
        "devices": [],
        "writer": None,
    }
    if published is None:
        return document
    # Tidied again: a process of an older version may have published fractions.
    status = dict(tidy(published.status))
    document["running"] = bool(published.running)
    document["process"] = {
        "host": published.hostname,
        "pid": published.pid,
        "started_at": utc_iso(published.started_at, whole_seconds=True),
        "published_at": utc_iso(published.published_at, whole_seconds=True),
    }
    document["devices"] = list(status.pop("devices", []) or [])
    document["writer"] = status.pop("writer", None)
    _add_members(document)
    status.pop("running", None)
    # Whatever else the service reports (lock holder, counters) is passed on as is.
    for key, value in status.items():
        document.setdefault(key, value)
    return document


def _add_members(document: dict[str, Any]) -> None:
    """With collector members sharing the fleet: ``members`` (their load), and the
    devices of every member's status, each with ``polled_by``."""
    from mikromon.web.control.device_status import all_documents
    from mikromon.web.control.member_view import live_members

    members = live_members()
    document["members"] = [{k: v for k, v in m.items() if k != "status_pk"}
                           for m in members]
    if not members:
        return
    devices = []
    for member in members:
        if member["status_pk"] is not None:
            devices += [{**d, "polled_by": member["where"]}
                        for d in all_documents(member["status_pk"])]
    document["devices"] = sorted(devices, key=lambda d: (natural_key(str(d.get("name"))),
                                                        str(d.get("name")), d.get("id", 0)))


def _storage_text(storage: Any) -> str:
    """``, storage process 4243 (1 restart)`` for a storage child, then ``, mode
    process (auto: 812 devices, 2 CPUs)``: where the writes run and why, when the
    status says (``MIKROMON_WRITER``); ``""`` for neither."""
    if not isinstance(storage, Mapping):
        return ""
    text = ""
    if storage.get("mode") == "process":
        restarts = int(storage.get("restarts") or 0)
        again = f" ({restarts} restart{'s' if restarts != 1 else ''})" if restarts else ""
        text = f", storage process {storage.get('pid') or 'not running'}{again}"
    if storage.get("why"):
        text += f", mode {storage.get('mode')} ({storage['why']})"
    return text


def render_status(document: Mapping[str, Any]) -> str:
    """Return ``document`` (from :func:`status_document`) as text for a terminal."""
    lines: list[str] = []
    process = document.get("process")
    if process is None:
        lines.append("no mikromon server is running against this database")
        lines.append(f"desired state: {document['desired']}")
        return "\n".join(lines) + "\n"
    running = "running" if document["running"] else "stopped"
    lines.append(
        f"collector: {running} (desired: {document['desired']}; process {process['pid']} "
        f"on {process['host']}, started {process['started_at']})"
    )
    writer = document.get("writer") or {}
    if writer:
        rows_dropped = int(writer.get("rows_dropped") or 0)
        rows_failed = int(writer.get("rows_failed") or 0)
        lines.append(
            "writer: queue {q}, rows written {w}, batches dropped {d}".format(
                q=writer.get("queue_depth", "?"),
                w=writer.get("rows_written", "?"),
                d=writer.get("batches_dropped", "?"),
            )
            + (f" ({rows_dropped} rows)" if rows_dropped else "")
            + (f", rows failed {rows_failed}" if rows_failed else "")
            + _storage_text(writer.get("storage"))
        )
        stalled = writer.get("unavailable_s") or 0
        if stalled:
            reason = str(writer.get("last_error") or "").partition(": ")[2]
            lines.append(
                f"database: takes no writes for {_num(stalled)} s"
                + (f" ({reason})" if reason else "")
                + "; polling goes on, rows wait in the queue"
            )
    for member in document.get("members") or []:
        lines.append(f"member {member['where']}: {member['devices']} devices, CPU "
                     f"{_num(member['cpu_pct'])} % of a core, heartbeat "
                     f"{_num(member['heartbeat_age_s'])} s ago"
                     + ("; runs the storage maintenance" if member.get("maintenance") else ""))
    from mikromon.web.monitor.choices import state_label

    devices = document.get("devices") or []
    if not devices:
        lines.append("no devices are being collected")
    for device in devices:
        lines.append(
            f"{device.get('name', '?')}: {state_label(device.get('state'))}"
            f" (config loaded {device.get('config_loaded_at') or '-'})"
            + _losses_text(device)
            + (f" (polled by {device['polled_by']})" if device.get("polled_by") else "")
        )
        tiers = device.get("tiers") or {}
        for tier, info in tiers.items():
            lines.append(f"  {tier:<9} {_tier_text(info or {})}")
    return "\n".join(lines) + "\n"


def _losses_text(device: Mapping[str, Any]) -> str:
    """``; 60 rows dropped, 5 rows failed (last: reason)`` for a device whose rows
    were dropped at the writer's bound or refused by the database, else ``""``."""
    parts = []
    dropped = int(device.get("rows_dropped") or 0)
    failed = int(device.get("rows_failed") or 0)
    if dropped:
        parts.append(f"{dropped} rows dropped")
    if failed:
        reason = device.get("write_error")
        parts.append(f"{failed} rows failed" + (f" (last: {reason})" if reason else ""))
    return "; " + ", ".join(parts) if parts else ""


def _tier_text(info: Mapping[str, Any]) -> str:
    """One tier's line: interval, last run, the run in progress or the next due time,
    errors with the last one's time and text, and why the tier waits (if it does)."""
    if info.get("running_since"):
        when = f"running since {info['running_since']}"
    else:
        when = f"next {info.get('next_due') or '-'}"
    every = info.get("interval_s")
    every_text = interval(every) if isinstance(every, int | float) else "-"
    last = (f"{info['last_run']} ({_num(info.get('duration_s'))} s)"
            if info.get("last_run") else "never")
    text = f"every {every_text}, last {last}, {when}, errors {info.get('errors', 0)}"
    if info.get("errors") and info.get("last_error"):
        text += f" (last {info.get('last_error_at') or '-'}: {info['last_error']})"
    if info.get("blocked"):
        text += f", waiting: {info['blocked']}"
    return text


def _num(value: object) -> str:
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return "-"
