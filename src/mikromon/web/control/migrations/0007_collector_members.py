import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('control', '0006_retention'),
        ('monitor', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CollectorMember',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('member_id', models.CharField(help_text='random id of the member', max_length=64, unique=True)),
                ('host', models.CharField(help_text='host name the member runs on', max_length=255)),
                ('pid', models.PositiveIntegerField(help_text='its process id on that host')),
                ('process', models.CharField(blank=True, default='', help_text='process identity (boot id, pid namespace, pid, start)', max_length=160)),
                ('started_at', models.DateTimeField(help_text='when it joined, UTC')),
                ('heartbeat', models.DateTimeField(help_text='its last heartbeat, UTC (database clock)')),
                ('expires_at', models.DateTimeField(db_index=True, help_text='when it counts as dead without a heartbeat, UTC')),
                ('devices', models.PositiveIntegerField(default=0, help_text='devices it polls')),
                ('cpu_pct', models.FloatField(default=0.0, help_text='CPU its process used since the previous heartbeat, % of one core')),
            ],
            options={
                'verbose_name': 'collector member',
                'ordering': ['started_at', 'member_id'],
            },
        ),
        migrations.CreateModel(
            name='DeviceOwner',
            fields=[
                ('device', models.OneToOneField(help_text='the device', on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='collector_owner', serialize=False, to='monitor.device')),
                ('owner', models.CharField(blank=True, db_index=True, default='', help_text="member_id of the member polling it ('' nobody)", max_length=64)),
                ('expires_at', models.DateTimeField(blank=True, help_text='when the claim lapses unless renewed, UTC', null=True)),
                ('claimed_at', models.DateTimeField(blank=True, help_text='when it was claimed, UTC', null=True)),
            ],
            options={
                'verbose_name': 'device owner',
            },
        ),
    ]
