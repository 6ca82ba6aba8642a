"""Fleet search reads a table of normalised search terms beside the inventory
(mikromon.web.monitor.search_terms) instead of every row's JSON text.

The backfill writes the terms of the rows stored before, 2,000 rows a batch in
primary-key order, only rows of the tables searched (rules as in
``search_terms`` when migrating: terms are derived data, a later change of the
rules rebuilds them in its own migration). Reversing drops the table.
"""

import django.db.models.deletion
from django.db import migrations, models

from mikromon.web.monitor.search_terms import rebuild_terms


def backfill_terms(apps, schema_editor):
    """Write the search terms of every stored inventory row."""
    item = apps.get_model("monitor", "InventoryItem")
    term = apps.get_model("monitor", "InventoryTerm")
    rebuild_terms(item.objects.all(), term, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0008_event_severity'),
    ]

    operations = [
        migrations.CreateModel(
            name='InventoryTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=16)),
                ('term', models.CharField(max_length=100)),
                ('field', models.CharField(max_length=64)),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terms', to='monitor.inventoryitem')),
            ],
            options={
                'verbose_name': 'inventory search term',
            },
        ),
        migrations.RunPython(backfill_terms, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='inventoryterm',
            index=models.Index(fields=['kind', 'term', 'item'], name='monitor_invterm_term_idx', opclasses=['varchar_pattern_ops', 'varchar_pattern_ops', 'int8_ops']),
        ),
    ]
