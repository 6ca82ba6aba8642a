"""``mikromon demo`` in a subprocess: emulated routers fill every tier, the admin
password it prints works, commands from other processes steer the running
collector, and SIGTERM stops it cleanly."""

from __future__ import annotations

import http.cookiejar
import json
import re
import sqlite3
import time
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from cli_processes import Server, run_mikromon, start_server

pytestmark = pytest.mark.slow

#: Intervals times 0.1: realtime every 0.5 s, short every 6 s.
SCALE = "0.1"


def _db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{data_dir / 'mikromon.sqlite3'}?mode=ro", uri=True, timeout=10)


def _published(data_dir: Path) -> dict | None:
    """The status the running demo published last (read straight from SQLite; its
    device entries are stored a row each, put back as ``devices``)."""
    with _db(data_dir) as conn:
        row = conn.execute(
            "SELECT id, status FROM control_collectorstatus ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
        if not row:
            return None
        status = json.loads(row[1])
        if "device_rows" in status:
            del status["device_rows"]
            status["devices"] = [json.loads(doc) for (doc,) in conn.execute(
                "SELECT doc FROM control_collectordevicestatus WHERE status_id = ?"
                " ORDER BY position", (row[0],))]
    return status


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Server:
    data_dir = tmp_path_factory.mktemp("demo")
    server = start_server(
        "demo", "--routers", "3", "--port", "0", "--time-scale", SCALE,
        "--data-dir", str(data_dir), data_dir=data_dir,
    )
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(10)


def test_prints_url_and_a_working_admin_password(demo) -> None:
    out = demo.stdout
    assert "sign in as:  admin" in out
    password = re.search(r"password:\s+(\S+)", out).group(1)
    assert "demo-1-v6" in out

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = demo.url + "accounts/login/"
    page = opener.open(login, timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode(
        {"username": "admin", "password": password, "csrfmiddlewaretoken": csrf}
    ).encode()
    request = urllib.request.Request(login, data=body, headers={"Referer": login})
    response = opener.open(request, timeout=10)
    assert response.status == 200
    assert not response.url.startswith(login), "the printed password was refused"


def test_all_five_tiers_fill_the_database(demo) -> None:
    """Every tier runs against every router and stores series for its metrics."""

    def tiers_with_series() -> set[str]:
        with _db(demo.data_dir) as conn:
            rows = conn.execute(
                "SELECT DISTINCT c.tier FROM monitor_series s "
                "JOIN monitor_metriccatalog c ON c.key = s.key"
            ).fetchall()
        return {r[0] for r in rows}

    tiers = {"realtime", "short", "medium", "long", "extended"}
    _wait(lambda: tiers_with_series() >= tiers, 30, "series of all five tiers")

    def every_tier_ran() -> bool:
        status = _published(demo.data_dir)
        devices = [d for d in (status or {}).get("devices", []) if d["state"] != "disabled"]
        return len(devices) == 3 and all(
            t["last_run"] for d in devices for t in d["tiers"].values()
        )

    _wait(every_tier_ran, 30, "a run of every tier on every device")
    with _db(demo.data_dir) as conn:
        inventory = {r[0] for r in conn.execute("SELECT DISTINCT \"table\" FROM "
                                                "monitor_inventoryitem")}
        points = conn.execute("SELECT COUNT(*) FROM monitor_metricpoint").fetchone()[0]
    assert {"interfaces", "arp", "routes", "users"} <= inventory
    assert points > 0


def test_device_list_and_status_json(demo) -> None:
    listed = run_mikromon("device", "list", "--json", data_dir=demo.data_dir)
    assert listed.returncode == 0, listed.stderr
    devices = json.loads(listed.stdout)
    assert [d["name"] for d in devices] == ["demo-1-v6", "demo-2-v7", "demo-3-v7-empty"]
    # The API's device objects (docs/api.md).
    assert set(devices[0]) >= {
        "id", "name", "host", "port", "endpoint", "enabled", "state", "last_seen",
        "identity", "version", "summary", "urls",
    }
    assert all(d["host"] == "127.0.0.1" for d in devices)
    # Every tier ran on every device (the test before): the routers' identities are
    # the device names.
    assert [d["identity"] for d in devices] == [d["name"] for d in devices]

    status = run_mikromon("collector", "status", "--json", data_dir=demo.data_dir)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["running"] is True
    assert set(doc["writer"]) >= {"queue_depth", "rows_written", "batches_dropped"}
    tier = doc["devices"][0]["tiers"]["realtime"]
    assert set(tier) >= {"interval_s", "last_run", "duration_s", "next_due", "errors"}
    assert doc["devices"][0]["config_loaded_at"].endswith("Z")


#: Seconds a log line may take to reach the test through the pipe and its reader thread.
OBSERVE_SLACK_S = 0.2


def test_interval_edit_is_picked_up_within_a_second(demo) -> None:
    """`device edit` on a running demo: the collector reloads the device within 1 s.

    Published times are whole seconds, so the reload is timed by when its log line
    arrives here, against the save time the edit wrote (microseconds)."""
    pattern = re.compile(r"device demo-2-v7 reconfigured \(.*\): polling it again")
    assert not pattern.search(demo.stderr)
    result = run_mikromon(
        "device", "edit", "demo-2-v7", "--realtime-interval", "7", data_dir=demo.data_dir
    )
    assert result.returncode == 0, result.stderr
    seen_at = _wait(
        lambda: pattern.search(demo.stderr) and time.time(), 5, "the reconfigured log line"
    )

    def reloaded() -> dict | None:
        status = _published(demo.data_dir) or {}
        for device in status.get("devices", []):
            if device["name"] == "demo-2-v7" and device["tiers"]["realtime"]["interval_s"] == 7:
                return device
        return None

    device = _wait(reloaded, 5, "the new interval in the published status")
    with _db(demo.data_dir) as conn:
        saved = conn.execute(
            "SELECT updated_at FROM monitor_device WHERE name = 'demo-2-v7'"
        ).fetchone()[0]
    saved_at = datetime.fromisoformat(saved)
    if saved_at.tzinfo is None:
        from datetime import UTC

        saved_at = saved_at.replace(tzinfo=UTC)
    delay = seen_at - saved_at.timestamp()
    assert delay <= 1.0 + OBSERVE_SLACK_S, f"picked up after {delay:.2f} s"
    # The published load time is the save time's second or later (never before it).
    assert _iso(device["config_loaded_at"]) >= saved_at.replace(microsecond=0)


def test_collector_stop_and_start_from_another_process(demo) -> None:
    stop = run_mikromon("collector", "stop", data_dir=demo.data_dir)
    assert stop.returncode == 0, stop.stderr
    assert "collector stopped" in stop.stdout
    assert (_published(demo.data_dir) or {}).get("running") is False
    demo.wait_for_stderr(r"stopping the collector \(asked by cli\)", 5)

    start = run_mikromon("collector", "start", data_dir=demo.data_dir)
    assert start.returncode == 0, start.stderr
    assert "collector running" in start.stdout
    assert (_published(demo.data_dir) or {}).get("running") is True


def test_sigterm_stops_cleanly_and_flushes(demo) -> None:
    """SIGTERM: exit 0, the writer flushes its queue, the published status is withdrawn."""
    _wait(lambda: (_published(demo.data_dir) or {}).get("running"), 10, "a running collector")
    # Stop once rows were written: a SIGTERM before the first poll flushes nothing.
    _wait(lambda: ((_published(demo.data_dir) or {}).get("writer") or {}).get("rows_written"),
          30, "rows written")
    stopped_at = time.time()
    code = demo.stop()
    assert code == 0, demo.stderr[-3000:]
    log = demo.stderr
    assert "received SIGTERM" in log
    flushed = re.search(r"writer flushed: (\d+) rows written, (\d+) batches queued, "
                        r"(\d+) dropped", log)
    assert flushed, log[-3000:]
    assert int(flushed.group(1)) > 0
    assert flushed.group(2) == "0"
    assert flushed.group(3) == "0"
    assert log.rstrip().endswith("runtime: stopped")
    with _db(demo.data_dir) as conn:
        newest = conn.execute("SELECT MAX(ts) FROM monitor_metricpoint").fetchone()[0]
        published = conn.execute("SELECT COUNT(*) FROM control_collectorstatus").fetchone()[0]
    assert newest >= stopped_at - 5, "the last realtime samples were not written"
    assert published == 0


def test_rerun_reuses_devices(demo, servers) -> None:
    """A second demo on the same data updates the same devices (new ports) and disables
    demo devices it no longer runs; a device and a user the operator added to the
    demo's database do not stop it from starting and are kept as they are."""
    assert demo.proc.poll() is not None, "runs after the SIGTERM test"
    added = run_mikromon("device", "add", "--name", "cli-1", "--host", "127.0.0.1",
                         "--port", "18299", "--username", "mon", "--password-env", "PW",
                         data_dir=demo.data_dir, PW="operator-pw")
    assert added.returncode == 0, added.stderr
    viewer = run_mikromon("createadmin", "viewer1", "--viewer", "--password-env", "PW",
                          data_dir=demo.data_dir, PW="viewer-password-123")
    assert viewer.returncode == 0, viewer.stderr
    with _db(demo.data_dir) as conn:
        before = dict(conn.execute("SELECT name, id FROM monitor_device").fetchall())
        ports = dict(conn.execute("SELECT name, port FROM monitor_device").fetchall())
    again = start_server("demo", "--routers", "2", "--port", "0", "--time-scale", SCALE,
                         "--no-faults", "--data-dir", str(demo.data_dir),
                         data_dir=demo.data_dir)
    servers.append(again)
    with _db(demo.data_dir) as conn:
        after = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT name, id, enabled FROM monitor_device").fetchall()}
    assert again.stop() == 0
    assert set(after) == set(before)
    assert after["demo-1-v6"] == (before["demo-1-v6"], 1)
    assert after["demo-2-v7"] == (before["demo-2-v7"], 1)
    assert after["demo-3-v7-empty"][1] == 0
    assert after["cli-1"] == (before["cli-1"], 1)
    with _db(demo.data_dir) as conn:
        ports_after = dict(conn.execute("SELECT name, port FROM monitor_device").fetchall())
        users = {r[0] for r in conn.execute("SELECT username FROM auth_user")}
    assert ports_after["cli-1"] == 18299
    assert ports_after["demo-1-v6"] != ports["demo-1-v6"]
    assert users == {"admin", "viewer1"}
