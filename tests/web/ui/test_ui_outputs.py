"""Outputs: the form's checks, the pages for admins and viewers, environment
outputs read-only, secrets never shown back, saving bumps the configuration
version, the collector page shows each output's state."""

from __future__ import annotations

import pytest

from mikromon.web.control.models import OutputDestination


def _form(**data):
    from mikromon.web.control.outputs import OutputForm

    base = {"name": "vm", "format": "remote-write", "url": "http://127.0.0.1:8428/api/v1/write",
            "max_disk_mb": "10", "enabled": "on"}
    base.update(data)
    return OutputForm({k: v for k, v in base.items() if v is not None})


@pytest.mark.parametrize(("data", "field"), [
    ({"url": "ftp://127.0.0.1/x"}, "url"),
    ({"url": "http://"}, "url"),
    ({"name": "../etc"}, "name"),
    ({"max_disk_mb": "0"}, "max_disk_mb"),
    ({"max_disk_mb": "lots"}, "max_disk_mb"),
    ({"username": "bob"}, "password"),
    ({"password": "pw"}, "username"),
    ({"format": "graphite"}, "format"),
])
def test_form_names_the_wrong_field(db, data, field):
    form = _form(**data)
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_form_refuses_a_name_the_environment_sets(db, monkeypatch):
    monkeypatch.setenv("MIKROMON_INFLUX_URL", "http://127.0.0.1:8086/write?db=m")
    form = _form(name="influx")
    assert not form.is_valid()
    assert "MIKROMON_INFLUX_URL" in str(form.errors["name"])


def test_secrets_stored_encrypted_and_kept_on_edit(db):
    from mikromon.web.control.outputs import OutputForm, config_of

    form = _form(username="bob", password="s3cret")
    assert form.is_valid(), form.errors
    row = form.save()
    assert "s3cret" not in row.password_encrypted
    edit = OutputForm({"name": "vm", "format": "remote-write", "url": row.url,
                       "username": "bob", "max_disk_mb": "20"}, instance=row)
    assert edit.is_valid(), edit.errors
    row = edit.save()
    assert config_of(row).headers["Authorization"].startswith("Basic ")
    assert config_of(row).max_disk_bytes == 20 * 1024 * 1024


def test_saving_an_output_bumps_the_config_version(db):
    from mikromon.web.monitor.models import ConfigVersion

    before = ConfigVersion.current()
    _form().save()
    assert ConfigVersion.current() != before


def test_configured_env_wins_and_disabled_left_out(db, monkeypatch):
    from mikromon.web.control.outputs import configured

    OutputDestination.objects.create(name="remote-write", url="http://127.0.0.1:1/db")
    OutputDestination.objects.create(name="off", url="http://127.0.0.1:1/off", enabled=False)
    OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/vm")
    monkeypatch.setenv("MIKROMON_REMOTE_WRITE_URL", "http://127.0.0.1:1/env")
    got = {c.name: c.url for c in configured()}
    assert got == {"remote-write": "http://127.0.0.1:1/env", "vm": "http://127.0.0.1:1/vm"}


def test_admin_adds_edits_tests_and_deletes(admin_web, no_collector, monkeypatch):
    from mikromon.web.control import outputs

    r = admin_web.post("/collector/outputs/add/", {
        "name": "vm", "format": "influx", "url": "http://127.0.0.1:8428/write",
        "token": "tok-123", "max_disk_mb": "5", "enabled": "on"})
    assert r.status_code == 302, r.content[:500]
    row = OutputDestination.objects.get(name="vm")
    page = admin_web.get(f"/collector/outputs/{row.pk}/").content.decode()
    assert "tok-123" not in page
    assert "token stored" in page
    bad = admin_web.post(f"/collector/outputs/{row.pk}/", {
        "name": "vm", "format": "influx", "url": "nope", "max_disk_mb": "5"})
    assert bad.status_code == 400
    assert "http://" in bad.content.decode()
    sent = []
    monkeypatch.setattr(outputs, "http_post",
                        lambda url, body, headers, timeout: sent.append(headers) or 400)
    admin_web.post(f"/collector/outputs/{row.pk}/test/")
    listing = admin_web.get("/collector/outputs/").content.decode()
    assert "HTTP 400: refused" in listing
    assert sent[0]["Authorization"] == "Token tok-123"
    assert admin_web.post(f"/collector/outputs/{row.pk}/delete/").status_code == 302
    assert not OutputDestination.objects.exists()


