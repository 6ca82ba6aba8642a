"""What the alerting commands (``mikromon alerts``, ``mikromon rules``) share: a
handler that runs an action through :mod:`mikromon.web.alerts.services` (its
errors exit 2 with the service's message), the ``--json`` output and the plain
answers, ids as arguments and web users by name.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mikromon.cli._common import EXIT_USAGE, Handler, format_table
from mikromon.cli._django import django_handler


def positive_id(text: str) -> int:
    """An argument that is an id: a whole number from 1 to 2**63 - 1.

    Raises:
        argparse.ArgumentTypeError: naming the text.
    """
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 2**63 - 1:
        raise argparse.ArgumentTypeError(f"not an id (a whole number from 1): {text!r}")
    return int(text)


def service_handler(body: Handler) -> Handler:
    """The handler of an action: Django set up, then :func:`run_service` of ``body``
    (:func:`~mikromon.cli._django.django_handler`)."""
    return django_handler(functools.partial(run_service, body),
                          name=body.__name__.lstrip("_"))


def run_service(body: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``body(args)``; the service layer's errors become exit code 2 with their
    message (``field: message``), as the API's 400 and 404 say them."""
    from mikromon.cli._django import CommandError
    from mikromon.web.alerts import services

    try:
        return int(body(args) or 0)
    except services.ServiceError as err:
        raise CommandError(str(err), EXIT_USAGE) from None


def print_json(doc: Any) -> None:
    """Print ``doc`` as indented JSON (the ``--json`` output of every command)."""
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_result(args: argparse.Namespace, doc: Any, text: str | Callable[[], None]) -> int:
    """Print ``doc`` as JSON with ``--json``, else ``text`` (a line, or a function
    that prints); exit code 0."""
    if args.json:
        print_json(doc)
    elif callable(text):
        text()
    else:
        print(text)
    return 0


def print_rows(args: argparse.Namespace, docs: list[dict[str, Any]], *, empty: str,
               headers: Sequence[str], row: Callable[[dict[str, Any]], list[str]]) -> int:
    """Print ``docs`` as a JSON array with ``--json``, else ``empty`` when there are
    none, else a table of ``headers`` with one ``row(doc)`` each; exit code 0."""
    if args.json:
        print_json(docs)
    elif not docs:
        print(empty)
    else:
        sys.stdout.write(format_table(list(headers), [row(d) for d in docs]))
    return 0


def web_user(name: str | None) -> Any:
    """Return the web user ``name`` (``None`` for ``None``).

    Raises:
        CommandError: exit 2, no such user.
    """
    from django.contrib.auth import get_user_model

    from mikromon.cli._django import CommandError

    if not name:
        return None
    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise CommandError(f"user: no web user named {name!r}", EXIT_USAGE)
    return user
