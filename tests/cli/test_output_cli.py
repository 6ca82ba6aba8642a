"""``mikromon output``: the form's checks, JSON documents, environment outputs
listed read-only, test send exit codes; secrets never printed."""

from __future__ import annotations

import json


def test_add_edit_list_delete(cli, db, monkeypatch):
    monkeypatch.setenv("MIKROMON_INFLUX_URL", "http://127.0.0.1:8086/write?db=m")
    r = cli("output", "add", "--name", "vm", "--url", "http://127.0.0.1:8428/api/v1/write",
            "--token", "tok-9", "--max-disk-mb", "5", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["has_token"]
    assert doc["max_disk_mb"] == 5
    assert "tok-9" not in r.out
    r = cli("output", "edit", "vm", "--disabled", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["enabled"] is False
    assert json.loads(r.out)["has_token"]
    docs = json.loads(cli("output", "list", "--json").out)
    assert [(d["name"], d["set_by"]) for d in docs] == [("influx", "MIKROMON_INFLUX_URL"),
                                                      ("vm", None)]
    assert "tok-9" not in cli("output", "list").out
    r = cli("output", "edit", "influx", "--url", "http://127.0.0.1:1/x")
    assert r.code == 2
    assert "MIKROMON_INFLUX_URL" in r.err
    assert cli("output", "delete", "vm").code == 0
    assert cli("output", "list").out.count("vm") == 0


def test_errors_name_the_field(cli, db):
    r = cli("output", "add", "--name", "vm", "--url", "ftp://127.0.0.1/x")
    assert r.code == 2
    assert "url:" in r.err
    r = cli("output", "add", "--name", "vm", "--url", "http://127.0.0.1:1/w",
            "--username", "bob")
    assert r.code == 2
    assert "password:" in r.err
    r = cli("output", "add", "--name", "vm", "--url", "http://127.0.0.1:1/w",
            "--max-disk-mb", "0")
    assert r.code == 2
    assert "max_disk_mb:" in r.err


def test_test_send_reports_the_answer(cli, db):
    # Nothing listens on port 1 of the loopback: no answer, exit 1.
    assert cli("output", "add", "--name", "vm", "--url", "http://127.0.0.1:1/w").code == 0
    r = cli("output", "test", "vm", "--json")
    assert r.code == 1
    assert json.loads(r.out)["ok"] is False
    assert "no answer" in json.loads(r.out)["detail"]


def test_delete_removes_the_queue_folder(cli, db, settings, tmp_path):
    settings.DATA_DIR = str(tmp_path)
    assert cli("output", "add", "--name", "vm", "--url", "http://127.0.0.1:1/w").code == 0
    folder = tmp_path / "outputs" / "vm"
    folder.mkdir(parents=True)
    (folder / "0.seg").write_bytes(b"unsent")
    r = cli("output", "delete", "vm", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["queue"] == "its queue folder was removed"
    assert not folder.exists()


def test_test_send_of_an_environment_output(cli, db, monkeypatch):
    monkeypatch.setenv("MIKROMON_INFLUX_URL", "http://127.0.0.1:1/write?db=m")
    r = cli("output", "test", "influx", "--json")
    assert r.code == 1, r.err  # nothing listens on port 1: no answer
    assert json.loads(r.out)["name"] == "influx"
    assert "no answer" in json.loads(r.out)["detail"]
