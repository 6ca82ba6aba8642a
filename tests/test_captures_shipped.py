"""The captures the tests and the emulator read ship in the repository
(src/mikromon/emulator/data), as copies of shared/routeros-captures."""

from __future__ import annotations

import json

import pytest

from conftest import SHARED_CAPTURES, SHIPPED_CAPTURES, captures_dir


def test_the_tests_read_the_shipped_captures_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIKROMON_CAPTURES", raising=False)
    assert captures_dir() == SHIPPED_CAPTURES
    names = sorted(p.name for p in SHIPPED_CAPTURES.glob("*.json"))
    assert len(names) >= 40
    for name in names:
        capture = json.loads((SHIPPED_CAPTURES / name).read_text(encoding="utf-8"))
        assert capture["rows"] is not None, name
        assert capture["source"], name


def test_shipped_captures_are_the_shared_ones() -> None:
    """Where shared/routeros-captures lies beside the repository, every capture there
    is shipped, byte for byte."""
    if not SHARED_CAPTURES.is_dir():
        pytest.skip(f"no {SHARED_CAPTURES} beside the repository")
    shared = {p.name: p.read_bytes() for p in SHARED_CAPTURES.glob("*.json")}
    shipped = {p.name: p.read_bytes() for p in SHIPPED_CAPTURES.glob("*.json")}
    assert sorted(shared) == sorted(shipped)
    assert [name for name in shared if shared[name] != shipped[name]] == []
