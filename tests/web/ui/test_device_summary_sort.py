"""The device list and the API sorted by a summary value (CPU, memory, uptime,
newest contact): each device once, its own device-wide value (never a per-core or
per-interface series of the same metric), devices without a value last, and the
values the documents show. The summary values are joined, not read by a subquery
per device (PostgreSQL took seconds to sort 10,000 devices that way:
bench/pages.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mikromon.domain.samples import Sample, make_labels

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]


def _device(name: str, cpu: float | None, *, ago_s: float = 1.0, cores: int = 0):
    from mikromon.web.monitor.models import Device
    from mikromon.web.monitor.storage import DjangoStorage

    dev = Device(name=name, host="127.0.0.1", username="u")
    dev.set_password("pw")
    dev.save()
    if cpu is None:
        return dev
    ts = datetime.now(UTC) - timedelta(seconds=ago_s)
    samples = [Sample("system.cpu.load_pct", cpu, ts),
               Sample("system.memory.used_pct", 100 - cpu, ts),
               Sample("system.uptime_seconds", 1000 + cpu, ts)]
    # Per-core loads: the same metric with a label, higher than the device's.
    samples += [Sample("system.cpu.load_pct", 99.0, ts, make_labels(cpu=str(core)))
                for core in range(cores)]
    DjangoStorage(maintenance_interval=None).write_samples(dev.pk, samples)
    return dev


@pytest.fixture
def fleet():
    _device("a-idle", 5.0, ago_s=30, cores=4)
    _device("b-busy", 80.0, ago_s=2, cores=2)
    _device("c-never", None)
    _device("d-half", 50.0, ago_s=10)


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [d.name for d in response.context["devices"]]


def test_device_list_sorts_by_summary_values_once_per_device(admin_web, fleet) -> None:
    assert _names(admin_web.get("/devices/?sort=cpu")) == ["a-idle", "d-half", "b-busy",
                                                           "c-never"]
    assert _names(admin_web.get("/devices/?sort=-cpu")) == ["b-busy", "d-half", "a-idle",
                                                            "c-never"]
    assert _names(admin_web.get("/devices/?sort=memory")) == ["b-busy", "d-half", "a-idle",
                                                              "c-never"]
    assert _names(admin_web.get("/devices/?sort=-uptime")) == ["b-busy", "d-half", "a-idle",
                                                               "c-never"]
    assert _names(admin_web.get("/devices/?sort=-last_seen")) == ["b-busy", "d-half",
                                                                  "a-idle", "c-never"]
    listed = {d.name: d for d in admin_web.get("/devices/?sort=cpu").context["devices"]}
    assert (listed["a-idle"].cpu_pct, listed["a-idle"].memory_pct) == (5.0, 95.0)
    assert listed["b-busy"].uptime_s == 1080.0
    assert listed["c-never"].cpu_pct is None
    assert listed["c-never"].data_ts is None


def test_api_device_documents_carry_the_device_wide_values(admin_token, fleet) -> None:
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    response = api.get("/api/v1/devices?sort=-cpu")
    assert response.status_code == 200, response.content[:300]
    rows = response.json()["devices"]
    assert [r["name"] for r in rows] == ["b-busy", "d-half", "a-idle", "c-never"]


def test_summary_values_are_not_a_subquery_per_device(admin_web, fleet) -> None:
    with CaptureQueriesContext(connection) as ctx:
        assert admin_web.get("/devices/?sort=cpu").status_code == 200
    listing = [q["sql"] for q in ctx.captured_queries
               if "monitor_metriclatest" in q["sql"] and "LIMIT" in q["sql"].upper()]
    assert listing, [q["sql"][:80] for q in ctx.captured_queries]
    assert all("(SELECT" not in sql.upper() for sql in listing), listing
