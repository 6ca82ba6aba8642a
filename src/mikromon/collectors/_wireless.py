"""What the legacy wireless, the wifi (wifiwave2) and the CAPsMAN collectors
share: reading the registration table (bounded) and the interface list,
counting clients per interface (including interfaces that have none), and the
one client schema.

One client schema: whichever package the router runs, the client tables
(``wireless_clients``, ``wifi_clients``, ``capsman_clients``) have the columns
of :data:`CLIENT_COLUMNS`, in that order, ``None`` where the package does not
report the value. Each package's field is read by its RouterOS name and stored
under the common one:

==================  =========================  ====================  ======================
column              /interface/wireless         /interface/wifi       /caps-man
                    (v6, legacy package)        (wifiwave2 < 7.13)    (legacy CAPsMAN)
==================  =========================  ====================  ======================
signal (dBm)        signal-strength             signal                rx-signal
auth-type           authentication-type         auth-type             -
signal-to-noise     signal-to-noise (dB)        -                     -
tx-ccq (%)          tx-ccq                      -                     -
ap                  - (the router itself)       CAP identity (1)      -
==================  =========================  ====================  ======================

``interface``, ``mac-address``, ``ssid``, ``last-ip``, ``band``, ``tx-rate`` /
``rx-rate`` (bits/s), ``tx-bits-per-second`` / ``rx-bits-per-second``,
``bytes.tx``/``bytes.rx`` and ``packets.tx``/``packets.rx`` (tx,rx from the
AP's side), ``uptime`` and ``last-activity`` (seconds) keep their names.
(1) RouterOS 7.13+ CAPsMAN lists the clients of every CAP in the manager's
``/interface/wifi/registration-table``; the CAP's interface in ``/interface/wifi``
carries ``cap=<identity>@<base-mac>%<id>`` and ``ap`` is that identity. Sources:
interface_wireless_registration_table.v6.json, interface_wifi_registration_table.v7.json;
legacy CAPsMAN keys from the CLI reference (caps-man registration-table:
``interface,ssid,mac-address,tx-rate,rx-rate,rx-signal,uptime,packets,bytes``).

The bound: ``count-only`` of the registration table first. With at most
:data:`~mikromon.collectors.table_collectors.ROW_LIMIT` (20,000) clients the table is
printed and the clients counted from its rows; above that (a controller that
lists the clients of many access points) it is not printed, each interface's
clients are counted with ``count-only`` and ``?interface=<name>``, and
``result.failures`` says the client table was not read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final

from mikromon.collectors.base import CollectContext
from mikromon.collectors.support import (
    Field,
    Values,
    bounded_reply,
    convert,
    count,
    proplist,
    read,
    sample,
    snapshot,
)
from mikromon.collectors.table_collectors import ROW_LIMIT, over_limit_message
from mikromon.collectors.table_view import Tab, TableView
from mikromon.domain.inventory import CollectResult, InventoryRow, InventorySnapshot
from mikromon.domain.samples import Sample
from mikromon.domain.tiers import Tier
from mikromon.routeros.base import RouterOSClient, Row

CLIENT_KEY = ("interface", "mac-address")

#: The columns of every wireless client table, in order (see the module docstring).
CLIENT_COLUMNS: Final = (
    "interface", "ap", "mac-address", "ssid", "last-ip", "band", "auth-type",
    "signal", "signal-to-noise", "tx-ccq", "tx-rate", "rx-rate",
    "tx-bits-per-second", "rx-bits-per-second",
    "bytes.tx", "bytes.rx", "packets.tx", "packets.rx", "uptime", "last-activity",
)

#: The dashboard tabs of client and interface tables, whichever package reads them.
CLIENTS_TAB: Final = Tab("wireless", "Wireless clients")
INTERFACES_TAB: Final = Tab("wlan", "Wireless interfaces", always=False)


def client_view(table: str, title: str, paths: tuple[str, ...], *, tab: Tab | None = CLIENTS_TAB,
                major: int | None = None) -> TableView:
    """Return how a client table (:data:`CLIENT_COLUMNS`) is shown: the same columns
    first and the same units whichever package the router runs.

    Args:
        table: the snapshot table (``wifi_clients``).
        title: its title.
        paths: the paths whose absence means the package is missing.
        tab: its dashboard tab (:data:`CLIENTS_TAB`; ``None``: one of its own).
        major: the RouterOS major version having the package, ``None`` for both.
    """
    return TableView(
        table, title, paths,
        ("interface", "ap", "mac-address", "ssid", "signal", "tx-rate", "rx-rate", "uptime"),
        sort="interface", seconds=("uptime", "last-activity"), bytes=("bytes",),
        bits_per_second=("tx-rate", "rx-rate", "tx-bits-per-second", "rx-bits-per-second"),
        tab=tab, major=major,
    )


#: Finds the AP of a client row (its ``interface``), or ``None``.
ApOf = Callable[[str], str | None]


def client_rows(
    rows: Sequence[Row], fields: Sequence[Field], names: Mapping[str, str],
    ap_of: ApOf | None = None,
    reader: Values | None = None,
) -> list[InventoryRow]:
    """Return registration-table rows in the one client schema.

    Args:
        rows: wire rows of one package's registration table.
        fields: that package's fields (RouterOS names, parsers).
        names: RouterOS field name -> column, for the fields whose name differs
            (``{"signal-strength": "signal"}``).
        ap_of: interface name -> AP name (CAPsMAN), else every ``ap`` is ``None``.
        reader: records the values a parser refuses (each named by its client's
            ``interface/mac-address``).

    Returns:
        Rows with exactly :data:`CLIENT_COLUMNS`, in order.
    """
    out: list[InventoryRow] = []
    for row in rows:
        parsed = convert(row, fields, reader,
                         "/".join(row.get(k) or "" for k in CLIENT_KEY))
        common = {names.get(k, k): v for k, v in parsed.items()}
        shaped = {c: common.get(c) for c in CLIENT_COLUMNS}
        interface = shaped["interface"]
        if ap_of is not None and isinstance(interface, str):
            shaped["ap"] = ap_of(interface)
        out.append(shaped)
    return out


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
    client_names: Mapping[str, str] | None = None,
    interface_path: str | None = None,
    ap_from: Callable[[Sequence[Row]], ApOf] | None = None,
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
        client_names: RouterOS client field -> column of the one schema
            (:func:`client_rows`).
        interface_path: the interface menu when it is not ``path``
            (``/caps-man/interface``).
        ap_from: builds the interface -> AP lookup from the interface rows.

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
    interfaces = await read(client, ctx, result, interface_path or path,
                            proplist(interface_fields))
    ts = ctx.clock()
    if clients is not None:
        result.samples = client_counts(interfaces or [], clients, ts)
        ap_of = ap_from(interfaces or []) if ap_from is not None else None
        result.inventory.append(InventorySnapshot(
            table=f"{prefix}_clients", key_fields=CLIENT_KEY, ts=ts,
            rows=client_rows(clients, client_fields, client_names or {}, ap_of,
                             Values(table, result))))
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


class WirelessCollector:
    """A collector of one wireless package's clients and interfaces
    (:func:`collect_wireless`): a subclass names the package's menus and columns.

    Attributes:
        name: registry name.
        path: the package's menu (``/interface/wireless``, ``/caps-man``).
        prefix: the tables' prefix (``wireless`` -> ``wireless_clients``,
            ``wireless_interfaces``).
        interface_fields, client_fields: the columns of those tables.
        client_names: RouterOS client field -> column of the one schema.
        client_args: extra print attributes for the registration table.
        interface_path: the interface menu when it is not ``path``.
    """

    name: str
    tier = Tier.EXTENDED
    path: str
    prefix: str
    interface_fields: tuple[Field, ...]
    client_fields: tuple[Field, ...]
    client_names: Mapping[str, str] | None = None
    client_args: Mapping[str, str] | None = None
    interface_path: str | None = None
    views: tuple[TableView, ...] = ()

    async def collect(self, client: RouterOSClient, ctx: CollectContext) -> CollectResult:
        """Read clients, then interfaces (:func:`collect_wireless`).

        Raises:
            DeviceError: from the client (``PathAbsent`` is reported in ``absent``).
        """
        return await collect_wireless(
            client, ctx, name=self.name, path=self.path, interface_fields=self.interface_fields,
            client_fields=self.client_fields, prefix=self.prefix, client_args=self.client_args,
            client_names=self.client_names, interface_path=self.interface_path,
        )
