"""Collector members in the database (mikromon.web.control.members): the fleet is
split by rendezvous hashing, a member that stops heartbeating on another host has
its devices taken over once its rows expire, a device moves only after its old
owner stopped polling it, and members and a single collector exclude each other.
Two memberships in one process stand for two collector processes; time passing
is the expiry written into their rows (the process tests in
tests/cli/test_collector_members.py run real processes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mikromon.web.control.member_collector import MemberLock, MemberSource
from mikromon.web.control.members import Membership, assign, pick
from mikromon.web.control.models import CollectorMember, DeviceOwner
from mikromon.web.monitor.lock import DjangoCollectorLock
from mikromon.web.monitor.models import Device

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

DEVICES = 40


@pytest.fixture
def fleet() -> list[int]:
    ids = []
    for i in range(DEVICES):
        dev = Device(name=f"r{i:02d}", host="127.0.0.1", port=8728, username="api")
        dev.set_password("pw")
        dev.save()
        ids.append(dev.pk)
    return ids


def _elsewhere(member: Membership) -> None:
    """Make ``member`` look like a process of another host (its process cannot be
    checked from here: only its expiry tells it is dead)."""
    CollectorMember.objects.filter(member_id=member.member_id).update(host="elsewhere")


def _expire(member: Membership) -> None:
    """What ``ttl`` seconds without a heartbeat leave behind."""
    past = timezone.now() - timedelta(seconds=1)
    CollectorMember.objects.filter(member_id=member.member_id).update(expires_at=past)
    DeviceOwner.objects.filter(owner=member.member_id).update(expires_at=past)


def _joined(**kw) -> Membership:
    member = Membership(ttl=20, beat=False, **kw)
    member.join()
    _elsewhere(member)
    member.mark_polling(member.assigned)
    return member


def _holders() -> dict[int, str]:
    return dict(DeviceOwner.objects.exclude(owner="").values_list("device_id", "owner"))


def test_pick_moves_only_the_share_of_a_new_member() -> None:
    two = ["a", "b"]
    three = ["a", "b", "c"]
    before = {d: pick(d, two) for d in range(3000)}
    after = {d: pick(d, three) for d in range(3000)}
    moved = [d for d in before if before[d] != after[d]]
    assert all(after[d] == "c" for d in moved)
    assert 800 < len(moved) < 1200  # about a third
    assert pick(1, []) is None


def test_assign_gives_every_member_a_share_of_a_small_fleet() -> None:
    """Plain rendezvous hashing leaves one of two members idle for 4 devices about
    one time in eight; the bounded assignment never does, and holds each member to
    ``ceil(1.1 * devices / members)``."""
    for n in range(200):
        members = [f"m{n}-a", f"m{n}-b"]
        owners = assign(range(1, 5), members)
        assert sorted(owners) == [1, 2, 3, 4]
        loads = [list(owners.values()).count(m) for m in members]
        assert min(loads) >= 1, (members, owners)
        assert max(loads) <= 3, (members, owners)
    three = assign(range(100), ["x", "y", "z"])
    assert max(list(three.values()).count(m) for m in "xyz") <= 37
    assert assign([], ["x"]) == {}
    assert assign([1, 2], []) == {}


def test_assign_moves_only_the_share_of_a_new_member_and_is_stable() -> None:
    two = ["a", "b"]
    three = ["a", "b", "c"]
    before = assign(range(3000), two)
    after = assign(range(3000), three)
    moved = [d for d in before if before[d] != after[d]]
    assert sum(after[d] != "c" for d in moved) <= 15  # at most 0.5 % between old ones
    assert 900 < len(moved) < 1100  # about a third
    # One more device moves none of the others.
    grown = assign(range(3001), three)
    assert sum(grown[d] != after[d] for d in range(3000)) <= 3
    # Every member computes the same owners from the same inputs, in any order.
    assert assign(reversed(range(3000)), list(reversed(three))) == after


def test_members_split_the_fleet_and_take_over_a_dead_one(fleet) -> None:
    a = _joined()
    assert a.assigned == set(fleet)
    b = _joined()
    assert b.assigned == set()  # a still polls them all
    a.tick()
    a.mark_polling(a.assigned)
    a.tick()  # releases what it no longer polls
    b.tick()
    b.mark_polling(b.assigned)
    assert a.assigned
    assert b.assigned
    assert a.assigned | b.assigned == set(fleet)
    assert not a.assigned & b.assigned
    assert set(_holders().values()) == {a.member_id, b.member_id}

    # b stops heartbeating (killed on its host): once expired, a takes all over.
    _expire(b)
    assert a.tick()
    assert a.assigned == set(fleet)
    assert set(_holders().values()) == {a.member_id}
    assert not CollectorMember.objects.filter(member_id=b.member_id).exists()
    # b wakes up: it was declared dead and must stop polling.
    assert b.tick() is False
    assert b.assigned == set()
    assert not b.joined


def test_a_live_member_keeps_its_devices_until_it_stopped_polling_them(fleet) -> None:
    a = _joined()
    b = _joined()
    a.tick()  # a learns of b: some devices hash to b, but a still polls them
    moving = set(fleet) - a.assigned
    assert moving
    assert moving <= a.polling
    for _ in range(3):
        b.tick()
        assert not b.assigned & a.polling
    assert set(_holders()) == set(fleet)
    assert set(_holders().values()) == {a.member_id}
    a.mark_polling(a.assigned)  # the service's reload stopped them
    a.tick()
    b.tick()
    assert b.assigned == moving


def test_disabled_and_deleted_devices(fleet) -> None:
    Device.objects.filter(pk=fleet[0]).update(enabled=False)
    a = _joined()
    assert fleet[0] not in a.assigned
    assert len(a.assigned) == DEVICES - 1
    source = MemberSource(a)
    loaded = {c.id: c.enabled for c in source.load_devices()}
    assert loaded[fleet[0]] is False
    assert len(loaded) == DEVICES  # the only member
    Device.objects.filter(pk=fleet[1]).delete()
    assert not DeviceOwner.objects.filter(device_id=fleet[1]).exists()
    token = source.config_version()
    a.tick()
    assert fleet[1] not in a.assigned
    assert source.config_version() != token


def test_source_gives_only_the_devices_held(fleet) -> None:
    a = _joined()
    b = _joined()
    for member in (a, b, a, a, b):
        member.tick()
        member.mark_polling(member.assigned)
    sources = MemberSource(a), MemberSource(b)
    loaded = [{c.id for c in s.load_devices()} for s in sources]
    assert loaded[0] == a.assigned
    assert loaded[1] == b.assigned
    assert loaded[0] | loaded[1] == set(fleet)
    assert not loaded[0] & loaded[1]


def test_leaving_frees_everything_at_once(fleet) -> None:
    a = _joined()
    lock = MemberLock(a)
    lock.release()
    assert _holders() == {}
    assert not CollectorMember.objects.exists()
    assert lock.refresh() is False  # not a member any more: the service stops


def test_a_single_collector_and_members_exclude_each_other(fleet) -> None:
    single = DjangoCollectorLock(mode="lease", ttl=30)
    member = MemberLock(Membership(ttl=20, beat=False))
    assert member.acquire()
    assert single.acquire() is False  # a member lives
    member.release()
    assert single.acquire() is True
    other = MemberLock(Membership(ttl=20, beat=False))
    assert other.acquire() is False  # the single collector holds the database
    single.release()
    assert other.acquire() is True
    other.release()


def test_ttl_below_one_second_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 s"):
        Membership(ttl=0.5)


def test_a_member_that_cannot_renew_stops_polling_before_its_claims_lapse(fleet) -> None:
    """No successful heartbeat for 70 % of the ttl: the source gives no device (the
    service stops them all) without asking the database; a heartbeat again, and the
    devices come back."""
    import time

    member = Membership(ttl=2, beat=False)
    member.join()
    source = MemberSource(member)
    assert {c.id for c in source.load_devices()} == set(fleet)
    time.sleep(1.5)
    assert not member.valid
    assert source.config_version() == "member-not-renewed"
    assert source.load_devices() == []
    assert member.polling == set()
    assert member.tick()
    assert {c.id for c in source.load_devices()} == set(fleet)


def test_the_alert_rules_of_a_member_name_the_devices_it_polls(fleet) -> None:
    from mikromon.web.control.member_collector import MemberAlertStore

    a = _joined()
    b = _joined()
    for member in (a, b, a, a, b):
        member.tick()
        member.mark_polling(member.assigned)
    rules = [MemberAlertStore(m).load_rules() for m in (a, b)]
    assert rules[0].polled == a.assigned
    assert rules[1].polled == b.assigned
    assert set(rules[0].devices) == set(fleet)  # every device is still described


@pytest.mark.django_db(transaction=True)
def test_a_member_busy_elsewhere_stays_alive_through_its_heartbeat_thread(fleet) -> None:
    """The heartbeat thread renews the member and its claims while its collector
    loop does not tick (a long reload on a loaded machine): the others neither
    declare it dead nor take its devices."""
    import time

    busy = Membership(ttl=1)  # heartbeat every 0.25 s, from its thread
    busy.join()
    try:
        _elsewhere(busy)  # only the expiry could tell it is dead
        time.sleep(2.5)  # no tick for 2.5 ttl
        other = Membership(ttl=1, beat=False)
        other.join()
        assert CollectorMember.objects.filter(member_id=busy.member_id).exists()
        assert set(_holders().values()) == {busy.member_id}
        assert other.assigned == set()
        assert busy.valid
        other.leave()
    finally:
        busy.leave()
    assert _holders() == {}
