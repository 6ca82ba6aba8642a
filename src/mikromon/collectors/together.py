"""The prints of one tier sent together: one round trip for all of them.

A tier's :class:`~mikromon.collectors.table_collectors.PrintCollector` s that
print one path each (their ``collect`` is the stock one) are independent: none
needs another's reply. :func:`print_together` sends their prints at once
(:func:`mikromon.routeros.base.print_all`: tagged on one connection,
shared/ROUTEROS-API.md §4) and maps each reply as its collector's ``collect``
would. The realtime tier (``/system/resource``, ``/system/health``,
``/interface``) is three such prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from mikromon.collectors.base import CollectContext, Collector
from mikromon.collectors.table_collectors import PrintCollector
from mikromon.domain.inventory import CollectResult
from mikromon.routeros.base import RouterOSClient, print_all


def together(collectors: Sequence[Collector], ctx: CollectContext) -> list[PrintCollector]:
    """Return the collectors of ``collectors`` whose prints can go together:
    stock :class:`PrintCollector` s whose path is not known absent."""
    return [c for c in collectors if isinstance(c, PrintCollector)
            and type(c).collect is PrintCollector.collect and c.path not in ctx.absent]


async def print_together(
    client: RouterOSClient, collectors: Sequence[Collector], ctx: CollectContext,
) -> dict[Collector, CollectResult | Exception]:
    """Run the prints of :func:`together` at once when there are two or more
    (never while ``ctx.one_at_a_time``).

    Returns:
        For each collector run so: what its ``collect`` would have returned, or
        what it would have raised (``CommandFailed`` of its print, a bug of its
        mapping). ``{}`` when fewer than two could go together or
        ``ctx.one_at_a_time`` (the caller runs each collector itself).

    Raises:
        DeviceError: the session broke (timeout, lost connection, malformed
            reply, a reply past its limit): no collector got its reply.
    """
    if ctx.one_at_a_time:
        return {}
    batch = together(collectors, ctx)
    if len(batch) < 2:
        return {}
    replies = await print_all(client, [c.request() for c in batch])
    out: dict[Collector, CollectResult | Exception] = {}
    for collector, reply in zip(batch, replies, strict=True):
        try:
            out[collector] = collector.take(reply, ctx)
        except Exception as err:  # one collector never stops the others
            out[collector] = err
    return out
