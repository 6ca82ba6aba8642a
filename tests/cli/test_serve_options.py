"""``serve``'s process options without starting anything: the number of web
workers (option, variable, default), the bounds, the supervisor's words for how a
child ended, and the role in a child's log lines."""

from __future__ import annotations

import logging
import signal

import pytest

from mikromon.cli import build_parser
from mikromon.cli.serve import web_workers
from mikromon.domain.errors import ConfigError
from mikromon.logconfig import UTCFormatter
from mikromon.web.supervisor import Supervisor, _how_it_ended, default_web_workers


def test_web_workers_come_from_the_option_then_the_variable_then_the_cores(monkeypatch) -> None:
    parser = build_parser()
    monkeypatch.delenv("MIKROMON_WEB_WORKERS", raising=False)
    assert web_workers(parser.parse_args(["serve", "--web-workers", "3"])) == 3
    assert web_workers(parser.parse_args(["serve"])) == default_web_workers()
    assert 1 <= default_web_workers() <= 4
    monkeypatch.setenv("MIKROMON_WEB_WORKERS", "5")
    assert web_workers(parser.parse_args(["serve"])) == 5
    assert web_workers(parser.parse_args(["serve", "--web-workers", "2"])) == 2
    monkeypatch.setenv("MIKROMON_WEB_WORKERS", "0")
    assert web_workers(parser.parse_args(["serve"])) == default_web_workers()
    monkeypatch.setenv("MIKROMON_WEB_WORKERS", "two")
    with pytest.raises(ConfigError, match="MIKROMON_WEB_WORKERS='two'"):
        web_workers(parser.parse_args(["serve"]))


@pytest.mark.parametrize("text", ["0", "65", "-1", "x", "1.5"])
def test_web_workers_option_out_of_bounds_is_a_usage_error(text: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", "--web-workers", text])
    assert exit_info.value.code == 2
    assert "web workers must be a whole number from 1 to 64" in capsys.readouterr().err


def test_single_process_and_demo_take_the_options() -> None:
    args = build_parser().parse_args(["demo", "--single-process", "--web-workers", "2"])
    assert args.single_process is True
    assert args.web_workers == 2
    assert build_parser().parse_args(["serve"]).single_process is False


def test_supervisor_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="web workers must be 1 to 64, not 0"):
        Supervisor(web_workers=0)
    with pytest.raises(ValueError, match="collector must be desired, start or never"):
        Supervisor(collector="sometimes")


def test_how_a_child_ended_is_said_plainly() -> None:
    assert _how_it_ended(-signal.SIGKILL) == "was killed by SIGKILL"
    assert _how_it_ended(1) == "exited with code 1"
    assert _how_it_ended(0) == "exited with code 0"
    assert _how_it_ended(None) == "is still running"


def test_a_child_names_its_role_in_every_line() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started %s",
                               ("x",), None)
    assert " INFO    web-2: server: Started x" in UTCFormatter("web-2").format(record)
    assert " INFO    server: Started x" in UTCFormatter().format(record)
