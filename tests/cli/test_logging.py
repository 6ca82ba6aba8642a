"""Logging of the commands: no access log unless asked, no line for a client's 4xx,
the short operator-facing logger names on our lines only, and the handler that
writes to the ``sys.stderr`` of the moment."""

from __future__ import annotations

import pytest

from mikromon.cli import build_parser


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
