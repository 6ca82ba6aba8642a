"""Every script under bench/ still imports against the product's code.

Benches are run by hand, so a renamed or moved function in the product breaks
them silently (it happened to bench/syslog_rate.py and bench/alert_eval.py). This
test imports each one, as ``python bench/<name>.py`` would up to its ``main``,
in one child process with bench/ on the path (benches import each other).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"

_IMPORT_ALL = r"""
import importlib.util, json, pathlib, sys, traceback
failed = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.py")):
    name = "bench_" + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        failed[path.name] = traceback.format_exc(limit=3)
print(json.dumps(failed))
"""


def test_every_bench_script_imports() -> None:
    scripts = sorted(p.name for p in BENCH.glob("*.py"))
    assert len(scripts) > 10, scripts
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)])}
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALL, str(BENCH)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n".join(f"{name}:\n{tb}" for name, tb in failed.items())
