"""Compressed chunks of samples per series (MetricChunk): the compacted part of
the time-series store; the head stays in monitor_metricpoint (docs/storage.md)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0012_series_labels_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='MetricChunk',
            fields=[
                ('pk', models.CompositePrimaryKey('series', 'start_ts', blank=True, editable=False, primary_key=True, serialize=False)),
                ('start_ts', models.BigIntegerField(help_text='First sample, Unix seconds, UTC.')),
                ('end_ts', models.BigIntegerField(help_text='Last sample, Unix seconds, UTC.')),
                ('count', models.IntegerField(help_text='Samples in the chunk.')),
                ('data', models.BinaryField(help_text='The chunk (mikromon.storage.chunks format).')),
                ('series', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='chunks', to='monitor.series')),
            ],
            options={
                'ordering': ['series', 'start_ts'],
            },
        ),
    ]
