"""Pages with data: device list filters and sorting (bad filters named), its
last-contact time and board cell, IPv6 hosts in brackets, dashboard, overview,
events, collector, users and tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from mikromon.domain.events import DeviceState, DeviceStatus, EventKind
from mikromon.domain.events import Event as DomainEvent
from mikromon.domain.inventory import InventorySnapshot
from mikromon.domain.samples import Sample, make_labels


def _storage():
    from mikromon.web.monitor.storage import DjangoStorage

    return DjangoStorage(maintenance_interval=None)


def _make(name: str, **fields):
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host="127.0.0.1", username="u", **fields)
    dev.set_password("pw")
    dev.save()
    return dev


def _fill(dev, cpu: float, mem: float, now: datetime) -> None:
    storage = _storage()
    storage.write_samples(dev.pk, [
        Sample("system.cpu.load_pct", cpu, now),
        Sample("system.memory.used_pct", mem, now),
        Sample("system.uptime_seconds", 3 * 86400 + 4 * 3600, now),
        Sample("system.health.cpu-temperature", 51.0, now),
        Sample("iface.rx_bps", 8e6 * cpu, now, make_labels(interface="ether1")),
        Sample("iface.tx_bps", 1e6, now, make_labels(interface="ether1")),
        Sample("iface.rx_bps", 1e3, now, make_labels(interface="ether2")),
        Sample("iface.tx_bps", 1e3, now, make_labels(interface="ether2")),
    ])
    storage.write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.UP, ts=now,
                                      last_seen=now, identity=f"id-{dev.name}",
                                      board="hAP ax^2", version="7.16.2 (stable)"))


@pytest.fixture
def fleet(db):
    """Three devices: two up with data, one down."""
    from mikromon.web.monitor.models import Site, Tag

    now = datetime.now(UTC).replace(microsecond=0)
    hq = Site.objects.create(name="HQ")
    core = Tag.objects.create(name="core")
    a = _make("alpha", site=hq)
    b = _make("bravo")
    c = _make("charlie", site=hq)
    a.tags.add(core)
    _fill(a, 20.0, 40.0, now)
    _fill(b, 80.0, 10.0, now)
    _storage().write_status(DeviceStatus(device_id=c.pk, state=DeviceState.DOWN, ts=now,
                                         last_error="connection refused"))
    _storage().write_events([
        DomainEvent(device_id=c.pk, ts=now - timedelta(hours=2), kind=EventKind.DEVICE_DOWN,
                    message="charlie went down"),
        DomainEvent(device_id=a.pk, ts=now, kind=EventKind.REBOOT, message="alpha rebooted"),
    ])
    return {"alpha": a, "bravo": b, "charlie": c, "hq": hq, "core": core}


def _names(response) -> list[str]:
    return [d.name for d in response.context["devices"]]


@pytest.mark.django_db
def test_device_list_shows_state_and_values(admin_web, fleet):
    """The list shows state badges, identity, board, version, CPU and memory."""
    body = admin_web.get("/devices/").content.decode()
    for text in ("state-up", "state-down", "id-alpha", "hAP ax^2", "7.16.2 (stable)",
                 "20 %", "80 %", "3d 4h 0m", "connection refused"):
        assert text in body, text


@pytest.mark.django_db
def test_device_list_filters(admin_web, fleet):
    """Search, state, site and tag filters narrow the list."""
    assert _names(admin_web.get("/devices/?q=brav")) == ["bravo"]
    assert _names(admin_web.get("/devices/?state=down")) == ["charlie"]
    assert _names(admin_web.get(f"/devices/?site={fleet['hq'].pk}")) == ["alpha", "charlie"]
    assert _names(admin_web.get("/devices/?site=none")) == ["bravo"]
    assert _names(admin_web.get(f"/devices/?tag={fleet['core'].pk}")) == ["alpha"]


@pytest.mark.django_db
def test_device_list_sorts(admin_web, fleet):
    """Sorting by CPU puts missing values last in both directions."""
    assert _names(admin_web.get("/devices/?sort=cpu")) == ["alpha", "bravo", "charlie"]
    assert _names(admin_web.get("/devices/?sort=-cpu")) == ["bravo", "alpha", "charlie"]
    assert _names(admin_web.get("/devices/?sort=-name")) == ["charlie", "bravo", "alpha"]
    assert _names(admin_web.get("/devices/?sort=bogus")) == ["alpha", "bravo", "charlie"]


@pytest.mark.django_db
def test_dashboard(admin_web, fleet, django_assert_max_num_queries):
    """The dashboard shows current values, interfaces busiest first, inventory tabs,
    and renders in a bounded number of queries."""
    dev = fleet["alpha"]
    _storage().write_inventory(dev.pk, InventorySnapshot(
        table="arp", rows=[{"address": "10.0.0.1", "mac-address": "02:00:00:00:00:01"}],
        key_fields=("address",), ts=datetime.now(UTC)))
    # 12 for the page, 1 for its alerts, 1 for its latest events, 1 for the
    # navigation's firing-alerts badge.
    with django_assert_max_num_queries(15):
        response = admin_web.get(f"/devices/{dev.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    config = response.context["config"]
    assert config["interfaces"] == ["ether1", "ether2"]
    assert config["selected"][0] == "ether1"
    assert config["refresh_s"] == 5  # MIKROMON_TIME_SCALE unset: real seconds
    assert "/static/vendor/uplot/uPlot.iife.min.js" in body
    assert "51 °C" in body
    assert "cpu temperature" in body
    slugs = [t.slug for t in response.context["tabs"]]
    for slug in ("interfaces", "queues", "dhcp", "ppp", "hotspot", "arp", "addresses", "routes",
                 "filter", "nat", "bgp", "ospf", "wireless", "logs", "users", "services",
                 "neighbors"):
        assert slug in slugs, slug
    arp = next(t for t in response.context["tabs"] if t.slug == "arp")
    assert arp.count == 1


def test_degraded_device_shows_its_badge_and_the_router_word(admin_web, fleet):
    """A failing PSU: the device reads "degraded" (badge, list filter, overview
    problems) and the health panel shows the router's word, not a number."""
    dev = fleet["bravo"]
    now = datetime.now(UTC)
    _storage().write_status(DeviceStatus(device_id=dev.pk, state=DeviceState.DEGRADED, ts=now,
                                         last_seen=now))
    _storage().write_inventory(dev.pk, InventorySnapshot(
        table="health_states", key_fields=("name",), ts=now,
        rows=[{"name": "psu1-state", "state": "ok"}, {"name": "psu2-state", "state": "fail"}]))
    body = " ".join(admin_web.get(f"/devices/{dev.pk}/").content.decode().split())
    assert '<span id="device-state" class="badge state-degraded">Degraded</span>' in body
    assert '<dd class="bad" data-state="psu2-state">fail</dd>' in body
    assert '<dd data-state="psu1-state">ok</dd>' in body
    listed = admin_web.get("/devices/?state=degraded")
    assert [d.name for d in listed.context["devices"]] == ["bravo"]
    assert listed.context["errors"] == []
    overview = admin_web.get("/")
    assert dev in overview.context["problems"]
    assert overview.context["counts"]["degraded"] == 1
    assert "?state=degraded" in overview.content.decode()


