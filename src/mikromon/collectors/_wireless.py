"""What the legacy wireless and the wifi collectors share: reading the
registration table and the interface list, and counting clients per interface
(including interfaces that have none)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import Field, proplist, read, sample, snapshot
from mikromon.domain.inventory import CollectResult
from mikromon.domain.samples import Sample
from mikromon.routeros.base import RouterOSClient, Row

CLIENT_KEY = ("interface", "mac-address")


def client_counts(
    interfaces: Sequence[Row], clients: Sequence[Row], ts: datetime
) -> list[Sample]:
    """Return one ``wireless.clients`` sample per interface (label ``interface``).

    Args:
        interfaces: interface rows (``name``); each gets a sample, 0 without clients.
        clients: registration-table rows (``interface``).
        ts: time of the reply, UTC.
    """
    per_interface = Counter(row["interface"] for row in clients if row.get("interface"))
    names = [row["name"] for row in interfaces if row.get("name")]
    names += sorted(set(per_interface) - set(names))
    return [sample("wireless.clients", per_interface[name], ts, interface=name)
            for name in names]


async def collect_wireless(
    client: RouterOSClient,
    ctx: CollectContext,
    *,
    path: str,
    interface_fields: Sequence[Field],
    client_fields: Sequence[Field],
    prefix: str,
    client_args: Mapping[str, str] | None = None,
) -> CollectResult:
    """Read ``<path>/registration-table``, then ``<path>``; return the counts and
    the ``<prefix>_clients`` / ``<prefix>_interfaces`` tables.

    The registration table comes first: when the package is missing it is the
    only path asked (and reported absent).

    Raises:
        DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
    """
    result = CollectResult()
    clients = await read(client, ctx, result, f"{path}/registration-table",
                         proplist(client_fields), args=client_args)
    if clients is None:
        return result
    interfaces = await read(client, ctx, result, path, proplist(interface_fields))
    ts = ctx.clock()
    result.samples = client_counts(interfaces or [], clients, ts)
    result.inventory.append(
        snapshot(f"{prefix}_clients", clients, client_fields, CLIENT_KEY, ts)
    )
    if interfaces is not None:
        result.inventory.append(
            snapshot(f"{prefix}_interfaces", interfaces, interface_fields, ("name",), ts)
        )
    return result
