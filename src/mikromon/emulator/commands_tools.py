"""``/ping`` (also ``/tool/ping``) and ``/tool/traceroute`` on an emulated router.

The emulator never sends a packet. Whether an address answers, and over how many
hops, is read from the router's own tables (:func:`path_to`):

* its own addresses (``/ip/address``) answer at once, one hop;
* hosts it knows on its links (``/ip/arp``, ``/ip/neighbor``, DHCP leases, PPP
  sessions) answer over one hop;
* any other address inside a connected network (an ``/ip/address`` network)
  does not answer: nobody is there, the request times out;
* an address routed through a gateway (the longest matching ``/ip/route``
  ``dst-address`` with an address as ``gateway``) answers over the gateway and
  1-5 transit hops (a fixed number per address and router);
* an address without a route, an IPv6 address (no IPv6 tables here), and every
  address set unreachable with :meth:`Router.set_reachable` time out.

Reply shapes (shared/ROUTEROS-API.md §4, §7 and the sources named; key sets and
order from the reconstructed files ping.v7/ping.v6 and tool_traceroute.v7 in
``emulator/data``, which name their sources):

* ``/ping``: one ``!re`` per packet, ``seq`` (from 0), ``host``, ``size``, ``ttl``,
  ``time``, then the running ``sent``, ``received``, ``packet-loss`` (integer
  percent) and, once a reply came, ``min-rtt``, ``avg-rtt``, ``max-rtt``; a lost
  packet gives ``status=timeout`` instead of ``size``/``ttl``/``time``
  (row shapes as clients read them: napalm-ros ``ping``, published client tests of
  7.x replies such as ``time=1ms200us``, timeout rows ``status=timeout``). Times are
  ``1ms200us`` on v7 and whole milliseconds (``9ms``) on v6; ``size`` defaults to
  56 on v7 and 64 on v6 (help.mikrotik.com "Ping"; a 6.49 console shows 64).
* ``/tool/traceroute``: per round (``count`` rounds, default until ``/cancel``)
  one ``!re`` per hop, ``.section`` (the round), ``address``, ``loss`` (percent),
  ``sent``, ``last`` (``1.4ms``), ``avg``, ``best``, ``worst``, ``std-dev``
  (milliseconds), ``status``; a silent hop has an empty ``address``, ``loss=100``
  and ``status=timeout``. Columns as the console prints them (ADDRESS LOSS SENT
  LAST AVG BEST WORST); the ``.section`` word as the API numbers repeated tables.
"""

from __future__ import annotations

import ipaddress
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mikromon.emulator.coherence import duration_seconds
from mikromon.emulator.commands_base import Command, CommandError, Router, Run, ordered
from mikromon.emulator.dynamics import mix, noise
from mikromon.emulator.tables import Row

__all__ = ["COMMANDS", "Path", "path_to"]

#: Tables whose ``address`` column lists hosts the router reaches over one hop.
NEIGHBOUR_TABLES: Final = ("/ip/arp", "/ip/neighbor", "/ip/dhcp-server/lease", "/ppp/active")
_TTL: Final = 64
_NOISE: Final = 0x7E57


@dataclass(frozen=True, slots=True)
class Path:
    """How an address is reached.

    Attributes:
        hops: the address answering at each hop, the target last when it answers.
        answers: whether the target itself answers.
    """

    hops: tuple[str, ...]
    answers: bool


def _addresses(router: Router, path: str) -> list[str]:
    if path not in router.menus:
        return []
    table = router.table(path)
    return [a for i in range(len(table)) if (a := table.get(i, "address"))]


