"""Noticing changes between polls: reboots, version/board changes, link flaps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mikromon.domain.catalog import is_failing
from mikromon.domain.events import EventKind
from mikromon.domain.inventory import DeviceFacts, InventorySnapshot
from mikromon.routeros.values.versions import version_hint as version_tuple
from mikromon.schedule.changes import (
    DeviceMemory,
    facts_changes,
    health_changes,
    link_changes,
    merge_facts,
)

TS = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def kinds(events: list) -> list[EventKind]:
    return [e.kind for e in events]


class TestFacts:
    def test_first_reading_is_only_a_baseline(self) -> None:
        mem = DeviceMemory()
        events, changed = facts_changes(mem, DeviceFacts(version="7.16.2 (stable)", board="CHR",
                                                         uptime_s=50.0),
                                        mono=10.0, ts=TS, device_id=1)
        assert events == []
        assert not changed
        assert mem.facts.version == "7.16.2 (stable)"

    def test_uptime_going_on_is_no_reboot(self) -> None:
        mem = DeviceMemory()
        facts_changes(mem, DeviceFacts(uptime_s=1000.0), mono=0.0, ts=TS, device_id=1)
        events, _ = facts_changes(mem, DeviceFacts(uptime_s=1005.0), mono=5.0, ts=TS, device_id=1)
        assert events == []

    def test_uptime_going_back_is_a_reboot(self) -> None:
        mem = DeviceMemory()
        facts_changes(mem, DeviceFacts(uptime_s=1000.0), mono=0.0, ts=TS, device_id=7)
        events, _ = facts_changes(mem, DeviceFacts(uptime_s=3.0), mono=5.0, ts=TS, device_id=7)
        assert kinds(events) == [EventKind.REBOOT]
        assert events[0].device_id == 7
        assert "rebooted" in events[0].message

    def test_reboot_during_an_outage_is_noticed(self) -> None:
        """Uptime grew past the old value, but is shorter than the time since we
        last saw the router: it booted in between."""
        mem = DeviceMemory()
        facts_changes(mem, DeviceFacts(uptime_s=100.0), mono=0.0, ts=TS, device_id=1)
        events, _ = facts_changes(mem, DeviceFacts(uptime_s=400.0), mono=1000.0, ts=TS,
                                  device_id=1)
        assert kinds(events) == [EventKind.REBOOT]

    def test_version_and_board_changes(self) -> None:
        mem = DeviceMemory()
        facts_changes(mem, DeviceFacts(version="6.49.10 (long-term)", board="RB750Gr3"),
                      mono=0.0, ts=TS, device_id=1)
        events, changed = facts_changes(
            mem, DeviceFacts(version="7.16.2 (stable)", board="hEX"), mono=5.0, ts=TS,
            device_id=1)
        assert changed
        assert kinds(events) == [EventKind.VERSION_CHANGED, EventKind.BOARD_CHANGED]
        assert "6.49.10 (long-term) to 7.16.2 (stable)" in events[0].message

    def test_unknown_fields_keep_what_was_known(self) -> None:
        old = DeviceFacts(identity="core", version="7.1")
        assert merge_facts(old, DeviceFacts(board="CHR")) == DeviceFacts(
            identity="core", version="7.1", board="CHR")


@pytest.mark.parametrize(("text", "expected"), [
    ("7.16.2 (stable)", (7, 16, 2)), ("6.49", (6, 49, 0)), ("7.18beta2", (7, 18, 0)),
    (None, ()), ("", ()), ("unknown", ()),
])
def test_version_tuple(text: str | None, expected: tuple[int, ...]) -> None:
    assert version_tuple(text) == expected


def interfaces(**running: bool) -> InventorySnapshot:
    return InventorySnapshot(table="interfaces", key_fields=("name",), ts=TS,
                             rows=[{"name": n, "running": r} for n, r in running.items()])


class TestLinks:
    def test_first_inventory_sets_the_baseline(self) -> None:
        mem = DeviceMemory()
        assert link_changes(mem, interfaces(ether1=True, ether2=False), device_id=1) == []

    def test_running_changes_are_link_events(self) -> None:
        mem = DeviceMemory()
        link_changes(mem, interfaces(ether1=True, ether2=False), device_id=1)
        events = link_changes(mem, interfaces(ether1=False, ether2=True, ppp1=True), device_id=1)
        assert [(e.kind, e.message) for e in events] == [
            (EventKind.LINK_DOWN, "interface ether1 link down"),
            (EventKind.LINK_UP, "interface ether2 link up"),
        ]
        assert link_changes(mem, interfaces(ether1=False, ether2=True), device_id=1) == []

    def test_other_tables_are_ignored(self) -> None:
        mem = DeviceMemory()
        snap = InventorySnapshot(table="ip_addresses", key_fields=("address",), ts=TS, rows=[])
        assert link_changes(mem, snap, device_id=1) == []
        assert mem.links is None


def health(**states: str) -> InventorySnapshot:
    return InventorySnapshot(table="health_states", key_fields=("name",), ts=TS,
                             rows=[{"name": n.replace("_", "-"), "state": w}
                                   for n, w in states.items()])


class TestHealthStates:
    def test_words(self) -> None:
        assert not is_failing("ok")
        assert not is_failing("OK")
        assert is_failing("fail")
        assert is_failing("no-power")  # whatever word the router uses, if not ok

    def test_first_table_is_the_baseline_but_counts_for_degraded(self) -> None:
        mem = DeviceMemory()
        assert health_changes(mem, health(psu1_state="ok", psu2_state="fail"), device_id=1) == []
        assert mem.failing_sensors() == ["psu2-state"]

    def test_going_to_a_failing_word_and_back_are_events(self) -> None:
        mem = DeviceMemory()
        health_changes(mem, health(psu1_state="ok", fan_state="ok"), device_id=1)
        events = health_changes(mem, health(psu1_state="fail", fan_state="ok"), device_id=1)
        assert [(e.kind, e.message) for e in events] == [
            (EventKind.HEALTH_FAILED, "psu1-state: fail (was ok)")]
        assert mem.failing_sensors() == ["psu1-state"]
        assert health_changes(mem, health(psu1_state="fail", fan_state="ok"), device_id=1) == []
        events = health_changes(mem, health(psu1_state="ok", fan_state="ok", fan1_state="fail"),
                                device_id=1)
        assert [(e.kind, e.message) for e in events] == [
            (EventKind.HEALTH_RECOVERED, "psu1-state: ok (was fail)"),
            (EventKind.HEALTH_FAILED, "fan1-state: fail")]
        assert mem.failing_sensors() == ["fan1-state"]

    def test_other_tables_are_ignored(self) -> None:
        mem = DeviceMemory()
        assert health_changes(mem, interfaces(ether1=True), device_id=1) == []
        assert mem.health is None
