"""``serve`` and ``demo`` on a clone where ``npm ci`` was never run: the log says
at start that the charts' library is missing and how to install it, and the server
starts anyway (every page but the charts works)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from mikromon.cli import build_parser


def _run_without_node_modules(monkeypatch, tmp_path: Path, argv: list[str],
                              missing: bool = True) -> int:
    from mikromon.cli import _django, serve
    from mikromon.web import runtime
    from mikromon.web.ui import assets

    monkeypatch.setattr(_django, "setup", lambda args, **kw: tmp_path)
    monkeypatch.setattr(runtime.Runtime, "run", lambda self: 0)
    monkeypatch.setattr("mikromon.logconfig.configure_logging", lambda verbose=False: None)
    if missing:
        monkeypatch.setattr(assets, "node_modules_dir", lambda: None)
    args: argparse.Namespace = build_parser().parse_args(argv)
    return serve.run_server(args, data_dir_default=tmp_path)


def test_serve_logs_missing_chart_library_and_starts(monkeypatch, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    assert _run_without_node_modules(monkeypatch, tmp_path, ["serve", "--single-process"]) == 0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, caplog.text
    text = errors[0].getMessage()
    assert "uplot" in text.lower()
    assert "npm ci" in text
    assert "MIKROMON_NODE_MODULES" in text
    assert "charts" in text


def test_serve_says_nothing_when_the_library_is_there(monkeypatch, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO)
    assert _run_without_node_modules(monkeypatch, tmp_path, ["serve", "--single-process"],
                                     missing=False) == 0
    assert not [r for r in caplog.records if "npm ci" in r.getMessage()]
