"""The RouterOSClient Protocol: how the rest of mikromon asks one router for rows.

Implementations: :class:`mikromon.routeros.client.LibRouterOSClient` (the real
one, over librouteros) and test fakes driven by data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from mikromon.domain.errors import CommandFailed, PathAbsent

#: One reply row (one ``!re`` sentence): RouterOS field name -> value exactly as
#: the router sent it on the wire (always text: ``"true"``, ``"1500"``, ``"1w2d"``).
Row = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ReplyLimit:
    """The most one command's reply may hold before it is given up.

    A router that streams ``!re`` rows without ``!done`` (or a sentence without
    its end) would otherwise grow the collector's memory without bound. Past
    either limit the client raises
    :class:`~mikromon.domain.errors.ReplyTooLarge` and closes the connection.

    Attributes:
        rows: most sentences before ``!done`` (``!re`` rows, ``!trap``, ``!empty``).
        bytes: most wire bytes of the reply (length prefixes included).

    Raises:
        ValueError: a limit below 1.
    """

    rows: int
    bytes: int

    def __post_init__(self) -> None:
        if self.rows < 1 or self.bytes < 1:
            raise ValueError(f"reply limits must be >= 1, got rows={self.rows} "
                             f"bytes={self.bytes}")

    @classmethod
    def for_rows(cls, rows: int, row_bytes: int = 1024) -> ReplyLimit:
        """Return a limit of ``rows`` rows of about ``row_bytes`` each (at least
        64 KiB in all). A proplisted row is 100-500 bytes on the wire
        (shared/routeros-captures), so 1 KiB a row leaves room."""
        return cls(rows=rows, bytes=max(64 * 1024, rows * row_bytes))


#: The limit of a command whose collector declares none: 10,000 rows, 16 MiB.
DEFAULT_REPLY_LIMIT: Final = ReplyLimit(rows=10_000, bytes=16 * 1024 * 1024)


class RouterOSClient(Protocol):
    """A logged-in session with one router. One command runs at a time.

    Every method raises only :class:`mikromon.domain.errors.DeviceError` subclasses:
    ``PathAbsent`` when the path or its package is missing, ``CommandFailed`` for
    other ``!trap`` replies, ``CommandTimeout`` when the whole reply did not
    arrive in time, ``ConnectionLost`` / ``MalformedReply`` for broken replies,
    ``ReplyTooLarge`` (a ``MalformedReply``) for a reply past its limit.
    """

    async def print(
        self,
        path: str,
        proplist: Sequence[str],
        query: Sequence[str] = (),
        args: Mapping[str, str] | None = None,
        *,
        limit: ReplyLimit | None = None,
    ) -> list[Row]:
        """Run ``<path>/print`` with ``=.proplist=`` and the query words given.

        Args:
            path: menu path, e.g. ``/interface`` or ``/ip/dhcp-server/lease``.
            proplist: the fields to return (never empty: be kind to the router).
            query: query words, with or without the leading ``?``
                (``("?status=bound",)``).
            args: extra attribute words (``{"stats": ""}``).
            limit: most rows and bytes of the reply (:data:`DEFAULT_REPLY_LIMIT`
                when ``None``); past it ``ReplyTooLarge``.

        Returns:
            The rows (``!re`` sentences) in the router's order; ``[]`` for ``!empty``.
        """
        ...

    async def count(self, path: str, query: Sequence[str] = ()) -> int:
        """Return ``<path>/print =count-only=``'s ``=ret=`` as an int."""
        ...

    async def call(
        self, command: str, args: Mapping[str, str] | None = None, *,
        limit: ReplyLimit | None = None,
    ) -> list[Row]:
        """Run any other command (``/interface/monitor-traffic`` with ``once``) and
        return its ``!re`` rows."""
        ...

    async def close(self) -> None:
        """Close the connection; never raises."""
        ...


class RouterOSSession(RouterOSClient, Protocol):
    """A :class:`RouterOSClient` that owns its connection: what the scheduler
    (:mod:`mikromon.schedule`) keeps open between runs and gives each tier with its
    own per-command limit. :func:`mikromon.routeros.client.connect` returns one.
    """

    @property
    def closed(self) -> bool:
        """Whether the connection is closed (by ``close()`` or after a failure:
        the next run must open another)."""
        ...

    def with_timeout(self, seconds: float) -> RouterOSSession:
        """Return a session on the same connection (same lock, closed together)
        whose commands may each take ``seconds`` for their whole reply.

        Raises:
            ValueError: ``seconds`` is not positive.
        """
        ...


@dataclass(frozen=True, slots=True)
class PrintRequest:
    """One ``<path>/print`` of several sent together (:func:`print_all`).

    Attributes: as the arguments of :meth:`RouterOSClient.print`.
    """

    path: str
    proplist: tuple[str, ...]
    query: tuple[str, ...] = ()
    args: Mapping[str, str] | None = None
    limit: ReplyLimit | None = None


#: What one print of several gives: its rows, or the error of its ``!trap``.
PrintReply = list[Row] | PathAbsent | CommandFailed


@runtime_checkable
class Pipelining(Protocol):
    """A client that can send several prints at once (tagged, one round trip)."""

    async def print_many(self, requests: Sequence[PrintRequest]) -> list[PrintReply]:
        """Run every print of ``requests`` at once; see :func:`print_all`."""
        ...


async def print_all(client: RouterOSClient, requests: Sequence[PrintRequest]) -> list[PrintReply]:
    """Run several independent prints: at once when the client is
    :class:`Pipelining` (each tagged, their replies read together: one round
    trip, shared/ROUTEROS-API.md §4), else one after another.

    Args:
        client: the session.
        requests: the prints, each with its own proplist and reply limit.

    Returns:
        Per request, in order: its rows (``[]`` for ``!empty``), or the
        ``PathAbsent`` / ``CommandFailed`` its ``!trap`` raises from
        :meth:`RouterOSClient.print` (that print alone failed).

    Raises:
        DeviceError: any other failure (timeout, lost connection, malformed
            reply, a reply past its limit): the session, not one print, broke.
    """
    # What isinstance(client, Pipelining) checks (a print_many attribute that is
    # not None), without typing's protocol check: a few microseconds every poll.
    print_many = getattr(client, "print_many", None)
    if print_many is not None:
        replies: list[PrintReply] = await print_many(requests)
        return replies
    return await print_one_by_one(client, requests)


async def print_one_by_one(
    client: RouterOSClient, requests: Sequence[PrintRequest],
) -> list[PrintReply]:
    """Run the prints of ``requests`` one after another; returns and raises as
    :func:`print_all` (what it does on a client that is not :class:`Pipelining`)."""
    out: list[PrintReply] = []
    for r in requests:
        try:
            out.append(await client.print(r.path, r.proplist, r.query, r.args, limit=r.limit))
        except (PathAbsent, CommandFailed) as err:
            out.append(err)
    return out
