"""Setting Django up inside command handlers.

Every command that touches the database goes through :func:`django_command`:
it resolves the data folder and database URL (options, then
``MIKROMON_DATA_DIR`` / ``MIKROMON_DATABASE_URL``, then the command's default
folder), sets Django up with :func:`mikromon.web.bootstrap.setup`, checks that
the database answers, applies pending migrations, and turns the errors an
operator can cause (bad URL, unreachable server, unknown device...) into one
``mikromon: error: ...`` line and a non-zero exit code.

Django itself is imported only inside functions, so ``mikromon --help`` stays
fast and the core packages never load it.
"""

from __future__ import annotations

import argparse
import functools
import io
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mikromon.cli._common import EXIT_DATABASE, EXIT_USAGE, Handler, fail, stdout_gone
from mikromon.domain.errors import MikromonError

log = logging.getLogger(__name__)

#: Data folder of ``serve`` and the operator commands when none is given.
DEFAULT_DATA_DIR = Path("data")
#: The SQLite database's file name in the data folder (mikromon.web.settings).
SQLITE_NAME = "mikromon.sqlite3"
#: Data folder of ``demo`` when none is given: never mixed with real data.
DEMO_DATA_DIR = Path("data") / "demo"


class CommandError(MikromonError):
    """A command cannot do what was asked; the message says why.

    Args:
        message: one sentence naming what was wrong (never a password).
        code: the process exit code (1 failure, 2 bad input, 3 database).
    """

    def __init__(self, message: str, code: int = 1) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (for messages and logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:***@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def resolve_data_dir(args: argparse.Namespace, default: Path = DEFAULT_DATA_DIR) -> Path:
    """Return the data folder for ``args`` (``--data-dir`` / env, else ``default``), absolute."""
    value = getattr(args, "data_dir", None)
    return Path(value).expanduser().resolve() if value else default.resolve()


def describe_database(args: argparse.Namespace, data_dir: Path) -> str:
    """Return a short, password-free description of the database in use."""
    url = getattr(args, "database_url", None)
    if url:
        return redact_url(url)
    return f"SQLite {data_dir / 'mikromon.sqlite3'}"


def setup(
    args: argparse.Namespace,
    *,
    default_data_dir: Path = DEFAULT_DATA_DIR,
    migrate: bool = True,
    progress: bool = False,
    create: bool = True,
) -> Path:
    """Set Django up for ``args``, check the database, and apply pending migrations.

    Args:
        args: parsed options with ``data_dir`` and ``database_url``.
        default_data_dir: the folder used when neither option nor environment names one.
        migrate: apply pending migrations (every command does, so that any
            command can be the first one run on a fresh data folder).
        progress: report each migration on stderr (the first ``serve`` on an
            empty database applies dozens).
        create: a missing database may be created (the commands that set an
            installation up: ``serve``, ``demo``, ``createadmin``, ``device add``,
            ``collector start|stop``). Without it a data folder
            with no database (a mistyped ``--data-dir``) is an error, and nothing
            is created: no folder, keys or database.

    Returns:
        The data folder (absolute).

    Raises:
        CommandError: the folder cannot be created, the URL is invalid, the
            database does not answer or (without ``create``) has no mikromon
            tables, or a migration failed.
    """
    data_dir = resolve_data_dir(args, default_data_dir)
    database_url = getattr(args, "database_url", None) or None

    from django.core.exceptions import ImproperlyConfigured

    from mikromon.web import bootstrap

    if _already_set_up() and not getattr(args, "data_dir", None) and not database_url:
        # The host (an embedding application, a test runner) set Django up already.
        from django.conf import settings

        data_dir = Path(settings.DATA_DIR)
        where = describe_database(args, data_dir)
    else:
        where = describe_database(args, data_dir)
        if not create and not database_url and not (data_dir / SQLITE_NAME).exists():
            raise CommandError(_no_database(data_dir), EXIT_DATABASE)
        try:
            bootstrap.setup(data_dir, database_url)
        except OSError as err:
            raise CommandError(
                f"cannot use data folder {data_dir}: {err.strerror or err}", EXIT_USAGE
            ) from err
        except (ImproperlyConfigured, ValueError) as err:
            raise CommandError(
                f"invalid configuration ({where}): {err}", EXIT_USAGE
            ) from err
        except RuntimeError as err:  # set up already, with another data folder
            raise CommandError(str(err), EXIT_USAGE) from err
    check_database(where)
    if not create and _is_empty():
        raise CommandError(_no_database(data_dir, where if database_url else None),
                           EXIT_DATABASE)
    if migrate:
        run_migrations(where, progress=progress)
    return data_dir


def _no_database(data_dir: Path, url: str | None = None) -> str:
    where = f"the database {url}" if url else str(data_dir)
    option = f"--database-url {url}" if url else f"--data-dir {data_dir}"
    return (f"no mikromon database in {where}; run `mikromon serve {option}` first, "
            "or check the path")


def _is_empty() -> bool:
    """Whether the database has none of mikromon's tables (never migrated)."""
    from django.db import connection

    from mikromon.web.monitor.models import Device

    return Device._meta.db_table not in connection.introspection.table_names()


def _already_set_up() -> bool:
    if "django" not in sys.modules:
        return False
    from django.apps import apps

    return apps.ready


def check_database(where: str) -> None:
    """Open a connection to the default database.

    Raises:
        CommandError: the database did not answer (code :data:`EXIT_DATABASE`).
    """
    from django.db import DatabaseError, connection

    try:
        connection.ensure_connection()
    except DatabaseError as err:
        raise CommandError(
            f"cannot reach the database ({where}): {_first_line(err)}", EXIT_DATABASE
        ) from err


def run_migrations(where: str, *, progress: bool) -> None:
    """Apply pending migrations; with ``progress``, one stderr line per migration.

    Raises:
        CommandError: a migration failed (code :data:`EXIT_DATABASE`).
    """
    from django.core.management import call_command
    from django.db import DatabaseError

    from mikromon.web import bootstrap

    try:
        pending = bootstrap.pending_migrations()
        if not pending:
            return
        if progress:
            print(
                f"migrating the database ({where}): {len(pending)} migrations to apply",
                file=sys.stderr,
                flush=True,
            )
        call_command(
            "migrate",
            interactive=False,
            verbosity=1 if progress else 0,
            stdout=_MigrationLines(len(pending)) if progress else sys.stderr,
        )
    except DatabaseError as err:
        raise CommandError(
            f"could not migrate the database ({where}): {_first_line(err)}", EXIT_DATABASE
        ) from err


class _MigrationLines(io.TextIOBase):
    """Django's ``migrate`` output reduced to one stderr line per migration applied
    (``applied monitor.0001_initial (3/21)``); its other lines are dropped."""

    _APPLIED = re.compile(r"Applying (\S+)\.\.\. OK")

    def __init__(self, total: int) -> None:
        self._total = total
        self._done = 0
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            match = self._APPLIED.search(line)
            if match:
                self._done += 1
                print(f"applied {match.group(1)} ({self._done}/{self._total})",
                      file=sys.stderr, flush=True)
        return len(text)


def django_command(
    *,
    default_data_dir: Path = DEFAULT_DATA_DIR,
    migrate: bool = True,
    progress: bool = False,
    create: bool = False,
) -> Callable[[Handler], Handler]:
    """Decorate a handler so that Django is set up first and errors become exit codes.

    The wrapped handler runs after :func:`setup` (``create``: see there); :class:`CommandError`,
    :class:`~mikromon.domain.errors.ConfigError` and database errors raised by
    it are printed as ``mikromon: error: ...`` and returned as exit codes.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(args: argparse.Namespace) -> int:
            return guarded(
                lambda: _setup_then(handler, args, default_data_dir, migrate, progress,
                                    create)
            )

        return wrapper

    return decorate


def django_handler(body: Handler, *, create: bool = False, name: str = "") -> Handler:
    """Return a command handler that sets Django up, then runs ``body(args)``
    (:func:`django_command`; errors become exit codes).

    Args:
        body: the command's work, run with Django set up.
        create: create a missing database (showing progress), for commands that
            may be the first of a new installation (``device add``).
        name: the handler's ``__name__`` (default: ``body``'s, without a leading ``_``).
    """
    handle = django_command(create=create, progress=create)(body)
    handle.__name__ = name or getattr(body, "__name__", "handle").lstrip("_")
    return handle


def confirmed(question: str, *, unattended: str) -> bool:
    """Ask ``question`` (``[y/N]`` appended) on the terminal; whether the answer
    was y or yes. Commands call it unless ``--yes`` was given.

    Raises:
        CommandError: exit 2 with ``unattended`` (which should name ``--yes``) when
            standard input is not a terminal: nobody could answer.
    """
    if not (sys.stdin is not None and sys.stdin.isatty()):
        raise CommandError(unattended, EXIT_USAGE)
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _setup_then(
    handler: Handler,
    args: argparse.Namespace,
    default_data_dir: Path,
    migrate: bool,
    progress: bool,
    create: bool,
) -> int:
    setup(args, default_data_dir=default_data_dir, migrate=migrate, progress=progress,
          create=create)
    return handler(args)


def guarded(body: Callable[[], int]) -> int:
    """Run ``body``; turn the errors an operator can cause into a message and exit code."""
    try:
        return body()
    except BrokenPipeError:
        # The reader went away (`mikromon export ... | head`): stop quietly.
        return stdout_gone()
    except CommandError as err:
        return fail(err.message, err.code)
    except MikromonError as err:
        return fail(str(err), EXIT_USAGE)
    except Exception as err:
        if _is_database_error(err):
            return fail(f"database error: {_first_line(err)}", EXIT_DATABASE)
        raise


def validation_text(err: Any) -> str:
    """Return a Django ``ValidationError`` as one readable line: its messages joined
    by ``; `` without their final full stops, each field's messages prefixed with
    the field's name unless they name it already (as words: ``a device named 'x'``
    does not name the field ``name``)."""
    if hasattr(err, "error_dict"):
        parts = []
        for field, errors in err.message_dict.items():
            label = field.replace("_", " ") if field != "__all__" else ""
            named = re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE)
            for message in errors:
                message = message.rstrip(".")
                if label and not named.search(message):
                    message = f"{label}: {message}"
                parts.append(message)
        return "; ".join(parts)
    return "; ".join(m.rstrip(".") for m in err.messages)


def _is_database_error(err: BaseException) -> bool:
    if "django" not in sys.modules:
        return False
    from django.db import DatabaseError

    return isinstance(err, DatabaseError)


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
