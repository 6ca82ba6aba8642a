"""``mikromon device``: every action's success and failure paths, against the test
database (in-process; Django is set up by pytest-django)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

ADD = ["device", "add", "--name", "r1", "--host", "127.0.0.1", "--username", "mon"]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("router-pass\nignored second line\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def r1(cli, password_file):
    result = cli(*ADD, "--password-file", password_file, "--site", "HQ", "--tag", "core")
    assert result.code == 0, result.err
    from mikromon.web.monitor.models import Device

    return Device.objects.get(name="r1")


def test_add_stores_everything_and_encrypts_the_password(cli, password_file) -> None:
    """add saves the options given, defaults the rest, and encrypts the password."""
    from mikromon.web.monitor.models import Device

    result = cli(
        *ADD, "--password-file", password_file, "--ssl", "--tls-verify", "anonymous-dh",
        "--encoding", "cp1251", "--site", "HQ", "--tag", "core", "--tag", "edge",
        "--realtime-interval", "10", "--extended-interval", "7200", "--notes", "rack 3",
    )
    assert result.code == 0, result.err
    assert "added device 'r1' (127.0.0.1:8729)" in result.out
    device = Device.objects.get(name="r1")
    assert device.port == 8729
    assert device.use_ssl is True
    assert device.tls_verify == "anonymous-dh"
    assert device.encoding == "cp1251"
    assert device.site.name == "HQ"
    assert sorted(t.name for t in device.tags.all()) == ["core", "edge"]
    assert device.realtime_interval == 10
    assert device.short_interval == 60
    assert device.extended_interval == 7200
    assert device.get_password() == "router-pass"
    assert "router-pass" not in device.password_encrypted


def test_add_reads_the_password_from_the_environment(cli, monkeypatch) -> None:
    """--password-env names the variable holding the password."""
    from mikromon.web.monitor.models import Device

    monkeypatch.setenv("ROUTER_PW", "from-env")
    assert cli(*ADD, "--password-env", "ROUTER_PW").code == 0
    assert Device.objects.get(name="r1").get_password() == "from-env"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--password-env", "MIKROMON_TEST_UNSET_VARIABLE"], "is not set"),
        (["--password-file", "/nonexistent/pw"], "cannot read password file"),
        ([], "no password given"),
        (["--password-file", "PW", "--realtime-interval", "2"],
         "realtime interval must be at least 5 seconds (got 2)"),
        (["--password-file", "PW", "--long-interval", "60", "--medium-interval", "100"],
         "medium interval must be at least 120 seconds"),
        (["--password-file", "PW", "--encoding", "klingon"], "Unknown text encoding"),
        (["--password-file", "PW", "--site", "HQ", "--tag", "x" * 60],
         f"tag {'x' * 60!r}: Ensure this value has at most 50 characters"),
        (["--password-file", "PW", "--site", "s" * 101], "site 'sss"),
    ],
    ids=["unset env", "missing file", "no password", "realtime min", "medium min",
         "encoding", "tag too long", "site too long"],
)
def test_add_failures_change_nothing(cli, password_file, extra, message) -> None:
    """A rejected add exits 2, says why, and leaves no device, site or tag behind."""
    from mikromon.web.monitor.models import Device, Site, Tag

    args = [password_file if a == "PW" else a for a in extra]
    result = cli(*ADD, *args)
    assert result.code == 2
    assert message in result.err
    assert result.err.startswith("mikromon: error: ")
    assert not Device.objects.exists()
    assert not Site.objects.exists()
    assert not Tag.objects.exists()


def test_add_refuses_a_duplicate_name(cli, r1, password_file) -> None:
    result = cli(*ADD, "--password-file", password_file)
    assert result.code == 2
    assert "a device named 'r1' already exists" in result.err


def test_empty_password_file_is_refused(cli, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    result = cli(*ADD, "--password-file", str(empty))
    assert result.code == 2
    assert "is empty" in result.err


def test_list_json(cli, r1) -> None:
    """list --json gives the API's device objects (docs/api.md), times ISO 8601 UTC."""
    from datetime import UTC, datetime

    from mikromon.web.monitor.models import Device

    Device.objects.filter(pk=r1.pk).update(
        state="up", last_seen=datetime(2025, 1, 31, 12, 0, 5, 654321, tzinfo=UTC),
        identity="core-1", ros_version="7.16.2 (stable)",
        status_changed_at=datetime(2025, 1, 31, 11, 0, 0, 1, tzinfo=UTC),
    )
    result = cli("device", "list", "--json")
    assert result.code == 0
    [doc] = json.loads(result.out)
    assert doc | {"stale": None} == {
        "id": r1.pk, "name": "r1", "host": "127.0.0.1", "port": 8728,
        "endpoint": "127.0.0.1:8728", "enabled": True,
        "site": {"id": r1.site_id, "name": "HQ"}, "tags": ["core"],
        "state": "up", "state_label": "Up", "stale": None,
        "last_data": "2025-01-31T12:00:05Z", "last_seen": "2025-01-31T12:00:05Z",
        "last_error": "", "status_changed_at": "2025-01-31T11:00:00Z",
        "identity": "core-1", "board": "", "version": "7.16.2 (stable)",
        "summary": {"cpu_pct": None, "memory_pct": None, "uptime_s": None},
        "urls": {"self": f"/api/v1/devices/{r1.pk}", "dashboard": f"/devices/{r1.pk}/"},
    }
    shown = json.loads(cli("device", "show", "r1", "--json").out)
    assert shown["last_seen"] == "2025-01-31T12:00:05Z"
    assert shown["status_changed_at"] == "2025-01-31T11:00:00Z"
    assert "2025-01-31T12:00:05Z" in cli("device", "list").out


