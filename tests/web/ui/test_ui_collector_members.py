"""The collector page and the API with collector members sharing the fleet: every
member's devices in one table, each with the member polling it, and each member's
load (the members and their publications are real rows, as two collector
processes write them)."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime

import pytest

from mikromon.web.control import state
from mikromon.web.control.members import Membership
from mikromon.web.control.models import CollectorMember, CollectorStatus

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]


def _docs(devices, ids) -> list[dict]:
    return [{"id": d.pk, "name": d.name, "state": "up", "last_error": "", "facts": {},
             "tiers": {"realtime": {"interval_s": 5, "runs": 3, "errors": 0}}}
            for d in devices if d.pk in ids]


def _member_publishing(devices, pid: int, members: list[Membership]) -> None:
    """Split the fleet between ``members`` and publish each one's devices under its
    own pid (``pid``, ``pid + 1``...)."""
    for _ in range(3):
        for member in members:
            member.tick()
            member.mark_polling(member.assigned)
    for offset, member in enumerate(members):
        now = datetime.now(UTC)
        instance = f"{socket.gethostname()}:{pid + offset}:0"
        state.publish(instance=instance, started_at=now, running=True, status={
            "running": True, "lock_held": True, "devices": _docs(devices, member.assigned),
            "writer": {"rows_written": 100 + offset, "queue_depth": offset}})
        CollectorStatus.objects.filter(instance=instance).update(pid=pid + offset)
        CollectorMember.objects.filter(member_id=member.member_id).update(pid=pid + offset)


def test_collector_page_and_api_show_every_member_and_who_polls_what(
        admin_web, admin_token, no_collector, make_fleet, client) -> None:
    fleet = make_fleet(12)
    a, b = Membership(ttl=20, beat=False), Membership(ttl=20, beat=False)
    a.join()
    b.join()
    _member_publishing(fleet, 7001, [a, b])
    assert a.assigned
    assert b.assigned
    host = socket.gethostname()

    response = admin_web.get("/collector/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "12 of 12 devices" in body
    names = [g["device"]["name"] for g in response.context["groups"]]
    assert names == sorted(d.name for d in fleet)  # one table, by name, across members
    polled = {g["device"]["id"]: g["member"] for g in response.context["groups"]}
    assert polled == {**dict.fromkeys(a.assigned, f"{host} pid 7001"),
                      **dict.fromkeys(b.assigned, f"{host} pid 7002")}
    panel = re.search(r'<div class="panel flush" id="collector-members">(.*?)</table>',
                      body, re.S).group(1)
    counts = re.findall(r'class="num member-devices">(\d+)<', panel)
    assert sorted(map(int, counts)) == sorted([len(a.assigned), len(b.assigned)])
    assert f"{host} pid 7001" in panel

    api = client.get("/api/v1/collector", HTTP_AUTHORIZATION=f"Token {admin_token}")
    doc = json.loads(api.content)
    assert {m["pid"]: m["devices"] for m in doc["members"]} == {
        7001: len(a.assigned), 7002: len(b.assigned)}
    assert sorted(d["id"] for d in doc["status"]["devices"]) == sorted(d.pk for d in fleet)
    assert {m["pid"]: m["rows_written"] for m in doc["members"]} == {7001: 100, 7002: 101}


def test_without_members_the_page_has_no_members_panel(admin_web, fake_collector) -> None:
    fake_collector.running = True
    body = admin_web.get("/collector/").content.decode()
    assert 'id="collector-members"' not in body
    assert "polled by" not in body


def test_the_api_shows_the_syslog_receiver_of_whichever_member_runs_it(
        admin_token, no_collector, make_fleet, client) -> None:
    """One member per machine receives syslog; the status shown is the member's
    that published last: its ``syslog`` is the receiving member's, not ``null``."""
    fleet = make_fleet(4)
    a, b = Membership(ttl=20, beat=False), Membership(ttl=20, beat=False)
    a.join()
    b.join()
    host = socket.gethostname()
    receiving = {"listening": True, "error": "", "port": 5514, "accepted": 7}
    for pid, member, syslog in ((7101, a, receiving), (7102, b, None)):  # b publishes last
        member.tick()
        instance = f"{host}:{pid}:0"
        state.publish(instance=instance, started_at=datetime.now(UTC), running=True, status={
            "running": True, "lock_held": True, "syslog": syslog,
            "devices": _docs(fleet, member.assigned), "writer": {}})
        CollectorStatus.objects.filter(instance=instance).update(pid=pid)
        CollectorMember.objects.filter(member_id=member.member_id).update(pid=pid)
    api = client.get("/api/v1/collector", HTTP_AUTHORIZATION=f"Token {admin_token}")
    assert json.loads(api.content)["status"]["syslog"] == receiving
