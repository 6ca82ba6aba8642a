"""Every menu of the emulator's menu table, walked by real clients on every profile.

* The table equals RouterOS's documented menu list for the version, packages and
  board (tests/emulator/routeros_menus.py, each path with its doc page).
* librouteros and RouterOS-api read every menu the emulated router has: no trap,
  the rows the router built, every row's fields within the menu's documented
  field list (its capture files, or :data:`DOC_FIELDS` for menus built in code).
* Menus the router lacks trap as a router does; the new menus agree with the
  router's interfaces, leases, packages and board.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import librouteros
import pytest
import routeros_api
from librouteros.exceptions import TrapError
from librouteros.login import token
from routeros_menus import DOCUMENTED_MENUS, documented_for

from mikromon.emulator import PROFILES, ManualClock, Profile, Router
from mikromon.emulator.menu_base import has_feature, has_package
from mikromon.emulator.menus import MENU_TABLE, menus_for
from mikromon.emulator.testing import EmulatorHandle, running_emulators

#: The named profiles, a PoE board (RB5009: PoE-out on every ethernet port) and a
#: 7.12 router (wifiwave2 menus).
WALKED: Final[dict[str, Profile]] = {
    **PROFILES,
    "v7-poe": PROFILES["v7"].replace(name="v7-poe", board="RB5009UPr+S+IN", ethernet=8),
    "v7-wave2": PROFILES["v7"].replace(name="v7-wave2", version="7.12.1"),
}

_RULE: Final = ("chain", "action", "comment", "bytes", "packets", "invalid", "dynamic",
                "disabled", "log", "log-prefix", ".id", "protocol", "src-address",
                "dst-address", "in-interface", "out-interface", "in-interface-list",
                "out-interface-list", "src-address-list", "dst-address-list", "dst-port",
                "src-port", "connection-state", "connection-mark", "passthrough")
_TUNNEL: Final = (".id", "name", "mtu", "actual-mtu", "local-address", "remote-address",
                  "keepalive", "dscp", "dont-fragment", "clamp-tcp-mss", "allow-fast-path",
                  "ipsec-secret", "running", "disabled", "comment")
_WIFI: Final = (".id", "name", "default-name", "l2mtu", "mac-address", "arp-timeout",
                "radio-mac", "configuration.mode", "configuration.ssid",
                "configuration.country", "channel.band", "channel.frequency",
                "channel.width", "channel.skip-dfs-channels",
                "security.authentication-types", "configuration.manager", "master",
                "bound", "inactive", "running", "disabled")
#: Field lists of menus the emulator builds in code without a capture file, from
#: the CLI reference pages (manual.mikrotik.com/docs/cli-reference/<path>) and
#: help.mikrotik.com pages named in mikromon.emulator.reconstructed.
DOC_FIELDS: Final[dict[str, frozenset[str]]] = {
    "/system/clock": frozenset({"time", "date", "time-zone-autodetect", "time-zone-name",
                                "gmt-offset", "dst-active"}),
    "/ip/firewall/mangle": frozenset({*_RULE, "new-connection-mark", "new-routing-mark",
                                      "new-packet-mark", "new-mss", "new-dscp", "tcp-flags"}),
    "/ip/firewall/connection": frozenset({
        ".id", "protocol", "src-address", "dst-address", "reply-src-address",
        "reply-dst-address", "tcp-state", "timeout", "orig-packets", "orig-bytes",
        "repl-packets", "repl-bytes", "assured", "confirmed", "seen-reply", "fasttrack"}),
    "/interface/wireless": frozenset({
        ".id", "name", "mtu", "l2mtu", "mac-address", "arp", "arp-timeout",
        "disable-running-check", "interface-type", "radio-name", "mode", "ssid", "area",
        "frequency-mode", "country", "antenna-gain", "frequency", "band", "channel-width",
        "scan-list", "wireless-protocol", "rate-set", "distance", "tx-power-mode",
        "noise-floor-threshold", "vlan-mode", "vlan-id", "wds-mode", "wds-default-bridge",
        "bridge-mode", "default-authentication", "default-forwarding", "hide-ssid",
        "security-profile", "wps-mode", "installation", "running", "disabled"}),
    "/interface/wifi": frozenset(_WIFI),
    "/interface/wifiwave2": frozenset(_WIFI),
    "/caps-man/interface": frozenset({
        ".id", "name", "mac-address", "master-interface", "configuration", "current-state",
        "current-channel", "current-registered-clients", "disabled"}),
    "/caps-man/registration-table": frozenset({
        ".id", "interface", "ssid", "mac-address", "tx-rate", "rx-rate", "rx-signal",
        "uptime", "packets", "bytes", "eap-identity", "comment"}),
    "/ipv6/firewall/nat": frozenset({*_RULE, "to-address", "to-ports"}),
    "/ipv6/firewall/mangle": frozenset({*_RULE, "new-connection-mark", "new-routing-mark",
                                        "new-packet-mark", "new-mss"}),
    "/ipv6/firewall/raw": frozenset(_RULE),
    "/interface/wireguard": frozenset({".id", "name", "mtu", "listen-port", "private-key",
                                       "public-key", "running", "disabled", "comment"}),
    "/interface/wireguard/peers": frozenset({
        ".id", "name", "interface", "public-key", "endpoint-address", "endpoint-port",
        "current-endpoint-address", "current-endpoint-port", "allowed-address",
        "preshared-key", "persistent-keepalive", "rx", "tx", "last-handshake",
        "disabled", "comment"}),
    "/interface/pppoe-server/server": frozenset({
        ".id", "service-name", "interface", "max-mtu", "max-mru", "mrru", "authentication",
        "keepalive-timeout", "one-session-per-host", "max-sessions", "pado-delay",
        "default-profile", "accept-untagged", "invalid", "disabled", "comment"}),
    # CAPsMAN (help.mikrotik.com "CAPsMAN" for /caps-man, "WiFi" CAPsMAN section)
    "/caps-man/remote-cap": frozenset({
        ".id", "name", "address", "base-mac", "board-name", "common-name", "identity",
        "radios", "serial", "state", "version", "rx-signal"}),
    "/caps-man/radio": frozenset({
        ".id", "interface", "provisioned", "radio-mac", "remote-cap-identity",
        "remote-cap-name"}),
    "/caps-man/configuration": frozenset({
        ".id", "name", "mode", "ssid", "country", "channel", "datapath", "security",
        "hide-ssid", "installation", "comment"}),
    "/caps-man/manager": frozenset({
        "enabled", "certificate", "ca-certificate", "package-path", "upgrade-policy",
        "require-peer-certificate"}),
    "/interface/wifi/capsman": frozenset({
        "enabled", "interfaces", "certificate", "ca-certificate", "package-path",
        "upgrade-policy", "require-peer-certificate"}),
    "/interface/wifi/capsman/remote-cap": frozenset({
        ".id", "address", "base-mac", "board-name", "common-name", "identity", "serial",
        "state", "version"}),
    "/interface/eoip": frozenset({*_TUNNEL, "l2mtu", "mac-address", "arp", "arp-timeout",
                                  "tunnel-id", "loop-protect"}),
    "/interface/gre": frozenset(_TUNNEL),
    "/interface/ipip": frozenset(_TUNNEL),
}


#: Documented fields a path's captures happen not to show (help.mikrotik.com
#: "Interface": the D flag of dynamic interfaces such as pppoe-in or CAP ones).
DOC_EXTRA: Final[dict[str, frozenset[str]]] = {"/interface": frozenset({"dynamic"})}


def _capture_fields(captures: Path) -> dict[tuple[str, int], frozenset[str]]:
    """``(path, major) -> fields`` from the capture files: for 6.x the ``.v6``
    files of a path when it has any, else all of them; for 7.x every file but the
    ``.v6`` ones."""
    by_path: dict[str, list[tuple[str, set[str]]]] = {}
    for file in captures.glob("*.json"):
        raw = json.loads(file.read_text("utf-8"))
        suffix = file.name[:-5].partition(".")[2]
        keys = set().union(*(set(r) for r in raw["rows"])) if raw["rows"] else set()
        by_path.setdefault(raw["path"], []).append((suffix, keys))
    out: dict[tuple[str, int], frozenset[str]] = {}
    for path, files in by_path.items():
        v6 = [k for s, k in files if s.startswith("v6")] or [k for _, k in files]
        v7 = [k for s, k in files if not s.startswith("v6")] or [k for _, k in files]
        out[(path, 6)] = frozenset(set().union(*v6))
        out[(path, 7)] = frozenset(set().union(*v7))
    return out


def fields_for(fields: dict[tuple[str, int], frozenset[str]], path: str,
               major: int) -> frozenset[str]:
    """The documented fields of ``path`` on ``major`` (the wifiwave2 menus have the
    fields of the wifi ones: the package was renamed in 7.13)."""
    if path in DOC_FIELDS:
        return DOC_FIELDS[path]
    found = fields.get((path.replace("/interface/wifiwave2/", "/interface/wifi/"), major))
    if found is None:
        pytest.fail(f"{path}: no capture file and no documented field list (DOC_FIELDS)")
    return found | DOC_EXTRA.get(path, frozenset())


@pytest.fixture(scope="module")
def walked() -> Iterator[dict[str, EmulatorHandle]]:
    with contextlib.ExitStack() as stack:
        handles = {}
        for name, profile in WALKED.items():
            small = profile.replace(connections=60, dhcp_leases=min(profile.dhcp_leases, 30),
                                    ppp_sessions=min(profile.ppp_sessions, 40))
            (handle,) = stack.enter_context(running_emulators(1, small, clock=ManualClock()))
            handles[name] = handle
        yield handles


@pytest.mark.parametrize("name", sorted(WALKED))
def test_menu_table_is_the_documented_list(name: str) -> None:
    """The emulator's menus for a profile (its menu table's and any a profile's
    packages add) are exactly those RouterOS documents for its version, packages
    and board."""
    p = WALKED[name]
    packages = frozenset(n for n in (*p.packages, "ipv6") if has_package(p, n))
    expected = documented_for(p.major, p.version_tuple[:2], packages, has_feature(p, "poe"))
    assert set(menus_for(p)) <= expected
    assert set(Router(p, clock=ManualClock()).menus) == expected


def test_every_table_entry_is_documented_and_has_a_field_list(captures: Path) -> None:
    fields = _capture_fields(captures)
    paths = {m.path for m in MENU_TABLE}
    assert paths <= set(DOCUMENTED_MENUS)
    for path in paths:
        for major in (6, 7):
            assert fields_for(fields, path, major), path


@pytest.mark.parametrize("name", sorted(WALKED))
def test_librouteros_walks_every_menu(name: str, walked: dict[str, EmulatorHandle],
                                      captures: Path) -> None:
    r = walked[name]
    router: Router = r.emulator.router
    fields = _capture_fields(captures)
    method = {"login_method": token} if not router.profile.plain_login else {}
    api = librouteros.connect(r.host, r.username, r.password, port=r.port, **method)
    try:
        for path in router.menus:
            rows = list(api.path(path))  # a trap raises here
            assert len(rows) == len(router.table(path)), path
            allowed = fields_for(fields, path, router.profile.major)
            for row in rows:
                assert row.keys() <= allowed, (path, sorted(row.keys() - allowed))
    finally:
        api.close()


@pytest.mark.parametrize("name", sorted(n for n, p in WALKED.items() if p.plain_login))
def test_routeros_api_walks_every_menu(name: str, walked: dict[str, EmulatorHandle],
                                       captures: Path) -> None:
    """RouterOS-api renames ``.id`` to ``id`` and keeps every value a string."""
    r = walked[name]
    router: Router = r.emulator.router
    fields = _capture_fields(captures)
    pool = routeros_api.RouterOsApiPool(r.host, username=r.username, password=r.password,
                                        port=r.port, plaintext_login=True)
    try:
        api = pool.get_api()
        for path in router.menus:
            rows = api.get_resource(path).get()
            assert len(rows) == len(router.table(path)), path
            allowed = fields_for(fields, path, router.profile.major)
            for row in rows:
                keys = {".id" if k == "id" else k for k in row}
                assert keys <= allowed, (path, sorted(keys - allowed))
                assert all(isinstance(v, str) for v in row.values())
    finally:
        pool.disconnect()


#: (profile, menu it lacks): absent package, other major version, no PoE-out.
ABSENT: Final = [
    ("v6-legacy", "/ipv6/address"),      # ipv6 package disabled on the hAP lite
    ("v6", "/ipv6/firewall/nat"),        # NAT66 is RouterOS 7
    ("v6", "/routing/stats/process"),
    ("v6", "/interface/wireguard"),
    ("v7", "/interface/ethernet/poe"),   # hAP ax^2: no PoE-out
    ("chr", "/interface/ethernet/poe"),
]


@pytest.mark.parametrize(("name", "path"), ABSENT)
def test_menus_the_router_lacks_trap(name: str, path: str,
                                     walked: dict[str, EmulatorHandle]) -> None:
    r = walked[name]
    method = {"login_method": token} if name == "v6-legacy" else {}
    api = librouteros.connect(r.host, r.username, r.password, port=r.port, **method)
    try:
        with pytest.raises(TrapError) as err:
            list(api.path(path))
        assert (err.value.message, err.value.category) == ("no such command prefix", 0)
        assert len(list(api.path("/system/identity"))) == 1
    finally:
        api.close()
