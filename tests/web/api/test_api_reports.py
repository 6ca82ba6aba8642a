"""The report endpoints: JSON and CSV answers, parameters checked with errors
naming the parameter, sign-in required."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from mikromon.web.monitor.models import Event, MetricPoint, Series, labels_key

pytestmark = pytest.mark.db_backend

T0 = datetime(2026, 10, 1, tzinfo=UTC)
S0 = int(T0.timestamp())


@pytest.fixture
def api(admin_token):
    """A client authenticated with the admin's token."""
    return Client(HTTP_AUTHORIZATION=f"Token {admin_token}")


@pytest.fixture
def traffic(device):
    """October 2026: ether1 receiving 1..100 Mbit/s over 100 five-minute intervals,
    and a device outage of 10 minutes."""
    from mikromon.web.monitor.models import Device

    Device.objects.filter(pk=device.pk).update(created_at=T0 - timedelta(days=30), state="up")
    for key in ("iface.rx_bps", "iface.tx_bps"):
        series = Series.objects.create(device=device, key=key, labels={"interface": "=ether1"},
                                       labels_key=labels_key([("interface", "=ether1")]))
        MetricPoint.objects.bulk_create(
            MetricPoint(series=series, ts=S0 + 300 * i, value=(i + 1) * 1e6 if "rx" in key else 0)
            for i in range(100))
    Event.objects.create(device=device, ts=T0 + timedelta(days=1), kind="device_down")
    Event.objects.create(device=device, ts=T0 + timedelta(days=1, minutes=10), kind="device_up")
    return device


def test_percentile_json_names_the_billing_figure(api, traffic):
    answer = api.get("/api/v1/reports/percentile", {"month": "2026-10"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["from"], body["to"], body["range"]) == ("2026-10-01T00:00:00Z",
                                                         "2026-11-01T00:00:00Z", "month")
    (row,) = body["rows"]
    assert row["interface"] == "=ether1"
    assert (row["rx_p95_bps"], row["billing_bps"], row["rx_samples"]) == (95e6, 95e6, 100)


def test_availability_json_and_csv(api, traffic):
    params = {"from": "2026-10-01T00:00:00Z", "to": "2026-10-03T00:00:00Z"}
    body = api.get("/api/v1/reports/availability", params).json()
    (row,) = body["rows"]
    assert body["range"] == "custom"
    assert (row["down_seconds"], row["outages"]) == (600, 1)
    assert row["availability_pct"] == pytest.approx(100 * (1 - 600 / 172800), abs=1e-4)
    answer = api.get("/api/v1/reports/availability", {**params, "format": "csv"})
    assert answer["Content-Type"].startswith("text/csv")
    assert 'filename="mikromon-availability-20261001-20261003.csv"' in answer[
        "Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert rows[0]["down_seconds"] == "600.0"
    assert rows[0]["interface"] == ""


def test_top_talkers_csv_guards_formula_names(api, traffic):
    answer = api.get("/api/v1/reports/top-talkers",
                     {"month": "2026-10", "format": "csv", "kind": "interface", "limit": "5"})
    (row,) = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert row["name"] == "'=ether1"
    assert int(row["rx_bytes"]) == sum(range(1, 101)) * 1_000_000 * 300 // 8


@pytest.mark.parametrize(("params", "named"), [
    ({"range": "yesterday"}, "range"),
    ({"month": "2026-13"}, "month"),
    ({"from": "soon"}, "from"),
    ({"range": "custom"}, "from is required"),
    ({"from": "-1d", "to": "-2d"}, "'to' must be after 'from'"),
    ({"from": "-500d"}, "400 days"),
    ({"device": "x1"}, "device"),
    ({"format": "xml"}, "format"),
    ({"kind": "vlan"}, "kind"),
    ({"limit": "0"}, "limit"),
])
def test_bad_parameters_are_named(api, db, params, named):
    answer = api.get("/api/v1/reports/top-talkers", params)
    assert answer.status_code == 400
    assert named in answer.json()["error"]


def test_reports_need_sign_in(client, db):
    assert client.get("/api/v1/reports/availability").status_code == 401


def test_viewer_may_read_reports(viewer_token, traffic):
    client = Client(HTTP_AUTHORIZATION=f"Token {viewer_token}")
    assert client.get("/api/v1/reports/availability", {"range": "last_7_days"}).status_code == 200


def test_index_lists_the_reports(api):
    endpoints = api.get("/api/v1/").json()["endpoints"]
    assert endpoints["report_top_talkers"] == "/api/v1/reports/top-talkers"
    assert endpoints["report_percentile"] == "/api/v1/reports/percentile"


def test_last_7_days_start_at_midnight_utc():
    """Today and the six days before it: whole days, which the summaries hold."""
    from mikromon.web.monitor.report_query import parse_query

    now = datetime(2026, 11, 14, 11, 22, 5, tzinfo=UTC).timestamp()
    query = parse_query({"range": "last_7_days"}, now)
    assert query.start == datetime(2026, 11, 8, tzinfo=UTC).timestamp()
    assert query.end == now


def test_percentile_and_availability_pages(api, traffic):
    body = api.get("/api/v1/reports/percentile",
                   {"month": "2026-10", "sort": "device", "per_page": "1", "page": "3"}).json()
    assert (body["page"], body["pages"], body["total"], len(body["rows"])) == (1, 1, 1, 1)
    body = api.get("/api/v1/reports/availability", {"month": "2026-10", "page": "1"}).json()
    assert (body["per_page"], body["total"]) == (50, 1)
    assert "page" not in api.get("/api/v1/reports/availability", {"month": "2026-10"}).json()
    answer = api.get("/api/v1/reports/percentile", {"per_page": "5000"})
    assert answer.status_code == 400
    assert "per_page" in answer.json()["error"]
    assert "sort" in api.get("/api/v1/reports/percentile", {"sort": "x"}).json()["error"]
