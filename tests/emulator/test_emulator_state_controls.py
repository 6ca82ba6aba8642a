"""State controls: CPU load, temperature, PSU/fan state, link, BGP and OSPF, set from
Python (EmulatorHandle) and from ``simulate``'s control lines, read back over the API."""

from __future__ import annotations

from types import SimpleNamespace

import librouteros
import pytest

from mikromon.cli.simulate import run_control
from mikromon.emulator.profiles import PROFILES
from mikromon.emulator.router import Router
from mikromon.emulator.testing import EmulatorHandle, running_emulators


def read(r: EmulatorHandle, path: str) -> list[dict[str, object]]:
    api = librouteros.connect(r.host, r.username, r.password, port=r.port)
    try:
        return list(api.path(path))
    finally:
        api.close()


def rows(router: Router, path: str) -> list[dict[str, str]]:
    table = router.table(path)
    return [table.row(i) for i in range(len(table))]


def test_controls_through_the_handle_read_back_over_the_api() -> None:
    with running_emulators(count=1, profile="v7") as (r,):
        r.set_cpu_load(97)
        r.set_temperature(66)
        r.set_temperature(80, sensor="cpu-temperature")
        r.set_health_state("psu1-state", False)
        r.set_link("ether2", False)
        r.set_bgp("bogon-1", False)
        r.set_ospf("198.51.100.2", "Init")
        assert read(r, "/system/resource")[0]["cpu-load"] == 97
        assert {c["load"] for c in read(r, "/system/resource/cpu")} == {97}
        health = {h["name"]: h["value"] for h in read(r, "/system/health")}
        assert (health["temperature"], health["cpu-temperature"]) == (66, 80)
        assert health["psu1-state"] == "fail"
        links = {i["name"]: i["running"] for i in read(r, "/interface")}
        assert links["ether2"] is False
        assert links["ether1"] is True
        assert [s["established"] for s in read(r, "/routing/bgp/session")] == [False]
        states = {n["address"]: n["state"] for n in read(r, "/routing/ospf/neighbor")}
        assert states["198.51.100.81"] == "Init"
        r.set_cpu_load(None)
        r.set_link("ether2", True)
        assert {i["name"]: i["running"] for i in read(r, "/interface")}["ether2"] is True
        with pytest.raises(ValueError, match="0-100"):
            r.set_cpu_load(150)
        with pytest.raises(KeyError):
            r.set_link("ether99", False)
        with pytest.raises(ValueError, match="OSPF state"):
            r.set_ospf("198.51.100.2", "Sleeping")


def test_v6_bgp_peer_down_and_up_and_ospf_neighbour_gone() -> None:
    router = Router(PROFILES["v6"])
    router.set_bgp("peer-a", False)
    router.set_bgp("Hub01", True)
    router.set_ospf("198.51.100.2", "Down")
    peers = {p["name"]: (p["state"], p.get("established"), "uptime" in p)
             for p in rows(router, "/routing/bgp/peer")}
    assert peers["peer-a"] == ("idle", "false", False)
    assert peers["Hub01"] == ("established", "true", True)
    assert [n["router-id"] for n in rows(router, "/routing/ospf/neighbor")] == [
        "198.51.100.3", "10.2.3.5"]


def test_v7_established_connection_without_a_session_gets_one() -> None:
    router = Router(PROFILES["v7"])
    router.set_bgp("c1", True)
    assert [(s["name"], s["established"]) for s in rows(router, "/routing/bgp/session")] == [
        ("bogon-1", "true"), ("c1-1", "true")]


def test_simulate_control_lines_set_state() -> None:
    router = Router(PROFILES["v7"])

    class Emu(SimpleNamespace):
        def __getattr__(self, name):
            return getattr(router, name)

    fleet = SimpleNamespace(routers=[Emu()])
    assert run_control(fleet, "cpu 0 95") == "ok: cpu 0"
    assert run_control(fleet, "temperature all 70 cpu-temperature") == "ok: temperature all"
    assert run_control(fleet, "health 0 psu2-state ok") == "ok: health 0"
    assert run_control(fleet, "link 0 ether3 down") == "ok: link 0"
    assert run_control(fleet, "bgp 0 bogon-1 down") == "ok: bgp 0"
    assert run_control(fleet, "ospf 0 10.88.0.250 Loading") == "ok: ospf 0"
    assert router.controls.cpu_load == 95
    assert router.controls.temperatures == {"cpu-temperature": 70}
    assert router.controls.health_states == {"psu2-state": "ok"}
    assert not next(p for p in router.ports if p.name == "ether3").running
    assert router.controls.bgp == {"bogon-1": False}
    assert router.controls.ospf == {"10.88.0.250": "Loading"}
    assert run_control(fleet, "cpu 0 none") == "ok: cpu 0"
    assert router.controls.cpu_load is None
    assert run_control(fleet, "cpu 0 250").startswith("error: cpu: cpu load must be 0-100")
    assert run_control(fleet, "link 0 ether9 down").startswith("error: link:")
    assert run_control(fleet, "bgp 0 x sideways").startswith("error: bgp: say up")
    assert run_control(fleet, "ospf 0").startswith("error: ospf needs 2")
    assert run_control(fleet, "cpu 7 50").startswith("error: no router '7'")
    assert "cpu I PCT" in run_control(fleet, "help")
