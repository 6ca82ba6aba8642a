"""Applying a new device list: which collectors start, stop or restart. Pure.

Devices are compared by :meth:`DeviceConfig.config_hash`: equal hashes poll
identically, so only devices whose hash changed are restarted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import mikromon.schedule.trigger as trigger
from mikromon.domain.devices import DeviceConfig
from mikromon.domain.tiers import Tier


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """What to do to match a freshly loaded device list.

    Attributes:
        start: enabled devices without a collector (added, or enabled again).
        restart: enabled devices whose configuration changed: (old, new).
        stop: ids of running collectors whose device was deleted or disabled.
        disabled: disabled devices that are new to the service or changed.
        deleted: ids of devices gone from the list (running or disabled before).
    """

    start: list[DeviceConfig] = field(default_factory=list)
    restart: list[tuple[DeviceConfig, DeviceConfig]] = field(default_factory=list)
    stop: list[int] = field(default_factory=list)
    disabled: list[DeviceConfig] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)


def plan_reload(
    running: Mapping[int, DeviceConfig],
    disabled: Mapping[int, DeviceConfig],
    loaded: Sequence[DeviceConfig],
) -> ReloadPlan:
    """Compare what runs with what was loaded.

    Args:
        running: device id -> config of every running collector.
        disabled: device id -> config of every disabled device already known.
        loaded: every device from the source (enabled or not).
    """
    plan = ReloadPlan()
    wanted = {d.id: d for d in loaded}
    for device_id in running:
        cfg = wanted.get(device_id)
        if cfg is None or not cfg.enabled:
            plan.stop.append(device_id)
    plan.deleted.extend(i for i in (*running, *disabled) if i not in wanted)
    for cfg in loaded:
        old = running.get(cfg.id)
        if not cfg.enabled:
            known = disabled.get(cfg.id)
            if known is None or known.config_hash() != cfg.config_hash():
                plan.disabled.append(cfg)
        elif old is None:
            plan.start.append(cfg)
        elif old.config_hash() != cfg.config_hash():
            plan.restart.append((old, cfg))
    return plan


def same_router(old: DeviceConfig, new: DeviceConfig) -> bool:
    """Return whether two configs of one device still point at the same router (what
    was learnt about it, rates and facts, stays valid)."""
    return (old.host, old.port, old.use_ssl) == (new.host, new.port, new.use_ssl)


def describe_change(old: DeviceConfig, new: DeviceConfig) -> str:
    """Return what changed between two configs of a device, in words (a password
    change is named, never shown)."""
    parts: list[str] = []
    for tier in Tier:
        a = trigger.configured_interval(tier, old.intervals)
        b = trigger.configured_interval(tier, new.intervals)
        if a != b:
            parts.append(f"{tier.value} interval {a:g} s -> {b:g} s")
    for name in ("name", "host", "port", "username", "use_ssl", "tls_verify", "encoding",
                 "connect_timeout", "command_timeout"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            parts.append(f"{name} {a} -> {b}")
    if old.password != new.password:
        parts.append("password changed")
    return ", ".join(parts) or "no visible change"
