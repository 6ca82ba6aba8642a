"""Which device sent a syslog message: by source address.

Each device's configured ``host`` (an IP literal, or a name resolved once when
the device list changes) gives the addresses its messages come from. Several
devices on one address (routers behind one NAT, emulated routers on loopback)
are told apart by the message's host name, which RouterOS fills with its
identity (compared with the device's name or identity); otherwise the message
is ambiguous and dropped.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

log = logging.getLogger(__name__)

__all__ = ["AMBIGUOUS", "DeviceAddresses", "KnownDevice", "normalize_ip"]

#: :meth:`DeviceAddresses.match` result: several devices share the address.
AMBIGUOUS: Final = -1
#: Seconds allowed for resolving one host name.
RESOLVE_TIMEOUT_S: Final = 5.0


def normalize_ip(text: str) -> str | None:
    """Return ``text`` as a canonical IP address (IPv4-mapped IPv6 as IPv4, scope
    dropped), or ``None`` when it is no IP literal."""
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0].strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return str(addr)


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A device as the matcher sees it: id, name, configured host, identity."""

    id: int
    name: str
    host: str
    identity: str = ""


class DeviceAddresses:
    """Source address -> device. Rebuilt with :meth:`update` when devices change;
    :meth:`match` is a dictionary look-up (called per message)."""

    def __init__(self) -> None:
        self._by_ip: dict[str, tuple[KnownDevice, ...]] = {}
        self._resolved: dict[str, tuple[str, ...]] = {}

    async def update(self, devices: Iterable[KnownDevice]) -> None:
        """Take the current devices; host names not seen before are resolved (at
        most :data:`RESOLVE_TIMEOUT_S` each; a failure leaves that device
        unmatched and is logged)."""
        devices = list(devices)
        loop = asyncio.get_running_loop()
        resolved: dict[str, tuple[str, ...]] = {}
        for d in devices:
            host = d.host.strip()
            if host in resolved:
                continue
            literal = normalize_ip(host)
            if literal is not None:
                resolved[host] = (literal,)
            elif self._resolved.get(host):
                resolved[host] = self._resolved[host]  # resolved once; failures again
            else:
                resolved[host] = await _resolve(loop, host)
        self._resolved = resolved
        by_ip: dict[str, list[KnownDevice]] = {}
        for d in devices:
            for ip in resolved.get(d.host.strip(), ()):
                by_ip.setdefault(ip, []).append(d)
        self._by_ip = {ip: tuple(ds) for ip, ds in by_ip.items()}

    def set_identity(self, device_id: int, identity: str) -> None:
        """Record a device's identity (what RouterOS puts as the syslog host name)."""
        self.set_identities({device_id: identity})

    def set_identities(self, identities: Mapping[int, str]) -> None:
        """Record devices' identities; only addresses shared by several devices need
        them, so only those are updated (cheap to call often)."""
        for ip, ds in self._by_ip.items():
            if len(ds) > 1 and any(identities.get(d.id, d.identity) != d.identity for d in ds):
                self._by_ip[ip] = tuple(
                    KnownDevice(d.id, d.name, d.host, identities.get(d.id, d.identity))
                    for d in ds)

    def match(self, ip: str, hostname: str = "") -> int | None:
        """Return the device id for a message from ``ip``; ``None``: unknown source;
        :data:`AMBIGUOUS`: several devices on ``ip`` and the host name names none
        (or several) of them."""
        found = self._by_ip.get(ip)
        if found is None:
            norm = normalize_ip(ip)
            found = self._by_ip.get(norm) if norm is not None else None
        if not found:
            return None
        if len(found) == 1:
            return found[0].id
        if hostname:
            named = [d for d in found if hostname in (d.name, d.identity)]
            if len(named) == 1:
                return named[0].id
        return AMBIGUOUS

    def __len__(self) -> int:
        return len(self._by_ip)


async def _resolve(loop: asyncio.AbstractEventLoop, host: str) -> tuple[str, ...]:
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, TimeoutError, UnicodeError) as err:
        log.warning("syslog: cannot resolve device host %r (%s); its messages will not "
                    "be matched until the next configuration change tries again", host, err)
        return ()
    out = []
    for info in infos:
        ip = normalize_ip(str(info[4][0]))
        if ip is not None and ip not in out:
            out.append(ip)
    return tuple(out)
