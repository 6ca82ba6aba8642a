"""Commands agree with the API and with each other: units, series reading, unknown
metrics, host messages, argument conflicts, exit codes, help texts, names."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from mikromon.cli import build_parser
from mikromon.domain.devices import validate_host
from mikromon.domain.errors import ConfigError

ADD = ["device", "add", "--name", "r1", "--host", "127.0.0.1", "--username", "mon"]


@pytest.fixture
def dev(db):
    from mikromon.web.monitor.models import Device

    device = Device(name="r1", host="127.0.0.1", username="mon")
    device.set_password("x")
    device.save()
    return device


def test_export_gives_health_units(cli, dev) -> None:
    from mikromon.web.monitor.models import MetricPoint, Series

    now = int(time.time())
    for key in ("system.health.fan1-speed", "system.health.cpu-temperature"):
        series = Series.objects.create(device=dev, key=key)
        MetricPoint.objects.create(series=series, ts=now - 10, value=1.0)
    result = cli("export", "r1", "--metric", "system.health.*", "--from", "1h")
    assert result.code == 0, result.err
    units = {r["metric"]: r["unit"] for r in csv.DictReader(io.StringIO(result.out))}
    assert units == {"system.health.fan1-speed": "rpm",
                     "system.health.cpu-temperature": "celsius"}


def test_export_rollups_reach_the_present_like_the_api(cli, dev) -> None:
    """5-minute export past the rollup watermark aggregates raw points, as the API does."""
    from mikromon.web.monitor.models import MetricPoint, Series

    now = int(time.time())
    series = Series.objects.create(device=dev, key="system.cpu.load_pct")
    MetricPoint.objects.bulk_create(
        [MetricPoint(series=series, ts=now - 600 + 5 * i, value=float(i)) for i in range(100)]
    )
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", "--resolution", "5m",
                 "--from", "1h")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows, result.out
    assert sum(int(r["count"]) for r in rows) == 100
    assert int(rows[-1]["count"]) > 0


def test_export_unknown_metric_names_it(cli, dev) -> None:
    result = cli("export", "r1", "--metric", "nosuch.metric", "--from", "1h")
    assert result.code == 2
    assert "nosuch.metric" in result.err
    assert "unknown" in result.err


def test_export_known_metric_without_data_is_empty(cli, dev) -> None:
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", "--from", "1h")
    assert result.code == 0, result.err
    assert list(csv.reader(io.StringIO(result.out)))[1:] == []


@pytest.mark.parametrize("text", ["http://x", "https://router.example.net/", "x:8728",
                                  "192.0.2.1:8728", "[::1]:8728", "two words", "",
                                  "   ", "[x]", "ftp://[::1]"])
def test_odd_hosts_say_what_a_host_is(text) -> None:
    with pytest.raises(ConfigError) as err:
        validate_host(text)
    message = str(err.value)
    assert "not a valid IPv6 address" not in message
    assert "not a host name or IP address" in message or "empty" in message, message


@pytest.mark.parametrize(("text", "host"), [("[::1]", "::1"), (" r1.example ", "r1.example"),
                                            ("fe80::1%eth0", "fe80::1%eth0")])
def test_good_hosts(text, host) -> None:
    assert validate_host(text) == host


def test_device_add_url_host(cli, db) -> None:
    result = cli(*ADD[:4], "--host", "http://x", "--username", "mon")
    assert result.code == 2
    assert "without http://" in result.err


def test_edit_conflicting_options_are_an_argparse_error(cli, dev) -> None:
    for conflict in (["--tag", "a", "--no-tags"], ["--site", "x", "--no-site"]):
        result = cli("device", "edit", "r1", *conflict)
        assert result.code == 2, conflict
        assert "not allowed with" in result.err


def test_edit_without_options_changes_nothing(cli, dev) -> None:
    result = cli("device", "edit", "r1")
    assert result.code == 2
    assert "nothing to change" in result.err
    assert "updated" not in result.out


def test_show_json_uses_the_api_names(cli, dev) -> None:
    result = cli("device", "show", "r1", "--json")
    doc = json.loads(result.out)
    assert doc["has_password"] is True
    assert doc["use_ssl"] is False
    assert doc["last_error"] == ""
    assert "password_set" not in doc
    assert "ssl" not in doc


def test_options_before_the_action(cli, dev, tmp_path) -> None:
    parser = build_parser()
    args = parser.parse_args(["collector", "--data-dir", str(tmp_path), "status"])
    assert args.data_dir == str(tmp_path)
    args = parser.parse_args(["device", "--data-dir", str(tmp_path), "list", "--json"])
    assert args.data_dir == str(tmp_path)
    # After the action still works, and wins.
    args = parser.parse_args(["device", "--data-dir", "a", "list", "--data-dir", "b"])
    assert args.data_dir == "b"


def _helps(parser, path=()):
    yield path, parser.format_help()
    for action in parser._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict):
            for name, sub in choices.items():
                yield from _helps(sub, (*path, name))


def test_help_texts_are_plain_text() -> None:
    for path, text in _helps(build_parser()):
        assert "``" not in text, path
        assert "::" not in text.replace("[::1]", "").replace("::1", ""), path


def test_exit_codes_are_one_table() -> None:
    from mikromon.cli import _common, collect_once

    assert collect_once.EXIT_UNREACHABLE == _common.EXIT_UNREACHABLE
    assert collect_once.EXIT_AUTH == _common.EXIT_AUTH
    assert len({_common.EXIT_USAGE, _common.EXIT_DATABASE, _common.EXIT_UNREACHABLE,
                _common.EXIT_AUTH}) == 4


def test_health_state_as_words() -> None:
    from mikromon.cli.collect_once import unit_value

    assert unit_value(0.0, "state") == "fail"
    assert unit_value(1.0, "state") == "ok"


def test_token_create_names_the_token_scheme(cli, db) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("alice", password="x" * 12)
    result = cli("token", "create", "alice")
    assert result.code == 0, result.err
    assert "Authorization: Token" in result.out + result.err
    assert "Bearer" not in result.out + result.err


def test_access_log_is_off_by_default() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).access_log is False
    assert parser.parse_args(["serve", "--access-log"]).access_log is True


def test_client_errors_are_not_logged(capsys) -> None:
    """A 4xx request line is left out (unless --verbose); a 5xx stays an error."""
    import logging

    from mikromon.logconfig import configure_logging

    # The root logger is restored after each test (tests/conftest.py).
    configure_logging()
    request_log = logging.getLogger("django.request")
    request_log.warning("Bad Request: /devices/add/", extra={"status_code": 400})
    request_log.warning("Forbidden: /devices/1/edit/", extra={"status_code": 403})
    request_log.error("Internal Server Error: /", extra={"status_code": 500})
    err = capsys.readouterr().err
    assert "Internal Server Error" in err
    assert "Bad Request" not in err
    assert "Forbidden" not in err


def test_log_format_leaves_the_record_to_other_handlers() -> None:
    """The short operator-facing name is for our line only: another handler on the
    same record (a test's capture, a syslog handler) still sees the logger's name."""
    import logging

    from mikromon.logconfig import UTCFormatter

    record = logging.LogRecord("mikromon.schedule.device", logging.WARNING, __file__, 1,
                               "device %s: down", ("r1",), None)
    line = UTCFormatter().format(record)
    assert " collector: device r1: down" in line
    assert record.name == "mikromon.schedule.device"


def test_log_handler_writes_to_the_stderr_of_the_moment(capsys: pytest.CaptureFixture[str]) -> None:
    """The handler looks up ``sys.stderr`` when it writes, so a command run in-process
    (tests, an embedding host that swaps stderr) never writes to a closed stream."""
    import io
    import logging
    import sys

    from mikromon.logconfig import configure_logging

    first = io.StringIO()
    real, sys.stderr = sys.stderr, first
    try:
        configure_logging()
    finally:
        sys.stderr = real
    first.close()
    logging.getLogger("mikromon.schedule").warning("after the swap")
    assert "collector: after the swap" in capsys.readouterr().err
