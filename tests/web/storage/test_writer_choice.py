"""MIKROMON_WRITER=auto: the collector's writer in a child process from
PROCESS_WRITER_FROM_DEVICES enabled devices on 2 CPUs or more, else in the
writer thread; decided again whenever the collector starts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mikromon.domain.errors import ConfigError
from mikromon.emulator.testing import EmulatorHandle, running_emulators
from mikromon.web import collector_setup
from mikromon.web.collector_setup import PROCESS_WRITER_FROM_DEVICES, choose_writer
from waiting import until

FROM = PROCESS_WRITER_FROM_DEVICES


def never_counted() -> int:
    raise AssertionError("the devices were counted")


def test_the_threshold_is_below_what_the_thread_writer_held() -> None:
    assert 0 < FROM < 750


@pytest.mark.parametrize(("devices", "mode"), [
    (0, "thread"), (FROM - 1, "thread"), (FROM, "process"), (FROM + 1, "process"),
    (10_000, "process"),
])
def test_auto_on_two_cpus_follows_the_enabled_devices(devices: int, mode: str) -> None:
    choice = choose_writer("auto", cpus=2, devices=lambda: devices)
    assert (choice.mode, choice.why) == (mode, f"auto: {devices} devices, 2 CPUs")


def test_auto_on_one_cpu_is_the_thread_without_counting() -> None:
    choice = choose_writer("auto", cpus=1, devices=never_counted)
    assert (choice.mode, choice.why) == ("thread", "auto: 1 CPU")


def test_auto_with_more_cpus() -> None:
    choice = choose_writer("auto", cpus=8, devices=lambda: FROM)
    assert choice.why == f"auto: {FROM} devices, 8 CPUs"


@pytest.mark.parametrize("mode", ["thread", "process"])
@pytest.mark.parametrize("cpus", [1, 2, 16])
def test_thread_and_process_force_their_mode(mode: str, cpus: int) -> None:
    choice = choose_writer(mode, cpus=cpus, devices=never_counted)
    assert (choice.mode, choice.why) == (mode, f"MIKROMON_WRITER={mode}")


def test_an_unknown_value_names_the_setting_and_the_values() -> None:
    with pytest.raises(ConfigError,
                       match=r"MIKROMON_WRITER must be auto, process or thread, not 'fork'"):
        choose_writer("fork", cpus=2, devices=never_counted)


def test_devices_that_cannot_be_counted_leave_the_thread() -> None:
    def broken() -> int:
        raise RuntimeError("database is locked")

    choice = choose_writer("auto", cpus=2, devices=broken)
    assert choice.mode == "thread"
    assert choice.why == "auto: devices not counted (RuntimeError: database is locked)"


def test_usable_cpus_prefers_the_affinity(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    import os

    no_quota = tmp_path / "cpu.max"  # absent: no cgroup limit

    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert collector_setup.usable_cpus(no_quota, no_quota) == 1
    monkeypatch.delattr(os, "sched_getaffinity")
    assert collector_setup.usable_cpus(no_quota, no_quota) == 8
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert collector_setup.usable_cpus(no_quota, no_quota) == 1


@pytest.mark.parametrize(("limits", "cpus"), [
    ({"": "max 100000\n"}, 8),  # no quota
    ({"": "100000 100000\n"}, 1),  # docker --cpus=1: the container's own root group
    ({"": "150000 100000\n"}, 2),  # 1.5 CPUs: a child process still has a second one
    ({"": "1600000 100000\n"}, 8),  # more than the affinity allows
    ({"system.slice/mikromon.service": "100000 100000\n"}, 1),  # systemd CPUQuota=100%
    ({"system.slice": "200000 100000\n",
      "system.slice/mikromon.service": "max 100000\n"}, 2),  # a parent's limit
    ({"": "garbage\n"}, 8),
    ({}, 8),  # no cpu.max file anywhere
])
def test_usable_cpus_keeps_to_the_cgroup_cpu_quotas(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, limits: dict[str, str], cpus: int,
) -> None:
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    root = tmp_path / "cgroup"
    (root / "system.slice" / "mikromon.service").mkdir(parents=True)
    for group, text in limits.items():
        (root / group / "cpu.max").write_text(text)
    proc = tmp_path / "proc-self-cgroup"
    proc.write_text("0::/system.slice/mikromon.service\n")
    assert collector_setup.usable_cpus(root, proc) == cpus


@pytest.mark.django_db
def test_the_setting_defaults_to_auto(settings) -> None:
    del settings.MIKROMON_WRITER
    assert collector_setup.writer_mode() == "auto"
    settings.MIKROMON_WRITER = "fork"
    with pytest.raises(ConfigError, match="MIKROMON_WRITER must be auto, process or thread"):
        collector_setup.writer_mode()


@pytest.mark.django_db
def test_enabled_devices_counts_the_enabled_ones() -> None:
    from mikromon.web.monitor.models import Device

    for n, enabled in enumerate([True, True, False]):
        Device.objects.create(name=f"edge-{n}", host="127.0.0.1", username="monitor",
                              enabled=enabled)
    assert collector_setup.enabled_devices() == 2


# -- through the real path: build_collector, start, stop, start ----------------------


@pytest.fixture
def router() -> Iterator[EmulatorHandle]:
    with running_emulators(count=1, profile="v7") as handles:
        yield handles[0]


@pytest.fixture
def collector(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The process-wide collector as ``mikromon serve`` builds it, with
    MIKROMON_WRITER unset (auto), 2 usable CPUs and the threshold at 3 devices;
    stopped and forgotten afterwards."""
    from mikromon import schedule
    from mikromon.schedule import instance as instance_module

    del settings.MIKROMON_WRITER
    monkeypatch.setenv("MIKROMON_TIME_SCALE", "0.01")
    monkeypatch.setattr(collector_setup, "PROCESS_WRITER_FROM_DEVICES", 3)
    monkeypatch.setattr(collector_setup, "usable_cpus", lambda: 2)
    monkeypatch.setattr(instance_module, "_factory", None)
    monkeypatch.setattr(instance_module, "_instance", None)
    service = collector_setup.build_collector()
    yield service
    schedule.reset_collector()


