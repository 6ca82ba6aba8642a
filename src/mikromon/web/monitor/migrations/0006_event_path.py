"""Events carry the RouterOS path they are about in ``path``.

Before, ``path_absent`` and ``bad_value`` events began their message with the path;
the backfill copies that first word into the new field for the events stored then.
"""

from django.db import migrations, models

#: The kinds whose messages began with the path.
_PATH_KINDS = ("path_absent", "bad_value")


def backfill_paths(apps, schema_editor):
    """Set ``path`` from the first word of older path events' messages."""
    event = apps.get_model("monitor", "Event")
    rows = event.objects.using(schema_editor.connection.alias).filter(
        kind__in=_PATH_KINDS, message__startswith="/")
    batch = []
    for row in rows.only("id", "message").iterator(chunk_size=1000):
        row.path = row.message.split(" ", 1)[0]
        batch.append(row)
        if len(batch) >= 1000:
            event.objects.using(schema_editor.connection.alias).bulk_update(batch, ["path"])
            batch = []
    if batch:
        event.objects.using(schema_editor.connection.alias).bulk_update(batch, ["path"])


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0005_slow_state_lease_process'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='path',
            field=models.TextField(blank=True, default='', help_text="The RouterOS path the event is about ('' for the device as a whole)."),
        ),
        migrations.RunPython(backfill_paths, migrations.RunPython.noop),
    ]