def test_viewer_reads_but_cannot_change(viewer_web, no_collector, monkeypatch):
    monkeypatch.setenv("MIKROMON_REMOTE_WRITE_URL", "http://u:pw@127.0.0.1:9090/api/v1/write")
    row = OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/vm")
    page = viewer_web.get("/collector/outputs/").content.decode()
    assert "set by MIKROMON_REMOTE_WRITE_URL" in page
    assert ":pw@" not in page
    assert "vm" in page
    assert "add-output" not in page
    assert viewer_web.get("/collector/outputs/add/").status_code == 403
    assert viewer_web.post(f"/collector/outputs/{row.pk}/delete/").status_code == 403
    assert OutputDestination.objects.exists()


def test_collector_page_shows_output_state(admin_web, fake_collector, monkeypatch):
    status = fake_collector.status()
    status["outputs"] = [
        {"name": "vm", "url": "http://127.0.0.1:1/w", "last_push": "2026-01-01T00:00:00Z",
         "lag_s": 12.5, "queued_payloads": 3, "queue_bytes": 2048, "sent_samples": 777,
         "dropped_payloads": 0, "buffer_dropped_samples": 0, "rejected_payloads": 0,
         "last_error": ""},
        {"name": "influx", "url": "http://127.0.0.1:2/w", "last_push": None, "lag_s": 60.0,
         "queued_payloads": 9, "queue_bytes": 9000, "sent_samples": 0, "dropped_payloads": 2,
         "buffer_dropped_samples": 0, "rejected_payloads": 1,
         "last_error": "no answer: connection refused"}]
    monkeypatch.setattr(fake_collector, "status", lambda **kw: status)
    page = admin_web.get("/collector/").content.decode()
    section = page[page.index('id="collector-outputs"'):]
    assert "777" in section
    assert "12.5 s" in section
    assert "3 req" in section
    failing = section[section.index('data-output="influx"'):]
    assert 'class="warn"' in section
    assert "badge warning" in failing
    assert "no answer: connection refused" in failing
    assert "badge warning" not in section[:section.index('data-output="influx"')]
    assert "taken over" not in section


def test_collector_page_shows_folders_taken_over(admin_web, fake_collector, monkeypatch):
    """The backlog of folders left by processes that ended, which this one sends
    before its own queue, is shown beside its queue."""
    status = fake_collector.status()
    status["outputs"] = [
        {"name": "vm", "url": "http://127.0.0.1:1/w", "last_push": None, "lag_s": 0.0,
         "queued_payloads": 1, "queue_bytes": 100, "sent_samples": 0, "last_error": "",
         "adopted_folders": ["member-2", "member-3"], "adopted_payloads": 41,
         "adopted_bytes": 5 * 1024 * 1024}]
    monkeypatch.setattr(fake_collector, "status", lambda **kw: status)
    page = admin_web.get("/collector/").content.decode()
    section = page[page.index('id="collector-outputs"'):]
    assert "+ 41 req taken over from member-2, member-3 (5.0" in section


def _queue(settings, tmp_path, name: str):
    settings.DATA_DIR = str(tmp_path)
    folder = tmp_path / "outputs" / name
    folder.mkdir(parents=True)
    (folder / "0.seg").write_bytes(b"unsent")
    return folder


def test_deleting_an_output_removes_its_queue_folder(admin_web, no_collector, settings,
                                                     tmp_path):
    row = OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/w")
    folder = _queue(settings, tmp_path, "vm")
    response = admin_web.post(f"/collector/outputs/{row.pk}/delete/", follow=True)
    assert not folder.exists()
    assert "its queue folder was removed" in response.content.decode()


