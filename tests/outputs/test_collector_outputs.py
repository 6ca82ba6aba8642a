"""The collector feeds its outputs: every sample a poll of an emulated router gives
reaches the output under the device's name and address, an output's failure never
stops polling or writing, and the service reports each output's state."""

from __future__ import annotations

from mikromon.domain.devices import DeviceConfig
from mikromon.emulator.testing import running_emulators
from mikromon.schedule import CollectorService
from mikromon.storage.memory import InMemoryStorage, StaticDeviceSource
from waiting import until


class Recorder:
    """An output keeping what it was given."""

    def __init__(self, fail: bool = False) -> None:
        self.got: list[tuple[str, str, str]] = []
        self.fail = fail
        self.started = self.stopped = False

    def add(self, device, address, samples):
        if self.fail:
            raise RuntimeError("the output is broken")
        self.got += [(device, address, s.key) for s in samples]

    def start(self):
        self.started = True

    def stop(self, timeout=5.0):
        self.stopped = True
        return True

    def status(self):
        return {"name": "recorder", "samples": len(self.got)}

def test_polled_samples_reach_every_output_and_a_broken_one_harms_nothing():
    good, broken = Recorder(), Recorder(fail=True)
    storage = InMemoryStorage()
    with running_emulators(count=1, profile="v7") as (router,):
        source = StaticDeviceSource([DeviceConfig(
            id=7, name="edge-7", host=router.host, port=router.port, username=router.username,
            password=router.password)])
        service = CollectorService(source, storage, time_scale=0.2, outputs=[broken, good])
        service.start()
        try:
            assert until(lambda: {"iface.rx_bytes", "iface.rx_bps", "system.cpu.load_pct"}
                         <= {key for _, _, key in good.got}, 20)
            assert {(d, a) for d, a, _ in good.got} == {("edge-7", router.host)}
            assert storage.latest(7)  # the writer got them too
            broken_state, good_state = service.status()["outputs"]
            assert broken_state["samples"] == 0
            assert good_state["samples"] >= 3
        finally:
            assert service.stop(10)
    assert good.started
    assert good.stopped
    assert broken.stopped


def test_a_running_collector_applies_an_output_change_without_restart(tmp_path):
    """A new output configured while the collector runs starts at the next
    configuration change and receives the polled samples; removing it stops it."""
    from mikromon.outputs.manager import OutputSet
    from mikromon.outputs.remote_write import decode
    from mikromon.outputs.worker import OutputConfig

    bodies: list[bytes] = []

    def store(url, body, headers, timeout):
        bodies.append(body)
        return 204

    wanted: list[OutputConfig] = []
    outputs = OutputSet(loader=lambda: list(wanted), data_dir=tmp_path, send=store)
    with running_emulators(count=1, profile="v7") as (router,):
        config = DeviceConfig(id=7, name="edge-7", host=router.host, port=router.port,
                              username=router.username, password=router.password)
        source = StaticDeviceSource([config])
        service = CollectorService(source, InMemoryStorage(), time_scale=0.2,
                                   config_poll_s=0.2, outputs=outputs)
        service.start()
        try:
            assert until(lambda: service.status()["reloads"] >= 1, 20)
            assert service.status()["outputs"] == []
            wanted.append(OutputConfig(name="vm", url="http://127.0.0.1:1/w",
                                       flush_interval_s=0.1))
            source.add(DeviceConfig(id=8, name="edge-8", host=router.host, port=router.port,
                                    username=router.username, password=router.password,
                                    enabled=False))  # any change bumps the version
            assert until(lambda: any(s["name"] == "vm" and s["sent_samples"] > 0
                                     for s in service.status()["outputs"]), 20)
            assert any(decode(body) for body in bodies)
            wanted.clear()
            source.add(DeviceConfig(id=9, name="edge-9", host=router.host, port=router.port,
                                    username=router.username, password=router.password,
                                    enabled=False))
            assert until(lambda: service.status()["outputs"] == [], 20)
        finally:
            assert service.stop(10)
