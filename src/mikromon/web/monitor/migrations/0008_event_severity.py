"""Events carry a severity (critical, warning, info), the kind's
(mikromon.domain.events.EVENT_SEVERITIES), indexed for the latest-events lists
that leave ``info`` out.

The backfill sets it on the events stored before from their kind, with the
mapping as it was when this migration was written (a migration does not follow
later code); a kind it does not know gets ``info``.
"""

from django.db import migrations, models

#: Kind -> severity at the time of this migration.
_SEVERITIES = {
    "device_down": "critical",
    "auth_failed": "critical",
    "health_failed": "critical",
    "link_down": "warning",
    "reboot": "warning",
    "board_changed": "warning",
    "bad_value": "warning",
    "device_up": "info",
    "link_up": "info",
    "health_recovered": "info",
    "version_changed": "info",
    "config_reloaded": "info",
    "path_absent": "info",
}


def backfill_severities(apps, schema_editor):
    """Set ``severity`` of every stored event from its kind (the column was added
    with ``info``: one UPDATE for ``critical``, one for ``warning``)."""
    event = apps.get_model("monitor", "Event")
    rows = event.objects.using(schema_editor.connection.alias)
    for severity in ("critical", "warning"):
        kinds = [k for k, s in _SEVERITIES.items() if s == severity]
        rows.filter(kind__in=kinds).update(severity=severity)


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0007_state_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='severity',
            field=models.CharField(choices=[('critical', 'Critical'), ('warning', 'Warning'), ('info', 'Info')], default='info', help_text="How urgent: the kind's severity (critical, warning, info).", max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(backfill_severities, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['severity', 'ts'], name='monitor_event_severity_ts_idx'),
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(condition=models.Q(('severity', 'info'), _negated=True), fields=['-ts', '-id'], name='monitor_event_notable_idx'),
        ),
    ]
