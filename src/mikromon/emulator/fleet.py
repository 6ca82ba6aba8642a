"""Many emulated routers in one event loop.

Ports: with ``base_port`` P and N routers, router ``i`` serves the API on ``P + i``
and API-SSL on ``P + N + i``; with ``base_port=0`` every port is picked by the OS.
An idle fleet runs no timers, so 1,000 routers cost almost no CPU
(bench/emulator_scale.py measures it).
"""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from mikromon.domain.clock import Clock
from mikromon.emulator.loopback import LOCALHOST, ensure_loopback
from mikromon.emulator.profile_model import Profile
from mikromon.emulator.profiles import profile_for
from mikromon.emulator.router import Router
from mikromon.emulator.server import RouterEmulator
from mikromon.emulator.tls import TlsMode


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """How to reach one emulated router (what ``simulate --json`` prints per line).

    Attributes:
        host: loopback IP.
        port: API port.
        tls_port: API-SSL port or ``None``.
        username: login name.
        password: password.
        version: RouterOS version (``"7.16.2"``).
        profile: profile name.
        identity: ``/system/identity`` name.
        tls_mode: ``"cert"``/``"adh"``, or ``None`` without API-SSL.
    """

    host: str
    port: int
    tls_port: int | None
    username: str
    password: str
    version: str
    profile: str
    identity: str
    tls_mode: str | None

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-ready dict."""
        return asdict(self)


def raise_file_limit() -> tuple[int, int]:
    """Raise this process's open-file soft limit to its hard limit (each router
    needs 1-2 listening sockets plus its connections). Returns ``(soft, hard)``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft, hard


class Fleet:
    """``count`` routers sharing one event loop.

    Args:
        count: number of routers (>= 1).
        profile: a profile name (``v6``, ``v6-legacy``, ``v7``, ``v7-empty``, ``chr``,
            ``mixed``) or a :class:`Profile` used for every router.
        base_port: first API port, or 0 for OS-chosen ports.
        tls: serve API-SSL as well.
        tls_mode: ``"cert"`` or ``"adh"``.
        username: login name for every router.
        password: password for every router.
        host: loopback address to bind.
        clock: shared clock (default: each router's monotonic clock).
        identities: ``/system/identity`` name per router, in fleet order (default
            ``rtr-0001``, ``rtr-0002``, ...); must name every router.
        traffic_swing: when set, every router's profile gets this
            :attr:`Profile.traffic_swing` (traffic that moves over time); ``None``
            keeps the profiles' own (constant for the named profiles).

    Raises:
        ValueError: bad count, port range, host, profile name, swing or identities.
    """

    def __init__(
        self,
        count: int,
        *,
        profile: str | Profile = "v7",
        base_port: int = 0,
        tls: bool = False,
        tls_mode: TlsMode = "cert",
        username: str = "admin",
        password: str = "admin",
        host: str = LOCALHOST,
        clock: Clock | None = None,
        identities: Sequence[str] | None = None,
        traffic_swing: float | None = None,
    ) -> None:
        if count < 1:
            raise ValueError(f"router count must be >= 1, got {count}")
        if identities is not None and len(identities) != count:
            raise ValueError(f"{len(identities)} identities given for {count} routers")
        last = base_port + count * (2 if tls else 1) - 1
        if base_port < 0 or (base_port and last > 65535):
            raise ValueError(f"ports {base_port}..{last} do not fit in 1..65535")
        host = ensure_loopback(host)
        self.routers: list[RouterEmulator] = []
        for i in range(count):
            chosen = profile_for(profile, i)
            if traffic_swing is not None:
                chosen = chosen.replace(traffic_swing=traffic_swing)
            router = Router(chosen, index=i, clock=clock,
                            identity=identities[i] if identities is not None else None)
            self.routers.append(RouterEmulator(
                router, host=host, port=base_port + i if base_port else 0, tls=tls,
                tls_port=base_port + count + i if base_port else 0, tls_mode=tls_mode,
                username=username, password=password))

    def __len__(self) -> int:
        return len(self.routers)

    def __getitem__(self, index: int) -> RouterEmulator:
        return self.routers[index]

    async def start(self) -> None:
        """Start every router; on failure stop the ones started and re-raise.

        Raises:
            OSError: a port could not be bound.
        """
        raise_file_limit()
        try:
            for emulator in self.routers:
                await emulator.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every router (safe to call twice)."""
        await asyncio.gather(*(r.stop() for r in self.routers), return_exceptions=True)

    def endpoints(self) -> list[Endpoint]:
        """How to reach each router, in fleet order."""
        return [endpoint(r) for r in self.routers]


def endpoint(r: RouterEmulator) -> Endpoint:
    """Return the :class:`Endpoint` of a started router."""
    return Endpoint(
        host=r.host, port=r.port, tls_port=r.tls_port, username=r.username,
        password=r.password, version=r.profile.version, profile=r.profile.name,
        identity=r.router.identity, tls_mode=r.tls_mode if r.tls_port is not None else None,
    )


def endpoints_table(items: Sequence[Endpoint]) -> str:
    """Render endpoints as an aligned text table (for people)."""
    header = ("#", "host", "api", "api-ssl", "user", "password", "version", "profile",
              "identity")
    rows = [header] + [
        (str(i), e.host, str(e.port), "-" if e.tls_port is None else f"{e.tls_port}"
         + (f" ({e.tls_mode})" if e.tls_mode else ""),
         e.username, e.password, e.version, e.profile, e.identity)
        for i, e in enumerate(items)
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)
