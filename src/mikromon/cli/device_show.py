"""``mikromon device list`` and ``device show``: the API's device documents
(:mod:`mikromon.web.api.serialize`) as JSON, or as a table and as lines of text.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mikromon.cli._common import format_table
from mikromon.cli.device_records import get_device
from mikromon.domain.formatting import interval

#: The lines of ``device show``, in order: keys of the device's JSON document
#: (docs/api.md, ``GET /api/v1/devices/<id>``).
SHOW_KEYS = (
    "name", "host", "port", "enabled", "state", "last_seen", "identity", "version",
    "username", "has_password", "use_ssl", "tls_verify", "encoding", "site", "tags",
    "intervals", "board", "last_error", "status_changed_at", "notes",
)


def show_text(key: str, value: Any) -> str:
    """One value of the device's JSON document as ``device show`` prints it."""
    if key == "state":
        from mikromon.web.monitor.choices import state_label

        value = state_label(value)
    elif key == "site":
        value = value["name"] if value else None
    elif key == "tags":
        value = ", ".join(value)
    elif key == "intervals":
        value = ", ".join(f"{tier} {interval(seconds)}" for tier, seconds in value.items())
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return "-" if value in (None, "") else str(value)


def print_json(doc: Any) -> None:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


def list_devices(args: argparse.Namespace) -> int:
    from mikromon.web.api.serialize import device_dict
    from mikromon.web.monitor.models import Device

    devices = Device.objects.for_documents().by_name()
    if args.state:
        devices = devices.filter(state=args.state)
    rows = [device_dict(d) for d in devices]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no devices (add one with `mikromon device add`)")
        return 0
    headers = ["NAME", "HOST", "PORT", "ENABLED", "STATE", "LAST SEEN", "IDENTITY", "VERSION"]
    table = [
        [
            r["name"],
            r["host"],
            str(r["port"]),
            "yes" if r["enabled"] else "no",
            r["state_label"],
            r["last_seen"] or "-",
            r["identity"] or "-",
            r["version"] or "-",
        ]
        for r in rows
    ]
    sys.stdout.write(format_table(headers, table))
    return 0


def show_device(args: argparse.Namespace) -> int:
    from mikromon.web.api.serialize import device_document
    from mikromon.web.monitor.models import Device

    pk = get_device(args.name).pk
    doc = device_document(Device.objects.for_documents().get(pk=pk))
    if args.json:
        print_json(doc)
        return 0
    for key in SHOW_KEYS:
        print(f"{key.replace('_', ' ') + ':':<18} {show_text(key, doc[key])}")
    return 0
