"""Commands that take arguments (not ``print``): how they check their arguments,
and how they stream rows until done or ``/cancel``.

A :class:`Command` names its arguments; :func:`execute` checks the words a client
sent against them in the order RouterOS does (an unknown argument first, then a
missing required one, then the values) and then streams rounds of ``!re`` rows:
``once`` (or a ``count``) ends the command, otherwise it runs until ``/cancel``
(shared/ROUTEROS-API.md §4 "Monitor-type commands").

Trap messages (shared/ROUTEROS-API.md §3 and the sources named):

* an argument the command does not have: ``unknown parameter`` (no category;
  reported by mikrotik-java issues #15/#36/#64 and mikro-routeros issue #1);
* a required argument left out: ``missing value(s) of argument(s) <name>``
  (category 1);
* an item argument (``numbers``) naming nothing: ``no such item`` (category 1);
  an interface-valued argument (monitor-traffic ``interface``) naming nothing:
  ``input does not match any value of interface`` (category 1, the API manual's
  own example);
* a value of the wrong form or range: ``invalid value for argument <name>``
  (category 1).

The monitor commands live here; ``/ping`` and ``/tool/traceroute`` in
:mod:`mikromon.emulator.commands_tools`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

import mikromon.emulator.commands_tools as tools
from mikromon.emulator.commands_base import (
    NO_SUCH_ITEM,
    UNKNOWN_PARAMETER,
    Command,
    CommandError,
    Router,
    Run,
    ordered,
    truthy,
)
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import Row

__all__ = ["COMMANDS", "Command", "CommandError", "Run", "available", "execute",
           "truthy"]


def _once(args: Mapping[str, str]) -> int | None:
    return 1 if "once" in args and truthy(args["once"]) else None


def _names(args: Mapping[str, str], arg: str) -> list[str]:
    names = [n for n in args.get(arg, "").split(",") if n]
    if not names:
        raise CommandError(f"missing value(s) of argument(s) {arg}")
    return names


def _resolve(router: Router, names: Sequence[str], kinds: tuple[str, ...] | None,
             message: str) -> list[str]:
    """Map names or ``.id`` to the router's interface names of one of ``kinds``."""
    out = []
    for token in names:
        try:
            name = router.port_name(token)
        except KeyError:
            raise CommandError(message) from None
        kind = next(p.kind for p in router.ports if p.name == name)
        if kinds is not None and kind not in kinds:
            raise CommandError(message)
        out.append(name)
    return out


# -- /interface/monitor-traffic ---------------------------------------------------------
def _monitor_traffic(router: Router, args: Mapping[str, str]) -> Run:
    """Ports report their configured rates (:meth:`Router.monitor_traffic`); a
    dynamic interface (``<pppoe-USER>``, ``cap-wifi1``) reports the growth of its
    ``/interface`` counters over the last second, so both always agree."""
    names = _names(args, "interface")
    ports = {p.name for p in router.ports}
    message = "input does not match any value of interface"
    resolved = []
    for token in names:
        try:
            resolved.append(router.port_name(token))
        except KeyError:
            row = _dynamic_row(router, token, 0.0)
            if row is None:
                raise CommandError(message) from None
            resolved.append(row.get("name", token))

    def rows(k: int) -> list[Row]:
        out = []
        for name in resolved:
            if name in ports:
                out.extend(router.monitor_traffic([name]))
                continue
            now, before = _dynamic_row(router, name, 0.0), _dynamic_row(router, name, 1.0)
            if now is None or before is None:
                raise CommandError(message)  # the session went away meanwhile
            out.append(_traffic(router, name, now, before))
        return out

    return Run(rows, _once(args))


def _dynamic_row(router: Router, token: str, ago: float) -> Row | None:
    """Row ``token`` (name or ``.id``) of ``/interface`` as it was ``ago`` s before."""
    m = router.moment()
    m = dataclasses.replace(m, now=m.now - ago, uptime=max(0.0, m.uptime - ago),
                            wall=m.wall - ago)
    table = router.table("/interface", m)
    key = ".id" if token.startswith("*") else "name"
    return next((table.row(i) for i in range(len(table)) if table.get(i, key) == token), None)


