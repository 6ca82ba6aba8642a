"""InventorySync: when each inventory table of each device was last read."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitor', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='InventorySync',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('table', models.CharField(max_length=64)),
                ('synced_at', models.DateTimeField(help_text='When the router last answered for it, UTC.')),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='inventory_syncs', to='monitor.device')),
            ],
            options={
                'verbose_name': 'inventory read',
                'ordering': ['device', 'table'],
                'constraints': [models.UniqueConstraint(fields=('device', 'table'), name='monitor_inventorysync_unique')],
            },
        ),
    ]
