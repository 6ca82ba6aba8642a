"""Start Django from plain Python (the CLI, scripts, an embedding host).

Typical use::

    from mikromon.web import bootstrap
    bootstrap.setup(data_dir="/var/lib/mikromon")
    bootstrap.migrate()
    from mikromon.web.monitor.storage import DjangoStorage
"""

from __future__ import annotations

import os
from pathlib import Path

SETTINGS_MODULE = "mikromon.web.settings"


def setup(data_dir: str | Path | None = None, database_url: str | None = None) -> None:
    """Configure the environment and call ``django.setup()``.

    Settings are read once per process: when Django is already set up (a second
    call, or under the test runner with its test database), this returns without
    changing anything.

    Args:
        data_dir: folder for the SQLite database and the key files; sets
            ``MIKROMON_DATA_DIR`` (default: the variable, else ``./data``).
        database_url: ``postgresql://...`` or ``sqlite:///...``; sets
            ``MIKROMON_DATABASE_URL`` (default: the variable, else SQLite in the
            data folder).

    Raises:
        ConfigError: for an invalid data folder, database URL or key file, or a
            database or key file that other users may read.
        OSError: when the data folder or a key file cannot be created.
    """
    import django
    from django.apps import apps

    if apps.ready:
        return
    if data_dir is not None:
        os.environ["MIKROMON_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    if database_url is not None:
        os.environ["MIKROMON_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.conf import settings

    secure_database_file(settings.DATABASES["default"])
    django.setup()


def secure_database_file(database: dict) -> None:
    """For SQLite: check or create the database file owner-only (0600) before the
    first connection (:func:`mikromon.web.monitor.envconfig.secure_sqlite_file`).

    Raises:
        ConfigError: when the database file is readable by other users.
    """
    from mikromon.web.monitor.envconfig import secure_sqlite_file

    if database.get("ENGINE") == "django.db.backends.sqlite3":
        name = str(database.get("NAME") or "")
        if name and name != ":memory:" and not name.startswith("file:"):
            secure_sqlite_file(Path(name))


def pending_migrations() -> list[str]:
    """Return the ``app.migration`` names not applied yet (``[]`` when up to date)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def migrate(progress: bool = True) -> None:
    """Create or upgrade the database schema (``manage.py migrate``).

    Args:
        progress: print each migration as it is applied (to stdout).

    Raises:
        django.db.Error: when the database cannot be reached or migrated.
    """
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if progress else 0)
