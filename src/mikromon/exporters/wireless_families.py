"""mktxp's per-client wireless families, built from the stored client rows of
``/interface/wireless/registration-table`` (RouterOS 6 legacy package, inventory
table ``wireless_clients``) and ``/interface/wifi/registration-table`` (RouterOS 7
wifi / wifiwave2, table ``wifi_clients``), named by the DHCP lease of each client.

Facts on mktxp's side (akpw/mktxp ``wlan_collector``, its ``wireless_clients``
option; read for names and labels only): counters ``mktxp_wlan_clients_tx_bytes``
and ``_rx_bytes`` (``_total`` on the samples; the registration table's ``bytes``
pair, ``tx,rx`` from the access point's side), gauges
``mktxp_wlan_clients_signal_strength`` (dBm), ``_signal_to_noise`` (dB) and
``_tx_ccq`` (percent), each with the label ``dhcp_name``; info family
``mktxp_wlan_clients_devices`` with the labels ``dhcp_name``, ``dhcp_address``,
``rx_signal``, ``ssid``, ``tx_rate``, ``rx_rate``, ``interface``, ``mac_address``,
``uptime``. ``dhcp_name`` and ``dhcp_address`` are joined from
``/ip/dhcp-server/lease`` by ``mac-address``: the lease's ``host-name`` and
``address``; a client without a lease is named by its MAC address and has the
``dhcp_address`` ``No DHCP Record``.

The values were parsed when the collector stored the row
(:mod:`mikromon.collectors.interface_wireless`, :mod:`~.interface_wifi`, with
:mod:`mikromon.routeros.values`): ``signal-strength`` ``-51@1Mbps`` (v6) and
``signal`` ``-55`` (v7) -> dBm, ``bytes`` ``6689896,2094536`` -> ``bytes.tx``,
``bytes.rx``; rates ``65Mbps-20MHz/1S`` -> bits/s; ``uptime`` -> seconds (captures
interface_wireless_registration_table.v6.json,
interface_wifi_registration_table.v7.json). RouterOS 7's wifi table has no
``signal-to-noise`` nor ``tx-ccq``: its clients have no samples in those families.

Where mikromon differs: the info family's ``tx_rate`` / ``rx_rate`` are bits per
second and ``uptime`` whole seconds (mktxp formats them for reading: ``65 Mbps``,
``5 days``); a lease without ``host-name`` names the client by its MAC address;
two clients with the same labels (one device on two interfaces) are one sample,
the first row's, as a series must be unique within a scrape. A value the row
lacks (``None``) gives no sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final, Literal

from mikromon.exporters.stored_values import Value
from mikromon.exporters.stored_values import number as _number
from mikromon.exporters.stored_values import text as _text

#: The client tables (one client schema: :mod:`mikromon.collectors._wireless`).
CLIENT_TABLES: Final = frozenset({"wireless_clients", "wifi_clients"})
#: The fields the families read of a client row (RouterOS / client-schema names).
CLIENT_FIELDS: Final = frozenset({"interface", "mac-address", "ssid", "signal",
                                  "signal-to-noise", "tx-ccq", "tx-rate", "rx-rate",
                                  "bytes.tx", "bytes.rx", "uptime"})
#: The fields the join reads of a lease row.
LEASE_FIELDS: Final = frozenset({"mac-address", "host-name", "address", "status"})
NO_LEASE: Final = "No DHCP Record"
#: family suffix, type, help, client field.
_VALUES: Final[tuple[tuple[str, Kind, str, str], ...]] = (
    ("tx_bytes", "counter", "Number of sent packet bytes", "bytes.tx"),
    ("rx_bytes", "counter", "Number of received packet bytes", "bytes.rx"),
    ("signal_strength", "gauge", "Average strength of the client signal received by AP",
     "signal"),
    ("signal_to_noise", "gauge", "Client devices signal to noise ratio", "signal-to-noise"),
    ("tx_ccq", "gauge", "Client Connection Quality (CCQ) for transmit", "tx-ccq"),
)
_DEVICE_LABELS: Final = ("dhcp_name", "dhcp_address", "rx_signal", "ssid", "tx_rate",
                         "rx_rate", "interface", "mac_address", "uptime")

#: A row's values, read by field name through an index (name -> position).
Values = Sequence[Value]
Rows = list[tuple[Sequence[str], float]]
Kind = Literal["gauge", "counter", "info"]


def wireless_families(
    devices: Sequence[tuple[str, str, Sequence[Values], Sequence[Values]]],
    index: Mapping[str, int],
    ids: tuple[str, ...],
) -> Iterator[tuple[str, Kind, str, tuple[str, ...], Rows]]:
    """Yield ``(name, type, help, labels, rows)`` per family with samples.

    Args:
        devices: ``(device name, address, client rows, lease rows)`` per device, each
            row the values of its fields (:data:`CLIENT_FIELDS`, :data:`LEASE_FIELDS`).
        index: field name -> its position in a row's values.
        ids: the device labels appended to every family's (``routerboard_name``,
            ``routerboard_address``).
    """
    values: list[dict[tuple[str, ...], float]] = [{} for _ in _VALUES]
    infos: dict[tuple[str, ...], float] = {}
    for device, address, clients, leases in devices:
        if not clients:
            continue
        named = _lease_names(leases, index)
        for client in clients:
            def get(name: str, client: Values = client) -> Value:
                return client[index[name]]

            mac = _text(get("mac-address"))
            host, lease_address = named.get(mac.upper(), ("", NO_LEASE))
            name = host or mac
            for out, (_, _, _, field) in zip(values, _VALUES, strict=True):
                if (value := _number(get(field))) is not None:
                    out.setdefault((name, device, address), value)
            infos.setdefault((name, lease_address, _whole(get("signal")),
                              _text(get("ssid")), _whole(get("tx-rate")),
                              _whole(get("rx-rate")), _text(get("interface")), mac,
                              _whole(get("uptime")), device, address), 1.0)
    for out, (suffix, kind, help_, _) in zip(values, _VALUES, strict=True):
        if out:
            yield ("mktxp_wlan_clients_" + suffix, kind, help_, ("dhcp_name", *ids),
                   list(out.items()))
    if infos:
        yield ("mktxp_wlan_clients_devices", "info", "Client devices info",
               (*_DEVICE_LABELS, *ids), list(infos.items()))


def _lease_names(leases: Sequence[Values], index: Mapping[str, int]
                 ) -> dict[str, tuple[str, str]]:
    """MAC address (upper case) -> (``host-name``, ``address``) of its lease; a
    bound lease wins over another of the same MAC address, else the first."""
    named: dict[str, tuple[str, str]] = {}
    bound: set[str] = set()
    mac_at, status_at = index["mac-address"], index["status"]
    host_at, address_at = index["host-name"], index["address"]
    for lease in leases:
        mac = _text(lease[mac_at]).upper()
        if not mac or mac in bound:
            continue
        if mac in named and lease[status_at] != "bound":
            continue
        if lease[status_at] == "bound":
            bound.add(mac)
        named[mac] = (_text(lease[host_at]), _text(lease[address_at]))
    return named




def _whole(value: Value) -> str:
    """A number as label text (``-51``, ``65000000``, ``0.5``); ``""`` when absent."""
    number = _number(value)
    if number is None:
        return _text(value)
    return str(int(number)) if number.is_integer() else repr(number)
