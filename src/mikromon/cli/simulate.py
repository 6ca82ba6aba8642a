"""``mikromon simulate``: run emulated RouterOS routers on loopback ports.

Router ``i`` serves the API on ``--base-port + i`` and, with ``--tls``, API-SSL on
``--base-port + --count + i`` (``--base-port 0``: ports chosen by the OS). Once every
router listens, the endpoints are printed: an aligned table, or with ``--json`` one
JSON object per router per line (``host``, ``port``, ``tls_port``, ``username``,
``password``, ``version``, ``profile``, ``identity``, ``tls_mode``).

While it runs, lines on standard input control the routers (answers go to stderr);
the commands are listed in :data:`DESCRIPTION` (``mikromon simulate --help``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import stat
import sys
from typing import Any

from mikromon import event_loop
from mikromon.cli._common import EXIT_USAGE, Subparsers, add_command, fail
from mikromon.domain.errors import ConfigError

DEFAULT_BASE_PORT = 18728


#: The plain-text help of ``mikromon simulate`` (the module docstring, without markup).
DESCRIPTION = """\
Run emulated RouterOS routers on loopback ports.

Router i serves the API on BASE_PORT + i and, with --tls, API-SSL on
BASE_PORT + COUNT + i (--base-port 0: ports chosen by the OS). Once every router
listens, the endpoints are printed: an aligned table, or with --json one JSON
object per router per line (host, port, tls_port, username, password, version,
profile, identity, tls_mode).

While it runs, lines on standard input control the routers (answers go to stderr):

    reboot 0          reset uptime and counters of router 0 ("all" for every router)
    fault 2 delay=1.5 blackhole=true   set faults (delay, blackhole, ...)
    clear all         remove every fault
    password 0 s3cret change the accepted password
    cpu 0 95          report 95 % CPU load ("cpu 0 none": moving again)
    temperature 0 65 [cpu-temperature]   set a health temperature (°C)
    health 0 psu1-state fail             set a state sensor (ok, fail, any word, none)
    health 0 psu1-state=fail fan-state=ok   the same, several at once
    link 0 ether2 down                   set an interface's link (up, down)
    bgp 0 peer-a down                    set a BGP peer (up, down, none)
    ospf 0 10.0.0.2 Init                 set an OSPF neighbour's state (Down removes it)
    zone 0 +03:00 Europe/Riga  move /system/clock to that offset (and zone name)
    syslog 0 127.0.0.1:5514 udp system,error,critical login failure for user x
                      send one log line as syslog (udp or tcp; syslog-udp / syslog-tcp:
                      the BSD syslog format with time and identity)
    logging 0 127.0.0.1:5514 udp         send state changes (link, reboot) as syslog
                                         ("logging 0 off" stops)
    list              print the endpoints again (to stderr)

