"""The collector service's devices: one running
:class:`~mikromon.schedule.device.DeviceCollector` per enabled device, the
disabled ones, and what is remembered of each across its collectors.

:meth:`DeviceFleet.apply` makes them match a freshly loaded device list (the
plan is :func:`~mikromon.schedule.reload.plan_reload`'s): collectors start, stop,
or restart with what they learnt when the device still points at the same router;
each change is logged and becomes a ``config_reloaded`` event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Protocol

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.events import DeviceState, DeviceStatus, Event, EventKind
from mikromon.domain.formatting import utc_iso
from mikromon.domain.names import natural_key
from mikromon.schedule.changes import DeviceMemory
from mikromon.schedule.deps import CollectorDeps, StorageQueue
from mikromon.schedule.device import Carry, DeviceCollector, Remembered
from mikromon.schedule.reload import describe_change, plan_reload, same_router
from mikromon.schedule.status import DeviceStatusDoc
from mikromon.schedule.storage_calls import DeviceWriteStats

__all__ = ["DeviceFleet", "WriteCounts"]

log = logging.getLogger("mikromon.schedule.service")

#: A device's write counts when there is no writer.
_NO_WRITES: Final[DeviceWriteStats] = {"rows_dropped": 0, "rows_failed": 0, "last_error": ""}


class WriteCounts(Protocol):
    """What the fleet's status asks of the writer
    (:class:`~mikromon.schedule.writer.StorageWriter`)."""

    def device_stats(self, device_id: int) -> DeviceWriteStats:
        """The device's rows dropped and lost, and its last write error."""
        ...


def _event(device_id: int, ts: datetime, message: str) -> Event:
    return Event(device_id=device_id, ts=ts, kind=EventKind.CONFIG_RELOADED, message=message)


