"""``mikromon token create|list|revoke``: tokens for the JSON API.

A token acts as its user (an admin's token may change things, a viewer's
only reads). Only a hash is stored: the token is printed once, at creation.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mikromon.cli._common import Subparsers, add_command, command_with_actions, format_table
from mikromon.cli._django import django_handler


def register(subparsers: Subparsers) -> None:
    """Add the ``token`` sub-command and its actions."""
    with command_with_actions(
        subparsers, "token",
        help="create, list or revoke API tokens",
        description="Manage tokens for the JSON API (sent as Authorization: Token TOKEN).",
    ) as actions:
        _register_actions(actions)


def _register_actions(actions: Subparsers) -> None:
    create = add_command(
        actions, "create", django_handler(_create),
        help="create a token for a user and print it once",
        description="Create an API token acting as USER and print it once; store it safely.",
    )
    create.add_argument("user", metavar="USER", help="the web user the token acts as")
    create.add_argument(
        "--name", default="cli", help="a name to recognise the token by (default: cli)"
    )

    lst = add_command(actions, "list", django_handler(_list), help="list tokens",
                      description="List API tokens.")
    lst.add_argument("user", metavar="USER", nargs="?", help="only this user's tokens")
    lst.add_argument("--json", action="store_true", help="print a JSON array")

    revoke = add_command(actions, "revoke", django_handler(_revoke), help="delete a token",
                         description="Delete a user's token by its name.")
    revoke.add_argument("user", metavar="USER", help="the token's user")
    revoke.add_argument("name", metavar="NAME", help="the token's name")


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    from mikromon.cli._django import EXIT_USAGE, CommandError

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(
            f"no user named {username!r} (create one with `mikromon createadmin`)", EXIT_USAGE
        )
    return user


def _create(args: argparse.Namespace) -> int:
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.monitor.models import ApiToken

    name = args.name.strip()
    if not name or len(name) > 100:
        raise CommandError("the token name must be 1 to 100 characters", EXIT_USAGE)
    with transaction.atomic():
        user = _user(args.user)
        if not user.is_active:
            raise CommandError(f"user {args.user!r} is inactive", EXIT_USAGE)
        if ApiToken.objects.filter(user=user, name=name).exists():
            raise CommandError(
                f"user {args.user!r} already has a token named {name!r} "
                "(choose another --name, or revoke it first)",
                EXIT_USAGE,
            )
        _, raw = ApiToken.issue(user, name)
    print(raw)
    print(
        f"API token {name!r} for {args.user!r}: shown only now; send it as "
        "'Authorization: Token <token>'",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from mikromon.domain.formatting import utc_iso
    from mikromon.web.monitor.models import ApiToken

    tokens = ApiToken.objects.select_related("user").order_by("user__username", "name")
    if args.user:
        tokens = tokens.filter(user=_user(args.user))
    rows = [
        {
            "user": t.user.username,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": utc_iso(t.created_at, whole_seconds=True),
            "last_used": utc_iso(t.last_used, whole_seconds=True) if t.last_used else None,
        }
        for t in tokens
    ]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("no API tokens")
        return 0

    table = [
        [r["user"], r["name"], r["prefix"] + "…", r["created_at"], r["last_used"] or "never"]
        for r in rows
    ]
    sys.stdout.write(format_table(["USER", "NAME", "TOKEN", "CREATED", "LAST USED"], table))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from mikromon.cli._django import EXIT_USAGE, CommandError
    from mikromon.web.monitor.models import ApiToken

    deleted, _ = ApiToken.objects.filter(user=_user(args.user), name=args.name).delete()
    if not deleted:
        raise CommandError(f"user {args.user!r} has no token named {args.name!r}", EXIT_USAGE)
    print(f"revoked token {args.name!r} of {args.user!r}")
    return 0
