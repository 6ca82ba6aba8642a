"""The capture copies shipped as package data, and the package's public names."""

from __future__ import annotations

import json
from pathlib import Path

import mikromon.emulator as emulator
from mikromon.emulator.data import capture, capture_names, legacy_date


def test_package_data_matches_the_shared_captures(captures: Path) -> None:
    shared = sorted(p.name[:-5] for p in captures.glob("*.json"))
    assert capture_names() == shared
    for name in shared:
        raw = json.loads((captures / f"{name}.json").read_text(encoding="utf-8"))
        loaded = capture(name)
        assert loaded.path == raw["path"]
        assert [dict(r) for r in loaded.rows] == raw["rows"]
        assert dict(loaded.done) == raw.get("done", {})
        assert all(isinstance(v, str) for r in loaded.rows for v in r.values())


def test_legacy_date() -> None:
    assert legacy_date("2024-10-08 11:14:27") == "oct/08/2024 11:14:27"
    assert legacy_date("1w2d") == "1w2d"
    assert legacy_date("2024-10-08") == "2024-10-08"


def test_public_names() -> None:
    assert len(set(emulator.__all__)) == len(emulator.__all__)
    for name in emulator.__all__:
        assert getattr(emulator, name) is not None
