"""From a router to a scrape: an emulated router polled end to end gives mktxp's
interface info families and, when ``MIKROMON_METRICS_DHCP_LEASES`` is on, one
``mktxp_dhcp_lease_info`` sample per bound lease (value: seconds to expiry); when
``MIKROMON_METRICS_WIRELESS_CLIENTS`` is on, mktxp's per-client wireless families
named by those leases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from scraping import label_sets

from mikromon.emulator.profiles import V7
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emulated() -> Iterator[EmulatorHandle]:
    # No churn: the leases polled and the leases read after the service stopped
    # are compared, and churn changes the bound leases every period.
    with running_emulators(count=1, profile=V7.replace(churn=0.0)) as handles:
        yield handles[0]


def router_rows(router: EmulatorHandle, path: str) -> list[dict[str, Any]]:
    import librouteros

    api = librouteros.connect(host=router.host, port=router.port, username=router.username,
                              password=router.password)
    try:
        return list(api.path(*path.strip("/").split("/")))
    finally:
        api.close()


def test_interface_info_and_dhcp_leases_from_a_polled_router(emulated, admin_token, settings):
    from mikromon.schedule import CollectorService
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    settings.MIKROMON_METRICS_DHCP_LEASES = True
    settings.MIKROMON_METRICS_WIRELESS_CLIENTS = True
    dev = Device(name="edge-1", host=emulated.host, port=emulated.port,
                 username=emulated.username)
    dev.set_password(emulated.password)
    dev.save()
    service = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                               DjangoCollectorLock(ttl=3.0), time_scale=0.2, lock_retry_s=0.1)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    service.start()
    try:
        wanted = {"mktxp_dhcp_lease_info", "mktxp_interface_type_info",
                  "mktxp_wlan_clients_devices_info"}
        assert until(lambda: wanted <= set(label_sets(api, "edge-1")), 30)
        got = label_sets(api, "edge-1")
        settings.MIKROMON_METRICS_DHCP_LEASES = False
        join_only = label_sets(api, "edge-1")
        settings.MIKROMON_METRICS_WIRELESS_CLIENTS = False
        off = label_sets(api, "edge-1")
    finally:
        service.stop(10)
    interfaces = router_rows(emulated, "/interface")
    assert {(i["name"], i["type"]) for i in interfaces} == {
        (s["name"], s["type"]) for s in got["mktxp_interface_type_info"]}
    macs = {s["name"]: s["mac_address"] for s in got["mktxp_interface_mac_address_info"]}
    assert macs == {i["name"]: i.get("mac-address", "") for i in interfaces}
    leases = [row for row in router_rows(emulated, "/ip/dhcp-server/lease")
              if row.get("status") == "bound" and "expires-after" in row]
    assert leases, "the emulated router should hold bound leases"
    exposed = {(s["mac_address"], s["address"], s["server"], s["host_name"])
               for s in got["mktxp_dhcp_lease_info"]}
    assert exposed == {(lease["mac-address"], lease["address"], lease["server"],
                        lease.get("host-name", "")) for lease in leases}
    assert all(float(s["value"]) > 0 for s in got["mktxp_dhcp_lease_info"])
    assert "mktxp_dhcp_lease_info" not in off  # off by default
    assert "mktxp_interface_type_info" in off
    # wireless clients: named by their lease's host-name, else their MAC address
    names = {row["mac-address"].upper(): row.get("host-name") or row["mac-address"]
             for row in router_rows(emulated, "/ip/dhcp-server/lease")
             if row.get("status") == "bound"}
    clients = router_rows(emulated, "/interface/wifi/registration-table")
    assert clients, "the emulated router should hold wifi clients"
    expected = {(c["mac-address"], names.get(c["mac-address"].upper(), c["mac-address"]),
                 c["interface"]) for c in clients}
    for scraped in (got, join_only):
        assert {(s["mac_address"], s["dhcp_name"], s["interface"])
                for s in scraped["mktxp_wlan_clients_devices_info"]} == expected
        assert len(scraped["mktxp_wlan_clients_signal_strength"]) == len(
            {name for _, name, _ in expected})
    assert "mktxp_dhcp_lease_info" not in join_only  # leases read only to name clients
    assert not [name for name in off if name.startswith("mktxp_wlan_clients")]