def test_json_is_the_api_document(cli, r1, client, django_user_model) -> None:
    """``device list --json`` and ``device show --json`` answer what
    ``GET /api/v1/devices`` and ``GET /api/v1/devices/<id>`` answer."""
    client.force_login(django_user_model.objects.create_user("a", is_staff=True))
    listed = client.get("/api/v1/devices").json()["devices"]
    assert json.loads(cli("device", "list", "--json").out) == listed
    one = client.get(f"/api/v1/devices/{r1.pk}").json()
    assert json.loads(cli("device", "show", "r1", "--json").out) == one
    assert {"username", "has_password", "inventory_tables", "summary"} <= one.keys()


def test_list_by_state_accepts_degraded(cli, r1) -> None:
    from mikromon.web.monitor.models import Device

    Device.objects.filter(pk=r1.pk).update(state="degraded")
    result = cli("device", "list", "--json", "--state", "degraded")
    assert result.code == 0
    assert [d["state"] for d in json.loads(result.out)] == ["degraded"]
    assert json.loads(cli("device", "list", "--json", "--state", "up").out) == []
    bad = cli("device", "list", "--state", "bogus")
    assert bad.code == 2
    assert "degraded" in bad.err


def test_list_text_and_empty(cli) -> None:
    result = cli("device", "list")
    assert result.code == 0
    assert "no devices" in result.out
    assert json.loads(cli("device", "list", "--json").out) == []


def test_show(cli, r1) -> None:
    """show prints settings and state but never the password."""
    result = cli("device", "show", "r1", "--json")
    assert result.code == 0
    data = json.loads(result.out)
    assert data["site"]["name"] == "HQ"
    assert data["tags"] == ["core"]
    assert data["has_password"] is True
    assert data["intervals"] == {
        "realtime": 5, "short": 60, "medium": 300, "long": 3600, "extended": 86400
    }
    text = cli("device", "show", "r1").out
    assert "router-pass" not in text + result.out
    assert "site:" in text
    # Intervals read as on the pages and in 'collector status' (one formatter).
    assert "realtime 5 s, short 1 min, medium 5 min, long 1 h, extended 24 h" in text


@pytest.mark.parametrize("action", [["show"], ["edit"], ["remove", "--yes"], ["enable"],
                                    ["disable"]], ids=lambda a: a[0])
