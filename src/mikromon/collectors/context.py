"""Building a :class:`CollectContext` from what the router says about its version."""

from __future__ import annotations

from collections.abc import Iterable

from mikromon.collectors.base import CollectContext
from mikromon.domain.errors import ValueParseError
from mikromon.routeros.base import RouterOSClient
from mikromon.routeros.values import parse_version


def context_for(
    device: str, version: str | None, absent: Iterable[str] = ()
) -> CollectContext:
    """Return the context for a router reporting ``version``.

    Args:
        device: the device's label for messages.
        version: ``/system/resource`` ``version`` (``7.16.2 (stable)``, ``6.49``);
            ``None`` or unparseable text gives major 7 and an unknown full version.
        absent: paths already known to be missing.
    """
    try:
        parsed = parse_version(version) if version else None
    except ValueParseError:
        parsed = None
    if parsed is None:
        return CollectContext(device=device, absent=set(absent))
    return CollectContext(
        device=device,
        major=parsed.major,
        version=(parsed.major, parsed.minor, parsed.patch),
        absent=set(absent),
    )


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
