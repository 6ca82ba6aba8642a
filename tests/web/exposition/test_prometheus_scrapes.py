"""A real Prometheus (Debian's package) scrapes a running mikromon: the whole fleet
with a bearer token, and one target per device found through ``/metrics/sd``.
Every PromQL expression of docs/prometheus.md and of our Grafana dashboard
(docs/grafana/mikromon-fleet.json) returns data."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from django.utils import timezone

from mikromon.emulator.testing import running_emulators

pytestmark = [pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[3] / "docs" / "prometheus.md"
DASHBOARD = DOCS.parent / "grafana" / "mikromon-fleet.json"
#: Grafana's variables as the dashboard's defaults resolve them.
VARIABLES = {"$device": ".*", "$__rate_interval": "1m"}


def doc_expressions() -> list[str]:
    """The PromQL expressions of the docs' ```promql blocks (comments left out)."""
    blocks = re.findall(r"```promql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def dashboard_expressions() -> list[str]:
    """Every panel target's PromQL, Grafana's variables resolved."""
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    out = []
    for panel in doc["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            assert "$" not in expr, target["expr"]
            out.append(expr)
    return out


def test_the_dashboard_is_grafana_json_over_mikromons_families():
    doc = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert doc["uid"] == "mikromon-fleet"
    titles = [p["title"] for p in doc["panels"] if p["type"] == "row"]
    assert titles == ["Fleet", "Device", "Interfaces", "Wireless", "BGP"]
    assert len(dashboard_expressions()) >= 20
    assert {p["id"] for p in doc["panels"]} == set(range(1, len(doc["panels"]) + 1))


def test_prometheus_scrapes_the_fleet_and_each_device(live_server, prometheus_server,
                                                      admin):
    from mikromon.schedule import CollectorService
    from mikromon.web.monitor.lock import DjangoCollectorLock
    from mikromon.web.monitor.models import ApiToken, Device, Site
    from mikromon.web.monitor.sources import DjangoDeviceSource
    from mikromon.web.monitor.storage import DjangoStorage
    from mikromon.web.status_publisher import StatusPublisher

    token = ApiToken.issue(admin, "prometheus")[1]
    site = Site.objects.create(name="north")
    address = live_server.url.removeprefix("http://")
    with running_emulators(count=2, profile="mixed") as routers:
        for n, router in enumerate(routers):
            dev = Device(name=f"rtr-{n}", host=router.host, port=router.port,
                         username=router.username, site=site)
            dev.set_password(router.password)
            dev.save()
        with socket.socket() as closed:  # a port nobody listens on: a silent router
            closed.bind(("127.0.0.1", 0))
            silent_port = closed.getsockname()[1]
        silent = Device(name="silent", host="127.0.0.1", port=silent_port, username="x")
        silent.set_password("x")
        silent.save()
        service = CollectorService(DjangoDeviceSource(), DjangoStorage(),
                                   DjangoCollectorLock(ttl=3.0), time_scale=0.2,
                                   lock_retry_s=0.1)
        auth = f"    authorization:\n      credentials: {token}\n"
        prom = prometheus_server(
            "  - job_name: mikromon\n" + auth
            + f"    static_configs:\n      - targets: ['{address}']\n"
            + "  - job_name: mikromon-devices\n" + auth
            + "    http_sd_configs:\n"
            + f"      - url: {live_server.url}/metrics/sd\n"
            # `type: Bearer` spelled out: Prometheus 2.42's HTTP discovery otherwise
            # sends the bare token without its scheme.
            + "        authorization:\n          type: Bearer\n"
            + f"          credentials: {token}\n"
            + "    relabel_configs:\n"
            + "      - {source_labels: [__address__], target_label: __param_target}\n"
            + "      - {source_labels: [__param_target], target_label: instance}\n"
            + "      - {source_labels: [__meta_mikromon_site], target_label: site}\n"
            + f"      - {{target_label: __address__, replacement: '{address}'}}\n")
        service.start()
        # The collector's status reaches the web as in `mikromon serve`: published.
        publisher = StatusPublisher(service, started_at=timezone.now(), interval=0.5)
        publisher.start()
        try:
            assert prom.wait(lambda: len(prom.query(
                'rate(mktxp_interface_rx_byte_total{job="mikromon"}[1m]) > 0')) > 0, 40), \
                prom.targets()
            for expr in doc_expressions() + dashboard_expressions():
                assert prom.wait(lambda e=expr: bool(prom.query(e)), 20), expr
            devices = prom.get("/api/v1/label/device/values",
                               **{"match[]": "mikromon_device_up"})
            assert set(devices) == {"rtr-0", "rtr-1", "silent"}  # the dashboard's variable
            up = {t["labels"]["instance"]: t["health"] for t in prom.targets()
                  if t["labels"]["job"] == "mikromon-devices"}
            assert set(up) == {"rtr-0", "rtr-1", "silent"}
            assert prom.wait(lambda: len(prom.query(
                'mktxp_system_cpu_load{job="mikromon-devices",site="north"}')) == 2, 20)
            (silent_up,) = prom.query('mikromon_device_up{job="mikromon-devices",'
                                      'instance="silent"}')
            assert silent_up["value"][1] == "0"
        finally:
            publisher.stop()
            service.stop(10)