@pytest.mark.django_db
def test_overview(admin_web, fleet):
    """The overview groups devices by site (or tag), lists the busiest interfaces,
    devices with errors and the latest events."""
    response = admin_web.get("/")
    ctx = response.context
    assert [g.name for g in ctx["groups"]] == ["HQ", "No site"]
    assert ctx["counts"] == {"up": 2, "down": 1}
    busiest = ctx["busiest"]
    assert (busiest[0].device.name, busiest[0].interface) == ("bravo", "ether1")
    assert [d.name for d in ctx["problems"]] == ["charlie"]
    assert "alpha rebooted" in response.content.decode()
    by_tag = admin_web.get("/?group=tag").context["groups"]
    assert [g.name for g in by_tag] == ["core", "No tag"]


@pytest.mark.django_db
def test_events_filter(admin_web, fleet):
    """Events filter by device, kind and time range."""
    def messages(query: str) -> list[str]:
        return [e.message for e in admin_web.get(f"/events/{query}").context["page"]]

    assert messages("") == ["alpha rebooted", "charlie went down"]
    assert messages(f"?device={fleet['charlie'].pk}") == ["charlie went down"]
    assert messages("?kind=reboot") == ["alpha rebooted"]
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert messages(f"?from={since}") == ["alpha rebooted"]
    assert messages(f"?to={since}") == ["charlie went down"]
    assert admin_web.get("/events/?from=garbage").context["errors"]


