"""Retention durations and the checks the settings form and the CLI share."""

from __future__ import annotations

import pytest

from mikromon.domain.retention import (
    KEYS,
    MINIMUM_SECONDS,
    check,
    format_duration,
    parse_duration,
)

DAY = 86400


@pytest.mark.parametrize(("text", "seconds"), [
    ("7d", 7 * DAY), ("36h", 36 * 3600), ("2w", 14 * DAY), ("90", 90 * DAY),
    ("1.5d", 36 * 3600), (" 30 D ", 30 * DAY), ("90m", 5400), ("3600s", 3600),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "d", "7x", "-1d", "seven days", "0", "1e9d", "7d 2h"])
def test_parse_duration_refuses_with_the_value_named(text):
    with pytest.raises(ValueError, match=r"duration|more than|at least"):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [7 * DAY, 36 * 3600, 5400, 45, 730 * DAY])
def test_format_reads_back(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def _good(**over):
    values = {**{k: 7 * DAY for k in ("realtime", "short", "medium", "long", "extended")},
              "5m": 90 * DAY, "1h": 730 * DAY, "1d": 1825 * DAY}
    values.update(over)
    return values


def test_defaults_pass_and_every_key_is_checked():
    assert check(_good()) == {}
    assert set(MINIMUM_SECONDS) == set(KEYS)


@pytest.mark.parametrize(("over", "key", "words"), [
    ({"realtime": 12 * 3600}, "realtime", "minimum 1d"),
    ({"extended": 3600}, "extended", "minimum 1d"),
    ({"5m": DAY}, "5m", "minimum 2d"),
    ({"1h": 30 * DAY}, "1h", "minimum 62d"),
    ({"long": 100 * DAY}, "5m", "long tier"),
    ({"5m": 800 * DAY}, "1h", "5-minute rollups"),
    ({"weekly": DAY}, "weekly", "unknown"),
])
def test_check_names_the_key_and_why(over, key, words):
    problems = check(_good(**over))
    assert list(problems) == [key]
    assert words in problems[key]
