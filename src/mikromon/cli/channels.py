"""``mikromon channels list|test``: notification channels from the command line.

``list`` prints each channel with its delivery state (messages sent, retrying,
failed, the last error) as the channel list page shows it; ``test NAME`` sends a
test message now, past routing and the queue, exactly as the page's and the
API's **Send test** (:func:`mikromon.web.alerts.services.test_channel`), and
prints the receiver's answer or the error (exit 1 when it failed). Channels are
created and changed on the web pages or the API. ``--json`` prints the API's
documents (never a URL or secret in clear).
"""

from __future__ import annotations

import argparse
from typing import Any

from mikromon.cli._common import Subparsers, add_command, command_with_actions
from mikromon.cli._services import print_json, print_rows, service_handler


def register(subparsers: Subparsers) -> None:
    """Add the ``channels`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "channels", help="list notification channels or send a test message",
        description="Notification channels (where alerts are sent): their delivery "
        "state, and a test message sent now. Channels are added and changed on the "
        "web pages or with the API.",
    ) as actions:
        lst = add_command(actions, "list", service_handler(_list),
                          help="list the channels", description="List the channels.")
        lst.add_argument("--json", action="store_true", help="print a JSON array")
        test = add_command(
            actions, "test", service_handler(_test), help="send a test message now",
            description="Send a test message through the channel now (past routing and "
            "the queue) and print the receiver's answer or the error; exit 1 when it "
            "failed. It is recorded with the channel's deliveries as kind `test`.")
        test.add_argument("channel", metavar="CHANNEL", help="the channel's name or id")
        test.add_argument("--json", action="store_true", help="print a JSON object")


def _list(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    docs = [services.channel_dict(c) for c in services.list_channels()]
    return print_rows(
        args, docs, empty="no channels (add one on the web page Alerts > Channels or "
        "with the API): alerts are recorded but nobody is told",
        headers=["ID", "NAME", "KIND", "ENABLED", "TARGET", "SENT", "RETRYING", "FAILED",
                 "LAST ERROR"],
        row=_row)


def _row(doc: dict[str, Any]) -> list[str]:
    counts = doc["delivery"]["counts"]
    error = (doc["delivery"]["last_error"] or "-").splitlines()[0][:80] \
        if doc["delivery"]["last_error"] else "-"
    return [str(doc["id"]), doc["name"], doc["kind"], "yes" if doc["enabled"] else "no",
            doc["target"], str(counts.get("sent", 0)), str(counts.get("retrying", 0)),
            str(counts.get("failed", 0)), error]


def _test(args: argparse.Namespace) -> int:
    from mikromon.web.alerts import services

    channel = services.find_channel(args.channel)
    result = services.test_channel(channel.pk)
    doc = {"channel": channel.name, "ok": result.ok, "detail": result.detail,
           "duration_s": round(result.duration_s, 3), "delivery_id": result.delivery_id}
    if args.json:
        print_json(doc)
    else:
        print(f"test message to {channel.name}: {'sent' if result.ok else 'failed'} "
              f"({result.duration_s:.2f} s): {result.detail}")
    return 0 if result.ok else 1