def test_a_running_collector_removes_the_queue_itself(admin_web, fake_collector, settings,
                                                      tmp_path, monkeypatch):
    """Removing the folder under the collector's running worker would break its
    writes: the collector removes it once it stopped the output."""
    status = {**fake_collector.status(), "running": True, "outputs": [{"name": "vm"}]}
    monkeypatch.setattr(fake_collector, "status", lambda **kw: status)
    row = OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/w")
    folder = _queue(settings, tmp_path, "vm")
    response = admin_web.post(f"/collector/outputs/{row.pk}/delete/", follow=True)
    assert folder.exists()
    assert "the collector removes its queue folder" in response.content.decode()


def test_a_folder_the_environment_output_uses_stays(admin_web, no_collector, settings,
                                                    tmp_path, monkeypatch):
    monkeypatch.setenv("MIKROMON_INFLUX_URL", "http://127.0.0.1:8086/write?db=m")
    row = OutputDestination.objects.create(name="influx", format="influx",
                                           url="http://127.0.0.1:1/w")
    folder = _queue(settings, tmp_path, "influx")
    admin_web.post(f"/collector/outputs/{row.pk}/delete/")
    assert folder.exists()
    assert not OutputDestination.objects.exists()


def test_kept_names_are_the_stored_and_the_environment_outputs(db, monkeypatch):
    from mikromon.web.control.outputs import kept_names

    monkeypatch.setenv("MIKROMON_INFLUX_URL", "http://127.0.0.1:8086/write?db=m")
    OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/w", enabled=False)
    assert kept_names() == {"influx", "vm"}


def test_an_environment_output_has_a_test_button(admin_web, viewer, no_collector,
                                                 monkeypatch):
    from django.test import Client

    from mikromon.web.control import outputs

    monkeypatch.setenv("MIKROMON_REMOTE_WRITE_URL", "http://127.0.0.1:1/api/v1/write")
    listing = admin_web.get("/collector/outputs/").content.decode()
    assert 'action="/collector/outputs/env/remote-write/test/"' in listing
    sent = []
    monkeypatch.setattr(outputs, "http_post",
                        lambda url, body, headers, timeout: sent.append(url) or 204)
    assert admin_web.post("/collector/outputs/env/remote-write/test/").status_code == 302
    assert sent == ["http://127.0.0.1:1/api/v1/write"]
    assert "HTTP 204: accepted" in admin_web.get("/collector/outputs/").content.decode()
    assert admin_web.post("/collector/outputs/env/influx/test/").status_code == 404
    viewer_web = Client()
    viewer_web.force_login(viewer)
    assert viewer_web.post("/collector/outputs/env/remote-write/test/").status_code == 403


def test_output_pages_read_no_device_entries(admin_web, db, monkeypatch, settings, tmp_path):
    """The outputs page and an output's deletion read the outputs of a published
    status, never its device entries (a row per device: 10,000 parsed per request
    took 160 ms of CPU)."""
    from datetime import UTC, datetime

    from mikromon.web.control import collector, state

    now = datetime.now(UTC)
    state.publish(instance=state.instance_name(now), started_at=now, running=True, status={
        "running": True,
        "devices": [{"id": n, "name": f"r{n:03d}"} for n in range(1, 4)],
        "outputs": [{"name": "vm", "lag_s": 4321, "last_error": "answer 503"}]})
    monkeypatch.setattr(collector, "local_collector", lambda: None)

    def refuse(pk):
        raise AssertionError("device entries read")

    monkeypatch.setattr(state, "all_documents", refuse)
    OutputDestination.objects.create(name="vm", url="http://127.0.0.1:1/w")
    page = admin_web.get("/collector/outputs/").content.decode()
    assert "4321 s" in page
    assert "answer 503" in page
    row = OutputDestination.objects.create(name="old", url="http://127.0.0.1:1/w")
    settings.DATA_DIR = str(tmp_path)
    response = admin_web.post(f"/collector/outputs/{row.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "it had no queue folder" in response.content.decode()
