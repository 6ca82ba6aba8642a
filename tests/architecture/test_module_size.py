"""Modules stay small enough to read in one sitting: a module over the limit does
one job too many and is split by job (migrations, which Django writes, are left
out)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mikromon"

#: The most lines a module may have.
LIMIT = 420


def _long_modules(root: Path, limit: int) -> dict[str, int]:
    """Return ``{path relative to root: line count}`` of the ``.py`` files under
    ``root`` longer than ``limit`` lines, migrations excepted."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[str(path.relative_to(root))] = lines
    return found


def test_no_module_is_over_the_limit() -> None:
    assert _long_modules(SRC, LIMIT) == {}


def test_the_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * 10)
    (tmp_path / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_initial.py").write_text("x = 1\n" * (LIMIT + 1))
    assert _long_modules(tmp_path, LIMIT) == {"long.py": LIMIT + 1}
