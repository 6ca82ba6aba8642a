"""The device list's bulk action bar and CSV import: one POST to the bulk service
(:mod:`mikromon.web.monitor.device_bulk`, the API's too), admins only; the import
shows its dry run and writes only when confirmed, never showing a password."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]


@pytest.fixture
def fleet(device):
    from mikromon.web.monitor.models import Device, Site

    hq = Site.objects.create(name="HQ")
    second = Device(name="edge-2", host="127.0.0.2", username="monitor", site=hq)
    second.set_password("x-pass")
    second.save()
    return [device, second]


def test_list_shows_the_bar_to_admins(admin_web, fleet) -> None:
    page = admin_web.get("/devices/").content.decode()
    assert 'id="bulk-form"' in page
    assert page.count('class="bulk-pick"') == 2
    assert 'id="import-devices"' in page
    assert "device_bulk.js" in page


def test_list_shows_no_bar_to_viewers(viewer_web, fleet) -> None:
    page = viewer_web.get("/devices/").content.decode()
    assert "bulk-form" not in page
    assert "bulk-pick" not in page
    assert "import-devices" not in page


def test_bulk_disable_and_enable(admin_web, fleet) -> None:
    from mikromon.web.monitor.models import ConfigVersion, Device

    before = ConfigVersion.current()
    response = admin_web.post("/devices/bulk/", {
        "action": "disable", "device": [d.pk for d in fleet], "next": "/devices/?q=edge"})
    assert response.status_code == 302
    assert response["Location"] == "/devices/?q=edge"
    assert not Device.objects.filter(enabled=True).exists()
    assert ConfigVersion.current() != before
    page = admin_web.get("/devices/").content.decode()
    assert "2 devices disabled" in page
    admin_web.post("/devices/bulk/", {"action": "enable", "device": [fleet[0].pk]})
    assert list(Device.objects.filter(enabled=True).values_list("name", flat=True)) == ["edge-1"]


def test_bulk_tag_and_site(admin_web, fleet) -> None:
    from mikromon.web.monitor.models import Device, Tag

    Tag.objects.create(name="core")
    admin_web.post("/devices/bulk/", {"action": "add_tag", "tag": "CORE",
                                      "device": [d.pk for d in fleet]})
    assert Tag.objects.count() == 1
    assert Device.objects.filter(tags__name="core").count() == 2
    admin_web.post("/devices/bulk/", {"action": "remove_tag", "tag": "core",
                                      "device": [fleet[1].pk]})
    assert list(Device.objects.filter(tags__name="core").values_list("name", flat=True)) == [
        "edge-1"]
    admin_web.post("/devices/bulk/", {"action": "move_site", "site": "Branch",
                                      "device": [d.pk for d in fleet]})
    assert set(Device.objects.values_list("site__name", flat=True)) == {"Branch"}
    admin_web.post("/devices/bulk/", {"action": "move_site", "site": "",
                                      "device": [fleet[0].pk]})
    assert Device.objects.get(pk=fleet[0].pk).site is None


def test_bulk_errors_change_nothing(admin_web, fleet) -> None:
    from mikromon.web.monitor.models import Device

    response = admin_web.post("/devices/bulk/", {"action": "disable",
                                                 "device": [fleet[0].pk, 9999]}, follow=True)
    assert "Nothing changed: devices: no device with id 9999" in response.content.decode()
    response = admin_web.post("/devices/bulk/", {"action": "add_tag", "tag": " ",
                                                 "device": [fleet[0].pk]}, follow=True)
    assert "tag: give the tag" in response.content.decode()
    response = admin_web.post("/devices/bulk/", {"action": "disable"}, follow=True)
    assert "devices: choose at least one device" in response.content.decode()
    assert Device.objects.filter(enabled=True).count() == 2


def test_bulk_is_refused_to_viewers(viewer_web, fleet) -> None:
    from mikromon.web.monitor.models import Device

    response = viewer_web.post("/devices/bulk/", {"action": "disable",
                                                  "device": [fleet[0].pk]})
    assert response.status_code == 403
    assert Device.objects.filter(enabled=True).count() == 2


def test_bulk_needs_post(admin_web) -> None:
    assert admin_web.get("/devices/bulk/").status_code == 405


CSV = ("name,host,username,password,tags\n"
       "r1,10.0.0.1,mon,hidden-pass-1,core;lab\n"
       "edge-1,,,,\n")


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("devices.csv", text.encode(), content_type="text/csv")


def test_import_dry_run_then_confirm(admin_web, fleet) -> None:
    from mikromon.web.monitor.models import Device

    response = admin_web.post("/devices/import/", {"file": _upload(CSV)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dry run: 1 to create, 1 to update, 0 invalid" in page
    assert "hidden-pass-1" not in page
    assert not Device.objects.filter(name="r1").exists()
    token = response.context["token"]
    assert token
    assert "hidden-pass-1" not in token
    response = admin_web.post("/devices/import/", {"token": token, "confirm": "1"})
    assert response.status_code == 302
    assert Device.objects.get(name="r1").get_password() == "hidden-pass-1"


def test_import_shows_row_errors(admin_web, fleet) -> None:
    from mikromon.web.monitor.models import Device

    text = "name,host,username,password\nr1,bad host!,mon,pw-secret\nr2,10.0.0.2,mon,pw2\n"
    response = admin_web.post("/devices/import/", {"file": _upload(text)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "host:" in page
    assert "1 invalid" in page
    assert "pw-secret" not in page
    token = response.context["token"]
    response = admin_web.post("/devices/import/", {"token": token, "confirm": "1"})
    assert response.status_code == 400
    assert not Device.objects.filter(name="r2").exists()
    response = admin_web.post("/devices/import/", {"token": token, "confirm": "1",
                                                   "skip_invalid": "on"})
    assert response.status_code == 302
    assert Device.objects.filter(name="r2").exists()
    response = admin_web.post("/devices/import/", {"token": "forged", "confirm": "1"})
    assert response.status_code == 400


def test_import_is_admin_only(viewer_web) -> None:
    assert viewer_web.get("/devices/import/").status_code == 403
    assert viewer_web.post("/devices/import/", {"file": _upload(CSV)}).status_code == 403