def test_unknown_device(cli, r1, action) -> None:
    """Naming a device that does not exist exits 2 and lists the known ones."""
    result = cli("device", action[0], "nope", *action[1:])
    assert result.code == 2
    assert "no device named 'nope' (known: r1)" in result.err


def test_edit_changes_only_what_is_given(cli, r1, tmp_path) -> None:
    from mikromon.web.monitor.models import Device

    new_pw = tmp_path / "new"
    new_pw.write_text("second-pass", encoding="utf-8")
    result = cli(
        "device", "edit", "r1", "--name", "core-1", "--realtime-interval", "15", "--tag", "a",
        "--tag", "b", "--password-file", str(new_pw),
    )
    assert result.code == 0, result.err
    device = Device.objects.get(pk=r1.pk)
    assert device.name == "core-1"
    assert device.realtime_interval == 15
    assert device.host == "127.0.0.1"
    assert device.site.name == "HQ"
    assert sorted(t.name for t in device.tags.all()) == ["a", "b"]
    assert device.get_password() == "second-pass"


def test_edit_ssl_follows_the_default_port(cli, r1) -> None:
    """Switching API-SSL on moves a default port 8728 to 8729 (a custom port stays)."""
    from mikromon.web.monitor.models import Device

    assert cli("device", "edit", "r1", "--ssl").code == 0
    assert Device.objects.get(pk=r1.pk).port == 8729
    assert cli("device", "edit", "r1", "--no-ssl", "--port", "9000").code == 0
    assert Device.objects.get(pk=r1.pk).port == 9000
    assert cli("device", "edit", "r1", "--ssl").code == 0
    assert Device.objects.get(pk=r1.pk).port == 9000


def test_edit_failing_halfway_changes_nothing(cli, r1) -> None:
    """An edit with one bad value keeps every other value as it was."""
    from mikromon.web.monitor.models import Device

    result = cli(
        "device", "edit", "r1", "--host", "127.0.0.9", "--site", "Elsewhere", "--tag", "new",
        "--short-interval", "5",
    )
    assert result.code == 2
    assert "short interval must be at least 30 seconds" in result.err
    device = Device.objects.get(pk=r1.pk)
    assert device.host == "127.0.0.1"
    assert device.site.name == "HQ"
    assert [t.name for t in device.tags.all()] == ["core"]


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("not a host!! <b>x</b>", "is not a host name or IP address"),
        ("", "host must not be empty"),
        ("   ", "host must not be empty"),
        ("router_1.example.net", "is not a host name or IP address"),
        ("256.1.1.1", "is not a valid IPv4 address"),
        ("192.0.2.1:8728", "give the port in its own field"),
        ("edge-.example.net", "starts or ends with '-'"),
    ],
    ids=["markup", "empty", "blank", "underscore", "ipv4 range", "with port", "hyphen"],
)
def test_add_refuses_an_invalid_host(cli, password_file, host, message) -> None:
    """--host is checked before anything is saved (or a password asked for)."""
    from mikromon.web.monitor.models import Device

    args = list(ADD)
    args[args.index("--host") + 1] = host
    result = cli(*args, "--password-file", password_file)
    assert result.code == 2, result.out
    assert result.err.startswith("mikromon: error: ")
    assert message in result.err
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("host", "stored"),
    [("router1.example.net", "router1.example.net"), (" 192.0.2.7 ", "192.0.2.7"),
     ("::1", "::1"), ("[2001:db8::1]", "2001:db8::1"), ("localhost", "localhost")],
)
def test_add_accepts_names_and_addresses(cli, password_file, host, stored) -> None:
    from mikromon.web.monitor.models import Device

    args = list(ADD)
    args[args.index("--host") + 1] = host
    result = cli(*args, "--password-file", password_file)
    assert result.code == 0, result.err
    assert Device.objects.get(name="r1").host == stored


