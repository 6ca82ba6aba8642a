"""AlertRunner and AlertingQueue: the engine inside the collector, the store behind a
worker, failures kept and retried, evaluation errors never reaching the collector."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime, timedelta

from mikromon.alerting.rule_parsing import rule_from_mapping
from mikromon.alerting.rules import DeviceInfo, OpenAlert, Restored, RuleSet
from mikromon.alerting.runner import AlertRunner
from mikromon.domain.alerts import AlertState
from mikromon.domain.samples import Sample

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def now(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Store:
    def __init__(self, restored: Restored | None = None) -> None:
        self.rules = RuleSet((rule_from_mapping({"id": 1, "name": "cpu", "kind": "threshold",
                                                 "metric": "system.cpu.load_pct",
                                                 "threshold": 90}),),
                             {}, {1: DeviceInfo(id=1, name="edge-1")})
        self.restored = restored or Restored()
        self.saved: list = []
        self.fail = 0
        self.loads = 0

    def load_rules(self) -> RuleSet:
        return self.rules

    def load_open(self) -> Restored:
        self.loads += 1
        return self.restored

    def save_transitions(self, transitions) -> int:
        if self.fail:
            self.fail -= 1
            raise OSError("database is locked")
        self.saved.extend(transitions)
        return len(transitions)


def run_now(fn, *args) -> Future:
    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except Exception as err:
        future.set_exception(err)
    return future


class Inner:
    def __init__(self) -> None:
        self.samples: list = []

    def put_samples(self, device_id, samples):
        self.samples.append((device_id, list(samples)))

    def put_events(self, events):
        pass

    def put_status(self, status):
        pass

    def put_inventory(self, device_id, snapshot):
        pass


def test_failed_saves_are_kept_in_order_and_retried():
    store = Store()
    runner = AlertRunner(store)
    inner = Inner()
    queue = runner.queue(inner)
    runner.load(now())
    queue.put_samples(1, [Sample("system.cpu.load_pct", 95, now())])
    assert inner.samples  # the writer got them first
    store.fail = 2
    runner.step(now(1), run_now)
    runner.step(now(2), run_now)
    assert store.saved == []
    # A save's outcome is looked at on the next step (the store runs elsewhere).
    assert runner.stats()["save_errors"] == 1
    runner.step(now(3), run_now)
    assert runner.stats()["save_errors"] == 2
    assert [t.state.value for t in store.saved] == ["pending", "firing"]
    runner.step(now(4), run_now)
    assert runner.stats()["unsaved"] == 0
    assert runner.stats()["saved"] == 2
    assert runner.flush(1)


def test_open_alerts_are_loaded_once_and_timers_wait_for_them():
    restored = Restored(open=(OpenAlert(rule_id=1, device_id=1, subject="",
                                        state=AlertState.FIRING, since=now(), fired_at=now()),))
    store = Store(restored)
    runner = AlertRunner(store)
    runner.step(now(), run_now)  # before loading: nothing evaluated or saved
    assert store.saved == []
    runner.load(now())
    runner.load(now(1))
    assert store.loads == 1
    assert runner.engine.stats()["firing"] == 1


def test_an_engine_error_never_reaches_the_collector(monkeypatch):
    runner = AlertRunner(Store())
    inner = Inner()
    queue = runner.queue(inner)

    def broken(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(runner.engine, "observe_samples", broken)
    queue.put_samples(1, [Sample("system.cpu.load_pct", 95, now())])
    assert len(inner.samples) == 1
    assert runner.stats()["eval_errors"] == 1


def test_service_loads_the_rules_again_when_the_first_load_failed(monkeypatch):
    from mikromon.schedule import CollectorService
    from mikromon.schedule import service as service_module
    from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource
    from waiting import until

    monkeypatch.setattr(service_module, "ALERT_RETRY_S", 0.05)
    store = Store()
    calls = []

    def flaky() -> RuleSet:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("no such table: alerts_alertrule")
        return store.rules

    store.load_rules = flaky  # type: ignore[method-assign]
    svc = CollectorService(StaticDeviceSource([]), InMemoryStorage(), alerts=store,
                           config_poll_s=0.02)
    svc.start()
    try:
        assert until(lambda: (svc.status()["alerting"] or {}).get("open") == 0
                     and store.loads == 1, 5)
        assert len(calls) >= 2
    finally:
        assert svc.stop(5)
