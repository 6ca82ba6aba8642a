"""No file in the repository keeps the markers of a merge conflict: a merge that
left them in README.md once showed both sides of a paragraph to every reader."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: A line that opens or closes a conflict as git writes them (a line of seven
#: ``=`` alone may be a Markdown heading's underline, so it does not count).
MARKER = re.compile(rb"^(<{7} |>{7} )", re.MULTILINE)


def _files_with_markers(root: Path, names: list[str]) -> list[str]:
    """Return the names (relative to ``root``) of the text files that hold a marker."""
    found = []
    for name in names:
        path = root / name
        if not path.is_file():
            continue  # deleted in the working tree
        data = path.read_bytes()
        if b"\0" not in data and MARKER.search(data):
            found.append(name)
    return found


def test_no_tracked_file_has_conflict_markers() -> None:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout
    names = [n for n in listed.decode().split("\0") if n]
    assert len(names) > 100
    assert _files_with_markers(REPO, names) == []


def test_the_check_finds_markers(tmp_path: Path) -> None:
    (tmp_path / "heading.md").write_text("Title\n=======\n\ntext\n")
    (tmp_path / "merged.md").write_text("a\n<<<<<<< HEAD\nb\n=======\nc\n>>>>>>> main\n")
    (tmp_path / "half.py").write_text("x = 1\n>>>>>>> main\n")
    assert _files_with_markers(tmp_path, ["heading.md", "merged.md", "half.py"]) == [
        "merged.md", "half.py"]