@pytest.mark.django_db
def test_collector_page_and_buttons(admin_web, fake_collector):
    """The collector page shows per-tier runs and the writer; Stop and Start call the
    in-process service and record the desired state."""
    from mikromon.web.control.state import desired_state

    fake_collector.running = True
    body = admin_web.get("/collector/").content.decode()
    for text in ("running", "timed out after 20 s", "1234", "Dropped batches", ">7<",
                 "Storage process", "4243<small> (restarts: 1)", "345<small> / 1500000 rows",
                 'id="writer-mode">process</div>',
                 'id="writer-why">auto: 812 devices, 2 CPUs</div>', "uvloop event loop"):
        assert text in body, text
    response = admin_web.post("/collector/stop/", {"next": "/devices/"})
    assert response["Location"] == "/devices/"
    assert fake_collector.calls[-1] == "stop"
    assert desired_state().running is False
    assert desired_state().changed_by == "alice"
    admin_web.post("/collector/start/", {"next": "https://evil.example/"})
    assert fake_collector.calls[-1] == "start"
    assert desired_state().running is True


@pytest.mark.django_db
def test_collector_page_and_api_show_a_database_stall_and_per_device_losses(
    admin_web, fake_collector, monkeypatch
):
    """While the database takes no writes the page says so; per-device drops and
    failed rows (with the reason) show beside the device, and in the API."""
    status = fake_collector.status()
    status["writer"].update(unavailable_s=12.5, stalls=1, rows_failed=5,
                            last_error="write_samples_many: database unavailable: "
                                       "OperationalError: database is locked")
    status["devices"][0].update(rows_dropped=60, rows_failed=5,
                                write_error="write_samples_many: DataError: too long")
    monkeypatch.setattr(fake_collector, "status", lambda: status)
    fake_collector.running = True
    body = admin_web.get("/collector/").content.decode()
    for text in ("The database takes no writes (for 12.5 s)", "60 rows dropped",
                 "5 rows failed", "DataError: too long", "Rows failed"):
        assert text in body, text
    api = admin_web.get("/api/v1/collector").json()
    device = api["status"]["devices"][0]
    assert (device["rows_dropped"], device["rows_failed"]) == (60, 5)
    assert api["status"]["writer"]["unavailable_s"] == 12.5


@pytest.mark.django_db
def test_collector_page_without_collector(admin_web, no_collector):
    """With no mikromon process running, the page says so."""
    body = admin_web.get("/collector/").content.decode()
    assert "stopped" in body
    assert "mikromon serve" in body


@pytest.mark.django_db
def test_users_create_and_roles(admin_web, admin, django_user_model):
    """Admins create viewers and admins, change roles and cannot demote themselves."""
    from mikromon.web.roles import is_admin

    admin_web.post("/users/", {"username": "vera", "role": "viewer",
                               "password": "long-enough-pass-1"})
    vera = django_user_model.objects.get(username="vera")
    assert not is_admin(vera)
    assert vera.groups.filter(name="viewers").exists()
    admin_web.post(f"/users/{vera.pk}/", {"action": "admin"})
    vera.refresh_from_db()
    assert is_admin(vera)
    admin_web.post(f"/users/{admin.pk}/", {"action": "viewer"})
    admin.refresh_from_db()
    assert is_admin(admin)
    weak = admin_web.post("/users/", {"username": "weak", "role": "viewer", "password": "1"})
    assert weak.status_code == 400


