"""Building a :class:`CollectContext` from what the router says about its version."""

from __future__ import annotations

from collections.abc import Iterable

from mikromon.collectors.base import CollectContext
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values import version_hint


def context_for(
    device: str, version: str | None, absent: Iterable[str] = ()
) -> CollectContext:
    """Return the context for a router reporting ``version``.

    What the version says only orders the collectors' questions: the replies
    decide how they are read (see :mod:`mikromon.collectors.system_health`,
    :mod:`mikromon.collectors.routing_bgp`, :mod:`mikromon.collectors.interface_wifi`).

    Args:
        device: the device's label for messages.
        version: ``/system/resource`` ``version`` (``7.16.2 (stable)``, ``6.49``,
            ``7.19beta2``); what can be read of it counts
            (:func:`~mikromon.routeros.values.version_hint`: ``7.x (development)``
            gives major 7 and version ``(7,)``); ``None`` or text without a version
            gives major 7 and an unknown version ``()``.
        absent: paths already known to be missing.
    """
    parts = version_hint(version)
    if not parts:
        return CollectContext(device=device, absent=set(absent))
    return CollectContext(device=device, major=parts[0], version=parts, absent=set(absent))


async def detect_context(
    client: RouterOSClient, device: str, absent: Iterable[str] = ()
) -> CollectContext:
    """Ask the router for its version (``/system/resource`` with proplist
    ``version``) and return its context.

    Raises:
        DeviceError: from the client.
    """
    rows = await client.print("/system/resource", ("version",))
    return context_for(device, rows[0].get("version") if rows else None, absent)
