"""``mikromon channels list|test``: the channels with their delivery state, and the
test send of the channel page and the API from the command line (the same
service, :func:`mikromon.web.alerts.services.test_channel`)."""

from __future__ import annotations

import json

import pytest
from notify_helpers import make_channel

from mikromon.cli import main

pytestmark = pytest.mark.django_db(transaction=True)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_and_test_a_channel(capsys, http_receiver):
    from mikromon.web.notify.models import Delivery

    make_channel("ops hook", "webhook", http_receiver.url + "?token=s3cret", secret="k3y")
    code, out, err = _run(capsys, "channels", "list")
    assert code == 0, err
    assert "ops hook" in out
    assert "webhook" in out
    assert "s3cret" not in out
    code, out, err = _run(capsys, "channels", "test", "ops hook")
    assert code == 0, err
    assert "sent" in out
    assert "HTTP 200" in out
    assert len(http_receiver.wait(1)) == 1
    assert Delivery.objects.filter(kind="test").count() == 1
    doc = json.loads(_run(capsys, "channels", "list", "--json")[1])
    assert doc[0]["name"] == "ops hook"
    assert doc[0]["delivery"]["counts"]["sent"] == 1


def test_a_failed_test_exits_1_with_the_error(capsys, http_receiver):
    make_channel("broken", "webhook", http_receiver.url, secret="k3y")
    http_receiver.answers.append(500)
    code, out, _ = _run(capsys, "channels", "test", "broken", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    assert "500" in doc["detail"]


def test_an_unknown_channel_exits_2_naming_the_known_ones(capsys):
    make_channel("mail", "webhook", "http://127.0.0.1:9/x")
    code, _, err = _run(capsys, "channels", "test", "nope")
    assert code == 2
    assert "no channel 'nope'" in err
    assert "mail" in err
