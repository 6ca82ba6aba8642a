"""Report summaries (monitor.ReportSummary): per traffic series and UTC day or
calendar month, the 5-minute averages' count, positive sum and largest values, so
whole-fleet percentile and top-talker reports read one row per series and period.

A compact table (WITHOUT ROWID on SQLite, mikromon.web.monitor.migration_ops),
keyed (level, start, series). The backfill builds the summaries of the rollups
stored before with mikromon.web.monitor.report_summaries.backfill (raw SQL on the
tables as this migration leaves them) and sets its watermarks; on a database
without rollups it does nothing and the first rollup run builds them.
"""

import django.db.models.deletion
from django.db import migrations, models

from mikromon.web.monitor.migration_ops import CreateCompactModel


def backfill_summaries(apps, schema_editor):
    """Summarise the stored 5-minute (and aged-out hourly) rollups."""
    from mikromon.web.monitor.report_summaries import backfill

    backfill(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0010_inventory_sort_keys'),
    ]

    operations = [
        CreateCompactModel(
            name='ReportSummary',
            fields=[
                ('pk', models.CompositePrimaryKey('level', 'start', 'series', blank=True, editable=False, primary_key=True, serialize=False)),
                ('level', models.CharField(help_text='day or month.', max_length=5)),
                ('start', models.BigIntegerField(help_text='Period start, Unix seconds, UTC.')),
                ('samples', models.IntegerField()),
                ('hourly', models.IntegerField(default=0)),
                ('rate_sum', models.FloatField()),
                ('p95', models.FloatField(null=True)),
                ('top', models.BinaryField()),
                ('series', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='summaries', to='monitor.series')),
            ],
            options={
                'ordering': ['level', 'start', 'series'],
            },
        ),
        migrations.RunPython(backfill_summaries, migrations.RunPython.noop),
    ]
