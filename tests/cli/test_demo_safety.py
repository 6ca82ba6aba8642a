"""``mikromon demo`` never writes into a real database: it ignores MIKROMON_DATA_DIR /
MIKROMON_DATABASE_URL, refuses a database holding devices or users it did not
create (before changing anything, migrations included), and prints the emulated
routers' API credentials so that ``collect-once`` works against one."""

from __future__ import annotations

import argparse
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from cli_processes import run_mikromon, start_server

ROUTER_PW = "router-pass-123"


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _real_database(folder: Path, *, device: bool = True, user: bool = False) -> Path:
    """A data folder made by the real commands: a device ``core-1`` and/or an ``admin``.

    ``createadmin`` creates the database (``device add`` needs one); without ``user``
    the admin is removed again, leaving the device alone.
    """
    created = run_mikromon(
        "createadmin", "admin", "--password-env", "PW", "--skip-password-checks",
        data_dir=folder, PW="real-admin-password",
    )
    assert created.returncode == 0, created.stderr
    if device:
        added = run_mikromon(
            "device", "add", "--name", "core-1", "--host", "127.0.0.1", "--username", "mon",
            "--password-env", "PW", data_dir=folder, PW=ROUTER_PW,
        )
        assert added.returncode == 0, added.stderr
    database = folder / "mikromon.sqlite3"
    if not user:
        with sqlite3.connect(database) as conn:
            conn.execute("DELETE FROM auth_user")
        conn.close()
    return database


