"""Inventory rows get sort keys and a search text (derived from ``data``), so the
inventory tables page, sort and filter in SQL
(:mod:`mikromon.web.monitor.sort_keys`, :mod:`mikromon.web.monitor.inventory_pages`).

The backfill computes them for the rows stored before, a batch at a time, with the
key functions of the code (they depend only on the row's values).
"""

from django.db import migrations, models

#: Rows read and written per batch of the backfill.
BATCH = 2000


def backfill_keys(apps, schema_editor):
    from mikromon.web.monitor.migration_ops import backfill
    from mikromon.web.monitor.sort_keys import row_search_text, row_sort_keys

    def fill(item):
        data = item.data if isinstance(item.data, dict) else {}
        item.sort_keys = row_sort_keys(data)
        item.search_text = row_search_text(data)

    items = apps.get_model("monitor", "InventoryItem").objects.using(
        schema_editor.connection.alias)
    backfill(items, ("data",), ("sort_keys", "search_text"), fill, batch=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ("monitor", "0009_search_terms"),
    ]

    operations = [
        migrations.AddField(
            model_name="inventoryitem",
            name="search_text",
            field=models.TextField(
                blank=True, db_default="", default="",
                help_text="The values in lower case for the text filter; '' for a blank row."),
        ),
        migrations.AddField(
            model_name="inventoryitem",
            name="sort_keys",
            field=models.JSONField(
                blank=True, db_default=models.Value({}, models.JSONField()), default=dict,
                help_text="Column -> sort key of its value (mikromon.web.monitor.sort_keys)."),
        ),
        migrations.RunPython(backfill_keys, migrations.RunPython.noop, elidable=True),
    ]
