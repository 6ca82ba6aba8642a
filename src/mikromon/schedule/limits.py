"""How long one device's tiers may take: per command and per run, normal or slow.

A tier's commands may take max(its interval, a floor), but never more than the
device's ``command_timeout``; a slow router's realtime commands get the whole
``command_timeout``. A whole run may take the connect timeout plus five of its
commands' limits (waits for the other tiers' commands not counted).
"""

from __future__ import annotations

from collections.abc import Mapping

from mikromon.domain.devices import DeviceConfig
from mikromon.domain.tiers import Tier


class TierLimits:
    """One device's time limits per tier, seconds.

    Args:
        config: the device (``command_timeout``, ``connect_timeout``).
        intervals: tier -> interval as run (scaled), seconds.
        floor: shortest per-command limit, seconds (not scaled).
        slow: whether the router is slow now.

    Attributes:
        normal: tier -> what each command may take on a router that is not slow.
        reply: tier -> what each command may take now.
        run: tier -> what a whole run may take now (also bounds clients without
            per-command limits).
    """

    def __init__(self, config: DeviceConfig, intervals: Mapping[Tier, float], *,
                 floor: float, slow: bool = False) -> None:
        self._config = config
        self.normal = {
            t: min(config.command_timeout, max(intervals[t], floor)) for t in Tier
        }
        self.reply = dict(self.normal)
        self.run: dict[Tier, float] = {}
        self.set_slow(slow)

    def set_slow(self, slow: bool) -> None:
        """Give the realtime commands the whole command timeout (a slow router) or
        their normal limit, and size the tiers' run limits to match."""
        limit = self._config.command_timeout
        normal = self.normal[Tier.REALTIME]
        self.reply[Tier.REALTIME] = max(normal, limit) if slow else normal
        for t in Tier:
            self.run[t] = self._config.connect_timeout + 5 * self.reply[t]
