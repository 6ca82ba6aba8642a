"""examples/embedded.py: the collector core in a plain Python host, with its own
SQLite implementation of the storage Protocols, polling an emulated router on
127.0.0.1. Run in a subprocess, so that its sys.modules shows that Django never
loaded (this test process has it, for the web tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mikromon.emulator.testing import running_emulators

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "embedded.py"


def test_the_core_runs_embedded_without_django(tmp_path: Path) -> None:
    database = tmp_path / "embedded.sqlite3"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MIKROMON_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    with running_emulators(count=1, profile="v7") as (router,):
        env["ROUTER_PASSWORD"] = router.password
        done = subprocess.run(
            [sys.executable, str(EXAMPLE), "--host", router.host, "--port", str(router.port),
             "--username", router.username, "--database", str(database),
             "--seconds", "3", "--time-scale", "0.02"],
            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    assert doc["django_loaded"] is False
    assert doc["state"] == "up"
    assert doc["identity"] == router.identity
    assert doc["version"].startswith(router.version)
    assert doc["points"] > 0
    assert {"system.cpu.load_pct", "iface.rx_bps"} <= set(doc["metrics"])
    assert {"interfaces", "arp", "dhcp_leases"} <= set(doc["tables"])
