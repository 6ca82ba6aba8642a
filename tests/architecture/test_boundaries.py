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


CORE = ("domain", "routeros", "collectors", "pipeline", "storage", "schedule", "emulator",
        "notify", "syslog")


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


#: Modules that touch ``os.environ`` other than mikromon.config, and why.
ENVIRON_USERS = {
    # Hands the data folder and database URL to the Django settings module.
    "web/bootstrap.py",
    # Gives the storage child process the settings module and data folder.
    "web/monitor/process_storage.py",
    # Reads the variable an operator names with --password-env (not a setting).
    "cli/_password.py",
    # Removes MIKROMON_DATA_DIR / MIKROMON_DATABASE_URL: the demo never uses them.
    "cli/demo.py",
}


def _touches_environ(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os" and any(
                alias.name in ("environ", "getenv") for alias in node.names):
            return True
    return False


def test_settings_are_read_in_mikromon_config_only() -> None:
    """Every setting comes from mikromon.config (one place that names a bad
    variable); the deadline arithmetic and the rest of the package never read the
    environment themselves."""
    readers = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
               if _touches_environ(p)} - {"config.py"}
    assert readers == ENVIRON_USERS


def test_config_never_imports_django() -> None:
    """mikromon.config is core: an embedding host reads its settings without Django."""
    bad = {m for m in _all_imports(SRC / "config.py")
           if m.split(".")[0] == "django" or m.startswith("mikromon.web")}
    assert not bad
