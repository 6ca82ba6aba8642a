"""Devices get the natural sort key of their names (``demo-2`` before ``demo-10``),
written with the name (:func:`mikromon.domain.names.name_sort_key`), and an index
to page by it. The backfill computes it for the devices stored before."""

from django.db import migrations, models

#: Devices read and written per batch of the backfill.
BATCH = 2000


def backfill_keys(apps, schema_editor):
    from mikromon.domain.names import name_sort_key
    from mikromon.web.monitor.migration_ops import backfill

    def fill(device):
        device.name_key = name_sort_key(device.name)

    devices = apps.get_model("monitor", "Device").objects.using(schema_editor.connection.alias)
    backfill(devices, ("name",), ("name_key",), fill, batch=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ("monitor", "0013_metric_chunks"),
    ]

    operations = [
        migrations.AddField(
            model_name="device",
            name="name_key",
            field=models.CharField(
                blank=True, default="", editable=False, max_length=254,
                help_text="The name's natural sort key (mikromon.domain.names.name_sort_key), "
                          "written with the name."),
        ),
        migrations.RunPython(backfill_keys, migrations.RunPython.noop, elidable=True),
        migrations.AlterModelOptions(
            name="device",
            options={"ordering": ["name_key", "name"]},
        ),
        migrations.AddIndex(
            model_name="device",
            index=models.Index(fields=["name_key", "name"], name="monitor_device_name_key_idx"),
        ),
    ]
