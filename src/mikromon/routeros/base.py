"""The RouterOSClient Protocol: how the rest of mikromon asks one router for rows.

Implementations: :class:`mikromon.routeros.client.LibRouterOSClient` (the real
one, over librouteros) and test fakes driven by data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

#: One reply row (one ``!re`` sentence): RouterOS field name -> value exactly as
#: the router sent it on the wire (always text: ``"true"``, ``"1500"``, ``"1w2d"``).
Row = Mapping[str, str]


class RouterOSClient(Protocol):
    """A logged-in session with one router. One command runs at a time.

    Every method raises only :class:`mikromon.domain.errors.DeviceError` subclasses:
    ``PathAbsent`` when the path or its package is missing, ``CommandFailed`` for
    other ``!trap`` replies, ``CommandTimeout`` when the whole reply did not
    arrive in time, ``ConnectionLost`` / ``MalformedReply`` for broken replies.
    """

    async def print(
        self,
        path: str,
        proplist: Sequence[str],
        query: Sequence[str] = (),
        args: Mapping[str, str] | None = None,
    ) -> list[Row]:
        """Run ``<path>/print`` with ``=.proplist=`` and the query words given.

        Args:
            path: menu path, e.g. ``/interface`` or ``/ip/dhcp-server/lease``.
            proplist: the fields to return (never empty: be kind to the router).
            query: query words, with or without the leading ``?``
                (``("?status=bound",)``).
            args: extra attribute words (``{"stats": ""}``).

        Returns:
            The rows (``!re`` sentences) in the router's order; ``[]`` for ``!empty``.
        """
        ...

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        """Return ``<path>/print =count-only=``'s ``=ret=`` as an int."""
        ...

    async def call(self, command: str, args: Mapping[str, str] | None = None) -> list[Row]:
        """Run any other command (``/interface/monitor-traffic`` with ``once``) and
        return its ``!re`` rows."""
        ...

    async def close(self) -> None:
        """Close the connection; never raises."""
        ...
