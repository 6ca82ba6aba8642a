"""``log`` rules: validation, matching (topics, severity, pattern, count), the
quiet-period resolution, and polled /log lines evaluated once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mikromon.alerting.engine import AlertEngine
from mikromon.alerting.rule_parsing import compile_log_pattern, rule_from_mapping
from mikromon.alerting.rules import LOG_MESSAGE_LIMIT, LOG_PATTERN_LIMIT, DeviceInfo, RuleSet
from mikromon.collectors.log import KEY
from mikromon.domain.errors import ConfigError
from mikromon.domain.inventory import InventorySnapshot

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
DEV = DeviceInfo(id=1, name="edge-1")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def log_rule(rule_id: int = 1, **params: object):
    return rule_from_mapping({"id": rule_id, "name": f"log rule {rule_id}", "kind": "log",
                              "severity": "high", "params": params})


def engine(*rules) -> AlertEngine:
    eng = AlertEngine(started=T0)
    eng.set_rules(RuleSet(tuple(rules), {}, {DEV.id: DEV}), T0)
    return eng


def snap(t: float, *lines: tuple[str, str], source: str = "syslog",
         time_text: str = "2026-12-01T12:00:00") -> InventorySnapshot:
    rows = [{"time": time_text, "topics": topics, "message": message,
             **({"source": source} if source else {})} for topics, message in lines]
    return InventorySnapshot(table="logs", rows=rows, key_fields=KEY, ts=at(t),
                             append_only=True)


def states(eng: AlertEngine) -> list[str]:
    return [t.state.value for t in eng.drain()]


LOGIN = {"pattern": r"login failure for user", "topics": ["system", "!debug"]}


def test_a_matching_line_fires_at_once_and_resolves_after_a_quiet_period() -> None:
    eng = engine(log_rule(**LOGIN, hold_seconds=300))
    eng.observe_logs(1, snap(0, ("system,error,critical",
                                 "login failure for user admin from 10.0.0.9 via ssh")))
    out = eng.drain()
    assert [t.state.value for t in out] == ["pending", "firing"]
    assert "edge-1" in out[1].message
    assert "login failure for user admin" in out[1].message
    assert out[1].subject == ""
    assert out[1].value == 1
    # Another failure 200 s later restarts the quiet period and counts.
    eng.observe_logs(1, snap(200, ("system,error,critical", "LOGIN FAILURE FOR USER root")))
    assert eng.drain() == []
    eng.tick(at(450))
    assert eng.drain() == []
    eng.tick(at(501))
    out = eng.drain()
    assert [t.state.value for t in out] == ["resolved"]
    assert out[0].value == 2
    assert "no matching log line for 300 s" in out[0].message


@pytest.mark.parametrize(("topics", "message", "fires"), [
    ("system,error,critical", "login failure for user x", True),
    ("system,info,account", "login failure for user x", True),
    ("system,debug", "login failure for user x", False),       # !debug
    ("script,info", "login failure for user x", False),        # no "system" topic
    ("system,error", "user x logged in", False),               # pattern
])
def test_topics_and_pattern(topics: str, message: str, fires: bool) -> None:
    eng = engine(log_rule(**LOGIN))
    eng.observe_logs(1, snap(0, (topics, message)))
    assert ("firing" in states(eng)) is fires


@pytest.mark.parametrize(("topics", "fires"), [
    ("interface,info", False), ("interface,warning", True), ("system,error,critical", True),
])
def test_minimum_severity(topics: str, fires: bool) -> None:
    eng = engine(log_rule(min_severity="warning"))
    eng.observe_logs(1, snap(0, (topics, "something")))
    assert ("firing" in states(eng)) is fires


def test_count_within_a_window() -> None:
    eng = engine(log_rule(pattern="login failure", count=3, window_seconds=60))
    line = ("system,error,critical", "login failure for user admin")
    eng.observe_logs(1, snap(0, line))
    eng.observe_logs(1, snap(30, line))
    eng.observe_logs(1, snap(95, line))  # the first one left the window
    assert states(eng) == []
    eng.observe_logs(1, snap(100, line))
    assert states(eng) == []  # 95 and 100 within the last 60 s
    eng.observe_logs(1, snap(110, line))
    out = eng.drain()
    assert [t.state.value for t in out] == ["pending", "firing"]
    assert out[1].value == 3
    assert out[1].threshold == 3


def test_polled_lines_first_read_is_a_baseline_then_only_new_lines_count() -> None:
    eng = engine(log_rule(pattern="link down"))
    eng.observe_logs(1, snap(0, ("interface,info", "ether1 link down"), source=""))
    assert states(eng) == []  # from before mikromon started watching
    eng.observe_logs(1, snap(60, ("interface,info", "ether1 link down"), source=""))
    assert states(eng) == []  # the same line read again
    eng.observe_logs(1, snap(120, ("interface,info", "ether1 link down"),
                             ("interface,info", "ether2 link down"), source="",
                             time_text="2026-12-01T12:02:00"))
    assert states(eng) == ["pending", "firing"]


def test_a_line_seen_through_syslog_is_not_counted_again_when_polled() -> None:
    eng = engine(log_rule(pattern="link down", count=2, window_seconds=600))
    eng.observe_logs(1, snap(0, ("interface,info", "ether9 link up"), source=""))  # baseline
    eng.observe_logs(1, snap(10, ("interface,info", "ether1 link down")))
    # The router's /log has the same line (another time text); one more would fire.
    eng.observe_logs(1, snap(20, ("interface,info", "ether1 link down"), source="",
                             time_text="2026-12-01T13:00:10"))
    assert states(eng) == []
    eng.observe_logs(1, snap(30, ("interface,info", "ether1 link down")))
    assert states(eng) == ["pending", "firing"]


def test_rules_of_other_kinds_ignore_log_lines_and_disabled_rules_do_nothing() -> None:
    eng = engine(rule_from_mapping({"id": 2, "name": "cpu", "kind": "threshold",
                                    "metric": "system.cpu.load_pct", "threshold": 90}),
                 rule_from_mapping({"id": 3, "name": "off", "kind": "log", "enabled": False,
                                    "params": {"pattern": "x"}}))
    eng.observe_logs(1, snap(0, ("system,info", "x")))
    assert states(eng) == []


@pytest.mark.parametrize(("params", "why"), [
    ({}, "needs a pattern, topics or a min_severity"),
    ({"pattern": "("}, "not a valid regular expression"),
    ({"pattern": "x" * (LOG_PATTERN_LIMIT + 1)}, "characters long"),
    ({"pattern": "(a+)+$"}, "exponential"),
    ({"pattern": r"(\w*)*x"}, "exponential"),
    ({"pattern": "(x|y+){2,}"}, "exponential"),
    ({"pattern": 5}, "pattern must be text"),
    ({"topics": "system,bad topic"}, "not RouterOS topic names"),
    ({"topics": {"a": 1}}, "topics must be a list"),
    ({"topics": [f"t{i}" for i in range(20)]}, "at most"),
    ({"min_severity": "fatal"}, "min_severity"),
    ({"pattern": "x", "count": 0}, "count must be at least 1"),
    ({"pattern": "x", "window_seconds": "soon"}, "window_seconds must be a number"),
])
def test_bad_log_rules_are_refused_naming_the_field(params: dict, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        log_rule(**params)


def test_accepted_patterns_compile_case_insensitive() -> None:
    assert compile_log_pattern(r"(login|auth) failure").search("LOGIN FAILURE")
    assert compile_log_pattern(r"ether\d+ link (up|down)").search("ether12 link down")
    r = log_rule(topics="system, account", pattern="")
    assert r.topics == ("system", "account")
    assert r.regex is not None


def test_only_the_first_characters_of_a_message_are_searched() -> None:
    eng = engine(log_rule(pattern=r"needle"))
    eng.observe_logs(1, snap(0, ("system,info", "." * LOG_MESSAGE_LIMIT + "needle")))
    assert states(eng) == []
    eng.observe_logs(1, snap(1, ("system,info", "." * (LOG_MESSAGE_LIMIT - 6) + "needle")))
    assert states(eng) == ["pending", "firing"]


def test_example_log_rules_are_valid_off_and_match_what_routeros_writes() -> None:
    from mikromon.alerting.defaults import EXAMPLE_LOG_RULES

    rules = [rule_from_mapping({**r, "id": i}) for i, r in enumerate(EXAMPLE_LOG_RULES, 1)]
    assert not any(r.enabled for r in rules)
    on = [rule_from_mapping({**r, "id": i, "enabled": True})
          for i, r in enumerate(EXAMPLE_LOG_RULES, 1)]
    eng = engine(*on)
    line = ("system,error,critical", "login failure for user admin from 10.0.0.9 via ssh")
    for t in (0, 10, 20):
        eng.observe_logs(1, snap(t, line))
    eng.observe_logs(1, snap(30, ("interface,info", "ether1 link down")))
    fired = {t.rule_name for t in eng.drain() if t.state.value == "firing"}
    assert fired == {"Failed logins (router log)", "Link down (router log)"}

