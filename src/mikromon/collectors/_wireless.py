"""What the legacy wireless and the wifi collectors share: reading the
registration table (bounded) and the interface list, and counting clients per
interface (including interfaces that have none).

The bound: ``count-only`` of the registration table first. With at most
:data:`~mikromon.collectors.support.ROW_LIMIT` (20,000) clients the table is
printed and the clients counted from its rows; above that (a controller that
lists the clients of many access points) it is not printed, each interface's
clients are counted with ``count-only`` and ``?interface=<name>``, and
``result.failures`` says the client table was not read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import (
    ROW_LIMIT,
    Field,
    Values,
    bounded_reply,
    count,
    over_limit_message,
    proplist,
    read,
    sample,
    snapshot,
)
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
    name: str,
    path: str,
    interface_fields: Sequence[Field],
    client_fields: Sequence[Field],
    prefix: str,
    client_args: Mapping[str, str] | None = None,
    limit: int = ROW_LIMIT,
) -> CollectResult:
    """Count ``<path>/registration-table``, print it (at most ``limit`` rows),
    then print ``<path>``; return the counts and the ``<prefix>_clients`` /
    ``<prefix>_interfaces`` tables.

    The registration table is counted first: when the package is missing it is
    the only path asked (and reported absent). Above ``limit`` clients the
    table is not printed: the clients of each listed interface are counted with
    ``?interface=<name>`` instead and ``result.failures`` says so.

    Args:
        client: the router session.
        ctx: what is known about the router.
        name: the collector's registry name (for the failure message).
        path: the wireless menu (``/interface/wireless``).
        interface_fields: columns of ``<prefix>_interfaces``.
        client_fields: columns of ``<prefix>_clients``.
        prefix: inventory table prefix (``wireless``, ``wifi``).
        client_args: extra print attributes for the registration table.
        limit: most clients printed.

    Raises:
        DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
    """
    result = CollectResult()
    table = f"{path}/registration-table"
    total = await count(client, ctx, result, table)
    if total is None:
        return result
    clients: list[Row] | None = None
    if total <= limit:
        clients = await read(client, ctx, result, table, proplist(client_fields),
                             args=client_args, limit=bounded_reply(limit))
        if clients is None:
            return result
    interfaces = await read(client, ctx, result, path, proplist(interface_fields))
    ts = ctx.clock()
    if clients is not None:
        result.samples = client_counts(interfaces or [], clients, ts)
        result.inventory.append(snapshot(
            f"{prefix}_clients", clients, client_fields, CLIENT_KEY, ts,
            reader=Values(table, result),
        ))
    else:
        result.failures.append(over_limit_message(
            name, table, limit, "client table not read (clients still counted per interface)"))
        for row in interfaces or ():
            if_name = row.get("name")
            if not if_name:
                continue
            n = await count(client, ctx, result, table, (f"?interface={if_name}",))
            if n is not None:
                result.samples.append(sample("wireless.clients", n, ts, interface=if_name))
    if interfaces is not None:
        result.inventory.append(snapshot(
            f"{prefix}_interfaces", interfaces, interface_fields, ("name",), ts,
            reader=Values(path, result),
        ))
    return result
