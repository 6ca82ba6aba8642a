"""Make the captured rows a router serves agree with the router itself.

The captures come from different real routers, so as served verbatim their rows
name interfaces the emulated router lacks (``bridge``, ``WAN1``, ``bridge-lan``),
an address whose ``network`` is not the address masked (ip_address.v7), a wireless
client connected longer than the router has been up (registration tables), and a
``tx-ccq`` of 113 % (interface_wireless_registration_table.v6). A
:class:`CoherentTable` wraps any menu's table and, per property read:

* interface references (``interface``, ``actual-interface``, ``in-interface``,
  ``out-interface``, ``vrf-interface``, ``gateway`` and ``immediate-gw`` when they
  name an interface, comma lists and ``address%interface`` forms) name one of the
  router's own interfaces: a name it lacks maps to one of its interfaces of the
  same kind (bridge, vlan, radio, PPPoE, else Ethernet), the same one every time;
* ``network`` is ``address`` masked by its prefix length, except on a
  point-to-point address (``/32``, ``/128``): there RouterOS reports the peer's
  address as ``network`` (ip_address.v7 notes), so the captured peer stays;
* ``uptime`` is at most the router's uptime;
* ``ccq``, ``tx-ccq`` and ``rx-ccq`` are at most 100 (percent).
"""

from __future__ import annotations

import ipaddress
import re
import zlib
from collections.abc import Sequence
from typing import Final

from mikromon.emulator.dynamics import render_duration
from mikromon.emulator.interfaces import Port
from mikromon.emulator.tables import Row, Table

#: Properties holding one interface name or a comma list of them.
INTERFACE_KEYS: Final = frozenset({"interface", "actual-interface", "in-interface",
                                   "out-interface", "vrf-interface"})
#: Properties holding gateways: an address, an interface, ``address%interface``, lists.
GATEWAY_KEYS: Final = frozenset({"gateway", "immediate-gw"})
#: Percent properties capped at 100.
PERCENT_KEYS: Final = frozenset({"ccq", "tx-ccq", "rx-ccq"})
#: Duration properties capped at the router's uptime.
UPTIME_KEYS: Final = frozenset({"uptime"})

_DURATION = re.compile(r"(\d+)(ms|w|d|h|m|s)")
_UNIT = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
#: Interface kinds a foreign name maps to, by the start of the name.
_KINDS: Final = (("br", ("bridge",)), ("vlan", ("vlan",)), ("wlan", ("wlan", "wifi", "wifiwave2")),
                 ("wifi", ("wifi", "wifiwave2", "wlan")), ("pppoe", ("pppoe-out",)))


def duration_seconds(text: str) -> float | None:
    """Return a RouterOS duration (``5d9m11s``, ``4s750ms``) in seconds, ``None`` when
    ``text`` is not one (ROUTEROS-API.md §7 duration rendering)."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(int(n) * _UNIT[u] for n, u in parts)


class InterfaceNames:
    """Maps interface names from captures onto a router's own interfaces.

    Args:
        ports: the router's interfaces (:func:`mikromon.emulator.interfaces.ports`).
        extra: further names the router has and keeps as they are (the dynamic
            interfaces a CAPsMAN manager creates for its CAPs, ``cap1``).
    """

    def __init__(self, ports: Sequence[Port], extra: Sequence[str] = ()) -> None:
        self._names = [p.name for p in ports]
        self._known = set(self._names) | set(extra)
        self._kinds = {p.name: p.kind for p in ports}
        self._cache: dict[str, str] = {}

    def one(self, name: str) -> str:
        """Return ``name`` if the router has it, else the interface it stands for."""
        if name in self._known or not name or not self._names:
            return name
        hit = self._cache.get(name)
        if hit is None:
            hit = self._cache[name] = self._pick(name)
        return hit

    def _pick(self, name: str) -> str:
        lower = name.lower()
        candidates: list[str] = []
        for prefix, kinds in _KINDS:
            if lower.startswith(prefix):
                candidates = [n for n in self._names
                              if any(self._kinds[n].startswith(k) or n.startswith(k)
                                     for k in kinds)]
                break
        if not candidates:
            candidates = [n for n in self._names if self._kinds[n] == "ether"] or self._names
        return candidates[zlib.crc32(name.encode()) % len(candidates)]

    def interfaces(self, value: str) -> str:
        """Map a comma list of interface names."""
        return ",".join(self.one(part) for part in value.split(","))

    def gateways(self, value: str) -> str:
        """Map a comma list of gateways (addresses kept, interfaces mapped)."""
        out = []
        for part in value.split(","):
            address, sep, iface = part.partition("%")
            if sep:
                out.append(f"{address}%{self.one(iface)}")
            elif part and not _is_address(part):
                out.append(self.one(part))
            else:
                out.append(part)
        return ",".join(out)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def masked_network(address: str) -> str | None:
    """Return the network address of ``address`` (``10.64.247.75/24`` ->
    ``10.64.247.0``), ``None`` when it is not an address with a prefix length or
    is a point-to-point one (``/32``, ``/128``: its ``network`` is the peer)."""
    if "/" not in address:
        return None
    try:
        iface = ipaddress.ip_interface(address)
    except ValueError:
        return None
    if iface.network.prefixlen == iface.max_prefixlen:
        return None
    return str(iface.network.network_address)


class CoherentTable:
    """A menu's table whose rows agree with the router (see the module docstring).

    Args:
        inner: the table as built from captures or generators.
        names: the router's interface name mapping.
        uptime: the router's uptime at this read, seconds.
    """

    def __init__(self, inner: Table, names: InterfaceNames, uptime: float) -> None:
        self._inner = inner
        self._names = names
        self._uptime = uptime

    def __len__(self) -> int:
        return len(self._inner)

    def get(self, index: int, key: str) -> str | None:
        value = self._inner.get(index, key)
        if value is None:
            return None
        if key == "network":
            return masked_network(self._inner.get(index, "address") or "") or value
        return self._fix(key, value)

    def _fix(self, key: str, value: str) -> str:
        if key in INTERFACE_KEYS:
            return self._names.interfaces(value)
        if key in GATEWAY_KEYS:
            return self._names.gateways(value)
        if key in PERCENT_KEYS and value.isdigit() and int(value) > 100:
            return "100"
        if key in UPTIME_KEYS:
            seconds = duration_seconds(value)
            if seconds is not None and seconds > self._uptime:
                return render_duration(int(self._uptime))
        return value

    def row(self, index: int) -> Row:
        row = self._inner.row(index)
        out = {key: self._fix(key, value) for key, value in row.items()}
        if "network" in out:
            out["network"] = masked_network(row.get("address", "")) or out["network"]
        return out
