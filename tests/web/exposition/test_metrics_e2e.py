"""From a router to a scrape: the collector polls an emulated router over the API
protocol into the database, and ``/metrics`` serves the router's own interface
counters and CPU load under mktxp's names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from mikromon.emulator.testing import EmulatorHandle, running_emulators
from waiting import until

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def emulated() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


def scrape(api: Client) -> dict[str, dict[str, float]]:
    """Family sample name -> {the name label (or ''): value} for edge-1."""
    response = api.get("/metrics")
    assert response.status_code == 200
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            if s.labels.get("routerboard_name") == "edge-1":
                out.setdefault(s.name, {})[s.labels.get("name", "")] = s.value
    return out


def router_counters(router: EmulatorHandle) -> dict[str, int]:
    import librouteros

    api = librouteros.connect(host=router.host, port=router.port, username=router.username,
                              password=router.password)
    try:
        return {row["name"]: int(row["rx-byte"]) for row in api.path("interface")
                if "rx-byte" in row}
    finally:
        api.close()


def test_scrape_serves_the_routers_counters(emulated, admin_token):
    from mikromon.schedule import CollectorService
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name="edge-1", host=emulated.host, port=emulated.port,
                 username=emulated.username)
    dev.set_password(emulated.password)
    dev.save()
    emulated.set_cpu_load(37)
    service = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                               DjangoCollectorLock(ttl=3.0), time_scale=0.2, lock_retry_s=0.1)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    before = router_counters(emulated)
    service.start()
    try:
        assert until(lambda: "mktxp_interface_rx_byte_total" in scrape(api), 20)
        got = scrape(api)
    finally:
        service.stop(10)
    after = router_counters(emulated)
    counters = got["mktxp_interface_rx_byte_total"]
    assert set(counters) <= set(after)
    assert counters, "no interface counter exposed"
    for name, value in counters.items():
        # The router's own counter, as read by the last poll: between two direct reads.
        assert before[name] <= value <= after[name], name
    assert got["mktxp_system_cpu_load"][""] == 37
