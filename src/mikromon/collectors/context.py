"""Building a :class:`CollectContext` from what the router says about its version."""

from __future__ import annotations

from collections.abc import Iterable

from mikromon.collectors.base import CollectContext
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values.versions import version_hint


def learn_version(ctx: CollectContext, version: str | None) -> tuple[int, ...]:
    """Set ``ctx.version`` and ``ctx.major`` from a router's version text; return
    what could be read of it (``()``: nothing, and ``ctx`` is left as it was).

    What the version says only orders the collectors' questions: the replies
    decide how they are read (see :mod:`mikromon.collectors.system_health`,
    :mod:`mikromon.collectors.routing_bgp`, :mod:`mikromon.collectors.interface_wifi`).

    Args:
        ctx: changed in place.
        version: ``/system/resource`` ``version`` (``7.16.2 (stable)``, ``6.49``,
            ``7.19beta2``); what can be read of it counts
            (:func:`~mikromon.routeros.values.versions.version_hint`: ``7.x (development)``
            gives major 7 and version ``(7,)``); ``None`` or text without a version
            changes nothing.
    """
    parts = version_hint(version)
    if parts:
        ctx.version = parts
        ctx.major = parts[0]
    return parts


def context_for(
    device: str, version: str | None, absent: Iterable[str] = ()
) -> CollectContext:
    """Return the context for a router reporting ``version``
    (:func:`learn_version`: ``None`` or text without a version gives major 7 and
    an unknown version ``()``).

    Args:
        device: the device's label for messages.
        version: ``/system/resource`` ``version``.
        absent: paths already known to be missing.
    """
    ctx = CollectContext(device=device, absent=set(absent))
    learn_version(ctx, version)
    return ctx


async def read_version(client: RouterOSClient) -> str | None:
    """Ask the router its version: ``/system/resource`` with proplist ``version``
    (as the realtime tier's ``system_resource`` collector reads it); ``None`` when
    the reply has no version.

    Raises:
        DeviceError: from the client.
    """
    rows = await client.print("/system/resource", ("version",))
    return (rows[0].get("version") or None) if rows else None


async def detect_context(
    client: RouterOSClient, device: str, absent: Iterable[str] = ()
) -> CollectContext:
    """Ask the router its version (:func:`read_version`) and return its context.

    Raises:
        DeviceError: from the client.
    """
    return context_for(device, await read_version(client), absent)