def _rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def test_explicit_data_dir_with_a_real_device_is_refused(tmp_path) -> None:
    real = tmp_path / "real"
    _real_database(real)
    before = _snapshot(real)

    result = run_mikromon("demo", "--data-dir", str(real), "--port", "0",
                          data_dir=tmp_path / "unused", timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("mikromon: error: the demo does not use SQLite ")
    assert "1 device (core-1)" in result.stderr
    assert "give it a new folder with --data-dir" in result.stderr
    # ./data/demo (under this test's cwd) does not exist yet: running without
    # options would start afresh, so the message may say so.
    assert "run it without --data-dir/--database-url" in result.stderr
    assert "running at" not in result.stdout
    assert _snapshot(real) == before


def test_refusal_never_suggests_the_own_folder_when_that_is_refused_too(tmp_path) -> None:
    """The newcomer's case: ./data/demo holds a real database too, so 'run without
    --data-dir' would fail the same way; the message must not suggest it."""
    work = tmp_path / "work"
    _real_database(work / "data" / "demo")
    real = tmp_path / "real"
    _real_database(real)

    result = run_mikromon("demo", "--data-dir", str(real), "--port", "0",
                          data_dir=tmp_path / "unused", cwd=work, timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "without --data-dir" not in result.stderr
    assert "give it a new folder with --data-dir" in result.stderr


def test_explicit_database_url_with_a_real_user_is_refused(tmp_path) -> None:
    """Only a user (no device): still refused, and its password is left alone."""
    real = tmp_path / "real"
    database = _real_database(real, device=False, user=True)
    before = _snapshot(real)

    result = run_mikromon("demo", "--database-url", f"sqlite:///{database}", "--port", "0",
                          data_dir=tmp_path / "unused", timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "1 user (admin)" in result.stderr
    assert "an empty database with --database-url" in result.stderr
    assert _snapshot(real) == before


def test_own_folder_with_a_device_added_by_hand_is_refused(tmp_path) -> None:
    """Even ./data/demo is refused when it holds a device the demo did not make."""
    work = tmp_path / "work"
    own = work / "data" / "demo"
    _real_database(own)
    before = _snapshot(own)

    result = run_mikromon("demo", "--port", "0", data_dir=tmp_path / "real", cwd=work,
                          timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "1 device (core-1)" in result.stderr
    assert f"move {own} away" in result.stderr
    assert _snapshot(own) == before
    assert not (tmp_path / "real").exists()


def test_database_from_before_the_demo_marks_is_refused_unmigrated(tmp_path) -> None:
    """A database without the mark table (an older schema): refused before migrating."""
    real = tmp_path / "real"
    database = _real_database(real)
    with sqlite3.connect(database) as conn:
        conn.execute("DROP TABLE control_demoobject")
        conn.execute("DELETE FROM django_migrations WHERE app = 'control' AND name != "
                     "'0001_initial'")
    conn.close()
    before = _snapshot(real)

    result = run_mikromon("demo", "--data-dir", str(real), "--port", "0",
                          data_dir=tmp_path / "unused", timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "1 device (core-1)" in result.stderr
    assert _snapshot(real) == before


@pytest.mark.slow
def test_environment_is_ignored_and_router_credentials_are_printed(tmp_path, servers) -> None:
    """MIKROMON_DATA_DIR and MIKROMON_DATABASE_URL name a real database: the demo uses
    ./data/demo instead, and the printed credentials work with collect-once."""
    real = tmp_path / "real"
    database = _real_database(real, user=True)
    before = _snapshot(real)
    work = tmp_path / "work"
    work.mkdir()

    demo = start_server(
        "demo", "--routers", "2", "--port", "0", "--no-faults", "--time-scale", "0.1",
        data_dir=real, cwd=work, MIKROMON_DATABASE_URL=f"sqlite:///{database}",
    )
    servers.append(demo)
    out = demo.stdout
    credentials = re.search(r"router API:\s+user (\S+), password (\S+)", out)
    assert credentials, out
    username, password = credentials.groups()
    routers = re.findall(r"^\s+(demo-\d+-\S+)\s+host (\S+)\s+port (\d+)$", out, re.MULTILINE)
    assert [name for name, _, _ in routers] == ["demo-1-v6", "demo-2-v7"], out
    _, host, port = routers[0]
    assert f"mikromon collect-once --host {host} --port {port} --username {username}" in out

    polled = run_mikromon(
        "collect-once", "--host", host, "--port", port, "--username", username,
        "--password-env", "ROUTER", "--tier", "short", "--json",
        data_dir=tmp_path / "unused", ROUTER=password,
    )
    assert polled.returncode == 0, polled.stderr
    assert demo.stop() == 0, demo.stderr[-3000:]

    assert _snapshot(real) == before
    own = work / "data" / "demo" / "mikromon.sqlite3"
    assert own.exists()
    assert _rows(own, "SELECT name FROM monitor_device ORDER BY name") == [
        ("demo-1-v6",), ("demo-2-v7",)
    ]
    assert _rows(own, "SELECT COUNT(*) FROM control_demoobject") == [(3,)]


# --- in-process: the marks, against the test database ------------------------------------


def test_demo_help_names_its_own_folder(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MIKROMON_DATA_DIR", str(tmp_path / "real"))
    monkeypatch.setenv("MIKROMON_DATABASE_URL", "sqlite:///real.sqlite3")
    text = " ".join(cli("demo", "--help").out.split())
    assert "default: ./data/demo; MIKROMON_DATA_DIR is ignored" in text
    assert "MIKROMON_DATABASE_URL is ignored" in text
    assert "$MIKROMON_DATA_DIR" not in text
    from mikromon.cli import build_parser

    args = build_parser().parse_args(["demo"])
    assert args.data_dir is None
    assert args.database_url is None


class _Router:
    """What register_devices reads of an emulator handle."""

    def __init__(self, port: int, profile: str) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.username = "mikromon"
        self.version = "7.16.2"
        self.profile = type("Profile", (), {"name": profile})()


@pytest.mark.django_db
def test_marks_decide_what_is_foreign() -> None:
    from django.contrib.auth import get_user_model

    from mikromon.cli.demo_setup import register_devices, save_demo_admin
    from mikromon.web.control.demo import find_foreign
    from mikromon.web.monitor.models import Device

    assert not find_foreign()
    names = register_devices([_Router(40001, "v6"), _Router(40002, "v7")], "pw")
    save_demo_admin("demo-admin-pw")
    assert names == ["demo-1-v6", "demo-2-v7"]
    assert not find_foreign()

    # Editing a demo device keeps it the demo's; a real device is foreign.
    Device.objects.filter(name="demo-1-v6").update(name="renamed", notes="")
    assert not find_foreign()
    real = Device(name="core-1", host="127.0.0.1", username="mon")
    real.set_password("x")
    real.save()
    get_user_model().objects.create_user("alice", password="alice-pw")
    foreign = find_foreign()
    assert (foreign.devices, foreign.users) == (1, 1)
    assert foreign.describe() == "1 device (core-1) and 1 user (alice)"


@pytest.mark.django_db
def test_a_real_device_or_admin_of_the_same_name_is_never_taken_over() -> None:
    from django.contrib.auth import get_user_model

    from mikromon.cli._django import CommandError
    from mikromon.cli.demo_setup import register_devices, save_demo_admin
    from mikromon.web.monitor.models import Device

    real = Device(name="demo-1-v6", host="127.0.0.1", port=8728, username="mon")
    real.set_password("real")
    real.save()
    with pytest.raises(CommandError, match="'demo-1-v6' exists and was not created by the"):
        register_devices([_Router(40001, "v6")], "pw")
    real.refresh_from_db()
    assert (real.port, real.username, real.get_password()) == (8728, "mon", "real")

    admin = get_user_model().objects.create_user("admin", password="real-admin-pw")
    with pytest.raises(CommandError, match="user 'admin' exists and was not created"):
        save_demo_admin("demo-admin-pw")
    admin.refresh_from_db()
    assert admin.check_password("real-admin-pw")


@pytest.mark.django_db
def test_rerun_disables_only_demo_devices_it_no_longer_runs() -> None:
    from mikromon.cli.demo_setup import register_devices
    from mikromon.web.monitor.models import Device

    register_devices([_Router(40001, "v6"), _Router(40002, "v7")], "pw")
    register_devices([_Router(40011, "v6")], "pw2")
    assert dict(Device.objects.values_list("name", "enabled")) == {
        "demo-1-v6": True, "demo-2-v7": False
    }
    assert Device.objects.get(name="demo-1-v6").port == 40011


@pytest.mark.django_db
def test_a_demo_database_stays_usable_after_the_operator_added_to_it() -> None:
    """Devices and users an operator adds in the demo's own database do not make the
    demo refuse it: the demo updates its own devices (new ports) and admin, and
    leaves the operator's as they are."""
    from django.contrib.auth import get_user_model

    from mikromon.cli.demo import refuse_foreign_database
    from mikromon.cli.demo_setup import register_devices, save_demo_admin
    from mikromon.web.control.demo import find_foreign, is_demo_database
    from mikromon.web.monitor.models import Device

    args = argparse.Namespace(database_url=None, demo_own_folder=True)
    assert not is_demo_database()
    refuse_foreign_database(args, Path("unused"))  # empty: accepted
    register_devices([_Router(40001, "v6"), _Router(40002, "v7")], "pw")
    save_demo_admin("demo-admin-pw")
    assert is_demo_database()

    mine = Device(name="t-ok", host="127.0.0.1", port=40002, username="mon")
    mine.set_password("operator-pw")
    mine.save()
    get_user_model().objects.create_user("viewer1", password="viewer-pw")
    assert find_foreign().describe() == "1 device (t-ok) and 1 user (viewer1)"
    refuse_foreign_database(args, Path("unused"))  # the demo's database: accepted

    register_devices([_Router(41001, "v6"), _Router(41002, "v7")], "pw2")
    save_demo_admin("demo-admin-pw2")
    ports = dict(Device.objects.values_list("name", "port"))
    assert ports == {"demo-1-v6": 41001, "demo-2-v7": 41002, "t-ok": 40002}
    mine.refresh_from_db()
    assert (mine.enabled, mine.username, mine.get_password()) == (True, "mon", "operator-pw")
    assert get_user_model().objects.get(username="viewer1").check_password("viewer-pw")


@pytest.mark.django_db
def test_a_database_without_marks_is_refused_once_it_holds_anything() -> None:
    from mikromon.cli._django import CommandError
    from mikromon.cli.demo import refuse_foreign_database
    from mikromon.web.monitor.models import Device

    real = Device(name="core-1", host="127.0.0.1", username="mon")
    real.set_password("x")
    real.save()
    args = argparse.Namespace(database_url=None, demo_own_folder=True)
    with pytest.raises(CommandError, match=r"1 device \(core-1\) that the demo did not"):
        refuse_foreign_database(args, Path("data/demo"))


def test_demo_routers_carry_the_device_names() -> None:
    """One name per router: the device, the router's /system/identity and the demo's
    log lines all say ``demo-4-chr``, never ``rtr-0004``."""
    from mikromon.cli.demo_setup import device_names

    assert device_names(5) == ["demo-1-v6", "demo-2-v7", "demo-3-v7-empty", "demo-4-chr",
                               "demo-5-v6"]


def test_fault_cycle_logs_the_device_name(caplog) -> None:
    import threading

    from mikromon.cli.demo_faults import FaultCycle

    class Handle:
        def __init__(self, identity: str) -> None:
            self.identity = identity
            self.faults: list[dict] = []
            self.cleared = threading.Event()

        def set_fault(self, **faults: object) -> None:
            self.faults.append(faults)

        def clear_faults(self) -> None:
            self.cleared.set()

    routers = [Handle("demo-1-v6"), Handle("demo-2-v7")]
    cycle = FaultCycle(routers, scale=0.0005)
    with caplog.at_level("INFO", logger="mikromon.demo"):
        cycle.start()
        assert routers[1].cleared.wait(5)
        cycle.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert "router demo-2-v7 stops answering for 0 s" in lines, lines
    assert not [line for line in lines if "rtr-" in line]
    assert routers[1].faults[0] == {"blackhole": True}
