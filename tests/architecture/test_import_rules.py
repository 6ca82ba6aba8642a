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
        "notify", "syslog", "exporters", "outputs")


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
    "web/monitor/storage_child.py",
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


@pytest.mark.parametrize(("part", "other"), [("api", "ui"), ("ui", "api")])
def test_pages_and_api_stand_apart(part: str, other: str) -> None:
    """mikromon.web.api and mikromon.web.ui never import each other, even lazily:
    what both read is in the monitor app (read models), mikromon.web.control
    (collector control, time formats), mikromon.web.params and mikromon.web.roles."""
    bad = {
        str(path.relative_to(SRC)): sorted(m for m in _all_imports(path)
                                           if m.startswith(f"mikromon.web.{other}"))
        for path in _modules(f"web/{part}")
    }
    assert not {k: v for k, v in bad.items() if v}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (module level or lazily; ``from
    a import b`` counts ``a.b`` where that is a module; importing a module counts
    the packages above it, whose ``__init__`` runs first, but its own)."""
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        # Importing ``a.b.c`` runs the packages ``a`` and ``a.b`` first.
        targets.update(".".join(t.split(".")[:i]) for t in list(targets)
                       for i in range(1, t.count(".") + 1))
        graph[name] = {t for t in targets if t in paths and t != name
                       and not name.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


#: Packages whose modules still import each other in a circle, until they are
#: split: the collectors' registry and shared support.
CYCLES_LEFT_IN = ("mikromon.collectors",)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [{"a", "b", "c"}]


def test_no_import_cycles() -> None:
    """No modules import each other in a circle (lazy imports count), but inside the
    packages of :data:`CYCLES_LEFT_IN`; never one that crosses packages."""
    bad = [sorted(component) for component in _cycles(_import_graph())
           if not any(all(m == p or m.startswith(p + ".") for m in component)
                      for p in CYCLES_LEFT_IN)]
    assert not bad, f"import cycles: {bad}"
