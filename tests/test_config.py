"""mikromon.config: every environment variable declared once, read and checked in
one place, with an error that names the variable; the table in
docs/operations.md lists the same variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mikromon import config
from mikromon.config import VARIABLES, Kind
from mikromon.domain.errors import ConfigError

DOCS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


@pytest.fixture(autouse=True)
def _no_given_time_scale():
    config.use_time_scale(None)
    yield
    config.use_time_scale(None)


def test_defaults_when_unset_or_blank() -> None:
    assert config.number("MIKROMON_RETENTION_RAW_DAYS", {}) == 7.0
    assert config.number("MIKROMON_RETENTION_RAW_DAYS", {"MIKROMON_RETENTION_RAW_DAYS": " "}) == 7
    assert config.whole("MIKROMON_SQLITE_BUSY_TIMEOUT_MS", {}) == 20_000
    assert config.whole("MIKROMON_CONN_MAX_AGE", {}) == 0
    assert config.flag("MIKROMON_DEBUG", {}) is False
    assert config.names("MIKROMON_ALLOWED_HOSTS", {}) == ["localhost", "127.0.0.1", "[::1]"]
    assert config.names("MIKROMON_CSRF_TRUSTED_ORIGINS", {}) == []
    assert config.choice("MIKROMON_WRITER", {}) == "auto"
    assert config.text("MIKROMON_DATA_DIR", {}) == "data"
    assert config.given("MIKROMON_DATA_DIR", {}) is None
    assert config.time_scale({}) == 1.0


def test_values_of_each_kind_are_read() -> None:
    env = {"MIKROMON_RETENTION_EVENT_DAYS": "0.5", "MIKROMON_CONN_MAX_AGE": "60",
           "MIKROMON_DEBUG": "Yes", "MIKROMON_SECURE_COOKIES": "off",
           "MIKROMON_ALLOWED_HOSTS": " a, ,b ", "MIKROMON_WRITER": "PROCESS",
           "MIKROMON_BASE_URL": " https://mon.example.net ",
           "MIKROMON_DATA_DIR": "/srv/mm"}
    assert config.number("MIKROMON_RETENTION_EVENT_DAYS", env) == 0.5
    assert config.whole("MIKROMON_CONN_MAX_AGE", env) == 60
    assert config.flag("MIKROMON_DEBUG", env) is True
    assert config.flag("MIKROMON_SECURE_COOKIES", env) is False
    assert config.names("MIKROMON_ALLOWED_HOSTS", env) == ["a", "b"]
    assert config.choice("MIKROMON_WRITER", env) == "process"
    assert config.text("MIKROMON_BASE_URL", env) == "https://mon.example.net"
    assert config.given("MIKROMON_DATA_DIR", env) == "/srv/mm"


@pytest.mark.parametrize(("name", "value", "must"), [
    ("MIKROMON_RETENTION_RAW_DAYS", "7x", "a number greater than 0"),
    ("MIKROMON_RETENTION_ALERT_DAYS", "0", "a number greater than 0"),
    ("MIKROMON_SESSION_HOURS", "nan", "a number greater than 0"),
    ("MIKROMON_SIGNIN_WINDOW_MINUTES", "inf", "a number greater than 0"),
    ("MIKROMON_TIME_SCALE", "-1", "a number greater than 0"),
    ("MIKROMON_CONN_MAX_AGE", "1.5", "a whole number of at least 0"),
    ("MIKROMON_SQLITE_BUSY_TIMEOUT_MS", "20s", "a whole number of at least 0"),
    ("MIKROMON_SIGNIN_FAILURES_PER_USER", "0", "a whole number of at least 1"),
    ("MIKROMON_DEBUG", "maybe", "one of 1, true, yes, on"),
    ("MIKROMON_WRITER", "proc", "auto, thread or process"),
    ("MIKROMON_SYSLOG_PORT", "70000", "a whole number from 0 to 65535"),
    ("MIKROMON_SYSLOG_BIND", "mon.example", "an IP address"),
])
def test_a_bad_value_is_an_error_naming_the_variable(name: str, value: str, must: str) -> None:
    reader = {Kind.NUMBER: config.number, Kind.WHOLE: config.whole, Kind.FLAG: config.flag,
              Kind.CHOICE: config.choice, Kind.ADDRESS: config.address}[VARIABLES[name].kind]
    with pytest.raises(ConfigError) as err:
        reader(name, {name: value})
    assert str(err.value).startswith(f"{name}={value!r}: must be {must}")


def test_every_kind_has_a_bad_value_test() -> None:
    """Kinds that can be wrong are all covered above (text and names take anything)."""
    checked = {Kind.NUMBER, Kind.WHOLE, Kind.FLAG, Kind.CHOICE, Kind.ADDRESS}
    assert {v.kind for v in VARIABLES.values()} - checked == {Kind.TEXT, Kind.NAMES}


def test_a_reader_of_the_wrong_kind_or_an_unknown_name_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="MIKROMON_DEBUG is a flag variable"):
        config.number("MIKROMON_DEBUG", {})
    with pytest.raises(KeyError):
        config.text("MIKROMON_NO_SUCH_THING", {})


def test_the_time_scale_given_by_the_command_line_wins_over_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.5")
    assert config.time_scale() == 0.5
    config.use_time_scale(0.05)
    assert config.time_scale() == 0.05
    assert config.time_scale({}) == 1.0  # an explicit mapping is read as given
    config.use_time_scale(None)
    assert config.time_scale() == 0.5
    with pytest.raises(ConfigError, match="time scale"):
        config.use_time_scale(0.0)


def test_the_operations_table_lists_every_variable_with_its_default() -> None:
    """docs/operations.md, "Environment variables": one row per variable, no more."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Environment variables", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(MIKROMON_[A-Z0-9_]+)` \| ([^|]*) \|", section, re.MULTILINE)
    assert sorted(name for name, _ in rows) == sorted(VARIABLES)
    for name, default in rows:
        var = VARIABLES[name]
        if var.kind in (Kind.NUMBER, Kind.WHOLE, Kind.CHOICE) and default.strip() != "off":
            assert default.strip().strip("`") == var.default, name
