"""``mikromon createadmin``: create a user who can sign in to the web application.

Admins (the default) manage devices, users and API tokens and start or stop
the collector; ``--viewer`` creates a read-only user. The password comes from
the terminal prompt, a file or an environment variable, never the command line.
"""

from __future__ import annotations

import argparse

from mikromon.cli._common import Subparsers, add_command, add_storage_options
from mikromon.cli._password import add_password_options, read_password


def register(subparsers: Subparsers) -> None:
    """Add the ``createadmin`` sub-command."""
    parser = add_command(
        subparsers, "createadmin", handle,
        help="create a user for the web application",
        description="Create a user who can sign in to the web application: an admin "
        "(default) or, with --viewer, a read-only user. The password is asked on the "
        "terminal unless --password-file or --password-env is given.",
    )
    parser.add_argument("username", help="the user name to sign in with")
    parser.add_argument(
        "--viewer", action="store_true", help="create a read-only user instead of an admin"
    )
    parser.add_argument("--email", default="", help="e-mail address (optional)")
    parser.add_argument(
        "--update",
        action="store_true",
        help="if the user exists, set its password and role instead of failing",
    )
    parser.add_argument(
        "--skip-password-checks",
        action="store_true",
        help="accept a password that the usual strength checks reject",
    )
    add_password_options(parser)
    add_storage_options(parser)


def handle(args: argparse.Namespace) -> int:
    """Create (or with ``--update`` change) the user; return the exit code."""
    from mikromon.cli._django import django_command

    return django_command(create=True, progress=True)(_create)(args)


def _create(args: argparse.Namespace) -> int:
    from mikromon.cli._django import EXIT_USAGE, CommandError

    username = args.username.strip()
    if not username:
        raise CommandError("the user name is empty", EXIT_USAGE)
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    exists = user_model.objects.filter(username=username).exists()
    if exists and not args.update:
        raise CommandError(
            f"user {username!r} already exists (add --update to change its password and role)",
            EXIT_USAGE,
        )
    password = read_password(args, prompt=f"Password for {username}: ", confirm=True)
    assert password is not None
    role = "viewer" if args.viewer else "admin"
    save_user(
        username,
        password,
        admin=not args.viewer,
        email=args.email,
        check_password=not args.skip_password_checks,
    )
    print(f"{'updated' if exists else 'created'} {role} {username!r}")
    return 0


def save_user(
    username: str,
    password: str,
    *,
    admin: bool,
    email: str = "",
    check_password: bool = True,
) -> None:
    """Create or update a web user in one transaction.

    Args:
        username: the sign-in name.
        password: the password (checked against Django's validators unless
            ``check_password`` is false).
        admin: superuser and staff when true; otherwise a member of the
            ``viewers`` group without staff rights.
        email: optional e-mail address.
        check_password: apply the password validators.

    Raises:
        CommandError: the user name or the password is not acceptable.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from mikromon.cli._django import EXIT_USAGE, CommandError, validation_text

    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(username=username)
        user.email = email or user.email
        user.is_active = True
        user.is_staff = admin
        user.is_superuser = admin
        try:
            user.full_clean(exclude=["password", "last_login", "date_joined"])
            if check_password:
                validate_password(password, user)
        except ValidationError as err:
            raise CommandError(validation_text(err), EXIT_USAGE) from err
        user.set_password(password)
        user.save()
        viewers, _ = Group.objects.get_or_create(name=_viewers_group())
        if admin:
            user.groups.remove(viewers)
        else:
            user.groups.add(viewers)


def _viewers_group() -> str:
    try:
        from mikromon.web.roles import VIEWERS_GROUP
    except ImportError:
        return "viewers"
    return VIEWERS_GROUP