@pytest.mark.django_db
def test_tokens_are_shown_once(admin_web, admin, viewer):
    """A new token is shown once, stored hashed, and works against the API."""
    from mikromon.web.monitor.models import ApiToken

    admin_web.post("/tokens/", {"name": "grafana", "user": str(viewer.pk)})
    page = admin_web.get("/tokens/")
    key = page.context["new_token"]["key"]
    assert key in page.content.decode()
    assert key not in admin_web.get("/tokens/").content.decode()
    token = ApiToken.objects.get(name="grafana")
    assert token.user == viewer
    assert token.key_hash != key
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/devices").status_code == 200
    assert api.post("/api/v1/collector", {"action": "stop"}).status_code == 403


@pytest.mark.django_db
def test_device_list_last_seen_is_the_newest_data(admin_web, device):
    """"Last seen" is the newest contact (the newest data point), not ``last_seen``,
    which the writer refreshes at most every 30 s."""
    now = datetime.now(UTC).replace(microsecond=0)
    _storage().write_status(DeviceStatus(device_id=device.pk, state=DeviceState.UP,
                                         ts=now - timedelta(seconds=25),
                                         last_seen=now - timedelta(seconds=25),
                                         board="CHR QEMU Standard PC (i440FX + PIIX, 1996)"))
    _storage().write_samples(device.pk, [Sample("system.uptime_seconds", 100.0, now)])
    body = admin_web.get("/devices/").content.decode()
    row = re.search(r'<tr data-device="edge-1">(.*?)</tr>', body, re.S).group(1)
    seen = re.search(r'<td class="nowrap" title="([^"]*) UTC">([^<]*)</td>', row)
    assert seen
    assert seen.group(1) == f"{now:%Y-%m-%d %H:%M:%S}"
    # The sample is seconds old (more on a loaded machine), the status row 25 s.
    ago = re.fullmatch(r"(\d+) s ago|just now", seen.group(2))
    assert ago, seen.group(2)
    assert int(ago.group(1) or 0) < 20, seen.group(2)
    board = re.search(r'<td class="clip board"[^>]*>([^<]*)</td>', row)
    assert board
    assert "CHR QEMU" in board.group(1)
    assert 'title="CHR QEMU Standard PC (i440FX + PIIX, 1996)"' in row


@pytest.mark.django_db
def test_ipv6_hosts_are_shown_in_brackets(admin_web, device):
    """``2001:db8::1:8728`` is ambiguous: an IPv6 host is written ``[2001:db8::1]:8728``
    on the device list and the dashboard, as in the CLI and the API."""
    device.host = "2001:db8::1"
    device.save()
    for path in ("/devices/", f"/devices/{device.pk}/"):
        body = admin_web.get(path).content.decode()
        assert "[2001:db8::1]:8728" in body, path
        assert "2001:db8::1:8728" not in body.replace("[2001:db8::1]:8728", ""), path


@pytest.mark.django_db
def test_bad_filters_are_named_not_ignored(admin_web, device):
    """A filter value the page does not know is reported (with the values it does
    know), not silently dropped: every bad one, on the events and device lists."""
    body = " ".join(admin_web.get("/events/?kind=bogus&from=yesterday&device=x")
                    .content.decode().split())
    assert "kind=&#x27;bogus&#x27; is not one of: device_up, " in body
    assert "from=&#x27;yesterday&#x27; is not a time" in body
    assert "device=&#x27;x&#x27; is not an id" in body
    body = " ".join(admin_web.get("/devices/?state=bogus&tag=x").content.decode().split())
    assert ("state=&#x27;bogus&#x27; is not one of: unknown, up, degraded, slow, down, "
            "auth_failed, disabled") in body
    assert "&#x27;tag&#x27; must be a tag id" in body
