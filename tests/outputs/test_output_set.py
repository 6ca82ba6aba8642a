"""OutputSet: a configuration change rebuilds only the outputs that changed, and the
new worker sends what the old one left queued on disk."""

from __future__ import annotations

from datetime import UTC, datetime

from mikromon.domain.samples import Sample
from mikromon.outputs.manager import OutputSet
from mikromon.outputs.worker import OutputConfig
from waiting import until


class Store:
    """A fake store: records requests by URL; answers ``status``."""

    def __init__(self) -> None:
        self.status = 204
        self.urls: list[str] = []

    def __call__(self, url, body, headers, timeout):
        if self.status == 0:
            raise OSError("connection refused")
        self.urls.append(url)
        return self.status


def _config(name, url, **kw):
    return OutputConfig(name=name, url=url, flush_interval_s=0.05, retry_min_s=0.05,
                        retry_max_s=0.05, **kw)


def test_reload_applies_changes_while_running(tmp_path):
    store = Store()
    wanted = [_config("a", "http://127.0.0.1:1/a")]
    outputs = OutputSet(loader=lambda: list(wanted), data_dir=tmp_path, send=store)
    outputs.start()
    try:
        assert outputs.reload() == ["started a"]
        assert outputs.reload() == []  # nothing changed: nothing restarted
        first = outputs[0]
        sample = Sample("system.cpu.load_pct", 5.0, datetime.now(UTC))
        store.status = 0  # the store is down: the payload stays queued on disk
        first.add("r1", "10.0.0.1", [sample])
        assert until(lambda: first.status()["queued_payloads"] == 1, 20)
        wanted[0] = _config("a", "http://127.0.0.1:1/new")
        # the store comes back only after the old worker stopped: it may not deliver
        assert outputs.reload() == ["stopped a", "started a"]
        store.status = 204
        second = outputs[0]
        assert second is not first
        assert until(lambda: second.status()["sent_samples"] == 1, 20)
        assert store.urls == ["http://127.0.0.1:1/new"]
        wanted.clear()
        assert outputs.reload() == ["stopped a"]
        assert len(outputs) == 0
    finally:
        outputs.stop()


def test_a_stop_and_start_of_the_collector_sends_on_and_what_was_queued(tmp_path):
    """The collector stopped and started again (the Collector page, ``mikromon
    collector stop|start``): the next reload builds the outputs anew on their queue
    folders; a stopped worker had closed its queue and released its folder, and kept
    after a restart it failed every flush and sent nothing."""
    store = Store()
    outputs = OutputSet(loader=lambda: [_config("a", "http://127.0.0.1:1/a")],
                        data_dir=tmp_path, send=store)
    sample = Sample("system.cpu.load_pct", 5.0, datetime.now(UTC))
    outputs.start()
    assert outputs.reload() == ["started a"]
    store.status = 0  # down: what is added stays queued on disk
    outputs[0].add("r1", "127.0.0.1", [sample])
    assert until(lambda: outputs[0].status()["queued_payloads"] == 1, 20)
    assert outputs.stop()
    store.status = 204
    outputs.start()
    try:
        assert outputs.reload() == ["started a"]
        worker = outputs[0]
        worker.add("r1", "127.0.0.1", [sample])
        assert until(lambda: worker.status()["sent_samples"] == 2, 20)
        assert worker.status()["last_error"] == ""
    finally:
        outputs.stop()


def test_a_loader_failure_keeps_the_running_outputs(tmp_path):
    calls = []

    def loader():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("database gone")
        return [_config("a", "http://127.0.0.1:1/a")]

    outputs = OutputSet(loader=loader, data_dir=tmp_path, send=Store())
    outputs.reload()
    assert outputs.reload() == []
    assert [o.status()["name"] for o in outputs] == ["a"]
    assert "database gone" in outputs.reload_error
    outputs.stop()


def test_a_bad_output_is_left_out_and_the_others_run(tmp_path):
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "blocked").write_text("a file where the folder should be")
    outputs = OutputSet(loader=lambda: [_config("blocked", "http://127.0.0.1:1/x"),
                                        _config("ok", "http://127.0.0.1:1/y")],
                        data_dir=tmp_path, send=Store())
    assert outputs.reload() == ["started ok"]
    outputs.stop()


def test_a_deleted_output_loses_its_queue_folder_a_disabled_one_keeps_it(tmp_path):
    wanted = [_config(n, f"http://127.0.0.1:1/{n}") for n in ("gone", "off", "env")]
    kept = {"gone", "off", "env"}
    outputs = OutputSet(loader=lambda: list(wanted), data_dir=tmp_path, send=Store(),
                        kept=lambda: kept)
    try:
        outputs.reload()
        assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["env", "gone", "off"]
        wanted.clear()  # "gone" deleted; "off" disabled; "env" named by the environment
        kept.discard("gone")
        changes = outputs.reload()
        assert "removed the queue of gone" in changes
        assert sorted(p.name for p in (tmp_path / "outputs").iterdir()) == ["env", "off"]
    finally:
        outputs.stop()


def test_queues_stay_when_the_names_cannot_be_read(tmp_path):
    wanted = [_config("a", "http://127.0.0.1:1/a")]

    def kept():
        raise RuntimeError("database gone")

    outputs = OutputSet(loader=lambda: list(wanted), data_dir=tmp_path, send=Store(),
                        kept=kept)
    outputs.reload()
    wanted.clear()
    assert outputs.reload() == ["stopped a"]
    assert (tmp_path / "outputs" / "a").is_dir()


def test_remove_queue_refuses_a_name_that_is_not_an_output_name(tmp_path):
    import pytest

    from mikromon.outputs.manager import remove_queue

    (tmp_path / "keep").mkdir()
    with pytest.raises(ValueError, match="not an output name"):
        remove_queue(tmp_path / "data", "../../keep")
    assert (tmp_path / "keep").is_dir()
    assert remove_queue(tmp_path, "never-made") is False