SIGINT/SIGTERM stop every router; the exit status is then 0.
"""


def register(subparsers: Subparsers) -> None:
    """Add the ``simulate`` sub-command."""
    from mikromon.emulator.profiles import PROFILE_NAMES
    from mikromon.emulator.tls import TLS_MODES

    parser = add_command(
        subparsers, "simulate", handle,
        help="run emulated RouterOS routers on loopback ports",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--count", type=int, default=1, help="number of routers (default 1)")
    parser.add_argument(
        "--base-port", type=int, default=DEFAULT_BASE_PORT,
        help=f"API port of the first router (default {DEFAULT_BASE_PORT}; 0 = any free port)",
    )
    parser.add_argument("--profile", default="v7", choices=PROFILE_NAMES,
                        help="router profile (default v7; mixed cycles through v6, v7, "
                             "v7-empty and chr)")
    parser.add_argument("--tls", action="store_true", help="also serve API-SSL")
    parser.add_argument("--tls-mode", default="cert", choices=TLS_MODES,
                        help="API-SSL with a self-signed certificate (cert, default) or "
                             "anonymous Diffie-Hellman only (adh)")
    parser.add_argument("--username", default="admin", help="login name (default admin)")
    parser.add_argument("--password", default="admin", help="password (default admin)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback address to bind (127.0.0.1 or ::1)")
    parser.add_argument("--traffic-swing", type=float, default=None, metavar="FRACTION",
                        help="let each interface's traffic move over time by up to this "
                             "fraction of its mean, 0 <= FRACTION < 1 (default: the "
                             "profile's own, constant rates)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per router and line")


def handle(args: argparse.Namespace) -> int:
    """Run the fleet until SIGINT/SIGTERM; return the exit status."""
    from mikromon.emulator.fleet import Fleet
    from mikromon.emulator.loopback import ensure_loopback

    try:
        host = ensure_loopback(args.host)
    except ValueError as err:
        return fail(str(err), EXIT_USAGE)
    if args.count < 1:
        return fail(f"--count must be at least 1, got {args.count}", EXIT_USAGE)
    try:
        fleet = Fleet(args.count, profile=args.profile, base_port=args.base_port, tls=args.tls,
                      tls_mode=args.tls_mode, username=args.username, password=args.password,
                      host=host, traffic_swing=args.traffic_swing)
    except ValueError as err:
        return fail(str(err), EXIT_USAGE)
    try:
        return event_loop.run(_serve(fleet, args.json))
    except ConfigError as err:
        return fail(str(err), EXIT_USAGE)
    except OSError as err:
        return fail(f"cannot start the routers: {err}")


async def _serve(fleet: Any, as_json: bool) -> int:
    from mikromon.emulator.fleet import endpoints_table

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await fleet.start()
    try:
        endpoints = fleet.endpoints()
        if as_json:
            out = "".join(json.dumps(e.as_dict()) + "\n" for e in endpoints)
        else:
            out = endpoints_table(endpoints) + (
                f"\n\n{len(endpoints)} router(s) running. Ctrl-C stops them; "
                "type 'help' for control commands.\n")
        sys.stdout.write(out)
        sys.stdout.flush()
        control = asyncio.create_task(_control(fleet))
        await stop.wait()
        control.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await control
    finally:
        await fleet.stop()
    return 0


async def _control(fleet: Any) -> None:
    """Read control lines from stdin until EOF (only from a pipe, socket or terminal)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or sys.stdin.isatty()):
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):
        return
    while line := await reader.readline():
        text = line.decode("utf-8", "replace").strip()
        if text:
            print(run_control(fleet, text), file=sys.stderr, flush=True)


def _parse_value(text: str) -> object:
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    if lowered == "none":
        return None
    try:
        return float(text)
    except ValueError:
        return text


_STATE_COMMANDS = {"cpu": 1, "temperature": 1, "health": 2, "link": 2, "bgp": 2, "ospf": 2}
_UP = {"up": True, "ok": True, "true": True, "down": False, "fail": False, "false": False,
       "none": None}


def _targets(fleet: Any, target: str) -> list[Any] | str:
    """The routers a control command names (an index, or ``all``), or the error
    line to answer when there is no such router."""
    try:
        return list(fleet.routers) if target == "all" else [fleet.routers[int(target)]]
    except (ValueError, IndexError):
        return f"error: no router {target!r} (0..{len(fleet.routers) - 1} or 'all')"


def _state_control(fleet: Any, command: str, rest: list[str]) -> str:
    """Apply ``cpu``/``temperature``/``health``/``link``/``bgp``/``ospf`` to routers."""
    target, args = rest[0], rest[1:]
    if len(args) < _STATE_COMMANDS[command]:
        return f"error: {command} needs {_STATE_COMMANDS[command]} value(s) (try 'help')"
    routers = _targets(fleet, target)
    if isinstance(routers, str):
        return routers
    try:
        for r in routers:
            if command in ("cpu", "temperature"):
                value = None if args[0].lower() == "none" else float(args[0])
                if command == "cpu":
                    r.set_cpu_load(value)
                else:
                    r.set_temperature(value, *(args[1:2]))
            elif command == "ospf":
                r.set_ospf(args[0], None if args[1].lower() == "none" else args[1])
            elif command == "health":
                r.set_health_state(args[0], None if args[1].lower() == "none" else args[1])
            else:
                word = args[1].lower()
                if word not in _UP:
                    return f"error: {command}: say up/ok, down/fail or none, not {args[1]!r}"
                if command == "link":
                    if _UP[word] is None:
                        return "error: link: say up or down"
                    r.set_link(args[0], bool(_UP[word]))
                else:
                    r.set_bgp(args[0], _UP[word])
    except (ValueError, KeyError) as err:
        return f"error: {command}: {err}"
    return f"ok: {command} {target}"


