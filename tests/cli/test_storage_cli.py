"""``mikromon storage status|compact|expand``: progress as text and JSON, a
compaction by hand until done, expand refused while compaction is on."""

from __future__ import annotations

import json
import time

from mikromon.web.monitor.models import Device, MetricChunk, MetricPoint, Series

DAY = 86400


def _old_rows(n_days: int = 2) -> int:
    dev = Device(name="r1", host="127.0.0.1", username="api")
    dev.set_password("pw")
    dev.save()
    series = Series.objects.create(device=dev, key="system.cpu_load_pct")
    start = (int(time.time()) - n_days * DAY - 6 * 3600) // DAY * DAY
    points = [MetricPoint(series=series, ts=t, value=float(t % 100))
              for t in range(start, start + n_days * DAY, 60)]
    MetricPoint.objects.bulk_create(points)
    return len(points)


def test_status_then_compact_until_done_then_expand(cli, db, settings):
    rows = _old_rows()
    r = cli("storage", "status", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["enabled"]
    assert doc["horizon"] is None
    r = cli("storage", "compact", "--until-done", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["rows"] == rows
    assert doc["chunks"] == 2
    assert doc["status"]["done"]
    assert doc["status"]["pending_rows"] == 0
    text = cli("storage", "status").out
    assert "0 rows to compact; 2 chunks written" in text
    assert "done" in text
    r = cli("storage", "expand")
    assert r.code == 2
    assert "MIKROMON_COMPACTION=off" in r.err
    assert MetricChunk.objects.count() == 2
    settings.MIKROMON_COMPACTION = False
    r = cli("storage", "expand", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out) == {"chunks": 2, "samples": rows}
    assert MetricPoint.objects.count() == rows
    assert not MetricChunk.objects.exists()


def test_compact_refuses_a_zero_budget(cli, db):
    r = cli("storage", "compact", "--seconds", "0")
    assert r.code == 2
    assert "--seconds" in r.err