class DeviceFleet:
    """The collectors of one service (used from its event loop; :meth:`status`
    from any thread).

    Args:
        deps: what every collector is built with.
        stop_timeout: seconds given to a collector's in-flight runs to unwind.

    Attributes:
        collectors: device id -> its running collector.
        disabled: device id -> (config, when it was loaded) of disabled devices.
    """

    def __init__(self, deps: CollectorDeps, stop_timeout: float) -> None:
        self._deps = deps
        self._stop_timeout = stop_timeout
        self.collectors: dict[int, DeviceCollector] = {}
        self.disabled: dict[int, tuple[DeviceConfig, datetime]] = {}
        #: What is remembered of each device across its collectors (until deleted).
        self._remembered: dict[int, Remembered] = {}

    def configs(self) -> list[DeviceConfig]:
        """Every known device's config: the polled ones, then the disabled ones."""
        return [*(c.config for c in self.collectors.values()),
                *(cfg for cfg, _ in self.disabled.values())]

    def address_of(self, device_id: int) -> tuple[str, str] | None:
        """``(name, host)`` of a polled device, ``None`` when unknown (any thread)."""
        collector = self.collectors.get(device_id)
        return (collector.config.name, collector.config.host) if collector else None

    def identities(self) -> dict[int, str]:
        """Device id -> the identity its router reported (devices that did)."""
        return {i: c.memory.facts.identity for i, c in list(self.collectors.items())
                if c.memory.facts.identity}

    async def apply(self, devices: Sequence[DeviceConfig], queue: StorageQueue, *,
                    initial: bool = False) -> None:
        """Start, stop or restart collectors to match ``devices`` (every device of
        the source, enabled or not); statuses of disabled devices and the events
        of the changes go to ``queue``."""
        now = self._deps.clock.now()
        plan = plan_reload(
            {i: c.config for i, c in self.collectors.items()},
            {i: cfg for i, (cfg, _) in self.disabled.items()},
            devices,
        )
        events: list[Event] = []
        stopping = [self.collectors.pop(i) for i in plan.stop]
        await asyncio.gather(*(c.stop(self._stop_timeout) for c in stopping))
        for device_id in plan.deleted:
            coll = next((c for c in stopping if c.device_id == device_id), None)
            cfg = coll.config if coll is not None else self.disabled[device_id][0]
            self.disabled.pop(device_id, None)
            self._remembered.pop(device_id, None)
            log.info("device %s %s: polling stopped", cfg.label, "deleted or handed to "
                     "another collector" if self._deps.shared_fleet else "deleted")
        for cfg in plan.disabled:
            self.disabled[cfg.id] = (cfg, now)
            if cfg.id in self._remembered:
                self._remembered[cfg.id].forget_outage()
            queue.put_status(DeviceStatus(device_id=cfg.id, state=DeviceState.DISABLED, ts=now))
            if any(c.device_id == cfg.id for c in stopping):
                log.info("device %s disabled: polling stopped", cfg.label)
                events.append(_event(cfg.id, now, "device disabled; polling stopped"))
        for cfg in plan.start:
            enabled_again = self.disabled.pop(cfg.id, None) is not None
            self._start(cfg, queue, now, None)
            if enabled_again:
                log.info("device %s enabled: polling starts", cfg.label)
                events.append(_event(cfg.id, now, "device enabled; polling starts"))
            elif not initial:
                how = "added or taken over" if self._deps.shared_fleet else "added"
                log.info("device %s %s: polling starts", cfg.label, how)
                events.append(_event(cfg.id, now, f"device {how}; polling starts"))
        for old_cfg, cfg in plan.restart:
            change = describe_change(old_cfg, cfg)
            # The old collector stays listed (status) until its successor replaces it.
            carry = await self.collectors[cfg.id].stop(self._stop_timeout)
            if not same_router(old_cfg, cfg):
                carry = dataclasses.replace(carry, memory=DeviceMemory(), rates={},
                                            tier_errors={})
                # Another router perhaps: what was absent on the old one may not be.
                self._remembered.get(cfg.id, Remembered()).announced_absent.clear()
            self._start(cfg, queue, now, carry)
            log.info("device %s reconfigured (%s): polling it again with the new settings",
                     cfg.label, change)
            events.append(_event(cfg.id, now, f"configuration reloaded: {change}"))
        if events:
            queue.put_events(events)
        if initial:
            log.info("polling %d device(s) (%d disabled)", len(self.collectors),
                     len(self.disabled))

    def _start(self, cfg: DeviceConfig, queue: StorageQueue, now: datetime,
               carry: Carry | None) -> None:
        remembered = self._remembered.setdefault(cfg.id, Remembered())
        coll = DeviceCollector(cfg, self._deps, queue, loaded_at=now, carry=carry,
                               remembered=remembered)
        self.collectors[cfg.id] = coll
        coll.start()

    async def stop_all(self) -> None:
        """Stop every collector and forget the disabled devices (what is remembered
        of each device stays)."""
        colls = list(self.collectors.values())
        self.collectors.clear()
        self.disabled.clear()
        if colls:
            await asyncio.gather(*(c.stop(self._stop_timeout) for c in colls))

    def status(self, writer: WriteCounts | None) -> list[DeviceStatusDoc]:
        """Return every device's status, sorted by name (naturally: ``demo-2``
        before ``demo-10``): the collectors'
        :meth:`DeviceCollector.status` dicts and disabled devices (state ``disabled``,
        no tiers), each with the writer's ``rows_dropped``, ``rows_failed`` and
        ``write_error`` for it."""
        # Read from the caller's thread without waiting for a busy loop: the
        # snapshots below are single C-level operations under the GIL, and a
        # collector's status reads only its own attributes.
        clock = self._deps.clock
        now = (clock.monotonic(), clock.now())
        out: list[DeviceStatusDoc] = [c.status(now) for c in list(self.collectors.values())]
        for config, loaded_at in list(self.disabled.values()):
            out.append({
                "id": config.id, "name": config.label, "state": DeviceState.DISABLED.value,
                "config_loaded_at": utc_iso(loaded_at), "last_error": "", "tiers": {},
            })
        for entry in out:
            counts = writer.device_stats(entry["id"]) if writer is not None else _NO_WRITES
            entry["rows_dropped"] = counts["rows_dropped"]
            entry["rows_failed"] = counts["rows_failed"]
            entry["write_error"] = counts["last_error"]
        out.sort(key=lambda d: (natural_key(d["name"]), d["name"], d["id"]))
        return out
