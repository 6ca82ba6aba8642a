"""Head points without a database foreign key to their series, latest values
with room for in-place updates: the two schema changes that let the PostgreSQL
server store more samples per CPU second (bench/RESULTS.md, "Sample writer rate
... without the points' foreign key").

* ``monitor_metricpoint.series_id`` keeps its relation in Django (deleting a
  series deletes its points, in Django's cascade) but loses the database
  constraint: checking it on every inserted point took about a third of the
  server's CPU. The series of a point still exists when it is written: see
  ``MetricPoint``'s docstring. SQLite: the table is rebuilt WITHOUT ROWID
  (``AlterCompactField``).
* PostgreSQL: ``monitor_metriclatest`` gets fillfactor 50, so that the update of a
  series' latest value finds room on its own page (a HOT update, no index entry
  written). Pages written before the change fill up to it as their rows are
  updated and vacuumed.
"""

import django.db.models.deletion
from django.db import migrations, models

from mikromon.web.monitor.migration_ops import AlterCompactField

_LATEST = 'ALTER TABLE "monitor_metriclatest" '


def latest_fillfactor(apps, schema_editor):
    """PostgreSQL: half of each page of the latest values kept free."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_LATEST + "SET (fillfactor = 50)")


def latest_fillfactor_back(apps, schema_editor):
    """PostgreSQL: the default fillfactor again."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_LATEST + "RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0019_report_summary_narrow'),
    ]

    operations = [
        AlterCompactField(
            model_name='metricpoint',
            name='series',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='points', to='monitor.series'),
        ),
        migrations.RunPython(latest_fillfactor, latest_fillfactor_back),
    ]