def _traffic(router: Router, name: str, now: Row, before: Row) -> Row:
    def rate(key: str, scale: int = 1) -> str:
        return str(max(0, int(now.get(key, "0")) - int(before.get(key, "0"))) * scale)

    values = {"name": name, "rx-packets-per-second": rate("rx-packet"),
              "rx-bits-per-second": rate("rx-byte", 8),
              "fp-rx-packets-per-second": rate("rx-packet"),
              "fp-rx-bits-per-second": rate("rx-byte", 8), "rx-drops-per-second": "0",
              "rx-errors-per-second": "0", "tx-packets-per-second": rate("tx-packet"),
              "tx-bits-per-second": rate("tx-byte", 8),
              "fp-tx-packets-per-second": rate("tx-packet"),
              "fp-tx-bits-per-second": rate("tx-byte", 8), "tx-drops-per-second": "0",
              "tx-queue-drops-per-second": "0", "tx-errors-per-second": "0"}
    v7 = router.profile.major >= 7
    return {k: v for k, v in values.items() if v7 or not k.startswith("fp-")}


# -- /interface/ethernet/monitor ----------------------------------------------------------
def _ethernet_monitor(router: Router, args: Mapping[str, str]) -> Run:
    names = _resolve(router, _names(args, "numbers"), ("ether",), NO_SUCH_ITEM)
    return Run(lambda k: router.ethernet_monitor(names), _once(args))


# -- /interface/wireless/monitor (wireless package) ---------------------------------------
#: Per radio number (cycling): the channel as the legacy package's monitor prints it
#: (frequency/width-extension/band, as in caps-man ``current-channel``).
_WIRELESS_CHANNELS: Final = ("2412/20-Ce/gn(20dBm)", "5180/20-Ceee/ac(23dBm)")


def _wireless_monitor(router: Router, args: Mapping[str, str]) -> Run:
    """Rows reconstructed from the wiki page Manual:Interface/Wireless ("Monitor"):
    ``status``, ``channel``, ``wireless-protocol``, ``noise-floor``,
    ``overall-tx-ccq``, ``registered-clients``, ``authenticated-clients``,
    ``current-distance``, ``notify-external-fdb``; the client counts are the
    interface's rows in ``/interface/wireless/registration-table``."""
    items = _menu_items(router, "/interface/wireless", _names(args, "numbers"))

    def rows(k: int) -> list[Row]:
        clients = _clients_per_interface(router, "/interface/wireless/registration-table")
        out = []
        for n, name in items:
            count = str(clients.get(name, 0))
            out.append(ordered("interface_wireless_monitor.v6", {
                "status": "running-ap",
                "channel": _WIRELESS_CHANNELS[n % len(_WIRELESS_CHANNELS)],
                "wireless-protocol": "802.11", "noise-floor": str(-107 + n % 3),
                "overall-tx-ccq": str(88 - 3 * n), "registered-clients": count,
                "authenticated-clients": count, "current-distance": "1",
                "notify-external-fdb": "false",
            }))
        return out

    return Run(rows, _once(args))


# -- /interface/wifi/monitor (wifi package, 7.13+; wifiwave2 before) ---------------------
_WIFI_CHANNELS: Final = ("5180/ax/Ceee", "2412/ax/Ce")


def _wifi_monitor(router: Router, args: Mapping[str, str]) -> Run:
    """Rows reconstructed from help.mikrotik.com "WiFi" (interface monitor):
    ``state``, ``channel``, ``registered-peers``, ``authorized-peers``,
    ``tx-power``, ``available-channels``; the peer counts are the interface's
    rows in the wifi registration table."""
    base = "/interface/wifi" if router.profile.version_tuple[:2] >= (7, 13) \
        else "/interface/wifiwave2"
    items = _menu_items(router, base, _names(args, "numbers"))

    def rows(k: int) -> list[Row]:
        peers = _clients_per_interface(router, base + "/registration-table")
        out = []
        for n, name in items:
            count = str(peers.get(name, 0))
            channel = _WIFI_CHANNELS[n % len(_WIFI_CHANNELS)]
            out.append(ordered("interface_wifi_monitor.v7", {
                "state": "running-ap", "channel": channel, "registered-peers": count,
                "authorized-peers": count, "tx-power": "23" if n % 2 == 0 else "20",
                "available-channels": channel,
            }))
        return out

    return Run(rows, _once(args))


