"""WHAT WE READ: one module per RouterOS resource, named after its path.

:func:`run_tier` runs every collector of a tier against one router session and
merges their results; :mod:`mikromon.collectors.registry` lists the collectors.
"""

from __future__ import annotations

import logging

from mikromon.collectors.base import CollectContext, Collector
from mikromon.collectors.context import context_for, detect_context
from mikromon.collectors.registry import collectors_for
from mikromon.collectors.together import print_together
from mikromon.domain.errors import (
    AuthenticationFailed,
    ConnectionLost,
    DeviceError,
    DeviceUnreachable,
    MalformedReply,
    MikromonError,
)
from mikromon.domain.inventory import CollectResult
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient

__all__ = [
    "CollectContext", "Collector", "context_for", "detect_context", "failure_text", "run_tier",
]

#: Not ``log``: that name is the collector module of ``/log``.
_log = logging.getLogger(__name__)

#: Errors that mean the session itself is gone: asking the next collector would
#: only wait for another timeout, so they end the tier.
SESSION_ERRORS = (DeviceUnreachable, ConnectionLost, MalformedReply, AuthenticationFailed)


def failure_text(collector: str, err: BaseException) -> str:
    """Return the ``result.failures`` entry for ``collector`` failing with ``err``.

    The shape is ``"<collector>: <message>"``. A :class:`DeviceError` gives its
    message and command but not its device: whoever reports the failure names
    the device once. Anything that is not a :class:`MikromonError` (a bug) is
    prefixed with its type, so the one line the scheduler logs says what broke.

    Args:
        collector: the collector's registry name.
        err: what it raised.
    """
    if isinstance(err, DeviceError):
        message = err.message or type(err).__name__
        if err.command:
            message = f"{message} (command {err.command})"
    elif isinstance(err, MikromonError):
        message = str(err) or type(err).__name__
    else:
        message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return f"{collector}: {message}"


async def run_tier(client: RouterOSClient, tier: Tier, ctx: CollectContext) -> CollectResult:
    """Run every collector of ``tier`` and merge what they read.

    Paths in ``ctx.absent`` are skipped without asking; paths found missing now
    are listed in ``result.absent`` (``ctx`` is not changed: the caller decides
    how long to remember them). A collector that fails for any other reason
    (``CommandFailed``, an unparseable reply, a bug) is recorded in
    ``result.failures`` as ``"<collector>: <message>"`` (:func:`failure_text`)
    and the others go on.

    Failures are logged at DEBUG only (with the traceback when the error is not
    a :class:`MikromonError`, i.e. a bug): a collector that fails on every poll
    would otherwise log on every poll. Reporting them, once when a tier starts
    failing and once when it works again, is the caller's job (the scheduler).

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
    collectors = collectors_for(tier)
    printed = await print_together(client, collectors, ctx)
    for collector in collectors:
        try:
            part = printed[collector] if collector in printed else await collector.collect(
                client, ctx)
            if isinstance(part, Exception):
                raise part
        except SESSION_ERRORS:
            raise
        except Exception as err:  # one collector never stops the others
            text = failure_text(collector.name, err)
            # A traceback only for what is not a router's answer: that is a bug.
            _log.debug("%s: collector %s", ctx.device, text,
                      exc_info=not isinstance(err, MikromonError))
            result.failures.append(text)
            continue
        result.merge(part)
    return result
