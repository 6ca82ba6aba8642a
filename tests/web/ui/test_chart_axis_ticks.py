"""The charts' y-axis tick labels (charts.js ``axisValues``, the formatter every
chart gives uPlot): as many decimals as the ticks need to be distinct and true
(0.25 is "0.25", never "0.3"), in one unit step for the whole axis. Run in Node on
the shipped scripts, with the browser globals they touch stubbed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[3] / "src/mikromon/web/ui/static/mikromon"
HARNESS = """
globalThis.window = globalThis;
globalThis.getComputedStyle = () => ({ getPropertyValue: () => "" });
globalThis.document = { documentElement: {} };
const fs = require("fs");
for (const f of process.argv.slice(1, 3)) eval(fs.readFileSync(f, "utf8"));
const cases = JSON.parse(process.argv[3]);
process.stdout.write(JSON.stringify(cases.map(([unit, vals]) =>
  window.MM.charts.axisValues(unit, vals))));
"""

CASES: list[tuple[str, list[float], list[str]]] = [
    ("1/s", [0, 0.25, 0.5, 0.75, 1], ["0", "0.25", "0.5", "0.75", "1"]),
    ("packets/s", [0.25, 0.5, 0.75, 1], ["0.25", "0.5", "0.75", "1"]),
    ("1/s", [0, 0.02, 0.04, 0.06], ["0", "0.02", "0.04", "0.06"]),
    ("bits/s", [0, 250_000, 500_000, 750_000, 1_000_000],
     ["0", "0.25M", "0.5M", "0.75M", "1M"]),
    ("bits/s", [0, 1_250_000, 2_500_000, 3_750_000], ["0", "1.25M", "2.5M", "3.75M"]),
    ("bits/s", [0, 20e6, 40e6, 60e6], ["0", "20M", "40M", "60M"]),
    ("count", [0, 1, 2, 3], ["0", "1", "2", "3"]),
    ("percent", [0, 12.5, 25, 37.5], ["0", "12.5", "25", "37.5"]),
    ("celsius", [40, 42.5, 45], ["40", "42.5", "45"]),
    ("volts", [23.9, 24, 24.1], ["23.9", "24", "24.1"]),
    # Decimal ticks on a binary unit: the nearest whole MiB is true enough (within
    # half a percent of the step between ticks).
    ("bytes", [0, 200e6, 400e6, 600e6], ["0", "191MiB", "381MiB", "572MiB"]),
    ("bytes", [0, 0.5 * 1024**3, 1024**3, 1.5 * 1024**3, 2 * 1024**3],
     ["0", "0.5GiB", "1GiB", "1.5GiB", "2GiB"]),
    ("state", [0, 1], ["fail", "ok"]),
]


@pytest.fixture(scope="module")
def axis_values() -> list[list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/bootstrap installs it)")
    out = subprocess.run(
        [node, "-e", HARNESS, str(STATIC / "format.js"), str(STATIC / "charts.js"),
         json.dumps([[unit, vals] for unit, vals, _ in CASES])],
        capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c[0]}-{c[1][1]}" for c in CASES])
def test_tick_labels_are_distinct_and_true(axis_values, index):
    unit, vals, expected = CASES[index]
    assert unit in ("state",) or len(set(expected)) == len(vals)
    assert axis_values[index] == expected
    assert len(set(axis_values[index])) == len(vals)
