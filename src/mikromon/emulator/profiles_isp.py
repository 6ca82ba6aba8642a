"""The ``isp-bras`` profile: a PPPoE concentrator whose customers come and go.

A CCR-class RouterOS 7 router (16 cores, 12 copper ports and 4 SFP+ cages, four
customer VLANs) terminating ``ppp_sessions`` PPPoE customers. Each customer
``cust-NNNNN`` owns a slot that is connected most of the time: every slot
disconnects once per 6-30 hours (its own period and phase) and stays away for
20 s to 10 min, so about 0.5 % are away at any moment and a few reconnect every
minute. One moment's set of connected slots (:func:`sessions`) drives every
table, so they agree at each read:

* ``/ppp/active``: one row per connected slot (capture ppp_active.v7 key set),
  ``uptime`` since that slot's last connect, a new ``.id`` and ``session-id``
  at each reconnect;
* ``/interface``: the router's ports, then one dynamic ``pppoe-in`` interface per
  session, named ``<pppoe-USER>`` and flagged ``dynamic=true`` (capture interface.v7
  key set; ppp_active.v7 notes), counters growing since the connect;
* ``/queue/simple``: one dynamic queue per session, named and targeted
  ``<pppoe-USER>`` as the PPP profile's rate limit creates it (capture
  queue_simple.v7 key set, ``dynamic=true``);
* ``/ip/firewall/connection``: 30-45 tracked connections per session;
* ``/interface/pppoe-server/server``: one server per customer VLAN (key set of
  the CLI reference interface/pppoe-server/server, reconstructed).

These builders are the ``pppoe-server`` ``variants`` of the menu table's entries
(:data:`mikromon.emulator.menus.MENU_TABLE`; the dynamic interfaces in its
:data:`~mikromon.emulator.menus.DYNAMIC_INTERFACES`): the concentrator has the menus
of any router, with its own rows. Rows are generated when read; the connected set
is computed once per second of router time and shared by the tables of one poll,
so a print of 4,000 sessions costs a few milliseconds (bench/RESULTS.md "isp-bras").
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import mikromon.emulator.generated as generated
from mikromon.emulator.data import capture
from mikromon.emulator.dynamics import counter, noise, render_duration
from mikromon.emulator.generated import Moment
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.reconstructed import render_date
from mikromon.emulator.tables import FixedTable, GeneratedTable, Overrides, Row, Table

if TYPE_CHECKING:
    from mikromon.emulator.menu_base import RouterView

__all__ = ["ISP_BRAS", "Sessions", "connection_count", "sessions"]

ISP_BRAS: Final = Profile(
    name="isp-bras", version="7.16.2", board="CCR2116-12G-4S+", architecture="arm64",
    cpu="ARM64", cpu_count=16, cpu_frequency=2000, total_memory=17179869184,
    total_hdd=134217728, ethernet=16, sfp_ports=4, vlans=4, bridges=0, radios=0,
    dhcp_leases=6, ppp_sessions=4000, hotspot_users=0, arp_entries=24, routes=40,
    connections=150_000, rx_bps=400_000_000, tx_bps=90_000_000,
    packages=frozenset({"bgp", "ospf", "health", "pppoe-server"}),
)

_CHANNEL: Final = 0xB5A5
#: Shortest and longest time between one slot's disconnects (seconds).
_PERIOD: Final = (6 * 3600.0, 30 * 3600.0)
#: Shortest and longest time a disconnected slot stays away (seconds).
_AWAY: Final = (20.0, 600.0)
#: Per-session mean traffic (bits/s) towards and from the customer.
_DOWN_BPS: Final = 1_800_000
_UP_BPS: Final = 240_000


@functools.cache
def _slots(count: int) -> tuple[tuple[float, float, float, float, float], ...]:
    """Per slot: (period, time away, phase, bytes/s from and to the customer).
    Shared by every router with ``count`` customers (a router's seed turns the
    phases and picks the rates: :func:`_sessions_at`), so a fleet of hundreds of
    concentrators holds one table, not one each."""
    out = []
    for i in range(count):
        period = _PERIOD[0] + (_PERIOD[1] - _PERIOD[0]) * noise(_CHANNEL, i, 1)
        away = _AWAY[0] + (_AWAY[1] - _AWAY[0]) * noise(_CHANNEL, i, 2)
        out.append((period, away, period * noise(_CHANNEL, i, 3),
                    _UP_BPS / 8 * (0.5 + noise(_CHANNEL, i, 4)),
                    _DOWN_BPS / 8 * (0.5 + noise(_CHANNEL, i, 5))))
    return tuple(out)


def _rates(seed: int, count: int, slot: int) -> tuple[float, float]:
    """Mean bytes/s from and to the customer of ``slot`` on router ``seed``."""
    params = _slots(count)[(slot + seed * 7919) % count]
    return params[3], params[4]


Sessions = tuple[tuple[int, int, float], ...]
"""Connected sessions: (slot, connect number, seconds connected), slot order."""


@functools.lru_cache(maxsize=16)
def _sessions_at(seed: int, count: int, second: int, uptime: int) -> Sessions:
    out = []
    turn = noise(seed, _CHANNEL)  # this router's phases
    for slot, (period, away, phase, _, _) in enumerate(_slots(count)):
        position = second + phase + turn * period
        cycle, into = divmod(position, period)
        if into < away:
            continue
        # after a boot every customer dials in again within the first minute
        back = 5 + slot % 60
        if uptime < back:
            continue
        out.append((slot, int(cycle), min(into - away, uptime - back)))
    return tuple(out)


def sessions(m: Moment) -> Sessions:
    """The sessions connected at ``m`` (computed once per second of the router's
    clock and uptime, then shared)."""
    return _sessions_at(m.seed, m.profile.ppp_sessions, math.floor(m.now), int(m.uptime))


def _user(slot: int) -> str:
    return f"cust-{slot + 1:05d}"


def _session_id(count: int, slot: int, cycle: int) -> int:
    return (cycle * count + slot) % 0x7FFFFFFF


def _mac(seed: int, slot: int) -> str:
    octets = (0xC1, seed, slot >> 16, slot >> 8, slot)
    return "02:" + ":".join(f"{o & 0xFF:02X}" for o in octets)


def _address(slot: int) -> str:
    return f"100.{64 + slot // 65024}.{(slot // 254) % 256}.{slot % 254 + 1}"


def ppp_active(router: RouterView, m: Moment) -> Table:
    """``/ppp/active``: one PPPoE row per connected session."""
    live = sessions(m)
    template = next(r for r in capture("ppp_active.v7").rows if r["service"] == "pppoe")
    count = m.profile.ppp_sessions

    def own(i: int) -> Overrides:
        slot, cycle, up = live[i]
        sid = _session_id(count, slot, cycle)
        return {".id": f"*{0x80000000 + sid:X}", "name": _user(slot),
                "caller-id": _mac(m.seed, slot),
                "address": _address(slot), "uptime": render_duration(int(up)),
                "session-id": f"0x{0x81000000 + sid % 0xFFFFFF:X}"}

    return GeneratedTable(len(live), lambda i: template, own)


def _interface_template() -> Mapping[str, str]:
    row = dict(next(r for r in capture("interface.v7").rows if r["type"] == "pppoe-out"))
    row.update({"type": "pppoe-in", "dynamic": "true", "link-downs": "0"})
    row.pop("last-link-down-time", None)
    return row


def pppoe_interfaces(m: Moment, first_id: int) -> GeneratedTable:
    """The dynamic ``pppoe-in`` interfaces of :func:`sessions`, ``.id`` from
    ``first_id`` up (past the router's own interfaces)."""
    live = sessions(m)
    template = _interface_template()
    count = m.profile.ppp_sessions

    def own(i: int) -> Overrides:
        slot, cycle, up = live[i]
        up_rate, down_rate = _rates(m.seed, count, slot)
        rx, tx = counter(0, up_rate, up), counter(0, down_rate, up)
        rxp, txp = rx // 400, tx // 1100
        when = _date(m, m.wall - up)
        return {".id": f"*{first_id + _session_id(count, slot, cycle):X}",
                "name": f"<pppoe-{_user(slot)}>", "rx-byte": str(rx), "tx-byte": str(tx),
                "rx-packet": str(rxp), "tx-packet": str(txp), "fp-rx-byte": str(rx),
                "fp-tx-byte": str(tx), "fp-rx-packet": str(rxp), "fp-tx-packet": str(txp),
                "last-link-up-time": when}

    return GeneratedTable(len(live), lambda i: template, own)


def _date(m: Moment, wall: float) -> str:
    t = time.gmtime(wall + m.gmt_offset)
    day = render_date(m.profile.iso_dates, t.tm_year, t.tm_mon, t.tm_mday)
    return f"{day} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def simple_queues(router: RouterView, m: Moment) -> Table:
    """``/queue/simple``: the dynamic queue of each session (25M upload / 100M
    download limit), its counters since the connect."""
    live = sessions(m)
    template = dict(capture("queue_simple.v7").rows[0])
    template.update({"max-limit": "25000000/100000000", "dynamic": "true"})
    count = m.profile.ppp_sessions

    def own(i: int) -> Overrides:
        slot, _, up = live[i]
        name = f"<pppoe-{_user(slot)}>"
        up_rate, down_rate = _rates(m.seed, count, slot)
        up_b, down_b = counter(0, up_rate, up), counter(0, down_rate, up)
        return {".id": f"*{0x1000000 + slot:X}", "name": name, "target": name,
                "bytes": f"{up_b}/{down_b}", "packets": f"{up_b // 400}/{down_b // 1100}",
                "dropped": "0/0", "rate": f"{_UP_BPS}/{_DOWN_BPS}",
                "packet-rate": f"{_UP_BPS // 3200}/{_DOWN_BPS // 8800}"}

    return GeneratedTable(len(live), lambda i: template, own)


def connection_count(m: Moment) -> int:
    """Tracked connections now: 30-45 per connected session."""
    n = len(sessions(m))
    return n * 30 + int(n * 15 * noise(m.seed, _CHANNEL, math.floor(m.now / 10)))


def connections(router: RouterView, m: Moment) -> Table:
    """``/ip/firewall/connection``: :func:`connection_count` generated rows."""
    table = generated.connections(m)
    return _Resized(table, connection_count(m))


class _Resized:
    """A generated table cut or stretched to ``length`` rows (rows are by index)."""

    def __init__(self, inner: GeneratedTable, length: int) -> None:
        self._inner, self._length = inner, length

    def __len__(self) -> int:
        return self._length

    def get(self, index: int, key: str) -> str | None:
        return self._inner.get(index, key)

    def row(self, index: int) -> Row:
        return self._inner.row(index)


def pppoe_servers(router: RouterView, m: Moment) -> Table:
    """``/interface/pppoe-server/server``: one server per customer VLAN."""
    vlans = [p.name for p in router.ports if p.kind == "vlan"]
    return FixedTable([{
        ".id": f"*{k + 1:X}", "service-name": f"isp-{name}", "interface": name,
        "max-mtu": "1480", "max-mru": "1480", "mrru": "disabled",
        "authentication": "pap,chap,mschap1,mschap2", "keepalive-timeout": "10",
        "one-session-per-host": "true", "max-sessions": "unlimited", "pado-delay": "0",
        "default-profile": "default", "invalid": "false", "disabled": "false",
    } for k, name in enumerate(vlans)])
