"""One set of words for device states: the labels of DeviceStateChoices.

Pages (badges, the overview's tiles, the device list's filter), the API's
``state_label``, the dashboard's script and the command line show the same word
for each state; no template or script carries words of its own.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client

from mikromon.domain.events import DeviceState
from mikromon.web.monitor.choices import STATE_LABELS, DeviceStateChoices, state_label

UI = Path(__file__).resolve().parents[2] / "src" / "mikromon" / "web" / "ui"
LABELS = dict(DeviceStateChoices.choices)
#: Words for states used before there was one set; none may come back.
OLD_WORDS = ("auth failed", "authentication failed", "login refused", "device down",
             "collection disabled", "slow router")


def test_state_labels_are_the_choices_labels() -> None:
    assert STATE_LABELS == LABELS
    assert set(LABELS) == {s.value for s in DeviceState}
    assert len(set(LABELS.values())) == len(LABELS)
    assert state_label(None) == LABELS["unknown"]
    assert state_label("not-a-state") == "not-a-state"


def test_no_template_or_script_has_words_of_its_own() -> None:
    """A second set shows up as a state word written into a template or script, or
    as a script object keyed by state values; both must come from the server."""
    multi_word = [w.lower() for w in LABELS.values() if " " in w]
    for path in [*UI.glob("templates/**/*.html"), *UI.glob("static/mikromon/*.js")]:
        text = path.read_text().lower()
        for word in (*OLD_WORDS, *multi_word):
            assert word not in text, f"{path.name} spells the state word {word!r}"
        if path.suffix == ".js":
            keyed = re.findall(rf"\b({'|'.join(LABELS)})\s*:\s*[\"'`]", text)
            assert not keyed, f"{path.name} maps states to words: {keyed}"


def _status(device, state: str) -> None:
    from mikromon.domain.events import DeviceStatus
    from mikromon.web.monitor.storage import DjangoStorage

    DjangoStorage(maintenance_interval=None).write_status(DeviceStatus(
        device_id=device.pk, state=DeviceState(state), ts=datetime.now(UTC)))


@pytest.mark.django_db
def test_pages_api_and_cli_show_the_same_word(admin_web: Client, admin_token: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from mikromon.cli import main
    from mikromon.cli.collector import render_status
    from mikromon.web.monitor.models import Device

    devices = {}
    for value in LABELS:
        dev = Device(name=f"r-{value}", host="127.0.0.1", username="api")
        dev.set_password("pw")
        dev.save()
        if value != "unknown":
            _status(dev, value)
        devices[value] = dev

    page = admin_web.get("/devices/").content.decode()
    badges = dict(re.findall(
        r'<tr[^>]*data-device="r-(\w+)".*?<span class="badge state-\w+">([^<]+)</span>',
        page, re.S))
    assert {k: html.unescape(v) for k, v in badges.items()} == LABELS
    options = dict(re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', page))
    assert {k: html.unescape(options[k]) for k in LABELS} == LABELS

    overview = admin_web.get("/").content.decode()
    tiles = dict(re.findall(r'\?state=(\w+)"><div class="label">([^<]+)</div>', overview))
    assert {k: html.unescape(v) for k, v in tiles.items()} == LABELS

    for value, dev in devices.items():
        dashboard = admin_web.get(f"/devices/{dev.pk}/").content.decode()
        shown = re.search(r'id="device-state"[^>]*>([^<]+)<', dashboard).group(1)
        assert html.unescape(shown) == LABELS[value]

    api = Client(HTTP_AUTHORIZATION=f"Token {admin_token}")
    listed = api.get("/api/v1/devices").json()["devices"]
    assert {d["name"][2:]: d["state_label"] for d in listed} == LABELS

    capsys.readouterr()
    assert main(["device", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    for value, label in LABELS.items():
        [line] = [ln for ln in lines if ln.startswith(f"r-{value} ")]
        assert f"  {label}  " in line
    assert main(["device", "show", "r-auth_failed"]) == 0
    assert re.search(rf"^state:\s+{LABELS['auth_failed']}$", capsys.readouterr().out, re.M)

    status = render_status({"running": True, "desired": "running",
                            "process": {"pid": 1, "host": "h", "started_at": "-"},
                            "devices": [{"name": "r1", "state": v} for v in LABELS]})
    for label in LABELS.values():
        assert f"r1: {label} (config loaded" in status
