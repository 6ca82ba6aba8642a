"""``mikromon device import FILE.csv [--dry-run] [--skip-invalid]``: rows checked by
the one device form, errors naming row and column, a dry run writing nothing."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.db_backend, pytest.mark.django_db]

HEADER = "name,host,username,password,use_ssl,site,tags,enabled,realtime_interval\n"


def _write(tmp_path, text: str) -> str:
    path = tmp_path / "devices.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _devices():
    from mikromon.web.monitor.models import Device

    return {d.name: d for d in Device.objects.prefetch_related("tags")}


def test_dry_run_reports_and_writes_nothing(cli, tmp_path) -> None:
    """--dry-run names what would be created and changes nothing."""
    from mikromon.web.monitor.models import ConfigVersion, Site, Tag

    path = _write(tmp_path, HEADER + "r1,10.0.0.1,mon,s3cret-pw,no,HQ,core;edge,yes,10\n"
                  "r2,10.0.0.2,mon,other-pw,yes,,,no,\n")
    before = ConfigVersion.current()
    result = cli("device", "import", path, "--dry-run")
    assert result.code == 0, result.err
    assert "row 2: would create device 'r1'" in result.out
    assert "row 3: would create device 'r2'" in result.out
    assert "dry run: 2 to create, 0 to update, 0 invalid; nothing written" in result.out
    assert "s3cret-pw" not in result.out + result.err
    assert _devices() == {}
    assert not Site.objects.exists()
    assert not Tag.objects.exists()
    assert ConfigVersion.current() == before


def test_import_creates_and_updates(cli, tmp_path) -> None:
    """A new name creates a device; a known one is updated, empty cells kept."""
    path = _write(tmp_path, HEADER + "r1,10.0.0.1,mon,s3cret-pw,no,HQ,core;edge,yes,10\n")
    assert cli("device", "import", path).code == 0
    r1 = _devices()["r1"]
    assert r1.get_password() == "s3cret-pw"
    assert r1.site.name == "HQ"
    assert r1.realtime_interval == 10
    assert sorted(t.name for t in r1.tags.all()) == ["core", "edge"]
    path = _write(tmp_path, "name,host,enabled,tags\nr1,10.0.0.9,no,lab\n")
    result = cli("device", "import", path)
    assert result.code == 0, result.err
    assert "row 2: updated device 'r1'" in result.out
    r1 = _devices()["r1"]
    assert (r1.host, r1.enabled, r1.site.name) == ("10.0.0.9", False, "HQ")
    assert r1.get_password() == "s3cret-pw"
    assert [t.name for t in r1.tags.all()] == ["lab"]


def test_row_errors_name_row_and_field_and_nothing_is_written(cli, tmp_path) -> None:
    """Every bad row is reported as ``row N: field: message``; no row is written."""
    path = _write(tmp_path, HEADER + "r1,10.0.0.1,mon,pw,no,,,yes,\n"
                  "r2,not a host!,mon,pw,maybe,,,yes,\n"
                  "r3,10.0.0.3,mon,,no,,,yes,0\n"
                  "r1,10.0.0.4,mon,pw,no,,,yes,\n")
    result = cli("device", "import", path)
    assert result.code == 2
    err = result.err
    assert "row 3: host:" in err
    assert "row 3: use_ssl: 'maybe' is not yes or no" in err
    assert "row 4: password:" in err
    assert "row 4: realtime_interval:" in err
    assert "row 5: name: 'r1' is also in row 2" in err
    assert "nothing written" in err
    assert "pw" not in err.replace("password", "")
    assert _devices() == {}


def test_skip_invalid_writes_the_valid_rows(cli, tmp_path) -> None:
    """--skip-invalid writes the valid rows and still reports (and exits 2 for) the others."""
    path = _write(tmp_path, HEADER + "r1,10.0.0.1,mon,pw,no,,,yes,\n"
                  "r2,,mon,pw,no,,,yes,\n")
    result = cli("device", "import", path, "--skip-invalid")
    assert result.code == 2
    assert "row 3: host: host must not be empty" in result.err
    assert "row 2: created device 'r1'" in result.out
    assert set(_devices()) == {"r1"}


def test_tags_are_reused_whatever_their_case(cli, tmp_path) -> None:
    """A stored tag is found whatever the case; rows naming a new tag differently
    share it."""
    from mikromon.web.monitor.models import Tag

    Tag.objects.create(name="core")
    path = _write(tmp_path, HEADER + "r1,10.0.0.1,mon,pw,no,,Core;Lab,yes,\n"
                  "r2,10.0.0.2,mon,pw,no,,LAB; core ,yes,\n")
    result = cli("device", "import", path)
    assert result.code == 0, result.err
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Lab", "core"]
    devices = _devices()
    assert sorted(t.name for t in devices["r2"].tags.all()) == ["Lab", "core"]


def test_file_problems_are_named(cli, tmp_path) -> None:
    """An unknown column, a missing name column or a missing file: exit 2, named."""
    result = cli("device", "import", _write(tmp_path, "name,colour\nr1,red\n"))
    assert result.code == 2
    assert "unknown column 'colour'" in result.err
    result = cli("device", "import", _write(tmp_path, "host\n10.0.0.1\n"))
    assert result.code == 2
    assert "no 'name' column" in result.err
    result = cli("device", "import", str(tmp_path / "missing.csv"))
    assert result.code == 2
    assert "missing.csv" in result.err
