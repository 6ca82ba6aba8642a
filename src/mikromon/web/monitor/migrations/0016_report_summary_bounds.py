"""Report summaries: ``p95_high`` (an upper bound of the percentile with up to an
hour of averages added, so pages of this month sort by it in SQL) and ``rates``
(a finished day's 5-minute averages in time order, so that part of a day is read
from one row). Nullable columns: added in place (the SQLite table stays WITHOUT
ROWID). ``p95_high`` of the rows stored before is computed from their ``top``;
``rates`` are written as days end (a day without them is read from its rollups).
"""

from django.db import migrations, models


def fill_high(apps, schema_editor):
    """Compute ``p95_high`` of the stored summaries."""
    from mikromon.web.monitor.report_summaries import fill_high_bounds

    fill_high_bounds(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0013_metric_chunks'),
    ]

    operations = [
        migrations.AddField(
            model_name='reportsummary',
            name='p95_high',
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name='reportsummary',
            name='rates',
            field=models.BinaryField(null=True),
        ),
        migrations.RunPython(fill_high, migrations.RunPython.noop),
    ]
