"""Report summaries: an index of every column but ``top`` (``monitor_rs_narrow``),
so that ranking or summing one period of a whole fleet reads narrow index rows
instead of one table page per row (bench/RESULTS.md, reports at 10,000 devices).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0018_rollup_last_and_days'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reportsummary',
            index=models.Index(fields=['level', 'start', 'series', 'samples', 'hourly',
                                       'rate_sum', 'p95', 'p95_high'],
                               name='monitor_rs_narrow'),
        ),
    ]
