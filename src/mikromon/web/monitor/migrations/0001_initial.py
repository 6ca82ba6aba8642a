"""Initial schema of the monitor app.

MetricPoint and MetricRollup use CreateCompactModel (WITHOUT ROWID tables on
SQLite; see mikromon.web.monitor.migration_ops)."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import mikromon.web.monitor.models.devices
from django.conf import settings
from django.db import migrations, models

from mikromon.web.monitor.migration_ops import CreateCompactModel


def create_singletons(apps, schema_editor):
    """Create the single rows of ConfigVersion and CollectorLease."""
    db = schema_editor.connection.alias
    apps.get_model('monitor', 'ConfigVersion').objects.using(db).get_or_create(pk=1)
    apps.get_model('monitor', 'CollectorLease').objects.using(db).get_or_create(pk=1)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Site',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('description', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('name',), name='monitor_site_name_unique')],
            },
        ),
        migrations.CreateModel(
            name='Tag',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50)),
                ('slug', models.SlugField(blank=True)),
                ('colour', models.CharField(blank=True, help_text='Optional colour, #rrggbb.', max_length=7, validators=[django.core.validators.RegexValidator('^#[0-9a-fA-F]{6}$', 'Enter a colour as #rrggbb.')])),
            ],
            options={
                'ordering': ['name'],
                'constraints': [models.UniqueConstraint(fields=('name',), name='monitor_tag_name_unique'), models.UniqueConstraint(condition=models.Q(('slug', ''), _negated=True), fields=('slug',), name='monitor_tag_slug_unique')],
            },
        ),
        migrations.CreateModel(
            name='Device',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='Unique name shown everywhere.', max_length=100)),
                ('host', models.CharField(help_text='Address or host name of the router.', max_length=253)),
                ('port', models.PositiveIntegerField(blank=True, help_text='API port; empty means 8728, or 8729 with API-SSL.', validators=[django.core.validators.MinValueValidator(1, message='The port must be between 1 and 65535.'), django.core.validators.MaxValueValidator(65535, message='The port must be between 1 and 65535.')])),
                ('username', models.CharField(max_length=100)),
                ('password_encrypted', models.TextField(blank=True, editable=False)),
                ('use_ssl', models.BooleanField(default=False, verbose_name='API-SSL')),
                ('tls_verify', models.CharField(choices=[('verify', 'Verify the certificate'), ('no-verify', 'Accept any certificate (self-signed)'), ('anonymous-dh', 'No certificate (anonymous DH)')], default='verify', max_length=16, verbose_name='TLS verification')),
                ('encoding', models.CharField(default='utf-8', help_text="Text encoding of the router's names and comments.", max_length=32, validators=[mikromon.web.monitor.models.devices.validate_encoding])),
                ('enabled', models.BooleanField(default=True)),
                ('realtime_interval', models.PositiveIntegerField(default=5, help_text='Seconds between realtime-tier polls; at least 5.', validators=[django.core.validators.MinValueValidator(5, message='The realtime interval must be at least %(limit_value)s seconds (got %(show_value)s).')], verbose_name='realtime interval (s)')),
                ('short_interval', models.PositiveIntegerField(default=60, help_text='Seconds between short-tier polls; at least 30.', validators=[django.core.validators.MinValueValidator(30, message='The short interval must be at least %(limit_value)s seconds (got %(show_value)s).')], verbose_name='short interval (s)')),
                ('medium_interval', models.PositiveIntegerField(default=300, help_text='Seconds between medium-tier polls; at least 120.', validators=[django.core.validators.MinValueValidator(120, message='The medium interval must be at least %(limit_value)s seconds (got %(show_value)s).')], verbose_name='medium interval (s)')),
                ('long_interval', models.PositiveIntegerField(default=3600, help_text='Seconds between long-tier polls; at least 600.', validators=[django.core.validators.MinValueValidator(600, message='The long interval must be at least %(limit_value)s seconds (got %(show_value)s).')], verbose_name='long interval (s)')),
                ('extended_interval', models.PositiveIntegerField(default=86400, help_text='Seconds between extended-tier polls; at least 3600.', validators=[django.core.validators.MinValueValidator(3600, message='The extended interval must be at least %(limit_value)s seconds (got %(show_value)s).')], verbose_name='extended interval (s)')),
                ('notes', models.TextField(blank=True)),
                ('state', models.CharField(choices=[('unknown', 'Unknown'), ('up', 'Up'), ('down', 'Down'), ('auth_failed', 'Authentication failed'), ('disabled', 'Disabled')], default='unknown', max_length=16)),
                ('last_seen', models.DateTimeField(blank=True, help_text='Last reply, UTC.', null=True)),
                ('last_error', models.TextField(blank=True)),
                ('identity', models.CharField(blank=True, max_length=255)),
                ('board', models.CharField(blank=True, max_length=100)),
                ('ros_version', models.CharField(blank=True, max_length=64, verbose_name='RouterOS version')),
                ('status_changed_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('site', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='devices', to='monitor.site')),
                ('tags', models.ManyToManyField(blank=True, related_name='devices', to='monitor.tag')),
            ],
            options={
                'indexes': [models.Index(fields=['state'], name='monitor_device_state_idx')],
                'constraints': [
                    models.UniqueConstraint(fields=('name',), name='monitor_device_name_unique'),
                    models.CheckConstraint(condition=models.Q(('port__gte', 1), ('port__lte', 65535)), name='monitor_device_port_range', violation_error_message='The port must be between 1 and 65535.'),
                    models.CheckConstraint(condition=models.Q(('realtime_interval__gte', 5)), name='monitor_device_realtime_interval_min', violation_error_message='The realtime interval must be at least 5 seconds.'),
                    models.CheckConstraint(condition=models.Q(('short_interval__gte', 30)), name='monitor_device_short_interval_min', violation_error_message='The short interval must be at least 30 seconds.'),
                    models.CheckConstraint(condition=models.Q(('medium_interval__gte', 120)), name='monitor_device_medium_interval_min', violation_error_message='The medium interval must be at least 120 seconds.'),
                    models.CheckConstraint(condition=models.Q(('long_interval__gte', 600)), name='monitor_device_long_interval_min', violation_error_message='The long interval must be at least 600 seconds.'),
                    models.CheckConstraint(condition=models.Q(('extended_interval__gte', 3600)), name='monitor_device_extended_interval_min', violation_error_message='The extended interval must be at least 3600 seconds.'),
                ],
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='ConfigVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('counter', models.BigIntegerField(default=0)),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='monitor_configversion_single_row')],
            },
        ),
        migrations.CreateModel(
            name='MetricCatalog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(help_text='Metric key, e.g. iface.rx_bps.', max_length=100)),
                ('unit', models.CharField(blank=True, max_length=32)),
                ('description', models.TextField(blank=True)),
                ('tier', models.CharField(blank=True, choices=[('realtime', 'Realtime'), ('short', 'Short'), ('medium', 'Medium'), ('long', 'Long'), ('extended', 'Extended')], max_length=16)),
                ('kind', models.CharField(blank=True, help_text='gauge, rate, counter ...', max_length=32)),
            ],
            options={
                'verbose_name': 'metric',
                'ordering': ['key'],
                'constraints': [models.UniqueConstraint(fields=('key',), name='monitor_metriccatalog_key_unique')],
            },
        ),
        migrations.CreateModel(
            name='Series',
            fields=[
                ('id', models.AutoField(primary_key=True, serialize=False)),
                ('key', models.CharField(max_length=100)),
                ('labels_key', models.CharField(default='{}', max_length=500)),
                ('labels', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='series', to='monitor.device')),
            ],
            options={
                'indexes': [models.Index(fields=['key'], name='monitor_series_key_idx')],
                'constraints': [models.UniqueConstraint(fields=('device', 'key', 'labels_key'), name='monitor_series_unique')],
                'verbose_name_plural': 'series',
                'ordering': ['device', 'key', 'labels_key'],
            },
        ),
        CreateCompactModel(
            name='MetricPoint',
            fields=[
                ('pk', models.CompositePrimaryKey('series', 'ts', blank=True, editable=False, primary_key=True, serialize=False)),
                ('ts', models.BigIntegerField(help_text='Unix seconds, UTC.')),
                ('value', models.FloatField()),
                ('series', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='points', to='monitor.series')),
            ],
            options={
                'ordering': ['series', 'ts'],
            },
        ),
        CreateCompactModel(
            name='MetricRollup',
            fields=[
                ('pk', models.CompositePrimaryKey('series', 'step', 'ts', blank=True, editable=False, primary_key=True, serialize=False)),
                ('step', models.IntegerField(help_text='Bucket width, seconds (300 or 3600).')),
                ('ts', models.BigIntegerField(help_text='Bucket start, Unix seconds, UTC.')),
                ('count', models.IntegerField()),
                ('min', models.FloatField()),
                ('max', models.FloatField()),
                ('avg', models.FloatField()),
                ('series', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='rollups', to='monitor.series')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('step__in', (300, 3600))), name='monitor_metricrollup_step_valid')],
                'ordering': ['series', 'step', 'ts'],
            },
        ),
        migrations.CreateModel(
            name='MetricLatest',
            fields=[
                ('series', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='latest', serialize=False, to='monitor.series')),
                ('ts', models.DateTimeField(help_text='When the router answered, UTC.')),
                ('value', models.FloatField()),
            ],
            options={
                'verbose_name': 'latest value',
                'ordering': ['series'],
            },
        ),
        migrations.CreateModel(
            name='InventoryItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('table', models.CharField(max_length=64)),
                ('key', models.CharField(max_length=500)),
                ('data', models.JSONField(default=dict)),
                ('first_seen', models.DateTimeField()),
                ('last_seen', models.DateTimeField()),
                ('changed_at', models.DateTimeField(help_text='When data last changed (or first seen).')),
                ('gone', models.BooleanField(default=False)),
                ('gone_at', models.DateTimeField(blank=True, null=True)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='inventory', to='monitor.device')),
            ],
            options={
                'verbose_name': 'inventory item',
                'ordering': ['device', 'table', 'key'],
                'indexes': [models.Index(fields=['table', 'gone'], name='monitor_inventory_table_idx')],
                'constraints': [models.UniqueConstraint(fields=('device', 'table', 'key'), name='monitor_inventoryitem_unique')],
            },
        ),
        migrations.CreateModel(
            name='LogEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=64)),
                ('time', models.CharField(blank=True, help_text='Router time as reported.', max_length=40)),
                ('topics', models.CharField(blank=True, max_length=200)),
                ('message', models.TextField(blank=True)),
                ('data', models.JSONField(blank=True, default=dict, help_text='The whole row.')),
                ('seen_at', models.DateTimeField(help_text='When mikromon first read it, UTC.')),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='log_entries', to='monitor.device')),
            ],
            options={
                'verbose_name': 'log entry',
                'verbose_name_plural': 'log entries',
                'ordering': ['device', 'seen_at', 'id'],
                'indexes': [models.Index(fields=['device', 'seen_at'], name='monitor_logentry_seen_idx')],
                'constraints': [models.UniqueConstraint(fields=('device', 'key'), name='monitor_logentry_unique')],
            },
        ),
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ts', models.DateTimeField(help_text='When it was noticed, UTC.')),
                ('kind', models.CharField(choices=[('device_up', 'Device up'), ('device_down', 'Device down'), ('auth_failed', 'Authentication failed'), ('reboot', 'Reboot'), ('link_up', 'Link up'), ('link_down', 'Link down'), ('version_changed', 'RouterOS version changed'), ('board_changed', 'Board changed'), ('config_reloaded', 'Configuration reloaded'), ('path_absent', 'Path absent')], max_length=32)),
                ('message', models.TextField(blank=True)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='monitor.device')),
            ],
            options={
                'ordering': ['-ts', '-id'],
                'indexes': [models.Index(fields=['device', 'ts'], name='monitor_event_device_ts_idx'), models.Index(fields=['kind', 'ts'], name='monitor_event_kind_ts_idx')],
            },
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('prefix', models.CharField(editable=False, max_length=8)),
                ('key_hash', models.CharField(editable=False, max_length=64)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('last_used', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'ordering': ['user', 'name'],
                'constraints': [models.UniqueConstraint(fields=('key_hash',), name='monitor_apitoken_hash_unique'), models.UniqueConstraint(fields=('user', 'name'), name='monitor_apitoken_name_unique')],
            },
        ),
        migrations.CreateModel(
            name='CollectorLease',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('owner', models.CharField(blank=True, max_length=64)),
                ('host', models.CharField(blank=True, max_length=255)),
                ('pid', models.PositiveIntegerField(blank=True, null=True)),
                ('acquired_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat', models.DateTimeField(blank=True, null=True)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'collector lease',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='monitor_collectorlease_single_row')],
            },
        ),
        migrations.CreateModel(
            name='MaintenanceState',
            fields=[
                ('name', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('value', models.BigIntegerField(default=0)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.RunPython(create_singletons, migrations.RunPython.noop),
    ]