def _syslog_target(address: str, how: str) -> tuple[str, int, str, str]:
    """``127.0.0.1:5514`` and ``udp``/``tcp``/``syslog-udp``/``syslog-tcp`` ->
    (host, port, protocol, format). Raises ValueError."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:5514)")
    fmt, _, protocol = how.lower().rpartition("-")
    return host.strip("[]"), int(port), protocol, fmt or "default"


def _syslog_control(fleet: Any, command: str, rest: list[str]) -> str:
    """Apply ``syslog I HOST:PORT PROTO TOPICS MESSAGE`` / ``logging I HOST:PORT PROTO``
    / ``logging I off``."""
    target, args = rest[0], rest[1:]
    routers = _targets(fleet, target)
    if isinstance(routers, str):
        return routers
    try:
        if command == "logging":
            if args[:1] == ["off"]:
                for r in routers:
                    r.set_remote_logging(None)
                return f"ok: logging {target} off"
            if len(args) != 2:
                return ("error: usage: logging I HOST:PORT udp|tcp|syslog-udp|syslog-tcp"
                        " | logging I off")
            host, port, protocol, fmt = _syslog_target(args[0], args[1])
            for r in routers:
                r.set_remote_logging(host, port, protocol, fmt)
            return f"ok: logging {target} to {host}:{port} over {protocol}"
        if len(args) < 4:
            return "error: usage: syslog I HOST:PORT udp|tcp|syslog-udp|syslog-tcp TOPICS MESSAGE"
        host, port, protocol, fmt = _syslog_target(args[0], args[1])
        for r in routers:
            r.send_syslog(args[2], " ".join(args[3:]), host=host, port=port,
                          protocol=protocol, fmt=fmt)
    except (ValueError, OSError) as err:
        return f"error: {command}: {err}"
    return f"ok: syslog {target}"


def run_control(fleet: Any, text: str) -> str:
    """Apply one control line to the fleet; return the answer (never raises).

    Commands: ``reboot I``, ``fault I name=value...``, ``clear I``,
    ``password I NEW``, ``list``, ``help``; ``I`` is a router index or ``all``.
    """
    from mikromon.emulator.fleet import endpoints_table
    from mikromon.routeros.values.dates import parse_gmt_offset

    parts = text.split()
    command, rest = parts[0].lower(), parts[1:]
    if command == "help":
        return ("commands: reboot I | fault I name=value ... | clear I | password I NEW | list"
                " | cpu I PCT | temperature I C [SENSOR] | health I SENSOR WORD"
                " | health I sensor=state ... | zone I +HH:MM [NAME]"
                " | link I IFACE up|down | bgp I PEER up|down | ospf I NEIGHBOR STATE"
                " | syslog I HOST:PORT udp|tcp|syslog-udp|syslog-tcp TOPICS MESSAGE"
                " | logging I HOST:PORT udp|tcp|syslog-udp|syslog-tcp | logging I off"
                " (I = router index or 'all'); faults: delay, drop_mid_sentence, garbage, "
                "trickle, refuse_login, blackhole, endless_rows, endless_sentence")
    if command == "list":
        return endpoints_table(fleet.endpoints())
    if (command in _STATE_COMMANDS and rest
            and not (command == "health" and any("=" in word for word in rest[1:]))):
        return _state_control(fleet, command, rest)
    if command in ("syslog", "logging") and rest:
        return _syslog_control(fleet, command, rest)
    if command not in ("reboot", "fault", "clear", "password", "health", "zone") or not rest:
        return f"error: unknown control command {text!r} (try 'help')"
    target = rest[0]
    routers = _targets(fleet, target)
    if isinstance(routers, str):
        return routers
    try:
        for r in routers:
            if command == "reboot":
                r.reboot()
            elif command == "clear":
                r.clear_faults()
            elif command == "password":
                if len(rest) != 2:
                    return "error: usage: password I NEW"
                r.set_password(rest[1])
            elif command == "health":
                pairs = [item.partition("=") for item in rest[1:]]
                if not pairs or any(not sep for _, sep, _ in pairs):
                    return "error: usage: health I sensor=state ..."
                for sensor, _, state in pairs:
                    r.set_health_state(sensor, state)
            elif command == "zone":
                if len(rest) not in (2, 3):
                    return "error: usage: zone I +HH:MM [NAME]"
                r.set_time_zone(parse_gmt_offset(rest[1]), rest[2] if len(rest) == 3 else "manual")
            else:
                changes = {}
                for item in rest[1:]:
                    name, sep, value = item.partition("=")
                    if not sep:
                        return f"error: fault {item!r} is not name=value"
                    changes[name] = _parse_value(value)
                r.set_fault(**changes)
    except ValueError as err:  # ValueParseError included
        return f"error: {err}"
    return f"ok: {command} {target}"
