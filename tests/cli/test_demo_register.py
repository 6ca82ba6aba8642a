"""``mikromon demo --routers 200`` registers its devices in a bounded number of
queries (batched: not a dozen queries per device), with the same result as one
by one: marks, site, tags, encrypted password, enabled; a re-run updates the
ports and disables the demo devices it no longer runs; the collector is told
once (configuration version)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.db_backend]

#: Queries allowed for the whole fleet, whatever its size (the site and the tags
#: take a few each when created; one by one, 200 devices took 6,429).
MAX_QUERIES = 60


class _Router:
    def __init__(self, port: int, profile: str) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.username = "mikromon"
        self.version = "7.16.2"
        self.profile = type("Profile", (), {"name": profile})()


def _fleet(count: int, base: int) -> list[_Router]:
    profiles = ("v6", "v7", "v7-empty", "chr")
    return [_Router(base + i, profiles[i % 4]) for i in range(count)]


def test_two_hundred_devices_in_few_queries(django_assert_max_num_queries) -> None:
    from mikromon.cli.demo import register_devices
    from mikromon.domain.names import name_sort_key
    from mikromon.web.control.demo import demo_devices
    from mikromon.web.monitor.models import ConfigVersion, Device

    before = ConfigVersion.current()
    with django_assert_max_num_queries(MAX_QUERIES):
        names = register_devices(_fleet(200, 40000), "router-pw")
    assert len(names) == 200
    assert names[:2] == ["demo-1-v6", "demo-2-v7"]
    # Listed in natural order (demo-2 before demo-10).
    assert [d.name for d in demo_devices()] == sorted(names, key=name_sort_key)
    assert ConfigVersion.current() != before
    device = Device.objects.prefetch_related("tags").select_related("site").get(
        name="demo-3-v7-empty")
    assert (device.host, device.port, device.username, device.enabled) == (
        "127.0.0.1", 40002, "mikromon", True)
    assert device.site.name == "Demo lab"
    assert sorted(t.name for t in device.tags.all()) == ["demo", "v7-empty"]
    assert device.get_password() == "router-pw"
    assert "v7-empty profile" in device.notes
    assert device.created_at is not None
    assert device.updated_at is not None

    # Again with fewer routers: the same devices on new ports, the rest disabled.
    before = ConfigVersion.current()
    with django_assert_max_num_queries(MAX_QUERIES):
        again = register_devices(_fleet(150, 50000), "new-pw")
    assert again == names[:150]
    assert ConfigVersion.current() != before
    assert Device.objects.filter(enabled=True).count() == 150
    assert Device.objects.get(name="demo-1-v6").port == 50000
    assert Device.objects.get(name="demo-1-v6").get_password() == "new-pw"
    assert not Device.objects.get(name=names[199]).enabled
    assert sorted(t.name for t in Device.objects.get(name="demo-1-v6").tags.all()) == [
        "demo", "v6"]