def _ipv4_net(text: str) -> tuple[int, int] | None:
    """``a.b.c.d/n`` -> (network as an integer, prefix length); ``None`` otherwise.
    Plain integer work: a ping on a router with 100,000 routes reads every one."""
    address, _, length = text.partition("/")
    parts = address.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    bits = int(length) if length.isdigit() else 32
    if bits > 32:
        return None
    value = (int(parts[0]) << 24) | (int(parts[1]) << 16) | (int(parts[2]) << 8) | int(parts[3])
    return value & (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF, bits


def _gateway(router: Router, target: ipaddress.IPv4Address) -> str | None:
    """The gateway address of the longest ``/ip/route`` prefix holding ``target``."""
    if "/ip/route" not in router.menus:
        return None
    table = router.table("/ip/route")
    wanted = int(target)
    best: tuple[int, str] | None = None
    for i in range(len(table)):
        net = _ipv4_net(table.get(i, "dst-address") or "")
        if net is None or (best is not None and net[1] <= best[0]):
            continue
        network, bits = net
        if wanted & (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF != network:
            continue
        if table.get(i, "disabled") == "true":
            continue
        first = (table.get(i, "gateway") or "").split(",")[0].partition("%")[0]
        if _ipv4_net(first) is not None:
            best = (bits, first)
    return best[1] if best else None


def path_to(router: Router, address: str) -> Path:
    """Return how ``address`` is reached from ``router`` (see the module docstring).

    Raises:
        ValueError: ``address`` is not an IP address.
    """
    target = ipaddress.ip_address(address)
    text = str(target)
    if any(target in ipaddress.ip_network(net, strict=False)
           for net in router.controls.unreachable):
        return Path((), False)
    if not isinstance(target, ipaddress.IPv4Address):
        return Path((), False)
    own = _addresses(router, "/ip/address")
    if text in {a.partition("/")[0] for a in own}:
        return Path((text,), True)
    for path in NEIGHBOUR_TABLES:
        if text in _addresses(router, path):
            return Path((text,), True)
    for a in own:
        iface = ipaddress.ip_interface(a)
        if iface.network.prefixlen < 32 and target in iface.network:
            return Path((), False)
    gateway = _gateway(router, target)
    if gateway is None:
        return Path((), False)
    if gateway == text:
        return Path((text,), True)
    h = mix(router.seed, int(target))
    transit = tuple(f"100.{64 + (h >> (8 * k)) % 64}.{(h >> (3 * k)) % 256}.{k + 1}"
                    for k in range(1 + h % 5))
    return Path((gateway, *transit, text), True)


def _rtt_ms(router: Router, address: str, hop: int, k: int) -> float:
    """Round-trip time of round ``k`` to hop ``hop`` (0-based), milliseconds."""
    if hop == 0 and address in {a.partition("/")[0] for a in _addresses(router, "/ip/address")}:
        return 0.02 + 0.03 * noise(router.seed, _NOISE, k)
    base = 0.4 + 2.5 * hop
    return base + base * 0.3 * noise(router.seed, _NOISE, mix(zlib.crc32(address.encode()), hop, k))


def render_rtt(ms: float, v7: bool) -> str:
    """A ping time as the router prints it: ``1ms200us``/``345us`` (v7), ``9ms`` (v6)."""
    if not v7:
        return f"{round(ms)}ms"
    us = max(1, round(ms * 1000))
    whole, rest = divmod(us, 1000)
    if not whole:
        return f"{rest}us"
    return f"{whole}ms{rest}us" if rest else f"{whole}ms"


def _int_arg(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    if name not in args:
        return default
    text = args[name]
    if not text.isdigit() or not low <= int(text) <= high:
        raise CommandError(f"invalid value for argument {name}")
    return int(text)


def _time_arg(args: Mapping[str, str], name: str, default: float, low: float,
              high: float) -> float:
    """A time argument: ``1s``, ``100ms``, ``1m``, or plain seconds (``0.5``)."""
    if name not in args:
        return default
    text = args[name]
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = duration_seconds(text) if text else None
    if seconds is None or math.isnan(seconds) or not low <= seconds <= high:
        raise CommandError(f"invalid value for argument {name}")
    return seconds


def _address_arg(args: Mapping[str, str]) -> str:
    try:
        return str(ipaddress.ip_address(args["address"]))
    except ValueError:
        raise CommandError("invalid value for argument address") from None


def _ping(router: Router, args: Mapping[str, str]) -> Run:
    """``/ping``: ``address`` (required), ``count`` (1..4294967295, default until
    cancelled), ``interval`` (10ms..5s, default 1s), ``size`` (28..65535), ``ttl``."""
    address = _address_arg(args)
    v7 = router.profile.major >= 7
    count = _int_arg(args, "count", 0, 1, 2**32 - 1) or None
    interval = _time_arg(args, "interval", 1.0, 0.01, 5.0)
    size = _int_arg(args, "size", 56 if v7 else 64, 28, 65535)
    _int_arg(args, "ttl", _TTL, 1, 255)
    route = path_to(router, address)
    times: list[float] = []

    def rows(k: int) -> list[Row]:
        row: Row = {"seq": str(k), "host": address}
        if route.answers:
            ms = _rtt_ms(router, address, len(route.hops) - 1, k)
            times.append(ms)
            row.update({"size": str(size), "ttl": str(_TTL - len(route.hops) + 1),
                        "time": render_rtt(ms, v7)})
        else:
            row["status"] = "timeout"
        sent, received = k + 1, len(times)
        row.update({"sent": str(sent), "received": str(received),
                    "packet-loss": str((sent - received) * 100 // sent)})
        if times:
            row.update({"min-rtt": render_rtt(min(times), v7),
                        "avg-rtt": render_rtt(sum(times) / len(times), v7),
                        "max-rtt": render_rtt(max(times), v7)})
        return [ordered("ping.v7" if v7 else "ping.v6", row)]

    return Run(rows, count, interval)


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _traceroute(router: Router, args: Mapping[str, str]) -> Run:
    """``/tool/traceroute``: ``address`` (required), ``count`` (rounds, default until
    cancelled), ``max-hops`` (1..255, default 30), ``timeout`` (per round, 1ms..8s,
    default 1s), ``size``."""
    address = _address_arg(args)
    count = _int_arg(args, "count", 0, 1, 2**32 - 1) or None
    max_hops = _int_arg(args, "max-hops", 30, 1, 255)
    timeout = _time_arg(args, "timeout", 1.0, 0.001, 8.0)
    _int_arg(args, "size", 56, 28, 1500)
    route = path_to(router, address)
    hops = list(route.hops[:max_hops])
    silent = 0 if route.answers else max_hops - len(hops)

    def rows(k: int) -> list[Row]:
        out: list[Row] = []
        for j, hop in enumerate(hops):
            samples = [_rtt_ms(router, hop, j, r) for r in range(k + 1)]
            mean = sum(samples) / len(samples)
            dev = math.sqrt(sum((s - mean) ** 2 for s in samples) / len(samples))
            out.append({".section": str(k), "address": hop, "loss": "0", "sent": str(k + 1),
                        "last": f"{_ms(samples[-1])}ms", "avg": _ms(mean),
                        "best": _ms(min(samples)), "worst": _ms(max(samples)),
                        "std-dev": _ms(dev), "status": ""})
        out.extend({".section": str(k), "address": "", "loss": "100", "sent": str(k + 1),
                    "status": "timeout"} for _ in range(silent))
        return [ordered("tool_traceroute.v7", row) for row in out]

    return Run(rows, count, timeout)


_PING_ARGS: Final = frozenset({"address", "count", "interval", "size", "ttl", "src-address",
                               "interface", "routing-table", "do-not-fragment", "dscp",
                               "arp-ping", "vrf"})
_TRACE_ARGS: Final = frozenset({"address", "count", "max-hops", "timeout", "size",
                                "src-address", "interface", "protocol", "port", "use-dns",
                                "routing-table", "vrf", "dscp"})

#: The tool commands (registered in :data:`mikromon.emulator.commands.COMMANDS`).
COMMANDS: Final = (
    Command("/ping", _PING_ARGS, ("address",), _ping),
    Command("/tool/ping", _PING_ARGS, ("address",), _ping),
    Command("/tool/traceroute", _TRACE_ARGS, ("address",), _traceroute),
)
