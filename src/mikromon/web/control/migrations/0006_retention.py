import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('control', '0005_outputs'),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionSetting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(help_text='realtime, short, medium, long, extended, 5m or 1h', max_length=16, unique=True)),
                ('seconds', models.BigIntegerField(help_text='how long the data is kept, seconds')),
                ('changed_at', models.DateTimeField(default=django.utils.timezone.now, help_text='when it was set, UTC')),
                ('changed_by', models.CharField(blank=True, default='', help_text="who set it (user name or 'cli')", max_length=150)),
            ],
            options={
                'verbose_name': 'retention setting',
                'ordering': ['key'],
            },
        ),
    ]
