"""``mikromon export``: CSV and JSON of a device's series over a time range."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.django_db

T0 = int(datetime(2025, 1, 31, 12, 0, tzinfo=UTC).timestamp())


@pytest.fixture
def device():
    """r1 with CPU load (10 points, 5 s apart from T0) and rx rates of two interfaces."""
    from mikromon.web.monitor.models import Device, MetricPoint, MetricRollup, Series, labels_key

    dev = Device(name="r1", host="127.0.0.1", username="mon")
    dev.set_password("x")
    dev.save()
    cpu = Series.objects.create(device=dev, key="system.cpu.load_pct")
    eth1 = Series.objects.create(
        device=dev, key="iface.rx_bps", labels_key=labels_key([("interface", "ether1")]),
        labels={"interface": "ether1"},
    )
    eth2 = Series.objects.create(
        device=dev, key="iface.rx_bps", labels_key=labels_key([("interface", "ether2")]),
        labels={"interface": "ether2"},
    )
    points = [MetricPoint(series=cpu, ts=T0 + 5 * i, value=float(i)) for i in range(10)]
    points += [MetricPoint(series=eth1, ts=T0 + 5 * i, value=1e6 + i) for i in range(10)]
    points += [MetricPoint(series=eth2, ts=T0 + 5 * i, value=2e6) for i in range(10)]
    MetricPoint.objects.bulk_create(points)
    MetricRollup.objects.create(series=cpu, step=300, ts=T0, count=10, min=0, max=9, avg=4.5,
                                last=9.0)
    return dev


RANGE = ["--from", "2025-01-31T12:00:00Z", "--to", "2025-01-31T13:00:00Z"]


def test_csv_one_metric(cli, device) -> None:
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", *RANGE)
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["time", "device", "metric", "unit", "value"]
    assert rows[1] == ["2025-01-31T12:00:00Z", "r1", "system.cpu.load_pct", "percent", "0.0"]
    assert len(rows) == 11


def test_csv_label_columns_and_filters(cli, device) -> None:
    """Each label gets a column; --label narrows; shell patterns select metrics."""
    result = cli("export", "r1", "--metric", "iface.*", "--label", "interface=ether2", *RANGE)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == 10
    assert {r["interface"] for r in rows} == {"ether2"}
    assert rows[0]["value"] == "2000000.0"


def test_time_range_is_half_open(cli, device) -> None:
    """--from is inclusive, --to exclusive."""
    result = cli(
        "export", "r1", "--metric", "system.cpu.load_pct",
        "--from", "2025-01-31T12:00:10Z", "--to", "2025-01-31T12:00:20Z",
    )
    times = [r["time"] for r in csv.DictReader(io.StringIO(result.out))]
    assert times == ["2025-01-31T12:00:10Z", "2025-01-31T12:00:15Z"]


def test_json(cli, device) -> None:
    result = cli("export", "r1", "--format", "json", *RANGE)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["device"] == "r1"
    assert doc["from"] == "2025-01-31T12:00:00Z"
    assert doc["resolution"] == "raw"
    assert [(s["metric"], s["labels"]) for s in doc["series"]] == [
        ("iface.rx_bps", {"interface": "ether1"}),
        ("iface.rx_bps", {"interface": "ether2"}),
        ("system.cpu.load_pct", {}),
    ]
    assert doc["series"][2]["points"][3] == ["2025-01-31T12:00:15Z", 3.0]
    assert doc["series"][2]["unit"] == "percent"


def test_json_of_an_empty_range_is_valid(cli, device) -> None:
    result = cli("export", "r1", "--format", "json", "--from", "2020-01-01", "--to",
                 "2020-01-02")
    assert result.code == 0
    assert json.loads(result.out)["series"] == []


def test_rollups(cli, device) -> None:
    result = cli("export", "r1", "--resolution", "5m", "--metric", "system.cpu.load_pct",
                 *RANGE)
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows == [{
        "time": "2025-01-31T12:00:00Z", "device": "r1", "metric": "system.cpu.load_pct",
        "unit": "percent", "min": "0.0", "avg": "4.5", "max": "9.0", "count": "10",
        "last": "9.0",
    }]


def test_output_file(cli, device, tmp_path) -> None:
    target = tmp_path / "cpu.csv"
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", *RANGE, "-o", str(target))
    assert result.code == 0
    assert result.out == ""
    assert "exported 10 rows of 1 series" in result.err
    assert target.read_text(encoding="utf-8").count("\n") == 11
    assert [p.name for p in tmp_path.iterdir()] == ["cpu.csv"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_file_mode_follows_the_umask(cli, device, tmp_path, umask) -> None:
    """-o FILE is created like any file the user writes (0644 under umask 022), not 0600;
    an existing file keeps its mode."""
    import os
    import stat

    target = tmp_path / "cpu.csv"
    old = os.umask(umask)
    try:
        result = cli("export", "r1", "--metric", "system.cpu.load_pct", *RANGE,
                     "-o", str(target))
    finally:
        os.umask(old)
    assert result.code == 0, result.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask

    target.chmod(0o640)
    assert cli("export", "r1", "--metric", "system.cpu.load_pct", *RANGE,
               "-o", str(target)).code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failed_export_leaves_no_file(cli, device, tmp_path, monkeypatch) -> None:
    """A failure while writing removes the partial file; an older file stays intact."""
    from mikromon.cli import export

    target = tmp_path / "out.csv"
    target.write_text("previous export\n", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export, "write_csv", broken)
    with pytest.raises(RuntimeError):
        cli("export", "r1", *RANGE, "-o", str(target))
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_progress_for_large_exports(cli, device, monkeypatch) -> None:
    """Large exports report progress on stderr (thresholds lowered for the test)."""
    from mikromon.cli import export_write

    monkeypatch.setattr(export_write, "PROGRESS_MIN_ROWS", 10)
    monkeypatch.setattr(export_write, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(export_write.Progress, "step", _every_row_step)
    result = cli("export", "r1", *RANGE)
    assert result.code == 0
    assert "exported 15/30 rows (50%)" in result.err
    assert "exported 30 rows of 3 series" in result.err


def _every_row_step(self) -> None:
    import sys

    self.done += 1
    if self.enabled:
        print(f"exported {self.done}/{self.total} rows "
              f"({100.0 * self.done / self.total:.0f}%)", file=sys.stderr)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no device named 'nope'"),
        (["r1", "--metric", "nosuch.*"], "unknown metric 'nosuch.*'"),
        (["r1", "--from", "2025-01-02", "--to", "2025-01-01"], "must be before --to"),
        (["r1", "-o", "/nonexistent/dir/x.csv"], "cannot write /nonexistent/dir/x.csv"),
    ],
)
def test_failures(cli, device, args, message) -> None:
    result = cli("export", *args)
    assert result.code == 2
    assert message in result.err


def test_device_without_series(cli) -> None:
    from mikromon.web.monitor.models import Device

    dev = Device(name="fresh", host="127.0.0.1", username="mon")
    dev.set_password("x")
    dev.save()
    result = cli("export", "fresh")
    assert result.code == 0
    assert "has no time series yet" in result.err
    assert result.out == "time,device,metric,unit,value\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "dhcp.*"], "has no series matching dhcp.*"),
        (["--label", "interface=ether9"], "with interface=ether9"),
    ],
)
def test_known_metrics_without_data_export_nothing(cli, device, args, message) -> None:
    """As the API: a known metric without data is an empty result (with a note)."""
    result = cli("export", "r1", *args)
    assert result.code == 0
    assert message in result.err
    assert len(result.out.splitlines()) == 1


@pytest.fixture
def dev(db):
    """r1 with no series."""
    from mikromon.web.monitor.models import Device

    device = Device(name="r1", host="127.0.0.1", username="mon")
    device.set_password("x")
    device.save()
    return device


def test_export_gives_health_units(cli, dev) -> None:
    from mikromon.web.monitor.models import MetricPoint, Series

    now = int(time.time())
    for key in ("system.health.fan1-speed", "system.health.cpu-temperature"):
        series = Series.objects.create(device=dev, key=key)
        MetricPoint.objects.create(series=series, ts=now - 10, value=1.0)
    result = cli("export", "r1", "--metric", "system.health.*", "--from", "1h")
    assert result.code == 0, result.err
    units = {r["metric"]: r["unit"] for r in csv.DictReader(io.StringIO(result.out))}
    assert units == {"system.health.fan1-speed": "rpm",
                     "system.health.cpu-temperature": "celsius"}


def test_export_rollups_reach_the_present_like_the_api(cli, dev) -> None:
    """5-minute export past the rollup watermark aggregates raw points, as the API does."""
    from mikromon.web.monitor.models import MetricPoint, Series

    now = int(time.time())
    series = Series.objects.create(device=dev, key="system.cpu.load_pct")
    MetricPoint.objects.bulk_create(
        [MetricPoint(series=series, ts=now - 600 + 5 * i, value=float(i)) for i in range(100)]
    )
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", "--resolution", "5m",
                 "--from", "1h")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows, result.out
    assert sum(int(r["count"]) for r in rows) == 100
    assert int(rows[-1]["count"]) > 0


def test_export_unknown_metric_names_it(cli, dev) -> None:
    result = cli("export", "r1", "--metric", "nosuch.metric", "--from", "1h")
    assert result.code == 2
    assert "nosuch.metric" in result.err
    assert "unknown" in result.err


def test_export_known_metric_without_data_is_empty(cli, dev) -> None:
    result = cli("export", "r1", "--metric", "system.cpu.load_pct", "--from", "1h")
    assert result.code == 0, result.err
    assert list(csv.reader(io.StringIO(result.out)))[1:] == []
