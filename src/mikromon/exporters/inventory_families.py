"""mktxp's families built from inventory rows: installed packages, firewall rule
counters, interface link-downs and actual MTU.

The rows are the latest the collector stored (:class:`InventoryRow`, read by the
web application in one query). Facts on mktxp's side (akpw/mktxp, read for names
and labels only):

- ``package_collector``: info family ``mktxp_installed_packages`` with the labels
  ``name``, ``version``, ``build_time``, ``disabled`` (the router's ``true`` /
  ``false``) from ``/system/package``;
- ``firewall_collector``: counters ``mktxp_firewall_filter``, ``_nat``,
  ``_mangle`` (``_total`` on the samples) holding a rule's ``bytes``, with the
  labels ``name`` = ``| <chain> | <action> | <comment>`` (then `` | <out-interface>``
  and `` | <protocol>`` when the rule sets them) and ``log`` (``1`` / ``0``); mktxp
  lists only rules that matched (``bytes`` > 0);
- ``interface_collector``: counter ``mktxp_link_downs`` (``/interface``
  ``link-downs``) and gauge ``mktxp_interface_actual_mtu`` (``actual-mtu``), label
  ``name``; info families ``mktxp_interface_comment`` (labels ``name``,
  ``comment``), ``_type`` (``name``, ``type``), ``_mac_address`` (``name``,
  ``mac_address``) and ``_default_name`` (``name``, ``default_name``), one sample
  per interface (a field the router leaves out is the empty label value);
- ``dhcp_collector`` (with mktxp's ``dhcp_lease`` option): gauge
  ``mktxp_dhcp_lease_info`` (the name ends in ``_info`` but the type is gauge),
  value the lease's ``expires-after`` in seconds, labels ``active_address``,
  ``address``, ``mac_address``, ``host_name``, ``comment``, ``server``,
  ``client_id``, ``active_mac_address`` (``/ip/dhcp-server/lease``). mikromon
  gives it for bound leases that expire (an offline static lease has no
  ``expires-after``), and only when the exposition reads the ``dhcp_leases``
  table (:func:`tables`, ``MIKROMON_METRICS_DHCP_LEASES``).

Where mikromon differs: two rules with the same ``name`` and ``log`` labels (the
same chain, action and comment) are one sample holding their sum, as a series
must be unique within a scrape (mktxp sends both); two leases with the same
labels (the labels hold no lease id) are one sample, the first row's. A row without the value
(``bytes`` / ``link-downs`` / ``actual-mtu`` absent or unreadable: ``None``) gives
no sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Final, Literal, NamedTuple

from mikromon.exporters.mktxp import ROUTERBOARD_ADDRESS, ROUTERBOARD_NAME
from mikromon.exporters.stored_values import Value
from mikromon.exporters.stored_values import number as _number
from mikromon.exporters.stored_values import text as _text
from mikromon.exporters.wireless_families import CLIENT_FIELDS, CLIENT_TABLES
from mikromon.exporters.wireless_families import wireless_families as _wireless

#: Row fields a :class:`InventoryRow` carries (RouterOS spellings), the union over
#: :data:`TABLES`.
FIELDS: Final = ("name", "version", "build-time", "disabled", "chain", "action", "comment",
                 "out-interface", "protocol", "log", "bytes", "link-downs", "actual-mtu",
                 "type", "mac-address", "default-name", "address", "active-address",
                 "active-mac-address", "host-name", "server", "client-id", "status",
                 "expires-after", "interface", "ssid", "signal", "signal-to-noise", "tx-ccq",
                 "tx-rate", "rx-rate", "bytes.tx", "bytes.rx", "uptime")
(_NAME, _VERSION, _BUILD, _DISABLED, _CHAIN, _ACTION, _COMMENT, _OUT, _PROTOCOL, _LOG, _BYTES,
 _DOWNS, _MTU, _TYPE, _MAC, _DEFAULT, _ADDRESS, _ACTIVE, _ACTIVE_MAC, _HOST, _SERVER, _CLIENT,
 _STATUS, _EXPIRES) = range(FIELDS.index("expires-after") + 1)
_INDEX: Final = {name: i for i, name in enumerate(FIELDS)}
#: Inventory table -> mktxp firewall family (``/ip/firewall/<menu>``).
FIREWALL: Final = {
    "firewall_filter": ("firewall_filter", "Total amount of bytes matched by firewall rules"),
    "firewall_nat": ("firewall_nat", "Total amount of bytes matched by NAT rules"),
    "firewall_mangle": ("firewall_mangle", "Total amount of bytes matched by Mangle rules"),
}
PACKAGES: Final = "packages"
INTERFACES: Final = "interfaces"
DHCP_LEASES: Final = "dhcp_leases"
#: The table name of lease rows read only to name wireless clients (the reader
#: gives a ``dhcp_leases`` row this name when ``MIKROMON_METRICS_DHCP_LEASES`` is
#: off): they give no ``mktxp_dhcp_lease_info`` sample.
LEASE_JOIN: Final = "dhcp_leases/join"
#: The inventory tables the exposition reads (:data:`DHCP_LEASES` and the wireless
#: client tables only when asked: :func:`tables`).
TABLES: Final = frozenset({PACKAGES, INTERFACES, *FIREWALL, DHCP_LEASES, *CLIENT_TABLES})
#: mktxp's interface info families: suffix, label, field index, help.
_INTERFACE_INFO: Final = (
    ("comment", "comment", _COMMENT, "The interface comment"),
    ("type", "type", _TYPE, "Interface type like ether, vrrp, eoip, gre-tunnel, ..."),
    ("mac_address", "mac_address", _MAC, "MAC address of the interface"),
    ("default_name", "default_name", _DEFAULT, "Default name of the interface"),
)
_LEASE_LABELS: Final = ("active_address", "address", "mac_address", "host_name", "comment",
                        "server", "client_id", "active_mac_address")
_LEASE_FIELDS: Final = (_ACTIVE, _ADDRESS, _MAC, _HOST, _COMMENT, _SERVER, _CLIENT,
                        _ACTIVE_MAC)
_RULE_FIELDS: Final = frozenset({"chain", "action", "comment", "out-interface", "protocol",
                                 "log", "bytes"})
#: Inventory table -> the :data:`FIELDS` its families read (the others may be left
#: ``None`` by a reader).
TABLE_FIELDS: Final[dict[str, frozenset[str]]] = {
    PACKAGES: frozenset({"name", "version", "build-time", "disabled"}),
    INTERFACES: frozenset({"name", "link-downs", "actual-mtu", "comment", "type",
                           "mac-address", "default-name"}),
    DHCP_LEASES: frozenset({"address", "active-address", "mac-address", "active-mac-address",
                            "host-name", "comment", "server", "client-id", "status",
                            "expires-after"}),
    **{table: _RULE_FIELDS for table in FIREWALL},
    **{table: CLIENT_FIELDS for table in CLIENT_TABLES},
}
_ID: Final = (ROUTERBOARD_NAME, ROUTERBOARD_ADDRESS)

Kind = Literal["gauge", "counter", "info"]


class InventoryRow(NamedTuple):
    """One stored inventory row of one device, reduced to :data:`FIELDS`.

    Attributes:
        table: the inventory table (one of :data:`TABLES`).
        values: the row's value of each of :data:`FIELDS`, in that order, as the
            collector stored it (text, number, bool, or ``None`` when the row lacks
            it). :func:`row` builds one from a mapping.
    """

    table: str
    values: Sequence[Value]


def row(table: str, fields: Mapping[str, Value]) -> InventoryRow:
    """Return the :class:`InventoryRow` of ``table`` holding ``fields`` (field ->
    value; fields not in :data:`FIELDS` are ignored, missing ones are ``None``)."""
    return InventoryRow(table, tuple(fields.get(name) for name in FIELDS))


def tables(dhcp_leases: bool = False, wireless_clients: bool = False) -> frozenset[str]:
    """The inventory tables a scrape reads: :data:`TABLES` without
    :data:`DHCP_LEASES` unless ``dhcp_leases`` (``MIKROMON_METRICS_DHCP_LEASES``;
    off by default: a router may hold thousands of leases, each one a sample) or
    ``wireless_clients`` (``MIKROMON_METRICS_WIRELESS_CLIENTS``, off by default: six
    samples per client; the leases name the clients), and without the client tables
    unless ``wireless_clients``."""
    out = TABLES if wireless_clients else TABLES - CLIENT_TABLES
    return out if dhcp_leases or wireless_clients else out - {DHCP_LEASES}


Rows = list[tuple[Sequence[str], float]]


def inventory_families(devices: Sequence[tuple[str, str, Sequence[InventoryRow]]]
                       ) -> Iterator[tuple[str, Kind, str, tuple[str, ...], Rows]]:
    """Yield ``(name, type, help, labels, rows)`` per family with samples, from
    ``(device name, address, rows)`` per device: packages (info), firewall
    counters, ``link_downs`` (counter), ``interface_actual_mtu`` (gauge), the
    interface info families, ``dhcp_lease_info`` (gauge, seconds) and the
    per-client wireless families (:mod:`.wireless_families`)."""
    packages: Rows = []
    infos: list[Rows] = [[] for _ in _INTERFACE_INFO]
    leases: dict[tuple[str, ...], float] = {}
    firewall: dict[str, dict[tuple[str, ...], float]] = {t: {} for t in FIREWALL}
    link_downs: Rows = []
    mtu: Rows = []
    wireless: list[tuple[str, str, list[Sequence[Value]], list[Sequence[Value]]]] = []
    for device, address, rows in devices:
        clients: list[Sequence[Value]] = []
        joined: list[Sequence[Value]] = []
        for table, f in rows:
            if table in CLIENT_TABLES:
                clients.append(f)
                continue
            if table in (DHCP_LEASES, LEASE_JOIN):
                joined.append(f)
            if table == INTERFACES:
                who = (_text(f[_NAME]), device, address)
                if (downs := _number(f[_DOWNS])) is not None:
                    link_downs.append((who, downs))
                if (actual := _number(f[_MTU])) is not None:
                    mtu.append((who, actual))
                for out, (_, _, index, _) in zip(infos, _INTERFACE_INFO, strict=True):
                    out.append(((who[0], _text(f[index]), device, address), 1.0))
            elif table == DHCP_LEASES:
                expires = _number(f[_EXPIRES])
                if f[_STATUS] == "bound" and expires is not None:
                    # setdefault: one sample per label set (see the module doc)
                    leases.setdefault((*(_text(f[i]) for i in _LEASE_FIELDS), device,
                                       address), expires)
            elif table in firewall:
                counted = _number(f[_BYTES])
                if counted is None or counted <= 0:
                    continue
                key = (_rule_name(f), "1" if _true(f[_LOG]) else "0", device, address)
                sums = firewall[table]
                sums[key] = sums.get(key, 0.0) + counted
            elif table == PACKAGES:
                packages.append(((_text(f[_NAME]), _text(f[_VERSION]), _text(f[_BUILD]),
                                  _bool_text(f[_DISABLED]), device, address), 1.0))
        if clients:
            wireless.append((device, address, clients, joined))
    if packages:
        yield ("mktxp_installed_packages", "info", "Installed Packages",
               ("name", "version", "build_time", "disabled", *_ID), packages)
    for table, (name, help_) in FIREWALL.items():
        if firewall[table]:
            yield ("mktxp_" + name, "counter", help_, ("name", "log", *_ID),
                   list(firewall[table].items()))
    if link_downs:
        yield ("mktxp_link_downs", "counter", "Number of times link went down",
               ("name", *_ID), link_downs)
    if mtu:
        yield ("mktxp_interface_actual_mtu", "gauge",
               "Actual Maximum Transmission Unit of the interface", ("name", *_ID), mtu)
    for out, (suffix, label, _, help_) in zip(infos, _INTERFACE_INFO, strict=True):
        if out:
            yield ("mktxp_interface_" + suffix, "info", help_, ("name", label, *_ID), out)
    if leases:
        yield ("mktxp_dhcp_lease_info", "gauge", "DHCP Active Leases",
               (*_LEASE_LABELS, *_ID), list(leases.items()))
    yield from _wireless(wireless, _INDEX, _ID)


def _rule_name(f: Sequence[Value]) -> str:
    name = f"| {_text(f[_CHAIN])} | {_text(f[_ACTION])} | {_text(f[_COMMENT])}"
    for extra in (_OUT, _PROTOCOL):
        if value := _text(f[extra]):
            name = f"{name} | {value}"
    return name



def _true(value: Value) -> bool:
    return value is True or value == 1 or value == "true"


def _bool_text(value: Value) -> str:
    return "true" if _true(value) else "false"

