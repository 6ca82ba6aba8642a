"""The captures the tests and the emulator read ship in the repository
(src/mikromon/emulator/data), as copies of shared/routeros-captures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "src" / "mikromon" / "emulator" / "data"
SHARED = REPO.parent / "shared" / "routeros-captures"


def test_the_tests_read_the_shipped_captures_by_default(captures: Path) -> None:
    if os.environ.get("MIKROMON_CAPTURES"):
        pytest.skip("MIKROMON_CAPTURES names another folder")
    assert captures == SHIPPED
    names = sorted(p.name for p in SHIPPED.glob("*.json"))
    assert len(names) >= 40
    for name in names:
        capture = json.loads((SHIPPED / name).read_text(encoding="utf-8"))
        assert capture["rows"] is not None, name
        assert capture["source"], name


def test_shipped_captures_are_the_shared_ones() -> None:
    """Where shared/routeros-captures lies beside the repository, every capture there
    is shipped, byte for byte. A capture only in the repository must say that it was
    written, not captured (``"reconstructed": true``, its ``source`` naming the
    documentation it follows) and must not be in shared under its name."""
    if not SHARED.is_dir():
        pytest.skip(f"no {SHARED} beside the repository")
    shared = {p.name: p.read_bytes() for p in SHARED.glob("*.json")}
    shipped = {p.name: p.read_bytes() for p in SHIPPED.glob("*.json")}
    assert sorted(set(shared) - set(shipped)) == []
    assert [name for name in shared if shared[name] != shipped[name]] == []
    for name in sorted(set(shipped) - set(shared)):
        capture = json.loads(shipped[name])
        assert capture.get("reconstructed") is True, f"{name} is in no shared capture"
        assert "manual" in capture["source"] or "docs" in capture["source"], name

