"""Fakes driven by data for the collector service: a router whose counters grow at
known rates on its clock (the real one, or the test's ManualClock), a client that
talks to it, a tier runner that reads it the way the real collectors do, and a
plain rate calculator."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mikromon.collectors.base import CollectContext
from mikromon.domain.clock import Clock, SystemClock
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.errors import (
    AuthenticationFailed,
    ConnectionLost,
    DeviceUnreachable,
    PathAbsent,
)
from mikromon.domain.inventory import CollectResult, DeviceFacts, InventorySnapshot
from mikromon.domain.samples import CounterBlock, CounterReading, Sample, make_labels
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import Row
from mikromon.schedule.deps import CollectorDeps

PASSWORD = "s3cret-pw"


@dataclass
class FakeRouter:
    """One router: reachable or not, with counters growing at ``rx_bps``/``tx_bps``
    (bits per second of ``clock``: give the collector's ManualClock to drive both)."""

    rx_bps: float = 8_000_000.0
    tx_bps: float = 2_000_000.0
    version: str = "7.16.2 (stable)"
    board: str = "hAP ax^2"
    password: str = PASSWORD
    uptime_at_start: float = 100_000.0
    links: dict[str, bool] = field(default_factory=lambda: {"ether1": True, "ether2": True})
    absent: set[str] = field(default_factory=lambda: {"/ip/hotspot/active"})
    up: bool = True
    hang: bool = False
    connects: int = 0
    logins_refused: int = 0
    prints: dict[str, int] = field(default_factory=dict)
    open_clients: int = 0
    max_in_flight: int = 0
    #: Resolution of the uptime the router reports, seconds (RouterOS: 1).
    uptime_step: float = 1.0
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        self.boot_mono = self.clock.monotonic() - self.uptime_at_start
        self._in_flight = 0

    def reboot(self) -> None:
        """Reset uptime and counters to zero."""
        self.boot_mono = self.clock.monotonic()

    def uptime(self) -> float:
        return self.clock.monotonic() - self.boot_mono

    def rows(self, path: str) -> list[Row]:
        self.prints[path] = self.prints.get(path, 0) + 1
        if path in self.absent:
            raise PathAbsent("no such command prefix", command=f"{path}/print")
        self.read_mono = self.clock.monotonic()
        up = self.read_mono - self.boot_mono
        if path == "/system/resource":
            uptime = up // self.uptime_step * self.uptime_step
            return [{"uptime": str(uptime), "version": self.version, "board-name": self.board,
                     "cpu-load": "7"}]
        if path == "/interface":
            return [
                {".id": f"*{i + 1}", "name": name, "running": "true" if running else "false",
                 "rx-byte": str(int(self.rx_bps / 8 * up)),
                 "tx-byte": str(int(self.tx_bps / 8 * up))}
                for i, (name, running) in enumerate(self.links.items())
            ]
        if path == "/ip/dhcp-server/lease":
            return [{"address": "192.0.2.10", "status": "bound"}]
        if path == "/log":
            return [{".id": "*1", "message": "system started"}]
        return []


class FakeClient:
    """A session with a FakeRouter; one command at a time like the real client."""

    def __init__(self, router: FakeRouter, label: str) -> None:
        self.router = router
        self.label = label
        self.closed = False
        self._lock = asyncio.Lock()
        #: per-command limits asked for through with_timeout(), seconds
        self.limits: list[float] = []
        router.open_clients += 1

    def with_timeout(self, seconds: float) -> FakeClient:
        """Record the limit (no command of a fake ever times out by itself)."""
        self.limits.append(seconds)
        return self

    async def print(
        self, path: str, proplist: Sequence[str], query: Sequence[str] = (),
        args: Mapping[str, str] | None = None, *, limit: object = None,
    ) -> list[Row]:
        async with self._lock:
            r = self.router
            if self.closed:
                raise ConnectionLost("session closed", device=self.label)
            if r.hang:  # blackholed: no reply ever
                await asyncio.sleep(3600)
            if not r.up:
                raise ConnectionLost("connection reset", device=self.label,
                                     command=f"{path}/print")
            r._in_flight += 1
            r.max_in_flight = max(r.max_in_flight, r._in_flight)
            try:
                await asyncio.sleep(0)
                return r.rows(path)
            finally:
                r._in_flight -= 1

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        return len(await self.print(path, ("count",), query))

    async def call(self, command: str, args: Mapping[str, str] | None = None, *,
                   limit: object = None) -> list[Row]:
        return []

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.router.open_clients -= 1


class FakeFleet:
    """Routers by device id, and the ``connect`` function of CollectorDeps.

    Args:
        clock: the routers' clock (default: the real one).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.routers: dict[int, FakeRouter] = {}
        self.clock = clock or SystemClock()

    def add(self, device_id: int, **kw: object) -> FakeRouter:
        kw.setdefault("clock", self.clock)
        router = FakeRouter(**kw)  # type: ignore[arg-type]
        self.routers[device_id] = router
        return router

    async def connect(self, config: DeviceConfig) -> FakeClient:
        router = self.routers[config.id]
        router.connects += 1
        if router.hang:
            await asyncio.sleep(3600)
        if not router.up:
            raise DeviceUnreachable("connection refused", device=config.label)
        if config.password != router.password:
            router.logins_refused += 1
            raise AuthenticationFailed("invalid user name or password", device=config.label)
        return FakeClient(router, config.label)


async def fake_run_tier(client: FakeClient, tier: Tier, ctx: CollectContext) -> CollectResult:
    """Read a FakeRouter like the real collectors read a router."""
    result = CollectResult()

    async def read(path: str) -> list[Row] | None:
        if path in ctx.absent:
            return None
        try:
            return await client.print(path, ("x",))
        except PathAbsent:
            result.absent.append(path)
            return None

    ts = ctx.clock()
    if tier is Tier.REALTIME:
        (res,) = await read("/system/resource") or [{}]
        uptime = float(res["uptime"])
        result.facts = DeviceFacts(version=res["version"], board=res["board-name"],
                                   uptime_s=uptime)
        result.samples.append(Sample("system.cpu.load_pct", float(res["cpu-load"]), ts))
        result.samples.append(Sample("system.uptime_seconds", uptime, ts))
        rows = await read("/interface") or []
        # The instant the counters were computed: rates come out exact, whatever
        # the scheduling noise between the reply and this line.
        mono = client.router.read_mono
        for row in rows:
            labels = make_labels(interface=row["name"])
            for field_, key in (("rx-byte", "iface.rx_bytes"), ("tx-byte", "iface.tx_bytes")):
                result.counters.append(CounterReading(
                    key, int(row[field_]), ts, mono, labels, row[".id"], 64))
    elif tier is Tier.SHORT:
        leases = await read("/ip/dhcp-server/lease") or []
        result.samples.append(Sample("dhcp.active_leases", float(len(leases)), ts))
        await read("/ip/hotspot/active")
    elif tier is Tier.MEDIUM:
        rows = await read("/interface") or []
        result.inventory.append(InventorySnapshot(
            table="interfaces", key_fields=("name",), ts=ts,
            rows=[{"name": r["name"], "running": r["running"] == "true"} for r in rows],
        ))
    elif tier is Tier.LONG:
        await read("/ip/address")
        result.inventory.append(InventorySnapshot(
            table="ip_addresses", key_fields=("address",), ts=ts, rows=[]))
    else:
        rows = await read("/log") or []
        result.inventory.append(InventorySnapshot(
            table="logs", key_fields=(".id",), ts=ts, append_only=True,
            rows=[dict(r) for r in rows]))
    return result


class PlainRates:
    """Counter -> rate: bits/s for *_bytes; no rate on a series' first reading, on a
    decrease, on a new identity, or when the uptime went back."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, tuple[tuple[str, str], ...]], CounterReading] = {}
        self._uptime: float | None = None

    def update(self, counters: Sequence[CounterReading | CounterBlock],
               uptime_s: float | None) -> list[Sample]:
        readings = [r for c in counters
                    for r in (c.readings() if isinstance(c, CounterBlock) else (c,))]
        rebooted = uptime_s is not None and self._uptime is not None and uptime_s < self._uptime
        if uptime_s is not None:
            self._uptime = uptime_s
        out = []
        for r in readings:
            prev = self._last.get((r.key, r.labels))
            self._last[(r.key, r.labels)] = r
            if prev is None or rebooted or prev.identity != r.identity or r.value < prev.value:
                continue
            dt = r.mono - prev.mono
            if dt <= 0:
                continue
            rate = (r.value - prev.value) / dt
            key = r.key.removesuffix("_bytes") + "_bps" if r.key.endswith("_bytes") else r.key
            if r.key.endswith("_bytes"):
                rate *= 8
            out.append(Sample(key, rate, r.ts, r.labels))
        return out

    update_items = update


def fake_deps(fleet: FakeFleet, **kw: object) -> CollectorDeps:
    """CollectorDeps wired to ``fleet``."""
    return CollectorDeps(connect=fleet.connect, run_tier=fake_run_tier,  # type: ignore[arg-type]
                         rates=PlainRates, **kw)  # type: ignore[arg-type]


def device(device_id: int, *, password: str = PASSWORD, **kw: object) -> DeviceConfig:
    """A DeviceConfig for fake router ``device_id`` (short timeouts)."""
    params: dict[str, object] = dict(
        id=device_id, name=f"r{device_id}", host="127.0.0.1", port=8728, username="admin",
        password=password, connect_timeout=0.5, command_timeout=0.5,
    )
    params.update(kw)
    return DeviceConfig(**params)  # type: ignore[arg-type]
