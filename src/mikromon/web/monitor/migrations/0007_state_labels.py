"""One set of words for device states: the choices' labels (``auth_failed`` reads
"Login refused" on pages, in the API's ``state_label`` and on the command line;
the event kind of the same name reads the same)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0006_event_path'),
    ]

    operations = [
        migrations.AlterField(
            model_name='device',
            name='state',
            field=models.CharField(choices=[('unknown', 'Unknown'), ('up', 'Up'), ('degraded', 'Degraded'), ('slow', 'Slow'), ('down', 'Down'), ('auth_failed', 'Login refused'), ('disabled', 'Disabled')], default='unknown', max_length=16),
        ),
        migrations.AlterField(
            model_name='event',
            name='kind',
            field=models.CharField(choices=[('device_up', 'Device up'), ('device_down', 'Device down'), ('auth_failed', 'Login refused'), ('reboot', 'Reboot'), ('link_up', 'Link up'), ('link_down', 'Link down'), ('version_changed', 'RouterOS version changed'), ('board_changed', 'Board changed'), ('config_reloaded', 'Configuration reloaded'), ('path_absent', 'Path absent'), ('bad_value', 'Unreadable value'), ('health_failed', 'Health sensor failing'), ('health_recovered', 'Health sensor ok again')], max_length=32),
        ),
    ]
