"""Large tables generated per request: DHCP leases, PPP and hotspot sessions, ARP,
routes and the firewall connection table.

Row ``i`` is a capture row (cycled) with the identifying values (``.id``, addresses,
MACs, names) made unique for ``i``; only keys the template has are replaced, so every
row keeps its capture's key set. Sizes come from the :class:`Profile`; churning
tables shrink by a pseudo-random amount that changes every ``churn_period_s``.
Nothing is stored: 100,000 routes cost nothing until a client reads them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from mikromon.emulator.data import capture, legacy_row
from mikromon.emulator.dynamics import churned, noise, render_duration
from mikromon.emulator.interfaces import local_comment
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.tables import GeneratedTable, Overrides, cycle

# Noise channels, so that tables of one router churn independently.
_DHCP: Final = 11
_PPP: Final = 12
_HOTSPOT: Final = 13
_CONN: Final = 14


@dataclass(frozen=True, slots=True)
class Moment:
    """What a table needs to know about "now" for one router.

    Attributes:
        profile: the router's profile.
        seed: the router's seed.
        now: clock reading (seconds, monotonic).
        uptime: seconds since the router booted.
        wall: wall-clock time now, UTC seconds since the epoch.
        gmt_offset: the router's offset from UTC, seconds (``/system/clock``
            ``gmt-offset``; its local time is ``wall + gmt_offset``).
        time_zone: ``/system/clock`` ``time-zone-name``.
        dst: ``/system/clock`` ``dst-active``.
    """

    profile: Profile
    seed: int
    now: float
    uptime: float
    wall: float = 0.0
    gmt_offset: int = 0
    time_zone: str = "manual"
    dst: bool = False


def _ip(prefix: str, i: int) -> str:
    """``prefix`` is two octets; hosts 1..254 per /24, then the next /24."""
    return f"{prefix}.{(i // 254) % 256}.{i % 254 + 1}"


def _mac(seed: int, kind: int, i: int) -> str:
    octets = (kind, seed, i >> 16, i >> 8, i)
    return "02:" + ":".join(f"{o & 0xFF:02X}" for o in octets)


def _client_id(mac: str) -> str:
    """RouterOS renders client-id as ``1:`` + MAC bytes in hex without zero padding."""
    return "1:" + ":".join(f"{int(b, 16):x}" for b in mac.split(":"))


def _only_present(template: Mapping[str, str], values: dict[str, str | None]) -> Overrides:
    return {k: v for k, v in values.items() if k in template}


@functools.cache
def _rows(name: str, legacy: bool) -> tuple[Mapping[str, str], ...]:
    rows = capture(name).rows
    return tuple(legacy_row(r) for r in rows) if legacy else rows


def _capture_rows(profile: Profile, base: str) -> Sequence[Mapping[str, str]]:
    """Rows of ``base.v6``/``base.v7`` for the profile (v7 files on a v6 router get
    the old date format)."""
    if profile.major < 7:
        try:
            return capture(f"{base}.v6").rows
        except FileNotFoundError:
            pass
    return _rows(f"{base}.v7", not profile.iso_dates)


def dhcp_leases(m: Moment) -> GeneratedTable:
    """``/ip/dhcp-server/lease``: up to ``profile.dhcp_leases`` rows, churning.

    With ``profile.comment_encoding`` set, every third lease (from the second)
    carries a Cyrillic comment in that encoding
    (:func:`mikromon.emulator.interfaces.local_comment`)."""
    p = m.profile
    templates = _capture_rows(p, "ip_dhcp_server_lease")
    pick = cycle(templates)
    count = churned(p.dhcp_leases, p.churn, m.seed, _DHCP, m.now, p.churn_period_s)
    local = p.comment_encoding is not None

    def own(i: int) -> Overrides:
        mac = _mac(m.seed, 0xD1, i)
        address = _ip("10.100", i)
        values = _only_present(pick(i), {
            ".id": f"*{i + 1:X}", "address": address, "mac-address": mac,
            "active-address": address, "active-mac-address": mac,
            "client-id": _client_id(mac), "active-client-id": _client_id(mac),
            "host-name": f"host-{i + 1}",
        })
        if local and i % 3 == 1:
            values = {**values, "comment": local_comment(p, i // 3)}
        return values

    return GeneratedTable(count, pick, own)


def ppp_active(m: Moment) -> GeneratedTable:
    """``/ppp/active``: up to ``profile.ppp_sessions`` rows, churning; uptime grows."""
    p = m.profile
    templates = _capture_rows(p, "ppp_active")
    pick = cycle(templates)
    count = churned(p.ppp_sessions, p.churn, m.seed, _PPP, m.now, p.churn_period_s)

    def own(i: int) -> Overrides:
        t = pick(i)
        caller = (_mac(m.seed, 0xC1, i) if ":" in t.get("caller-id", "")
                  else _ip("203.0", i))
        started = noise(m.seed, _PPP, i) * 86400
        return _only_present(t, {
            ".id": f"*{0x80000000 + i:X}", "name": f"user-{i + 1:04d}", "caller-id": caller,
            "address": _ip("10.99", i), "session-id": f"0x{0x81200000 + i:X}",
            "uptime": render_duration(min(m.uptime, started + m.uptime % 86400)),
        })

    return GeneratedTable(count, pick, own)


def hotspot_active(m: Moment) -> GeneratedTable:
    """``/ip/hotspot/active``: up to ``profile.hotspot_users`` rows, churning."""
    p = m.profile
    pick = cycle(_capture_rows(p, "ip_hotspot_active"))
    count = churned(p.hotspot_users, p.churn, m.seed, _HOTSPOT, m.now, p.churn_period_s)

    def own(i: int) -> Overrides:
        t = pick(i)
        mac = _mac(m.seed, 0x5A, i)
        user = mac if t.get("login-by") == "mac" else f"voucher-{i + 1:04d}"
        started = noise(m.seed, _HOTSPOT, i) * 7200
        return _only_present(t, {
            ".id": f"*{i + 1:X}", "user": user, "address": _ip("10.5", i),
            "mac-address": mac,
            "uptime": render_duration(min(m.uptime, started + m.uptime % 7200)),
        })

    return GeneratedTable(count, pick, own)


def arp(m: Moment) -> GeneratedTable:
    """``/ip/arp``: ``profile.arp_entries`` rows."""
    pick = cycle(_capture_rows(m.profile, "ip_arp"))

    def own(i: int) -> Overrides:
        return _only_present(pick(i), {
            ".id": f"*{i + 1:X}", "address": _ip("10.88", i), "mac-address": _mac(m.seed, 0xA4, i),
        })

    return GeneratedTable(m.profile.arp_entries, pick, own)


def routes(m: Moment) -> GeneratedTable:
    """``/ip/route``: the capture's routes, then generated /24 routes up to
    ``profile.routes`` rows (100,000+ is fine: rows exist only while read)."""
    p = m.profile
    head = _capture_rows(p, "ip_route")
    template = dict(head[0])
    template.pop("dhcp", None)
    base = 0x40000000 if p.major >= 7 else 0
    skip = len(head)

    def dst(i: int) -> str:
        n = i - skip
        return f"{100 + (n >> 16) % 100}.{(n >> 8) & 255}.{n & 255}.0/24"

    fields = {".id": lambda i: f"*{base + i + 1:X}", "dst-address": dst}

    def own(i: int) -> Overrides:
        return {k: f(i) for k, f in fields.items()}

    return GeneratedTable(max(p.routes, 0), lambda i: template, own, head=head[:p.routes],
                          fields=fields)


#: Key set of generated ``/ip/firewall/connection`` rows (CLI reference,
#: ip/firewall/connection; no row capture exists, only the count).
CONNECTION_KEYS: Final = ("protocol", "src-address", "dst-address", "reply-src-address",
                          "reply-dst-address", "tcp-state", "timeout", "orig-packets",
                          "orig-bytes", "repl-packets", "repl-bytes", "assured",
                          "confirmed", "seen-reply", "fasttrack")


def connection_count(m: Moment) -> int:
    """Connections tracked now: ``profile.connections`` minus up to ``churn``."""
    p = m.profile
    return churned(p.connections, p.churn, m.seed, _CONN, m.now, 10.0)


def connections(m: Moment) -> GeneratedTable:
    """``/ip/firewall/connection``: :func:`connection_count` generated rows."""
    template = {k: "" for k in CONNECTION_KEYS}

    def own(i: int) -> Overrides:
        src, dst = _ip("10.88", i), _ip("198.51", i)
        sport = 1024 + i % 60000
        return {
            ".id": f"*{i + 1:X}", "protocol": "tcp",
            "src-address": f"{src}:{sport}", "dst-address": f"{dst}:443",
            "reply-src-address": f"{dst}:443", "reply-dst-address": f"{src}:{sport}",
            "tcp-state": "established", "timeout": "23h59m59s",
            "orig-packets": str(10 + i % 997), "orig-bytes": str(1200 + i % 99991),
            "repl-packets": str(8 + i % 991), "repl-bytes": str(9000 + i % 999983),
            "assured": "true", "confirmed": "true", "seen-reply": "true",
            "fasttrack": "false",
        }

    return GeneratedTable(connection_count(m), lambda i: template, own)
