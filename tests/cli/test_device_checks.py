"""``mikromon device``: empty text options, TLS options without API-SSL, IPv6 hosts in
brackets, product-style messages; ``export`` and ``collector status`` wording."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ADD = ["device", "add", "--name", "r1", "--host", "127.0.0.1", "--username", "mon"]


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("router-pass\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def r1(cli, password_file):
    assert cli(*ADD, "--password-file", password_file).code == 0
    from mikromon.web.monitor.models import Device

    return Device.objects.get(name="r1")


@pytest.mark.parametrize(("option", "field"), [
    ("--name", "name"), ("--username", "username"), ("--encoding", "encoding"),
])
@pytest.mark.parametrize("value", ["", "   "])
def test_edit_with_empty_text_is_refused(cli, r1, option, field, value) -> None:
    """An empty (or blank) required text is exit 2 naming the field; nothing changes."""
    result = cli("device", "edit", "r1", option, value)
    assert result.code == 2, result.out
    assert f"{field} must not be empty" in result.err
    assert "updated" not in result.out
    r1.refresh_from_db()
    assert (r1.name, r1.username, r1.encoding) == ("r1", "mon", "utf-8")


@pytest.mark.parametrize(("option", "field"), [
    ("--name", "name"), ("--username", "username"), ("--encoding", "encoding"),
])
def test_add_with_empty_text_is_refused(cli, password_file, option, field) -> None:
    args = list(ADD)
    if option in args:
        args[args.index(option) + 1] = " "
    else:
        args += [option, ""]
    result = cli(*args, "--password-file", password_file)
    assert result.code == 2
    assert f"{field} must not be empty" in result.err


def test_duplicate_names_are_named(cli, r1, password_file) -> None:
    result = cli(*ADD, "--password-file", password_file)
    assert "mikromon: error: name: a device named 'r1' already exists" in result.err
    cli("device", "add", "--name", "r2", "--host", "127.0.0.1", "--username", "u",
        "--password-file", password_file)
    result = cli("device", "edit", "r2", "--name", "r1")
    assert result.code == 2
    assert "name: a device named 'r1' already exists" in result.err


def test_add_tls_verify_without_ssl_is_refused(cli, password_file) -> None:
    result = cli(*ADD, "--password-file", password_file, "--tls-verify", "anonymous-dh")
    assert result.code == 2
    assert ("tls verify: TLS verification 'anonymous-dh' applies to API-SSL only: switch "
            "API-SSL on, or leave it at 'verify'") in result.err


def test_edit_tls_verify_on_a_plain_device_is_refused(cli, r1) -> None:
    result = cli("device", "edit", "r1", "--tls-verify", "no-verify")
    assert result.code == 2
    assert "TLS verification 'no-verify' applies to API-SSL only" in result.err
    result = cli("device", "edit", "r1", "--tls-verify", "no-verify", "--no-ssl")
    assert result.code == 2
    r1.refresh_from_db()
    assert r1.tls_verify == "verify"


def test_edit_tls_verify_with_ssl_works(cli, r1) -> None:
    assert cli("device", "edit", "r1", "--ssl", "--tls-verify", "no-verify").code == 0
    assert cli("device", "edit", "r1", "--tls-verify", "anonymous-dh").code == 0
    r1.refresh_from_db()
    assert r1.tls_verify == "anonymous-dh"


def test_edit_ssl_says_that_the_port_moved(cli, r1) -> None:
    result = cli("device", "edit", "r1", "--ssl")
    assert result.code == 0
    assert "port 8728 -> 8729 (API-SSL)" in result.out
    result = cli("device", "edit", "r1", "--no-ssl")
    assert "port 8729 -> 8728 (plain API)" in result.out
    result = cli("device", "edit", "r1", "--notes", "x")
    assert "port" not in result.out


def test_ipv6_hosts_are_printed_in_brackets(cli, password_file) -> None:
    result = cli("device", "add", "--name", "v6", "--host", "[2001:db8::1]",
                 "--username", "u", "--password-file", password_file)
    assert result.code == 0, result.err
    assert "added device 'v6' ([2001:db8::1]:8728)" in result.out
    result = cli("device", "edit", "v6", "--port", "9000")
    assert "updated device 'v6' ([2001:db8::1]:9000)" in result.out


def test_export_of_an_unknown_device_lists_the_known_ones(cli, r1) -> None:
    result = cli("export", "nosuch", "--metric", "system.cpu.load_pct")
    assert result.code == 2
    assert "no device named 'nosuch' (known: r1)" in result.err


def test_collector_status_says_never_for_a_tier_that_has_not_run() -> None:
    from mikromon.cli.collector import render_status

    document = {"running": True, "desired": "running", "writer": None,
                "process": {"pid": 10, "host": "h", "started_at": "2025-01-31T12:00:00Z"},
                "devices": [{"id": 1, "name": "r1", "state": "unknown",
                             "tiers": {"long": {"interval_s": 3600, "last_run": None,
                                                "duration_s": None,
                                                "next_due": "2025-01-31T13:00:00Z",
                                                "errors": 0}}}]}
    text = render_status(document)
    assert "last never," in text
    assert "(- s)" not in text


def test_access_log_help_and_docs_say_what_is_logged(cli) -> None:
    """Without --access-log, 5xx are logged and 4xx are not (unless -v): the help
    and docs/operations.md say so, not "failed requests are logged anyway"."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(
        encoding="utf-8")
    row = next(line for line in docs.splitlines() if line.startswith("| `--access-log`"))
    assert "5xx" in row
    assert "401" in row
    assert "failed requests are logged anyway" not in docs
    result = cli("serve", "--help")
    assert "4xx answers only with -v" in " ".join(result.out.split())


def test_collect_once_tls_verify_needs_ssl(cli) -> None:
    result = cli("collect-once", "--host", "127.0.0.1", "--username", "u",
                 "--password-env", "MIKROMON_TEST_UNSET", "--tls-verify", "no-verify")
    assert result.code == 2
    assert "--tls-verify no-verify needs --ssl" in result.err
