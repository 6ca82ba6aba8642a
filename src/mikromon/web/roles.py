"""Who may do what.

Two roles, both plain Django auth:

* **admins**: active users with ``is_staff`` (or ``is_superuser``). They manage
  devices, users and API tokens and start or stop the collector.
* **viewers**: every other active user (put them in the ``viewers`` group for
  clarity; the group carries no permissions). They read every page and the
  API but change nothing: every change answers 403 (a page saying so; the log
  gets Django's one-line "Forbidden: <path>" warning, no traceback).

``mikromon createadmin`` and the demo create a superuser; the Users page
creates either role.
"""

from __future__ import annotations

from typing import Any

#: Name of the group that viewers are put in (documentation only: no permissions).
VIEWERS_GROUP = "viewers"


def is_admin(user: Any) -> bool:
    """Return ``True`` when ``user`` may change things (staff or superuser, active)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_staff or user.is_superuser)
    )


def role_name(user: Any) -> str:
    """Return ``"admin"`` or ``"viewer"`` for display."""
    return "admin" if is_admin(user) else "viewer"