@pytest.mark.parametrize("host", ["", "bad host", "[192.0.2.1]"])
def test_edit_refuses_an_invalid_or_empty_host(cli, r1, host) -> None:
    """`edit --host ""` is an error, never "updated" with the host left as it was."""
    from mikromon.web.monitor.models import Device

    result = cli("device", "edit", "r1", "--host", host, "--realtime-interval", "10")
    assert result.code == 2, result.out
    assert "updated" not in result.out
    assert result.err.startswith("mikromon: error: host ")
    device = Device.objects.get(pk=r1.pk)
    assert (device.host, device.realtime_interval) == ("127.0.0.1", 5)


def test_edit_sets_a_valid_host(cli, r1) -> None:
    from mikromon.web.monitor.models import Device

    result = cli("device", "edit", "r1", "--host", "[::1]")
    assert result.code == 0, result.err
    assert Device.objects.get(pk=r1.pk).host == "::1"


def test_edit_rename_to_existing_name_is_refused(cli, r1, password_file) -> None:
    assert cli(*ADD[:3], "r2", *ADD[4:], "--password-file", password_file).code == 0
    result = cli("device", "edit", "r2", "--name", "r1")
    assert result.code == 2
    assert "already exists" in result.err


def test_edit_clears_site_and_tags(cli, r1) -> None:
    from mikromon.web.monitor.models import Device

    assert cli("device", "edit", "r1", "--no-site", "--no-tags").code == 0
    device = Device.objects.get(pk=r1.pk)
    assert device.site is None
    assert not device.tags.exists()


def test_enable_disable(cli, r1) -> None:
    from mikromon.web.monitor.models import Device

    result = cli("device", "disable", "r1")
    assert result.code == 0
    assert "disabled device 'r1'" in result.out
    assert Device.objects.get(pk=r1.pk).enabled is False
    assert cli("device", "enable", "r1").code == 0
    assert Device.objects.get(pk=r1.pk).enabled is True


def test_enable_with_one_unknown_name_changes_nothing(cli, r1) -> None:
    from mikromon.web.monitor.models import Device

    assert cli("device", "disable", "r1").code == 0
    assert cli("device", "enable", "r1", "nope").code == 2
    assert Device.objects.get(pk=r1.pk).enabled is False


def test_remove_needs_confirmation_without_a_terminal(cli, r1) -> None:
    """Without --yes and without a terminal, remove refuses and keeps the device."""
    from mikromon.web.monitor.models import Device

    result = cli("device", "remove", "r1")
    assert result.code == 2
    assert "--yes" in result.err
    assert Device.objects.filter(pk=r1.pk).exists()
    result = cli("device", "remove", "r1", "--yes")
    assert result.code == 0
    assert not Device.objects.filter(pk=r1.pk).exists()


def test_edit_bumps_the_configuration_version(cli, r1) -> None:
    """A running collector notices edits through the configuration version."""
    from mikromon.web.monitor.models import ConfigVersion

    before = ConfigVersion.current()
    assert cli("device", "edit", "r1", "--realtime-interval", "20").code == 0
    assert ConfigVersion.current() != before


def test_device_add_url_host(cli, db) -> None:
    result = cli(*ADD[:4], "--host", "http://x", "--username", "mon")
    assert result.code == 2
    assert "without http://" in result.err


def test_edit_conflicting_options_are_an_argparse_error(cli, r1) -> None:
    for conflict in (["--tag", "a", "--no-tags"], ["--site", "x", "--no-site"]):
        result = cli("device", "edit", "r1", *conflict)
        assert result.code == 2, conflict
        assert "not allowed with" in result.err


def test_edit_without_options_changes_nothing(cli, r1) -> None:
    result = cli("device", "edit", "r1")
    assert result.code == 2
    assert "nothing to change" in result.err
    assert "updated" not in result.out


def test_show_json_uses_the_api_names(cli, r1) -> None:
    result = cli("device", "show", "r1", "--json")
    doc = json.loads(result.out)
    assert doc["has_password"] is True
    assert doc["use_ssl"] is False
    assert doc["last_error"] == ""
    assert "password_set" not in doc
    assert "ssl" not in doc
