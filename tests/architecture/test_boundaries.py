"""The import rules of DESIGN.md: only mikromon.web imports Django; only
mikromon.routeros imports librouteros; the emulator never imports the web app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "mikromon"


def _top_level_imports(path: Path) -> set[str]:
    """Return modules imported at module level (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _all_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (SRC / part).rglob("*.py"))


CORE = ("domain", "routeros", "collectors", "pipeline", "sinks", "schedule", "emulator",
        "exporters", "notify")


@pytest.mark.parametrize("path", _modules(*CORE), ids=lambda p: str(p.relative_to(SRC)))
def test_core_never_imports_django(path: Path) -> None:
    """Core modules import neither Django nor mikromon.web, even lazily."""
    bad = {m for m in _all_imports(path) if m.split(".")[0] == "django" or m.startswith(
        "mikromon.web")}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules("cli"), ids=lambda p: str(p.relative_to(SRC)))
def test_cli_imports_django_only_lazily(path: Path) -> None:
    """CLI modules load Django inside handlers, so `mikromon --help` stays fast."""
    bad = {m for m in _top_level_imports(path) if m.split(".")[0] == "django" or m.startswith(
        "mikromon.web")}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)} at module level"


@pytest.mark.parametrize(
    "path",
    [p for p in SRC.rglob("*.py") if "routeros" not in p.relative_to(SRC).parts[:1]],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_only_routeros_imports_librouteros(path: Path) -> None:
    """librouteros stays behind the adapter in mikromon.routeros."""
    bad = {m for m in _all_imports(path) if m.split(".")[0] == "librouteros"}
    assert not bad, f"{path.relative_to(SRC)} imports librouteros"


@pytest.mark.parametrize("path", _modules("web"), ids=lambda p: str(p.relative_to(SRC)))
def test_web_never_imports_the_command_line(path: Path) -> None:
    """The web app uses what it shares with the commands (logging: mikromon.logconfig)
    from modules of their own, never from mikromon.cli, even lazily."""
    bad = {m for m in _all_imports(path) if m == "mikromon.cli" or m.startswith("mikromon.cli.")}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_logging_configuration_stands_alone() -> None:
    """mikromon.logconfig, used by the commands and the server, imports neither Django,
    the web app nor the command line."""
    path = SRC / "logconfig.py"
    bad = {m for m in _all_imports(path) if m.split(".")[0] == "django"
           or m.startswith(("mikromon.web", "mikromon.cli"))}
    assert not bad, f"logconfig.py imports {sorted(bad)}"
