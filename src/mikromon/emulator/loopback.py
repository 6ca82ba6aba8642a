"""The emulator's one rule about addresses: it binds and sends to loopback only
(127.0.0.0/8 and ::1); ``localhost`` means 127.0.0.1 and is never resolved.
"""

from __future__ import annotations

import ipaddress
from typing import Final

__all__ = ["LOCALHOST", "ensure_loopback"]

#: What ``localhost`` means here (never resolved through DNS or /etc/hosts).
LOCALHOST: Final = "127.0.0.1"


def ensure_loopback(host: str) -> str:
    """Return ``host`` as a loopback IP literal, or raise.

    Args:
        host: ``127.x.y.z``, ``::1`` or ``localhost`` (taken as ``127.0.0.1``).

    Raises:
        ValueError: any other address or name; the emulator binds loopback only.
    """
    if host == "localhost":
        return LOCALHOST
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"emulator host {host!r} is not a loopback IP address (use 127.0.0.1 or ::1)"
        ) from None
    if not address.is_loopback:
        raise ValueError(f"emulator host {host} is not loopback: it binds 127.0.0.1/::1 only")
    return str(address)
