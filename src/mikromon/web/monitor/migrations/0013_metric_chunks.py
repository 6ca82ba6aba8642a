"""Compressed chunks of samples per series (MetricChunk): the compacted part of
the time-series store; the head stays in monitor_metricpoint (docs/storage.md).

The same logical table on both databases. SQLite: Django's ordinary table (a
rowid table: the chunks live in overflow pages). PostgreSQL: partitioned by
range of ``start_ts`` (weekly partitions created by the compactor and the
maintenance, :mod:`mikromon.web.monitor.chunk_partitions`, and a default
partition), ``data`` with ``STORAGE EXTERNAL`` (already compressed).
"""

import django.db.models.deletion
from django.db import migrations, models

_PG_CREATE = [
    'CREATE TABLE "monitor_metricchunk" ('
    ' "series_id" integer NOT NULL REFERENCES "monitor_series" ("id")'
    ' ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,'
    ' "start_ts" bigint NOT NULL, "end_ts" bigint NOT NULL, "count" integer NOT NULL,'
    ' "data" bytea NOT NULL,'
    ' CONSTRAINT "monitor_metricchunk_pk" PRIMARY KEY ("series_id", "start_ts")'
    ') PARTITION BY RANGE ("start_ts")',
    'ALTER TABLE "monitor_metricchunk" ALTER COLUMN "data" SET STORAGE EXTERNAL',
    'CREATE TABLE "monitor_metricchunk_default" PARTITION OF "monitor_metricchunk" DEFAULT',
    'ALTER TABLE "monitor_metricchunk_default" ALTER COLUMN "data" SET STORAGE EXTERNAL',
]


class CreateChunkModel(migrations.CreateModel):
    """``CreateModel`` whose table is partitioned on PostgreSQL (the SQL above);
    Django's ordinary table elsewhere. The model state is the same on both."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        for sql in _PG_CREATE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0012_series_labels_index'),
    ]

    operations = [
        CreateChunkModel(
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