def add_device(router: EmulatorHandle, name: str) -> Any:
    from mikromon.web.monitor.models import Device

    dev = Device(name=name, host=router.host, port=router.port, username=router.username)
    dev.set_password(router.password)
    dev.save()
    return dev


def samples_land(device: Any) -> bool:
    from mikromon.web.monitor.models import MetricPoint

    return MetricPoint.objects.filter(series__device=device,
                                      series__key="system.cpu.load_pct").exists()


@pytest.mark.django_db(transaction=True)
def test_a_fleet_grown_past_the_threshold_gets_the_process_at_the_next_start(
    router: EmulatorHandle, collector: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import multiprocessing

    from mikromon.web.monitor.process_storage import ProcessStorage
    from mikromon.web.monitor.storage import DjangoStorage

    first = [add_device(router, "edge-1"), add_device(router, "edge-2")]
    caplog.set_level(logging.INFO, logger="mikromon.web.collector_setup")
    collector.start()
    storage = collector.status(devices=False)["writer"]["storage"]
    assert storage == {"mode": "thread", "why": "auto: 2 devices, 2 CPUs"}
    assert isinstance(collector._writer._storage, DjangoStorage)
    assert until(lambda: all(samples_land(d) for d in first), 15)
    assert "collector writer: thread (auto: 2 devices, 2 CPUs)" in caplog.messages
    assert collector.stop(10)

    third = add_device(router, "edge-3")
    collector.start()
    storage = collector.status(devices=False)["writer"]["storage"]
    assert (storage["mode"], storage["why"]) == ("process", "auto: 3 devices, 2 CPUs")
    assert isinstance(collector._writer._storage, ProcessStorage)
    assert until(lambda: samples_land(third), 15)
    pid = collector.status(devices=False)["writer"]["storage"]["pid"]
    assert pid in [p.pid for p in multiprocessing.active_children()]
    assert "collector writer: process (auto: 3 devices, 2 CPUs)" in caplog.messages
    assert collector.stop(10)
    assert pid not in [p.pid for p in multiprocessing.active_children()]
