"""Report summaries: ``p95_high`` (an upper bound of the percentile with up to
six averages added, so pages of this month sort by it in SQL), filled for the rows
stored before from their ``top``; and monitor.ReportDayRates (a finished day's
5-minute averages in time order, so that part of a day is read from one row per
series; a compact table, WITHOUT ROWID on SQLite), written as days end (a day
without them is read from its rollups). ``p95_high`` is nullable: added in place
(the SQLite table stays WITHOUT ROWID).
"""

import django.db.models.deletion
from django.db import migrations, models

from mikromon.web.monitor.migration_ops import CreateCompactModel


def fill_high(apps, schema_editor):
    """Compute ``p95_high`` of the stored summaries."""
    from mikromon.web.monitor.report_summaries import fill_high_bounds

    fill_high_bounds(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0015_device_name_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='reportsummary',
            name='p95_high',
            field=models.FloatField(null=True),
        ),
        CreateCompactModel(
            name='ReportDayRates',
            fields=[
                ('pk', models.CompositePrimaryKey('day', 'series', blank=True, editable=False, primary_key=True, serialize=False)),
                ('day', models.BigIntegerField(help_text='Day start, Unix seconds, UTC.')),
                ('rates', models.BinaryField()),
                ('series', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='day_rates', to='monitor.series')),
            ],
            options={
                'ordering': ['day', 'series'],
            },
        ),
        migrations.RunPython(fill_high, migrations.RunPython.noop),
    ]
