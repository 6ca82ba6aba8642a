"""The type checking rules of pyproject.toml ([tool.mypy], run by scripts/test):
every module of src/mikromon is checked with the strict flags, the core packages
may not spell ``Any``, and the only modules let off that rule are the ones that
import librouteros (its adapter)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
CORE = ("domain", "routeros", "collectors", "pipeline", "schedule")


def _overrides() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mypy"]["overrides"])


def _modules(entry: dict[str, Any]) -> list[str]:
    module = entry["module"]
    return [module] if isinstance(module, str) else list(module)


def _with(option: str, value: bool) -> list[str]:
    """The module patterns of the overrides that set ``option`` to ``value``."""
    return [m for e in _overrides() if e.get(option) is value for m in _modules(e)]


def _matches(pattern: str, module: str) -> bool:
    """mypy's structured patterns: ``a.b.*`` is a.b and everything under it."""
    if pattern.endswith(".*"):
        base = pattern[:-2]
        return module == base or module.startswith(base + ".")
    return module == pattern


def _all_modules() -> list[str]:
    out = []
    for path in sorted((SRC / "mikromon").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "migrations" not in parts:
            out.append(".".join(parts))
    return out


def _imports_librouteros(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        if any(n.split(".")[0] == "librouteros" for n in names):
            return True
    return False


@pytest.mark.parametrize("option", ["disallow_untyped_defs", "disallow_untyped_calls",
                                    "disallow_subclassing_any", "implicit_reexport"])
def test_every_module_is_checked_with_the_strict_flags(option: str) -> None:
    patterns = _with(option, option != "implicit_reexport")
    missed = [m for m in _all_modules() if not any(_matches(p, m) for p in patterns)]
    assert not missed, f"not under {option}: {missed}"


@pytest.mark.parametrize("package", CORE)
def test_core_packages_may_not_spell_any(package: str) -> None:
    assert f"mikromon.{package}.*" in _with("disallow_any_explicit", True)
    assert f"mikromon.{package}.*" in _with("disallow_any_unimported", True)


def test_only_the_librouteros_adapter_may_use_any() -> None:
    """The modules let off the no-Any rules are exactly those importing librouteros."""
    adapter = {
        ".".join(p.relative_to(SRC).with_suffix("").parts)
        for p in (SRC / "mikromon" / "routeros").rglob("*.py") if _imports_librouteros(p)
    }
    assert adapter, "no module imports librouteros"
    assert set(_with("disallow_any_explicit", False)) == adapter
    assert set(_with("disallow_any_unimported", False)) == adapter