def _menu_items(router: Router, path: str, tokens: Sequence[str]) -> list[tuple[int, str]]:
    """Map names or ``.id`` to (position, name) in menu ``path`` (the radios of
    ``/interface/wifi``, with a CAPsMAN controller's CAP interfaces).

    Raises:
        CommandError: ``no such item``.
    """
    table = router.table(path) if path in router.menus else None
    out = []
    for token in tokens:
        key = ".id" if token.startswith("*") else "name"
        hit = None if table is None else next(
            (i for i in range(len(table)) if table.get(i, key) == token), None)
        if table is None or hit is None:
            raise CommandError(NO_SUCH_ITEM)
        out.append((hit, table.get(hit, "name") or token))
    return out


def _clients_per_interface(router: Router, path: str) -> dict[str, int]:
    if path not in router.menus:
        return {}
    table = router.table(path)
    counts: dict[str, int] = {}
    for i in range(len(table)):
        name = table.get(i, "interface") or ""
        counts[name] = counts.get(name, 0) + 1
    return counts


def _has(package: str) -> Callable[[Profile], bool]:
    return lambda profile: package in profile.packages


def _wifi_package(profile: Profile) -> bool:
    return "wifi" in profile.packages and profile.major >= 7


def _commands() -> dict[str, Command]:
    monitor = frozenset({"numbers", "once", "interval", "duration"})
    table = [
        Command("/interface/monitor-traffic",
                frozenset({"interface", "once", "interval", "duration", "aggregate"}),
                ("interface",), _monitor_traffic),
        Command("/interface/ethernet/monitor", monitor, ("numbers",), _ethernet_monitor),
        Command("/interface/wireless/monitor", monitor, ("numbers",), _wireless_monitor,
                _has("wireless")),
        Command("/interface/wifi/monitor", monitor, ("numbers",), _wifi_monitor,
                lambda p: _wifi_package(p) and p.version_tuple[:2] >= (7, 13)),
        Command("/interface/wifiwave2/monitor", monitor, ("numbers",), _wifi_monitor,
                lambda p: _wifi_package(p) and p.version_tuple[:2] < (7, 13)),
        *tools.COMMANDS,
    ]
    return {c.path: c for c in table}


#: Every command with arguments, by command word.
COMMANDS: Final = _commands()


def available(profile: Profile, word: str) -> Command | None:
    """Return the command ``word`` (``/ping``) when a router with ``profile`` has it."""
    command = COMMANDS.get(word)
    return command if command is not None and command.present(profile) else None


def prefixes(profile: Profile) -> frozenset[str]:
    """Menus that exist only as the home of a command (``/tool`` of ``/tool/ping``):
    another word under them is ``no such command``, not ``no such command prefix``."""
    return frozenset(path.rpartition("/")[0] for path, c in COMMANDS.items()
                     if c.present(profile))


_PROPLIST_SPLIT: Final = re.compile(r",")


async def execute(router: Router, word: str, args: Mapping[str, str],
                  send: Callable[[Row], Awaitable[None]]) -> None:
    """Run command ``word`` with ``args``: send its rows through ``send`` round by
    round until it ends (``once``, ``count``) or the task is cancelled.

    Raises:
        CommandError: the arguments are wrong (nothing was sent).
        KeyError: the router has no such command.
    """
    command = available(router.profile, word)
    if command is None:
        raise KeyError(word)
    given = {k: v for k, v in args.items() if not k.startswith(".")}
    if any(name not in command.arguments for name in given):
        raise CommandError(UNKNOWN_PARAMETER, None)
    missing = [name for name in command.required if name not in given]
    if missing:
        raise CommandError(f"missing value(s) of argument(s) {','.join(missing)}")
    run = command.start(router, given)
    proplist = [p for p in _PROPLIST_SPLIT.split(args.get(".proplist", "")) if p]
    k = 0
    while True:
        for row in run.rows(k):
            if proplist:
                row = {p: row[p] for p in proplist if p in row}
            await send(row)
        k += 1
        if run.rounds is not None and k >= run.rounds:
            return
        await asyncio.sleep(run.interval)

