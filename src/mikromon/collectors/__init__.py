"""WHAT WE READ: one module per RouterOS resource, named after its path.

:func:`run_tier` runs every collector of a tier against one router session and
merges their results; :mod:`mikromon.collectors.registry` lists the collectors.
"""

from __future__ import annotations

import logging

from mikromon.collectors.base import CollectContext, Collector
from mikromon.collectors.context import context_for, detect_context
from mikromon.collectors.registry import collectors_for
from mikromon.domain.errors import (
    AuthenticationFailed,
    ConnectionLost,
    DeviceUnreachable,
    MalformedReply,
    MikromonError,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient

__all__ = ["CollectContext", "Collector", "context_for", "detect_context", "run_tier"]

log = logging.getLogger(__name__)

#: Errors that mean the session itself is gone: asking the next collector would
#: only wait for another timeout, so they end the tier.
SESSION_ERRORS = (DeviceUnreachable, ConnectionLost, MalformedReply, AuthenticationFailed)


async def run_tier(client: RouterOSClient, tier: Tier, ctx: CollectContext) -> CollectResult:
    """Run every collector of ``tier`` and merge what they read.

    Paths in ``ctx.absent`` are skipped without asking; paths found missing now
    are listed in ``result.absent`` (``ctx`` is not changed: the caller decides
    how long to remember them). A collector that fails for any other reason
    (``CommandFailed``, an unparseable reply, a bug) is recorded in
    ``result.failures`` as ``"<collector>: <message>"`` and the others go on.

    Args:
        client: a logged-in router session.
        tier: the tier to run.
        ctx: what is known about the router.

    Returns:
        The merged result of the tier's collectors.

    Raises:
        DeviceUnreachable, ConnectionLost, MalformedReply, AuthenticationFailed:
            the session broke; the tier stops there.
    """
    result = CollectResult()
    for collector in collectors_for(tier):
        try:
            part = await collector.collect(client, ctx)
        except SESSION_ERRORS:
            raise
        except Exception as err:  # one collector never stops the others
            # A traceback only for what is not a router's answer: that is a bug.
            log.warning("%s: collector %s failed: %s", ctx.device, collector.name, err,
                        exc_info=not isinstance(err, MikromonError))
            result.failures.append(f"{collector.name}: {err}")
            continue
        result.merge(part)
    return result
