"""Migration operations for compact time-series tables, and the batched backfill
of columns derived from a row's values (:func:`backfill`).

:class:`CreateCompactModel` creates a model whose composite primary key is its
only index. On SQLite the table is declared ``WITHOUT ROWID``: rows live in the
primary-key B-tree itself instead of in a rowid table plus a separate index
holding the same key columns, which roughly halves the bytes per point. Other
databases get Django's ordinary ``CREATE TABLE``.

Caution: Django's SQLite schema editor rebuilds a table for most ``AlterField``
and ``AddConstraint`` operations and would drop ``WITHOUT ROWID`` on the way;
change these tables on SQLite with :func:`rebuild_compact` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import migrations


def _sqlite_model(operation: Any, django_operation: Any, app_label: str, schema_editor: Any,
                  from_state: Any, to_state: Any, model_name: str) -> Any:
    """The model an operation on a compact table works on when it is SQLite's
    turn to make the table (``None`` when not migrated here). On other databases
    ``django_operation`` (Django's own operation, ``super()`` of ``operation``)
    does the work and ``None`` is returned."""
    if schema_editor.connection.vendor != "sqlite":
        django_operation.database_forwards(app_label, schema_editor, from_state, to_state)
        return None
    model = to_state.apps.get_model(app_label, model_name)
    if not operation.allow_migrate_model(schema_editor.connection.alias, model):
        return None
    return model


class CreateCompactModel(migrations.CreateModel):
    """``CreateModel`` that uses a ``WITHOUT ROWID`` table on SQLite."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Create the table (``WITHOUT ROWID`` on SQLite) and its deferred SQL."""
        model = _sqlite_model(self, super(), app_label, schema_editor, from_state, to_state,
                              self.name)
        if model is None:
            return
        sql, params = schema_editor.table_sql(model)
        schema_editor.execute(f"{sql} WITHOUT ROWID", params or None)
        schema_editor.deferred_sql.extend(schema_editor._model_indexes_sql(model))

    def describe(self) -> str:
        """Return the text ``migrate`` prints for this operation."""
        return f"Create compact model {self.name}"


class AlterCompactField(migrations.AlterField):
    """``AlterField`` of a compact model that keeps its SQLite table ``WITHOUT
    ROWID``: on SQLite the table is rebuilt by :func:`rebuild_compact` from the
    altered model (every row copied), where Django's own rebuild would drop
    ``WITHOUT ROWID``. Other databases: Django's ``AlterField`` (on PostgreSQL
    dropping a foreign key constraint is one ``ALTER TABLE``, no rebuild).

    The copy holds every row of the table once more on disk until the old table is
    dropped, inside the migration's transaction.
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Alter the column (SQLite: rebuild the table, ``WITHOUT ROWID`` kept)."""
        model = _sqlite_model(self, super(), app_label, schema_editor, from_state, to_state,
                              self.model_name)
        if model is not None:
            rebuild_compact(schema_editor, model, {})

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        """Undo the change (the same rebuild towards the earlier state)."""
        self.database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        """Return the text ``migrate`` prints for this operation."""
        return f"Alter field {self.name} on compact model {self.model_name}"


def rebuild_compact(schema_editor: Any, model: Any, added: dict[str, str]) -> None:
    """SQLite: rebuild the table of ``model`` (the historical model as it is after
    the migration) as a ``WITHOUT ROWID`` table of its new definition, copying
    every row in one statement; ``added`` gives each new column's value as an SQL
    expression over the old row's columns (``{"last": '"avg"'}``). The steps of
    Django's own rebuild (new table, copy, drop, rename), which would drop
    ``WITHOUT ROWID``; foreign keys are off meanwhile (the schema editor's doing).

    Raises:
        ValueError: the database is not SQLite.
    """
    conn = schema_editor.connection
    if conn.vendor != "sqlite":
        raise ValueError(f"rebuild_compact is for SQLite tables, not {conn.vendor}")
    table = model._meta.db_table
    temp = f"new__{table}"
    qn = schema_editor.quote_name
    sql, params = schema_editor.table_sql(model)
    schema_editor.execute(f"{sql.replace(qn(table), qn(temp), 1)} WITHOUT ROWID",
                          params or None)
    columns = [f.column for f in model._meta.local_concrete_fields]
    source = [added.get(c, qn(c)) for c in columns]
    schema_editor.execute(f"INSERT INTO {qn(temp)} ({', '.join(qn(c) for c in columns)}) "
                          f"SELECT {', '.join(source)} FROM {qn(table)}")
    schema_editor.execute(f"DROP TABLE {qn(table)}")
    schema_editor.execute(f"ALTER TABLE {qn(temp)} RENAME TO {qn(table)}")


def backfill(rows: Any, read: Sequence[str], written: Sequence[str],
             fill: Callable[[Any], None], *, batch: int = 2000) -> None:
    """Compute derived columns of every row stored before a migration added them:
    ``rows`` (a queryset of the historical model, on the migration's database) is
    read in primary-key order ``batch`` rows at a time with only the fields
    ``read``; ``fill(row)`` sets the ``written`` fields, written back with one
    ``bulk_update`` per batch (memory bounded whatever the table's size)."""
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk").only("pk", *read)[:batch])
        if not chunk:
            return
        for row in chunk:
            fill(row)
        rows.bulk_update(chunk, list(written))
        last = chunk[-1].pk
