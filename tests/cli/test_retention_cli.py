"""``mikromon retention show|set``: the retention in force with its source, JSON,
changes checked as the settings page checks them (exit 2 naming the key),
``KEY=default`` going back to the environment's default."""

from __future__ import annotations

import json

DAY = 86400


def _by_key(out):
    return {d["key"]: d for d in json.loads(out)["settings"]}


def test_show_lists_every_key_with_its_source(cli, db, monkeypatch):
    r = cli("retention", "show", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    keys = [d["key"] for d in doc["settings"]]
    assert keys == ["realtime", "short", "medium", "long", "extended", "5m", "1h", "1d"]
    assert {d["source"] for d in doc["settings"][:5]} == {"MIKROMON_RETENTION_RAW_DAYS"}
    assert "events" in {d["key"] for d in doc["environment_only"]}
    text = cli("retention", "show").out
    assert "realtime" in text
    assert "MIKROMON_RETENTION_5M_DAYS" in text
    assert "MIKROMON_RETENTION_1D_DAYS" in text


def test_the_daily_level_is_set_like_the_others(cli, db):
    r = cli("retention", "set", "1d=400d", "--json")
    assert r.code == 2
    assert "1d:" in r.err
    assert "hourly rollups" in r.err
    r = cli("retention", "set", "1d=3650d", "--json")
    assert r.code == 0, r.err
    assert (_by_key(r.out)["1d"]["seconds"], _by_key(r.out)["1d"]["step_s"]) == (3650 * DAY, DAY)


def test_set_then_show_then_default(cli, db):
    r = cli("retention", "set", "realtime=3d", "5m=30d", "1h=2w", "--json")
    assert r.code == 2
    assert "1h:" in r.err
    assert "62d" in r.err
    r = cli("retention", "set", "realtime=3d", "5m=30d", "1h=400", "--json")
    assert r.code == 0, r.err
    doc = _by_key(r.out)
    assert (doc["realtime"]["seconds"], doc["5m"]["text"], doc["1h"]["text"]) == (
        3 * DAY, "30d", "400d")
    assert doc["realtime"]["source"] == "stored"
    assert doc["realtime"]["changed_by"] == "cli"
    assert _by_key(cli("retention", "show", "--json").out)["5m"]["seconds"] == 30 * DAY
    r = cli("retention", "set", "realtime=default", "--json")
    assert r.code == 0, r.err
    assert _by_key(r.out)["realtime"]["source"] == "MIKROMON_RETENTION_RAW_DAYS"


def test_bad_pairs_name_the_key(cli, db):
    for pair, words in (("realtime=7x", "realtime:"), ("daily=30d", "daily: unknown"),
                        ("realtime", "KEY=DURATION"), ("short=2h", "minimum 1d")):
        r = cli("retention", "set", pair)
        assert r.code == 2, pair
        assert words in r.err, (pair, r.err)
    assert _by_key(cli("retention", "show", "--json").out)["short"]["source"] != "stored"
