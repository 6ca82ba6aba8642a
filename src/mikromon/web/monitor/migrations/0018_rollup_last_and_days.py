"""Rollups: ``last`` (the value of a bucket's latest sample) on every level, and
the 1-day level (step 86400, rolled up from the hourly rows by the maintenance).

Rows stored before get ``last`` = their ``avg``: their samples may be compacted
or deleted by retention, so the true last value cannot be recovered for all of
them (docs/storage.md, "Rollups"). The maintenance recomputes the last bucket of
each level before its watermark at its next run; the first run of the daily level
rolls up every stored hour. This cannot be undone: going back needs a restored
backup.

The step check changes too. On SQLite a check constraint cannot be altered in
place and Django's table rebuild would drop ``WITHOUT ROWID``: the table is
rebuilt as a compact table (:func:`..migration_ops.rebuild_compact`) and the rows
copied in one statement. On PostgreSQL the column is added and the constraint
replaced in place.
"""

from django.db import migrations, models

from mikromon.web.monitor.migration_ops import rebuild_compact

_STEPS = (300, 3600, 86400)
_CHECK = models.CheckConstraint(condition=models.Q(('step__in', _STEPS)),
                                name='monitor_metricrollup_step_valid')


def convert(apps, schema_editor):
    """Add ``last`` (filled from ``avg``) and allow step 86400."""
    model = apps.get_model('monitor', 'MetricRollup')
    if schema_editor.connection.vendor == 'sqlite':
        rebuild_compact(schema_editor, model, {'last': '"avg"'})
        return
    table = schema_editor.quote_name(model._meta.db_table)
    schema_editor.execute(f'ALTER TABLE {table} ADD COLUMN "last" double precision')
    schema_editor.execute(f'UPDATE {table} SET "last" = "avg"')
    schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN "last" SET NOT NULL')
    schema_editor.execute(f'ALTER TABLE {table} DROP CONSTRAINT '
                          f'{schema_editor.quote_name(_CHECK.name)}')
    schema_editor.add_constraint(model, _CHECK)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0016_report_summary_bounds'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AddField(
                model_name='metricrollup',
                name='last',
                field=models.FloatField(help_text="Value of the bucket's latest raw point."),
            ),
            migrations.AlterField(
                model_name='metricrollup',
                name='step',
                field=models.IntegerField(help_text='Bucket width, seconds (300, 3600 or 86400).'),
            ),
            migrations.RemoveConstraint(
                model_name='metricrollup',
                name='monitor_metricrollup_step_valid',
            ),
            migrations.AddConstraint(model_name='metricrollup', constraint=_CHECK),
        ]),
        migrations.RunPython(convert),
    ]
