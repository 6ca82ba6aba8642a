"""Argument parsing of the operator commands: help texts (plain text), options
before or after the action, refused passwords, bad values rejected before anything
touches the database, one table of exit codes."""

from __future__ import annotations

import pytest

from mikromon.cli import build_parser

COMMANDS = [
    ["serve"],
    ["demo"],
    ["device"],
    ["device", "add"],
    ["device", "list"],
    ["device", "show"],
    ["device", "edit"],
    ["device", "remove"],
    ["device", "enable"],
    ["device", "disable"],
    ["collector"],
    ["collector", "start"],
    ["collector", "stop"],
    ["collector", "status"],
    ["createadmin"],
    ["token", "create"],
    ["token", "list"],
    ["token", "revoke"],
    ["export"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(cli, command: list[str]) -> None:
    """`--help` exits 0 and describes the command."""
    result = cli(*command, "--help")
    assert result.code == 0
    assert f"usage: mikromon {' '.join(command)}" in result.out


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c[0] not in ("device", "collector", "token") or len(c) > 1],
    ids=" ".join,
)
def test_every_command_takes_storage_options(command: list[str]) -> None:
    """Every command that touches the database accepts --data-dir and --database-url."""
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command[0]]
    if len(command) > 1:
        sub = sub._subparsers._group_actions[0].choices[command[1]]
    options = {o for action in sub._actions for o in action.option_strings}
    assert {"--data-dir", "--database-url"} <= options


def test_time_scale_is_hidden(cli) -> None:
    """The test-only --time-scale option works but is not advertised."""
    assert "--time-scale" not in cli("demo", "--help").out
    assert "--time-scale" not in cli("serve", "--help").out


@pytest.mark.parametrize(
    "args",
    [
        ["device", "add", "--name", "r", "--host", "h", "--username", "u", "--password", "x"],
        ["device", "add", "--name", "r", "--host", "h", "--username", "u", "--password=x"],
        ["device", "edit", "r", "--password", "x"],
        ["createadmin", "bob", "--password", "x"],
    ],
    ids=["device add", "device add =", "device edit", "createadmin"],
)
def test_password_arguments_are_refused(cli, args: list[str]) -> None:
    """A password on the command line is refused with a pointer to the safe ways."""
    result = cli(*args)
    assert result.code == 2
    assert "passwords are not accepted on the command line" in result.err
    assert "--password-file" in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "70000"], "port must be 0..65535"),
        (["serve", "--port", "http"], "not a port number"),
        (["demo", "--routers", "0"], "routers must be 1..200"),
        (["demo", "--routers", "500"], "routers must be 1..200"),
        (["demo", "--time-scale", "0"], "time scale must be greater than 0"),
        (["device", "add", "--name", "r", "--host", "h", "--username", "u",
          "--realtime-interval", "fast"], "not a number of seconds"),
        (["device", "add", "--name", "r", "--host", "h", "--username", "u",
          "--short-interval", "2.5"], "whole number of seconds"),
        (["device", "add", "--name", "r", "--host", "h", "--username", "u",
          "--tls-verify", "maybe"], "invalid choice"),
        (["device", "add", "--name", "r", "--host", "h", "--username", "u", "--port", "0"],
         "port must be 1..65535"),
        (["device", "add", "--host", "h", "--username", "u"], "--name"),
        (["export", "r1", "--from", "yesterday"], "not a time"),
        (["export", "r1", "--label", "ether1"], "a label is NAME=VALUE"),
        (["export", "r1", "--format", "xml"], "invalid choice"),
        (["collector"], "required"),
        (["device"], "required"),
    ],
)
def test_bad_values_are_rejected_by_the_parser(cli, args: list[str], message: str) -> None:
    """Bad option values exit 2 with a message naming the problem."""
    result = cli(*args)
    assert result.code == 2
    assert message in result.err


def test_export_time_forms() -> None:
    """--from/--to take ISO 8601 (UTC when no zone), 'now' and times ago."""
    from datetime import UTC, datetime

    from mikromon.cli.export import parse_time

    now = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_time("now", now=now) == now
    assert parse_time("6h", now=now) == datetime(2025, 1, 31, 6, 0, tzinfo=UTC)
    assert parse_time("-90m", now=now) == datetime(2025, 1, 31, 10, 30, tzinfo=UTC)
    assert parse_time("2w", now=now) == datetime(2025, 1, 17, 12, 0, tzinfo=UTC)
    assert parse_time("2025-01-01T00:00:00Z") == datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_time("2025-01-01T02:00:00+02:00") == datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_time("2025-01-01 00:00") == datetime(2025, 1, 1, tzinfo=UTC)


def test_redact_url() -> None:
    """Database URLs in messages never show the password."""
    from mikromon.cli._django import redact_url

    assert redact_url("postgresql://mon:s3cret@127.0.0.1:5432/db") == (
        "postgresql://mon:***@127.0.0.1:5432/db"
    )
    assert redact_url("postgresql://127.0.0.1/db") == "postgresql://127.0.0.1/db"
    assert "s3cret" not in redact_url("postgresql://mon:s3cret@[::1]/db")


def test_options_before_the_action(tmp_path) -> None:
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
