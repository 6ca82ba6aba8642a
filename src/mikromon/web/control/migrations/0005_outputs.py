from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('control', '0004_collector_device_status'),
    ]

    operations = [
        migrations.CreateModel(
            name='OutputDestination',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='short name: letters, digits, - and _ (its queue folder)', max_length=64, unique=True)),
                ('format', models.CharField(choices=[('remote-write', 'Prometheus remote write 1.0'), ('influx', 'InfluxDB line protocol')], default='remote-write', max_length=16)),
                ('url', models.CharField(help_text="the store's write URL, http(s)", max_length=2000)),
                ('username', models.CharField(blank=True, default='', help_text='basic auth user (with a password)', max_length=200)),
                ('password_encrypted', models.TextField(blank=True, default='')),
                ('token_encrypted', models.TextField(blank=True, default='', help_text='bearer (remote write) or InfluxDB 2.x token')),
                ('max_disk_mb', models.PositiveIntegerField(default=2048, help_text='most megabytes queued on disk')),
                ('enabled', models.BooleanField(default=True)),
                ('changed_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'output',
                'ordering': ['name'],
            },
        ),
    ]
